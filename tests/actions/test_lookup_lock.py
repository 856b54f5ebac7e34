"""Order lookups cannot be brute-forced (#16): failures count per browser session and
address in the shop database, across new conversations; a locked session is refused even
when one message carries order number and contact; only a whole phone number proves."""

from __future__ import annotations

import asyncio
import secrets

from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateOrderForm
from actions.orders import ActionSubmitOrderForm
from tests.actions.conftest import make_tracker, responses, run


def _client() -> dict[str, dict[str, str]]:
    """Metadata the site adds: hashed session id and address (new ones per test)."""
    return {"client": {"session": secrets.token_hex(16), "ip": secrets.token_hex(16)}}


def _validate(method, value, tracker, domain):
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateOrderForm(), f"validate_{method}")(value, dispatcher, tracker, domain)
    return result, dispatcher.messages


def _required(tracker, domain):
    form = ValidateOrderForm()
    return asyncio.run(
        form.required_slots(form.domain_slots(domain), CollectingDispatcher(), tracker, domain)
    )


def test_failures_survive_a_restart_and_lock_the_session(domain, shop_cases):
    case = shop_cases["shipped"]
    client = _client()
    for i in range(3):  # three wrong contacts, each in a new conversation (chat restarted)
        tracker = make_tracker(
            "x", slots={"order_id": case.order_id}, metadata=client, sender_id=f"web-r{i}"
        )
        result, _ = _validate("order_contact", f"wrong{i}@example.com", tracker, domain)
        assert result["order_contact"] is None
    fresh = make_tracker("查订单", metadata=client, sender_id="web-fresh")
    assert _required(fresh, domain) == []
    # the right contact and the order number together, in a brand-new conversation
    both = make_tracker(
        f"{case.order_id} {case.email}",
        slots={"order_id": case.order_id, "order_contact": case.email, "order_goal": "status"},
        metadata=client,
        sender_id="web-both",
    )
    result, messages = _validate("order_contact", case.email, both, domain)
    assert result["order_contact"] is None and responses(messages) == ["utter_lookup_locked"]
    result, messages = _validate("order_id", case.order_id, both, domain)
    assert result["order_id"] is None and responses(messages) == ["utter_lookup_locked"]
    messages, _events = run(ActionSubmitOrderForm(), both, domain)
    assert responses(messages) == ["utter_lookup_locked"]
    assert all(case.order_id not in str(m.get("text") or "") for m in messages)


def test_the_address_is_locked_across_browser_sessions(domain, shop_cases):
    case = shop_cases["shipped"]
    ip = secrets.token_hex(16)
    for i in range(10):  # ten sessions (cookies dropped), one failure each, one address
        meta = {"client": {"session": secrets.token_hex(16), "ip": ip}}
        tracker = make_tracker("x", slots={"order_id": case.order_id}, metadata=meta)
        _validate("order_contact", f"w{i}@example.com", tracker, domain)
    meta = {"client": {"session": secrets.token_hex(16), "ip": ip}}
    assert _required(make_tracker("查订单", metadata=meta), domain) == []
    other = {"client": {"session": secrets.token_hex(16), "ip": secrets.token_hex(16)}}
    assert "order_contact" in _required(make_tracker("查订单", metadata=other), domain)


def test_a_phone_suffix_is_no_proof_the_whole_number_is(domain, shop_cases):
    case = shop_cases["shipped"]
    slots = {"order_id": case.order_id}
    digits = "".join(ch for ch in case.phone if ch.isdigit())
    for part in (digits[-7:], digits[-8:]):
        tracker = make_tracker("x", slots=slots, metadata=_client())
        result, _ = _validate("order_contact", part, tracker, domain)
        assert result["order_contact"] is None, part
    whole, _ = _validate("order_contact", case.phone, make_tracker("x", slots=slots), domain)
    assert whole["order_contact"]


def test_contact_matching_needs_the_whole_number():
    from kefu.shop.models import Customer
    from kefu.shop.queries.customers import contact_matches

    mobile = Customer(id="c", phone="13812345678", email="a@b.cn")
    for given in ("13812345678", "+86 138 1234 5678", "0086-13812345678"):
        assert contact_matches(given, mobile), given
    for given in ("2345678", "12345678", "812345678", "3812345678"):
        assert not contact_matches(given, mobile), given
    landline = Customer(id="d", phone="02112345678", email="c@d.cn")
    assert contact_matches("+86 21 1234 5678", landline)
    assert not contact_matches("12345678", landline)
