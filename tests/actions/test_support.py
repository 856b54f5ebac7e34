"""FAQ, complaints, hand-off, fallback, yes/no, satisfaction, details out of the blue."""

from __future__ import annotations

import json

from sqlalchemy import select

from actions.satisfaction import ActionStoreCsat, ActionWrapUp, parse_score
from actions.services import faq
from actions.support import (
    ActionAnswerFaq,
    ActionHandleAffirm,
    ActionHandleComplaint,
    ActionHandleDeny,
    ActionHandleFallback,
    ActionHandleInform,
    ActionOfferHandoff,
)
from tests.actions.conftest import (
    assert_one_language,
    bot_event,
    make_tracker,
    responses,
    run,
    slot_events,
    user_event,
)


def test_faq_answers_come_from_the_data_file_of_the_language(domain):
    for lang, text in (("zh", "运费多少钱"), ("en", "how much is shipping")):
        tracker = make_tracker(text, intent="shipping_info", slots={"language": lang})
        messages, events = run(ActionAnswerFaq(), tracker, domain)
        expected = faq.answer("shipping_info", lang, text)
        assert [m["text"] for m in messages] == [expected]
        assert expected != faq.faq(lang)["topics"]["shipping_info"]["answer"].strip()
        assert_one_language([expected], lang)
        assert slot_events(events) == {"resolved": True}
    for intent in ("payment_methods", "account_help"):
        messages, _ = run(ActionAnswerFaq(), make_tracker("?", intent=intent), domain)
        assert messages[0]["text"] == faq.answer(intent, "zh")


def test_every_faq_topic_exists_in_both_languages():
    assert (
        set(faq.topics("zh"))
        == set(faq.topics("en"))
        >= {
            "shipping_info",
            "payment_methods",
            "account_help",
        }
    )


def test_complaint_asks_for_details_unless_a_human_was_just_offered(domain):
    messages, _ = run(ActionHandleComplaint(), make_tracker("太差了", intent="complaint"), domain)
    assert responses(messages) == ["utter_complaint_details"]
    offered = make_tracker("太差了", intent="complaint", slots={"pending_confirmation": "handoff"})
    assert run(ActionHandleComplaint(), offered, domain) == ([], [])


def test_accepted_handoff_writes_a_ticket_with_the_transcript_and_pauses(
    domain, shop_cases, token_for
):
    from kefu.shop import session_scope
    from kefu.shop.models import Ticket

    case = shop_cases["shipped"]
    history = [
        user_event("my parcel is late again", "complaint"),
        bot_event("I'm sorry about this."),
        user_event("I want a person", "human_handoff"),
        bot_event("Would you like me to put you through to a human agent?"),
    ]
    tracker = make_tracker(
        "yes",
        intent="affirm",
        slots={"pending_confirmation": "handoff", "language": "en"},
        history=history,
        sender_id="conv-handoff-1",
        metadata={"customer_token": token_for(case.customer_id)},
    )
    messages, events = run(ActionHandleAffirm(), tracker, domain)
    assert responses(messages) == ["utter_handoff_done"]
    assert events[-1]["event"] == "pause"
    with session_scope() as s:
        ticket = s.get(Ticket, int(messages[0]["ticket_id"]))
        assert ticket.conversation_id == "conv-handoff-1"
        assert ticket.customer_id == case.customer_id and ticket.language == "en"
        assert ticket.reason == "I want a person"
        turns = json.loads(ticket.transcript)
        assert [t["role"] for t in turns] == ["customer", "bot", "customer", "bot", "customer"]
        assert turns[0]["text"] == "my parcel is late again"


def test_handoff_ticket_of_a_visitor_names_no_customer(domain, shop_cases):
    from kefu.shop import session_scope
    from kefu.shop.models import Ticket

    tracker = make_tracker(
        "好的",
        intent="affirm",
        slots={"pending_confirmation": "handoff", "customer_id": shop_cases["paid"].customer_id},
        sender_id="conv-handoff-2",
    )
    messages, _ = run(ActionHandleAffirm(), tracker, domain)
    with session_scope() as s:
        ticket = s.get(Ticket, int(messages[0]["ticket_id"]))
        assert ticket.customer_id is None


def test_offer_decline_and_plain_yes_no(domain):
    messages, events = run(
        ActionOfferHandoff(), make_tracker("人工", intent="human_handoff"), domain
    )
    assert responses(messages) == ["utter_offer_handoff"]
    assert slot_events(events) == {"pending_confirmation": "handoff"}
    declined = make_tracker("不用", intent="deny", slots={"pending_confirmation": "handoff"})
    messages, events = run(ActionHandleDeny(), declined, domain)
    assert responses(messages) == ["utter_handoff_declined"]
    assert slot_events(events) == {"pending_confirmation": None}
    kept = make_tracker("no", intent="deny", slots={"pending_confirmation": "cancel:KF10000001"})
    messages, _ = run(ActionHandleDeny(), kept, domain)
    assert responses(messages) == ["utter_cancel_kept"] and messages[0]["order_id"] == "KF10000001"
    for action in (ActionHandleAffirm(), ActionHandleDeny()):
        messages, events = run(action, make_tracker("ok"), domain)
        assert responses(messages) == ["utter_how_can_help"] and events == []


def test_fallback_rephrase_then_options_then_a_human(domain):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "refund_status", "confidence": 0.3},
        {"name": "greet", "confidence": 0.1},
        {"name": "cancel_order", "confidence": 0.05},
    ]
    first = make_tracker("asdf", intent="nlu_fallback")
    messages, _ = run(ActionHandleFallback(), first, domain)
    assert responses(messages) == ["utter_rephrase"]

    second = make_tracker(
        "qwer",
        intent="nlu_fallback",
        history=[user_event("asdf", "nlu_fallback"), bot_event("?")],
        intent_ranking=ranking,
        slots={"language": "en"},
    )
    messages, _ = run(ActionHandleFallback(), second, domain)
    assert responses(messages) == ["utter_fallback_options"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:2] == ["/refund_status", "/cancel_order"]
    assert "/greet" not in payloads and "/nlu_fallback" not in payloads
    assert_one_language([b["title"] for b in messages[0]["buttons"]], "en")

    third = make_tracker(
        "zxcv",
        intent="nlu_fallback",
        history=[user_event("asdf", "nlu_fallback"), user_event("qwer", "nlu_fallback")],
    )
    messages, events = run(ActionHandleFallback(), third, domain)
    assert responses(messages) == ["utter_offer_handoff"]
    assert slot_events(events) == {"pending_confirmation": "handoff"}
    # understood in between: back to the first step
    reset = make_tracker(
        "zxcv",
        intent="nlu_fallback",
        history=[user_event("asdf", "nlu_fallback"), user_event("hi", "greet")],
    )
    assert responses(run(ActionHandleFallback(), reset, domain)[0]) == ["utter_rephrase"]


def test_wrap_up_asks_for_a_score_once_after_a_resolved_request(domain):
    resolved = make_tracker("谢谢", intent="thank", slots={"resolved": True})
    messages, events = run(ActionWrapUp(), resolved, domain)
    assert responses(messages) == ["utter_ask_csat"]
    assert slot_events(events) == {"csat_requested": True}
    again = make_tracker("bye", intent="goodbye", slots={"resolved": True, "csat_requested": True})
    assert responses(run(ActionWrapUp(), again, domain)[0]) == ["utter_goodbye"]
    unresolved = make_tracker("thanks", intent="thank")
    assert responses(run(ActionWrapUp(), unresolved, domain)[0]) == ["utter_youre_welcome"]


def test_parse_score():
    assert parse_score("给5分", [], "zh") == 5
    assert parse_score("很不满意", [], "zh") == 1
    assert parse_score("不满意", [], "zh") == 2
    assert parse_score("非常满意", [], "zh") == 5
    assert parse_score("三颗星吧", [], "zh") == 3
    assert parse_score("it was ok", [], "en") == 3
    assert parse_score("four stars", [], "en") == 4
    assert parse_score("/csat_score", ["4"], "en") == 4
    assert parse_score("10 out of 10", [], "en") is None
    assert parse_score("", [], "en") is None


def test_score_is_stored_with_the_conversation(domain, shop_cases, token_for):
    from kefu.shop import session_scope
    from kefu.shop.models import Csat

    case = shop_cases["delivered"]
    tracker = make_tracker(
        "/csat_score",
        intent="csat_score",
        entities=[{"entity": "csat_score", "value": "4"}],
        sender_id="conv-csat-1",
        slots={"language": "en", "resolved": True},
        metadata={"customer_token": token_for(case.customer_id)},
    )
    messages, events = run(ActionStoreCsat(), tracker, domain)
    assert responses(messages) == ["utter_csat_thanks"]
    assert slot_events(events) == {"csat_requested": True, "resolved": False}
    with session_scope() as s:
        rows = s.scalars(select(Csat).where(Csat.conversation_id == "conv-csat-1")).all()
        assert [(r.score, r.customer_id, r.language) for r in rows] == [(4, case.customer_id, "en")]
    messages, _ = run(ActionStoreCsat(), make_tracker("嗯", intent="csat_score"), domain)
    assert responses(messages) == ["utter_ask_csat"]


def test_inform_with_an_order_number_offers_what_to_do(domain):
    tracker = make_tracker(
        "KF10000123",
        entities=[{"entity": "order_id", "value": "kf10000123"}],
        slots={"language": "en"},
    )
    messages, _ = run(ActionHandleInform(), tracker, domain)
    assert responses(messages) == ["utter_order_what_to_do"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/cancel_order{"order_id":"KF10000123"}' in payloads
    product = make_tracker("books", entities=[{"entity": "category", "value": "books"}])
    assert responses(run(ActionHandleInform(), product, domain)[0]) == ["utter_products_found"]
    assert responses(run(ActionHandleInform(), make_tracker("嗯"), domain)[0]) == [
        "utter_how_can_help"
    ]
