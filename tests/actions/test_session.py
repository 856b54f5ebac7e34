"""Session actions: token verification, reply language, empathy first."""

from __future__ import annotations

import time

import jwt

from actions.session import ActionGreet, ActionReactToTone, ActionSessionStart
from tests.actions.conftest import (
    assert_one_language,
    make_tracker,
    rendered,
    responses,
    run,
    slot_events,
    user_event,
)


def _session_tracker(metadata, slots=None):
    tracker = make_tracker("", slots={"session_started_metadata": metadata, **(slots or {})})
    tracker.events = []
    return tracker


def test_session_start_sets_the_verified_customer_and_their_language(domain, shop_cases, token_for):
    case = shop_cases["shipped"]
    tracker = _session_tracker({"customer_token": token_for(case.customer_id)})
    tracker.slots["language"] = None
    _, events = run(ActionSessionStart(), tracker, domain)
    assert events[0]["event"] == "session_started"
    assert events[-1] == {**events[-1], "event": "action", "name": "action_listen"}
    slots = slot_events(events)
    assert slots["customer_id"] == case.customer_id
    assert slots["language"] == case.language


def test_session_start_without_a_valid_token_is_anonymous(domain, shop_cases, shop_env):
    case = shop_cases["paid"]
    now = int(time.time())
    forged = jwt.encode(
        {"sub": case.customer_id, "iss": "kefu", "iat": now, "exp": now + 600},
        "some-other-secret-of-enough-length",
        algorithm="HS256",
    )
    for metadata in (None, {}, {"customer_token": "garbage"}, {"customer_token": forged}):
        _, events = run(ActionSessionStart(), _session_tracker(metadata), domain)
        assert slot_events(events)["customer_id"] is None


def test_validation_action_follows_the_language_of_each_message(domain):
    cases = [
        ("where is my parcel", "zh", "en"),
        ("我的快递到哪了", "en", "zh"),
        ("我的order到哪了", "en", "zh"),
        ("KF10000123", "en", "en"),  # no words: keep the conversation's language
        ("/affirm", "zh", "zh"),  # a button
        ("5", "en", "en"),
        ("user01234@example.cn", "zh", "zh"),
    ]
    for text, before, expected in cases:
        tracker = make_tracker(text, slots={"language": before})
        _, events = run(ActionReactToTone(), tracker, domain)
        assert slot_events(events).get("language", before) == expected, text


def test_validation_action_trusts_only_the_token_of_the_latest_message(
    domain, shop_cases, token_for
):
    case = shop_cases["paid"]
    # a slot claiming a customer, with no token on this message: cleared
    tracker = make_tracker("hi", slots={"customer_id": case.customer_id})
    _, events = run(ActionReactToTone(), tracker, domain)
    assert slot_events(events)["customer_id"] is None
    # an earlier message had a token, the latest has none: anonymous now
    earlier = user_event("hello", "greet")
    earlier["metadata"] = {"customer_token": token_for(case.customer_id)}
    tracker = make_tracker("my orders", history=[earlier])
    _, events = run(ActionReactToTone(), tracker, domain)
    assert slot_events(events).get("customer_id") is None
    # a valid token on the latest message
    tracker = make_tracker("hi", metadata={"customer_token": token_for(case.customer_id)})
    _, events = run(ActionReactToTone(), tracker, domain)
    assert slot_events(events)["customer_id"] == case.customer_id


def test_expired_token_and_unknown_customer_are_anonymous(domain, token_for):
    from kefu.identity import ALGORITHM, ISSUER, get_secret

    now = int(time.time())
    claims = {"sub": "C00001", "iss": ISSUER, "iat": now - 120, "exp": now - 60}
    expired = jwt.encode(claims, get_secret(), algorithm=ALGORITHM)  # well signed, expired
    unknown = token_for("C99999")
    for token in (expired, unknown):
        tracker = make_tracker("hi", metadata={"customer_token": token})
        _, events = run(ActionReactToTone(), tracker, domain)
        assert slot_events(events).get("customer_id") is None


def test_complaint_gets_empathy_then_a_human_after_two_negative_turns(domain):
    first = make_tracker("你们太差劲了", intent="complaint")
    messages, events = run(ActionReactToTone(), first, domain)
    assert responses(messages) == ["utter_empathy"]
    assert events == []

    history = [user_event("你们太差劲了", "complaint"), {"event": "bot", "text": "抱歉"}]
    second = make_tracker(
        "还没到，气死了",
        intent="order_status",
        sentiment={"label": "negative", "confidence": 0.95},
        history=history,
    )
    messages, events = run(ActionReactToTone(), second, domain)
    assert responses(messages) == ["utter_empathy", "utter_offer_handoff"]
    assert slot_events(events) == {"pending_confirmation": "handoff"}
    assert_one_language(rendered(messages, domain, "zh"), "zh")


def test_no_empathy_for_neutral_messages_or_product_questions(domain):
    neutral = make_tracker("where is my order", intent="order_status", slots={"language": "en"})
    assert run(ActionReactToTone(), neutral, domain) == ([], [])
    # the sentiment model reads some product questions as negative: not a complaint
    product = make_tracker(
        "no earbuds under 500?",
        intent="product_search",
        sentiment={"label": "negative", "confidence": 0.9},
        slots={"language": "en"},
    )
    assert run(ActionReactToTone(), product, domain) == ([], [])
    weak = make_tracker(
        "hmm my order",
        intent="order_status",
        sentiment={"label": "negative", "confidence": 0.5},
        slots={"language": "en"},
    )
    assert run(ActionReactToTone(), weak, domain) == ([], [])


def test_no_second_offer_while_one_is_pending_nor_when_paused(domain):
    history = [user_event("terrible", "complaint")]
    pending = make_tracker(
        "still awful",
        intent="complaint",
        history=history,
        slots={"pending_confirmation": "handoff", "language": "en"},
    )
    messages, events = run(ActionReactToTone(), pending, domain)
    assert responses(messages) == ["utter_empathy"] and events == []
    paused = make_tracker("awful", intent="complaint", paused=True, slots={"language": "en"})
    assert run(ActionReactToTone(), paused, domain) == ([], [])


def test_empathy_comes_with_the_language_and_customer_of_this_message(
    domain, shop_cases, token_for
):
    """One call does both: the context slots of this message and the empathy."""
    case = shop_cases["paid"]
    history = [user_event("still nothing", "complaint")]
    tracker = make_tracker(
        "你们太差劲了，还没到",
        intent="complaint",
        history=history,
        slots={"language": "en"},
        metadata={"customer_token": token_for(case.customer_id)},
    )
    messages, events = run(ActionReactToTone(), tracker, domain)
    assert responses(messages) == ["utter_empathy", "utter_offer_handoff"]
    assert [e["name"] for e in events] == ["pending_confirmation", "language", "customer_id"]
    assert slot_events(events) == {
        "pending_confirmation": "handoff",
        "language": "zh",
        "customer_id": case.customer_id,
    }


def test_greet_uses_the_name_only_for_a_verified_customer(domain, shop_cases, token_for):
    case = shop_cases["delivered"]
    messages, _ = run(ActionGreet(), make_tracker("你好", intent="greet"), domain)
    assert responses(messages) == ["utter_greet"]
    tracker = make_tracker(
        "hello", intent="greet", metadata={"customer_token": token_for(case.customer_id)}
    )
    messages, _ = run(ActionGreet(), tracker, domain)
    assert responses(messages) == ["utter_greet_customer"]
    assert messages[0]["name"]
    # a sender id that looks like a customer id proves nothing
    spoofed = make_tracker("hello", intent="greet", sender_id=case.customer_id)
    messages, _ = run(ActionGreet(), spoofed, domain)
    assert responses(messages) == ["utter_greet"]
