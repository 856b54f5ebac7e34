"""A conversation's visible messages with stable ids, read from the tracker's events.

The id of a message is ``"<conversation_id>:<n>"``, ``n`` the index of its event in the
tracker's full event list (events are only ever appended, so ids never change). A bot
event the widget shows as several bubbles (text, then cards) gives ``<n>``, ``<n>.1``...
Agent replies are ``bot`` events whose metadata names the agent. Metadata (which holds
the customer token) never leaves the site; the agent view adds what the bot understood.

A message the site pushed before the tracker had it (:mod:`web.outbox`) keeps the id it
was pushed with: the event carries it in ``metadata.kefu_id``. Such an id is never greater
than the event's index and greater than every id before it, so ids still grow along the
event list and ``after`` still means "later in the tracker".
"""

from __future__ import annotations

import re
from typing import Any

from web.chat import MAX_TEXT_CHARS, _as_sent, _short, clean_bot_message

_ID = re.compile(r"^(?P<conv>.+):(?P<n>\d{1,9})(?:\.(?P<k>\d{1,3}))?$")


class BadMessageId(ValueError):
    """A message id that is malformed or belongs to another conversation."""


def parse_id(conversation_id: str, message_id: object) -> tuple[int, int]:
    """``(n, k)`` of a message id of ``conversation_id``.

    Raises:
        BadMessageId: malformed, or the id of another conversation.
    """
    match = _ID.match(message_id) if isinstance(message_id, str) else None
    if match is None or match["conv"] != conversation_id:
        raise BadMessageId("not a message id of this conversation")
    return int(match["n"]), int(match["k"] or 0)


ID_KEY = "kefu_id"


def event_position(conversation_id: str, n: int, event: dict[str, Any]) -> int:
    """The ``n`` of the event's messages: its ``metadata.kefu_id`` if it has one, else ``n``."""
    metadata = event.get("metadata")
    given = metadata.get(ID_KEY) if isinstance(metadata, dict) else None
    if given is not None:
        try:
            return parse_id(conversation_id, given)[0]
        except BadMessageId:
            pass
    return n


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _agent(event: dict[str, Any]) -> dict[str, Any] | None:
    metadata = event.get("metadata")
    agent = metadata.get("agent") if isinstance(metadata, dict) else None
    if not isinstance(agent, dict):
        return None
    name = _short(agent.get("name"), 200)
    return {"name": name or "", "id": agent.get("id")}


def understood(event: dict[str, Any]) -> dict[str, Any]:
    """What the bot understood of a user event: intent, confidence, fallback, sentiment."""
    parse: dict[str, Any] = _dict(event.get("parse_data"))
    intent: dict[str, Any] = _dict(parse.get("intent"))
    sentiment = _dict(parse.get("sentiment")) if isinstance(parse.get("sentiment"), dict) else None
    confidence = intent.get("confidence")
    out: dict[str, Any] = {
        "intent": _short(intent.get("name"), 100),
        "confidence": round(float(confidence), 4) if isinstance(confidence, int | float) else None,
        "fallback": intent.get("name") == "nlu_fallback",
        "sentiment": None,
    }
    if sentiment is not None:
        score = sentiment.get("confidence")
        out["sentiment"] = {
            "label": _short(sentiment.get("label"), 20),
            "score": round(float(score), 4) if isinstance(score, int | float) else None,
        }
    return out


def messages(
    conversation_id: str,
    events: object,
    *,
    after: tuple[int, int] | None = None,
    for_agent: bool = False,
) -> list[dict[str, Any]]:
    """The visible messages since the last restart, oldest first, after ``after`` if given.

    Args:
        conversation_id: the conversation (prefix of the ids).
        events: the tracker's full event list.
        after: ``(n, k)`` of the last message the client has.
        for_agent: add, per customer message, the intent, confidence, fallback and
            sentiment the bot found, and the agent's id on agent replies.
    """
    items = events if isinstance(events, list) else []
    start = 0
    for n, event in enumerate(items):
        if isinstance(event, dict) and event.get("event") == "restart":
            start = n + 1
    out: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for n in range(start, len(items)):
        event = items[n]
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        parts: list[dict[str, Any]] = []
        if kind == "user":
            text = _short(event.get("text"), MAX_TEXT_CHARS)
            if text:
                parts.append({"sender": "user", "text": titles.get(text, text)})
                if for_agent:
                    parts[0].update(understood(event))
        elif kind == "bot":
            data = _dict(event.get("data"))
            agent = _agent(event)
            for part in _as_sent({**data, "text": event.get("text")}):
                cleaned = clean_bot_message(part)
                if cleaned:
                    buttons = cleaned.get("buttons", [])
                    titles = {b["payload"]: b["title"] for b in buttons} or titles
                    message: dict[str, Any] = {"sender": "agent" if agent else "bot", **cleaned}
                    if agent:
                        message["agent"] = agent if for_agent else {"name": agent["name"]}
                    parts.append(message)
        elif kind == "session_started":
            titles = {}
        at = event_position(conversation_id, n, event) if parts else n
        for k, part in enumerate(parts):
            if after is not None and (at, k) <= after:
                continue
            timestamp = event.get("timestamp")
            out.append(
                {
                    "id": f"{conversation_id}:{at}" + (f".{k}" if k else ""),
                    **part,
                    "time": timestamp if isinstance(timestamp, int | float) else None,
                }
            )
    return out
