"""Rasa's SQL tracker store as conversations: the events of a sender (the rows of
:func:`kefu.tracker_events.tracker_events`, one sender at a time) between two
``action_session_start`` (or ``session_started``) events that hold a user message.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from analytics.aggregates import sentiment_name
from kefu.clock import from_epoch, local_date
from kefu.tracker_events import TrackerError, tracker_events
from nlp.text import LANGUAGES

__all__ = ["Conversation", "TrackerError", "iter_conversations", "normalise_message"]

logger = logging.getLogger(__name__)

FALLBACK_INTENTS = frozenset({"nlu_fallback"})
FALLBACK_ACTIONS = frozenset(
    {
        "action_default_fallback",
        "action_two_stage_fallback",
        "action_handle_fallback",
        "utter_default",
        "utter_fallback",
    }
)
# what the bot says when a form could not use a message (kefu's order form)
FORM_MISS_RESPONSES = frozenset(
    {"utter_form_not_understood", "utter_return_item_unknown", "utter_return_reason_pick"}
)
HANDOFF_PREFIXES = ("action_handoff", "action_human_handoff", "action_handover")
SESSION_START = "action_session_start"
IGNORED_ACTIONS = frozenset({"action_listen", SESSION_START})
_SPACES = re.compile(r"\s+")


@dataclass
class Conversation:
    """One session of a sender, as the analysis needs it."""

    sender_id: str
    first_ts: float | None = None
    last_ts: float | None = None
    language: str | None = None
    texts: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    fallbacks: int = 0
    not_understood: list[str] = field(default_factory=list)
    # when each of them was said (epoch seconds; 0.0 when the event had no time)
    not_understood_ts: list[float] = field(default_factory=list)
    # messages not understood while a form (an active loop) waited for a value
    form_fallbacks: list[str] = field(default_factory=list)
    # messages the bot answered with nothing at all (outside a pause for an agent)
    unanswered: list[str] = field(default_factory=list)
    handoff: bool = False
    sentiments: list[str] = field(default_factory=list)

    @property
    def day(self) -> date | None:
        """The shop-local calendar day (``KEFU_SHOP_TZ``, default UTC) the conversation began."""
        if self.first_ts is None:
            return None
        return local_date(from_epoch(self.first_ts))


def _is_handoff(action: str | None) -> bool:
    return action is not None and action.startswith(HANDOFF_PREFIXES)


def normalise_message(text: str) -> str:
    """A message as it is counted: spaces collapsed, lower case."""
    return _SPACES.sub(" ", text.strip().lower())[:200]


def _user_event(data: dict) -> tuple[str, str | None, str | None]:
    """Text, intent and sentiment label of a ``user`` event's data."""
    text = data.get("text") or ""
    parse = data.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    sentiment = parse.get("sentiment")
    label = None
    if isinstance(sentiment, dict) and sentiment.get("label") is not None:
        label = sentiment_name(sentiment["label"])
    elif isinstance(sentiment, str):
        label = sentiment_name(sentiment)
    return str(text), intent, label


def iter_conversations(
    url: str, bad: Counter | None = None, since: float | None = None
) -> Iterator[Conversation]:
    """The conversations of the tracker store at ``url`` (see the module docstring).

    Args:
        url: SQLAlchemy URL of the tracker store.
        bad: counts unreadable events (invalid JSON data) by kind when given.
        since: read only the events at or after this epoch second (a live window; a
            conversation begun earlier counts from its first event in the window).
    """
    current: Conversation | None = None
    waiting_user = False  # a user message the bot has not answered yet
    loop: str | None = None  # the active form
    replied = True  # the latest user message got at least one bot message
    paused = False  # the bot is paused for an agent (by design silent)
    form_miss = False  # the latest user message already counted as a form fallback

    def finish(conv: Conversation | None) -> Iterator[Conversation]:
        if conv is not None and not replied and not paused and conv.texts:
            conv.unanswered.append(conv.texts[-1])
        if conv is not None and conv.texts:
            yield conv

    for sender, type_name, ts, intent_name, action_name, raw in tracker_events(url, since=since):
        if current is None or sender != current.sender_id:
            yield from finish(current)
            current = Conversation(sender)
            waiting_user, loop, replied, paused, form_miss = False, None, True, False, False
        if type_name in ("action", "session_started") and (
            action_name == SESSION_START or type_name == "session_started"
        ):
            if current.texts:
                yield from finish(current)
                language = current.language
                current = Conversation(sender)
                current.language = language  # a slot carried over into the new session
            waiting_user, loop, replied, form_miss = False, None, True, False
            continue
        if type_name in ("pause", "resume"):
            paused = type_name == "pause"
            continue
        if type_name == "user":
            try:
                data = json.loads(raw) if raw else {}
            except ValueError:
                if bad is not None:
                    bad["unreadable user event"] += 1
                continue
            if not replied and not paused and current.texts:
                current.unanswered.append(current.texts[-1])
            text, intent, label = _user_event(data if isinstance(data, dict) else {})
            intent = intent or intent_name
            if ts is not None:
                current.first_ts = ts if current.first_ts is None else current.first_ts
                current.last_ts = ts
            current.texts.append(text)
            current.intents.append(intent or "")
            current.sentiments.append(label or "")
            replied, form_miss = False, False
            if intent in FALLBACK_INTENTS:
                current.fallbacks += 1
                current.not_understood.append(text)
                current.not_understood_ts.append(current.last_ts or 0.0)
                waiting_user = False
                if loop:
                    current.form_fallbacks.append(text)
                    form_miss = True
            else:
                waiting_user = True
        elif type_name == "bot":
            replied = True
            try:
                data = json.loads(raw) if raw else {}
            except ValueError:
                data = {}
            meta = data.get("metadata") if isinstance(data, dict) else None
            utter = meta.get("utter_action") if isinstance(meta, dict) else None
            if utter in FORM_MISS_RESPONSES and loop and not form_miss and current.texts:
                current.form_fallbacks.append(current.texts[-1])
                form_miss = True
        elif type_name == "active_loop":
            try:
                data = json.loads(raw) if raw else {}
            except ValueError:
                data = {}
            name = data.get("name") if isinstance(data, dict) else None
            loop = name if isinstance(name, str) and name else None
        elif type_name == "action":
            if _is_handoff(action_name):
                current.handoff = True
            if action_name in FALLBACK_ACTIONS and waiting_user and current.texts:
                current.fallbacks += 1
                current.not_understood.append(current.texts[-1])
                current.not_understood_ts.append(current.last_ts or 0.0)
                if loop and not form_miss:
                    current.form_fallbacks.append(current.texts[-1])
                    form_miss = True
            if action_name not in IGNORED_ACTIONS:
                waiting_user = False
            if ts is not None and current.first_ts is not None:
                current.last_ts = ts
        elif type_name == "slot" and raw:
            try:
                data = json.loads(raw)
            except ValueError:
                if bad is not None:
                    bad["unreadable slot event"] += 1
                continue
            if isinstance(data, dict) and data.get("name") == "language":
                value = data.get("value")
                if value in LANGUAGES:
                    current.language = value
    yield from finish(current)
