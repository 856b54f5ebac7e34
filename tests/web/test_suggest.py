"""The suggested reply's choices, without servers: which message, which content."""

from __future__ import annotations

from web.suggest import _best_intent, draft, last_customer_message


def test_the_draft_answers_what_the_customer_wants_not_their_yes():
    transcript = [
        {"id": "c:1", "sender": "user", "text": "where is my parcel", "intent": "order_status"},
        {"id": "c:2", "sender": "bot", "text": "Shall I get you a human?"},
        {"id": "c:3", "sender": "user", "text": "/affirm", "intent": "affirm"},
        {"id": "c:4", "sender": "user", "text": "Yes please", "intent": "affirm"},
        {"id": "c:5", "sender": "agent", "text": "Hi"},
    ]
    assert last_customer_message(transcript)["id"] == "c:1"
    assert last_customer_message(transcript[1:]) is None


def test_faq_first_then_the_intents_draft_in_the_customers_language():
    text, source = draft("shipping_info", "how much is shipping?", "en")
    assert source == "faq" and "99" in text
    text, source = draft("complaint", "太差了", "zh")
    assert source == "intent" and "抱歉" in text
    text, source = draft(None, "包邮吗", "zh")  # no intent: a FAQ entry by its keywords
    assert source == "faq" and "99" in text
    assert draft(None, "blorp", "en") is None
    assert draft("affirm", "blorp", "en") is None  # no draft for this intent


def test_a_reparse_is_used_only_when_confident():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "order_status", "confidence": 0.4},
    ]
    assert _best_intent({"intent_ranking": ranking}) == ("order_status", 0.4)
    ranking[1]["confidence"] = 0.1
    assert _best_intent({"intent_ranking": ranking}) == (None, None)
    assert _best_intent({}) == (None, None)
