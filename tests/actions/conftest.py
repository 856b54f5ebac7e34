"""Fixtures for the action tests: real trackers, the real domain, a real demo shop.

``shop_cases`` (orders of each kind) comes from :mod:`tests.support.servers`.

Every test here runs against the session's demo shop (SQLite in a temporary directory,
built by :mod:`tests.support.servers`) through ``shop_env``, which this module applies to
every test automatically.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _shop(shop_env: dict[str, str]) -> dict[str, str]:
    return shop_env


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The bot's domain as the action server receives it."""
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "bot" / "domain")).as_dict()


def make_tracker(
    text: str = "",
    *,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    sender_id: str = "test-user",
    channel: str = "rest",
    sentiment: dict[str, Any] | None = None,
    intent_ranking: list[dict[str, Any]] | None = None,
    paused: bool = False,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker whose latest event is the user message ``text``."""
    parse = {
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "text": text,
        "metadata": metadata or {},
        "intent_ranking": intent_ranking or [{"name": intent, "confidence": 0.99}],
    }
    if sentiment is not None:
        parse["sentiment"] = sentiment
    user_event = {
        "event": "user",
        "text": text,
        "parse_data": parse,
        "metadata": metadata or {},
        "input_channel": channel,
        "timestamp": 1.0,
    }
    all_slots = {"language": "zh", "lookup_failures": 0, "resolved": False}
    all_slots.update(slots or {})
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=parse,
        events=[*(history or []), user_event],
        paused=paused,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def user_event(text: str, intent: str, sentiment: str | None = None, **extra: Any) -> dict:
    """A past user event for ``history``."""
    parse: dict[str, Any] = {"intent": {"name": intent, "confidence": 0.99}, "entities": []}
    if sentiment:
        parse["sentiment"] = {"label": sentiment, "confidence": 0.95}
    return {"event": "user", "text": text, "parse_data": parse, "metadata": {}, **extra}


def bot_event(text: str) -> dict:
    """A past bot event for ``history``."""
    return {"event": "bot", "text": text}


def run(action: Action, tracker: Tracker, domain: dict[str, Any]):
    """Run ``action``; return ``(dispatcher.messages, events)``."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return dispatcher.messages, events


def rendered(messages: list[dict], domain: dict[str, Any], language: str) -> list[str]:
    """Texts of the messages as the customer sees them in ``language``."""
    from actions.services.texts import render

    out = []
    for m in messages:
        if m.get("response"):
            values = {k: v for k, v in m.items() if k not in ("response", "buttons")}
            values.update(m.get("kwargs") or {})
            message = render(domain, m["response"], language, **values)
            assert message is not None, f"no response {m['response']} in the domain"
            out.append(message["text"])
        if m.get("text"):
            out.append(m["text"])
    return out


def responses(messages: list[dict]) -> list[str]:
    """Names of the domain responses sent."""
    return [m["response"] for m in messages if m.get("response")]


def slot_events(events: list[dict]) -> dict[str, Any]:
    """``{slot: value}`` of the SlotSet events (last one wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def assert_one_language(texts: list[str], language: str) -> None:
    """Every text is in ``language``: Chinese text has Chinese, English text has none."""
    for text in texts:
        if language == "en":
            assert not CJK.search(text), f"Chinese in an English reply: {text!r}"
        else:
            assert CJK.search(text), f"no Chinese in a Chinese reply: {text!r}"


@pytest.fixture
def token_for(shop_env: dict[str, str]):
    """Issue a valid token for a customer (with the session's secret)."""
    from kefu.identity import issue_token

    return lambda customer_id, ttl=3600: issue_token(customer_id, ttl)
