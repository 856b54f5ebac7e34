"""Hand-off into the agent queue: one ticket, the reason, where the customer stands."""

from __future__ import annotations

import secrets

import pytest

from actions.satisfaction import ActionAskCsatAfterAgent
from actions.support import ActionHandleAffirm, escalation_reason
from kefu.shop.queries import queue
from kefu.shop.queries import staff as staff_rows
from tests.actions.conftest import (
    assert_one_language,
    bot_event,
    make_tracker,
    rendered,
    responses,
    run,
    slot_events,
    user_event,
)

OFFER = {"event": "slot", "name": "pending_confirmation", "value": "handoff"}


def _accepting(history: list[dict], lang: str = "en", sender: str | None = None):
    return make_tracker(
        "yes",
        intent="affirm",
        slots={"pending_confirmation": "handoff", "language": lang},
        history=history,
        sender_id=sender or f"conv-{secrets.token_hex(6)}",
    )


def test_the_reason_is_read_from_the_message_before_the_offer():
    asked = _accepting([user_event("a person please", "human_handoff"), OFFER])
    fallbacks = _accepting([user_event("blorp", "nlu_fallback"), OFFER])
    upset = _accepting([user_event("so late again", "order_status", "negative"), OFFER])
    complaint = _accepting([user_event("terrible", "complaint"), OFFER])
    assert escalation_reason(asked) == "asked"
    assert escalation_reason(fallbacks) == "fallbacks"
    assert escalation_reason(upset) == "negative_sentiment"
    assert escalation_reason(complaint) == "negative_sentiment"


@pytest.fixture
def nobody_on_duty():
    """The shared test shop with every agent off duty (other tests may leave one on)."""
    on = [s.id for s in staff_rows.list_staff() if s.on_duty]
    for staff_id in on:
        staff_rows.set_on_duty(staff_id, False)
    yield
    for staff_id in on:
        staff_rows.set_on_duty(staff_id, True)


def test_accepting_twice_queues_one_ticket_and_says_where_the_customer_stands(
    domain, nobody_on_duty
):
    for lang in ("zh", "en"):
        sender = f"conv-{secrets.token_hex(6)}"
        history = [user_event("nobody helps", "complaint"), bot_event("sorry"), OFFER]
        first, events = run(ActionHandleAffirm(), _accepting(history, lang, sender), domain)
        again, _ = run(ActionHandleAffirm(), _accepting(history, lang, sender), domain)
        assert responses(first) == responses(again) == ["utter_handoff_done"]
        assert first[0]["ticket_id"] == again[0]["ticket_id"]
        assert events[-1]["event"] == "pause"
        ticket = queue.get_ticket(first[0]["ticket_id"])
        assert ticket["status"] == "pending"
        assert ticket["escalation_reason"] == "negative_sentiment"
        texts = rendered(first, domain, lang)
        assert_one_language(texts, lang)
        # nobody is on duty in the test shop: the customer hears that, not a made-up wait
        assert ("No agent is online" in texts[0]) if lang == "en" else ("没有客服在线" in texts[0])
        assert str(first[0]["ticket_id"]) in texts[0]
        queue.resolve(ticket["ticket_id"], None)


def test_after_an_agent_the_bot_asks_for_the_score(domain):
    for lang in ("zh", "en"):
        tracker = make_tracker("", slots={"language": lang})
        messages, events = run(ActionAskCsatAfterAgent(), tracker, domain)
        assert responses(messages) == ["utter_ask_csat_after_agent"]
        assert slot_events(events)["csat_requested"] is True
        assert_one_language(rendered(messages, domain, lang), lang)
