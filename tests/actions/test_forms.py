"""The order form: which slots are needed, and who may name which order."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.form_questions import ActionAskOrderId, ActionAskReturnItem
from actions.forms import ValidateOrderForm
from tests.actions.conftest import make_tracker, responses, run


def _required(tracker, domain):
    form = ValidateOrderForm()
    return asyncio.run(
        form.required_slots(form.domain_slots(domain), CollectingDispatcher(), tracker, domain)
    )


def _validate(method, value, tracker, domain):
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateOrderForm(), f"validate_{method}")(value, dispatcher, tracker, domain)
    return result, dispatcher.messages


def test_visitors_must_prove_the_order_customers_need_not(domain, shop_cases, token_for):
    case = shop_cases["paid"]
    visitor = make_tracker("查订单", intent="order_status", slots={"order_goal": "status"})
    assert _required(visitor, domain) == ["order_id", "order_contact"]
    customer = make_tracker(
        "查订单",
        intent="order_status",
        slots={"order_goal": "status"},
        metadata={"customer_token": token_for(case.customer_id)},
    )
    assert _required(customer, domain) == ["order_id"]


def test_return_asks_item_and_reason_only_for_a_returnable_order(domain, shop_cases, token_for):
    for key, expected in (
        ("delivered", ["order_id", "return_item", "return_reason"]),
        ("shipped", ["order_id"]),  # not delivered: the refusal comes at the end
        ("delivered_old", ["order_id"]),  # past the return window
    ):
        case = shop_cases[key]
        tracker = make_tracker(
            "退货",
            slots={"order_goal": "return", "order_id": case.order_id},
            metadata={"customer_token": token_for(case.customer_id)},
        )
        assert _required(tracker, domain) == expected, key


def test_order_number_format_is_checked(domain):
    result, messages = _validate("order_id", "12345", make_tracker("12345"), domain)
    assert result == {"order_id": None}
    assert responses(messages) == ["utter_order_id_invalid"]
    result, _ = _validate("order_id", " kf10000123 ", make_tracker("kf10000123"), domain)
    assert result["order_id"] == "KF10000123"


def test_a_customer_can_only_name_their_own_orders(domain, shop_cases, token_for):
    mine, other = shop_cases["paid"], shop_cases["shipped"]
    assert mine.customer_id != other.customer_id
    tracker = make_tracker("x", metadata={"customer_token": token_for(mine.customer_id)})
    result, messages = _validate("order_id", other.order_id, tracker, domain)
    assert result["order_id"] is None
    assert responses(messages) == ["utter_order_not_in_account"]
    result, messages = _validate("order_id", mine.order_id, tracker, domain)
    assert result["order_id"] == mine.order_id and messages == []


def test_contact_must_match_the_order_and_three_failures_lock(domain, shop_cases):
    case = shop_cases["shipped"]
    slots = {"order_id": case.order_id}
    ok, _ = _validate("order_contact", case.email.upper(), make_tracker("x", slots=slots), domain)
    assert ok["order_contact"] == case.email.lower()
    if case.phone.startswith("1"):
        ok, _ = _validate(
            "order_contact", "+86 " + case.phone, make_tracker("x", slots=slots), domain
        )
        assert ok["order_contact"]
    bad, messages = _validate(
        "order_contact", "someone@example.com", make_tracker("x", slots=slots), domain
    )
    # the order number is kept: only the contact was wrong
    assert bad == {"order_contact": None, "order_id": case.order_id, "lookup_failures": 1}
    assert responses(messages) == ["utter_contact_mismatch"]
    locked, messages = _validate(
        "order_contact",
        "someone@example.com",
        make_tracker("x", slots={**slots, "lookup_failures": 2}),
        domain,
    )
    assert locked["lookup_failures"] == 3
    # after three failures a human is offered ("yes" hands off)
    assert responses(messages) == ["utter_lookup_locked", "utter_offer_handoff"]
    assert locked["pending_confirmation"] == "handoff"
    assert _required(make_tracker("x", slots={"lookup_failures": 3}), domain) == []


def test_return_item_matches_ids_positions_and_names(domain, shop_cases, token_for):
    from kefu.shop import queries as shop

    case = shop_cases["delivered_multi"]
    order = shop.get_order(case.order_id, customer_id=case.customer_id)
    second = order.lines[1]
    meta = {"customer_token": token_for(case.customer_id)}
    slots = {"order_id": case.order_id, "order_goal": "return"}
    for value in (second.product_id, "2", "第二个", "the second one", second.name_en):
        tracker = make_tracker(value, slots=slots, metadata=meta)
        result, _ = _validate("return_item", value, tracker, domain)
        assert result == {"return_item": f"line:{second.id}"}, value
    result, messages = _validate(
        "return_item", "a garden gnome", make_tracker("x", slots=slots, metadata=meta), domain
    )
    assert result == {"return_item": None}
    assert responses(messages) == ["utter_return_item_unknown"]


def test_single_item_orders_need_no_item_question(domain, shop_cases, token_for):
    case = shop_cases["delivered_single"]
    tracker = make_tracker(
        case.order_id,
        slots={"order_goal": "return"},
        metadata={"customer_token": token_for(case.customer_id)},
    )
    result, _ = _validate("order_id", case.order_id, tracker, domain)
    assert result["order_id"] == case.order_id
    assert result["return_item"] is not None


def test_ask_order_id_lists_only_the_customers_own_orders(domain, shop_cases, token_for):
    from kefu.shop import queries as shop

    case = shop_cases["delivered"]
    tracker = make_tracker("查订单", metadata={"customer_token": token_for(case.customer_id)})
    messages, _ = run(ActionAskOrderId(), tracker, domain)
    assert responses(messages) == ["utter_ask_order_id_customer"]
    own = {o.id for o in shop.recent_orders(case.customer_id, 20)}
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads and all(any(oid in p for oid in own) for p in payloads)
    # a visitor (or a spoofed sender id) gets no list
    spoofed = make_tracker(
        "查订单", sender_id=case.customer_id, slots={"customer_id": case.customer_id}
    )
    messages, _ = run(ActionAskOrderId(), spoofed, domain)
    assert responses(messages) == ["utter_ask_order_id"] and not messages[0]["buttons"]


def test_ask_return_item_offers_the_lines_of_the_order(domain, shop_cases, token_for):
    case = shop_cases["delivered_multi"]
    tracker = make_tracker(
        "x",
        slots={"order_id": case.order_id, "language": "en"},
        metadata={"customer_token": token_for(case.customer_id)},
    )
    messages, _ = run(ActionAskReturnItem(), tracker, domain)
    assert len(messages[0]["buttons"]) >= 2
    assert all(b["payload"].startswith('/inform{"product":"P') for b in messages[0]["buttons"])
    # without access to the order: no item names, and the order is forgotten
    messages, events = run(
        ActionAskReturnItem(), make_tracker("x", slots={"order_id": case.order_id}), domain
    )
    assert not messages[0]["buttons"]
    assert events == [{"event": "slot", "timestamp": None, "name": "order_id", "value": None}]
