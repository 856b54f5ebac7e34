"""Helpers every action shares: the reply language, the latest message, events to slots.

These read a ``rasa_sdk.Tracker`` and never touch the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from actions.services.texts import DEFAULT_LANGUAGE, language_of
from nlp.language import detect_language

MAX_MESSAGE_CHARS = 2000
LANGUAGE_SLOT = "language"
PENDING_SLOT = "pending_confirmation"
HANDOFF = "handoff"
CANCEL_PREFIX = "cancel:"
RETURN_PREFIX = "return:"


def language(tracker: Any) -> str:
    """The reply language: the ``language`` slot (``"zh"`` when unset)."""
    return language_of(tracker.get_slot(LANGUAGE_SLOT) or DEFAULT_LANGUAGE)


def latest_text(tracker: Any) -> str:
    """Text of the latest user message, cut to :data:`MAX_MESSAGE_CHARS`."""
    text = (tracker.latest_message or {}).get("text") or ""
    return text[:MAX_MESSAGE_CHARS] if isinstance(text, str) else ""


def latest_intent(tracker: Any) -> str | None:
    """Intent of the latest user message (``nlu_fallback`` included)."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name") if isinstance(intent, Mapping) else None


def entity_values(tracker: Any, entity: str) -> list[str]:
    """Values of ``entity`` in the latest user message, in order, without duplicates."""
    seen: list[str] = []
    for ent in (tracker.latest_message or {}).get("entities") or []:
        if isinstance(ent, Mapping) and ent.get("entity") == entity:
            value = ent.get("value")
            if isinstance(value, str | int | float) and str(value).strip():
                value = str(value).strip()[:200]
                if value not in seen:
                    seen.append(value)
    return seen


def message_language(text: str, current: str) -> str:
    """Language of a customer message (:func:`nlp.language.detect_language`); ``current``
    when the text has no words.

    Button payloads (``/affirm``), order numbers, e-mail addresses, scores and emoji keep
    the language of the conversation.
    """
    if not text or text.startswith("/"):
        return language_of(current)
    cleaned = re.sub(r"\bKF\d+\b|\S+@\S+", " ", text, flags=re.IGNORECASE)
    return detect_language(cleaned, default=language_of(current))


def user_events(tracker: Any) -> Iterator[Mapping[str, Any]]:
    """User events of the tracker, newest first."""
    for event in reversed(tracker.events or []):
        if isinstance(event, Mapping) and event.get("event") == "user":
            yield event


# A negative tone counts only with requests where a customer can be upset (an order gone
# wrong, a refusal...). Product questions and small talk are left out: the sentiment model
# learnt from reviews reads "no earbuds under 500?" as negative.
TONE_INTENTS = frozenset(
    {
        "order_status",
        "cancel_order",
        "return_request",
        "refund_status",
        "human_handoff",
        "deny",
        "inform",
        "goodbye",
        "out_of_scope",
    }
)
NEGATIVE_MIN_CONFIDENCE = 0.8


def is_negative(parse_data: Mapping[str, Any]) -> bool:
    """Whether a parsed user message is a complaint, or a request in a clearly negative tone."""
    intent = (parse_data.get("intent") or {}).get("name")
    if intent == "complaint":
        return True
    if intent not in TONE_INTENTS:
        return False
    sentiment = parse_data.get("sentiment")
    if not isinstance(sentiment, Mapping) or sentiment.get("label") != "negative":
        return False
    confidence = sentiment.get("confidence")
    return isinstance(confidence, int | float) and confidence >= NEGATIVE_MIN_CONFIDENCE


def negative_streak(tracker: Any) -> int:
    """Negative user turns in a row up to now, counted since the last hand-off offer."""
    count = 0
    for event in reversed(tracker.events or []):
        if not isinstance(event, Mapping):
            continue
        kind = event.get("event")
        if kind == "slot" and event.get("name") == PENDING_SLOT and event.get("value") == HANDOFF:
            break
        if kind == "user":
            if not is_negative(event.get("parse_data") or {}):
                break
            count += 1
    return count


def fallback_streak(tracker: Any) -> int:
    """Consecutive user messages the bot did not understand, the latest included."""
    count = 0
    for event in user_events(tracker):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback":
            break
        count += 1
    return count


def transcript(tracker: Any, limit: int = 200) -> list[dict[str, Any]]:
    """The conversation so far as ``[{"role", "text", "time"}]`` (user and bot turns)."""
    turns: list[dict[str, Any]] = []
    for event in tracker.events or []:
        if not isinstance(event, Mapping) or event.get("event") not in ("user", "bot"):
            continue
        text = event.get("text")
        if not isinstance(text, str) or not text:
            continue
        turns.append(
            {
                "role": "customer" if event["event"] == "user" else "bot",
                "text": text[:MAX_MESSAGE_CHARS],
                "time": event.get("timestamp"),
            }
        )
    return turns[-limit:]
