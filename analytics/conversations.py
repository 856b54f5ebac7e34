"""``kefu analyze conversations``: how the bot is doing, from its own tracker store.

Reads Rasa's SQL tracker store through :mod:`analytics.trackers` (the ``events`` table: ``id,
sender_id, type_name, timestamp, intent_name, action_name, data``; SQLite or PostgreSQL
through the same URL) one sender at a time, and the shop database's ``tickets`` and
``csat`` tables. A conversation is a session of a sender: the events between two
``action_session_start`` (or ``session_started``) events that hold a user message.

* contained: no hand-off (a hand-off action ran, or a ticket was opened for the sender
  during the conversation);
* a message is *not understood* when its intent is ``nlu_fallback`` or the bot answered
  it with a fallback action;
* a *form fallback* is a message not understood while a form (an active loop) waited for
  a value, or one the form said it could not use (an unknown item, a reason not in the
  list); an *unanswered* message got no bot message at all before the next one (except
  while the bot is paused for an agent);
* the language is the conversation's last ``language`` slot, else that of its messages;
* sentiment comes from the parse data (``sentiment: {label, confidence}``) written by the
  bot's sentiment component.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from analytics.aggregates import sentiment_name
from analytics.handoffs import handoff_summary
from analytics.trackers import Conversation, iter_conversations, normalise_message
from kefu.clock import to_epoch
from kefu.settings import redact_url
from kefu.shop.queries import frames
from nlp.redact import redact as redact_text

__all__ = ["ConversationStats", "analyse_conversations"]

logger = logging.getLogger(__name__)

MAX_DISTINCT_MESSAGES = 50_000


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class _Bucket:
    conversations: int = 0
    contained: int = 0
    handoffs: int = 0
    user_messages: int = 0
    fallbacks: int = 0
    with_fallback: int = 0
    form_fallbacks: int = 0
    unanswered: int = 0

    def add(self, conv: Conversation) -> None:
        self.conversations += 1
        self.contained += not conv.handoff
        self.handoffs += conv.handoff
        self.user_messages += len(conv.texts)
        self.fallbacks += conv.fallbacks
        self.with_fallback += conv.fallbacks > 0
        self.form_fallbacks += len(conv.form_fallbacks)
        self.unanswered += len(conv.unanswered)

    def figures(self) -> dict:
        return {
            "conversations": self.conversations,
            "user_messages": self.user_messages,
            "containment_rate": _rate(self.contained, self.conversations),
            "handoffs": self.handoffs,
            "handoff_rate": _rate(self.handoffs, self.conversations),
            "fallback_messages": self.fallbacks,
            "fallback_rate": _rate(self.fallbacks, self.user_messages),
            "conversations_with_fallback": self.with_fallback,
            "form_fallback_messages": self.form_fallbacks,
            "unanswered_messages": self.unanswered,
        }


class ConversationStats:
    """Running figures over conversations (counters only; bounded memory)."""

    def __init__(self, top_messages: int = 20, *, redact: bool = True) -> None:
        self.top_messages = top_messages
        self.overall = _Bucket()
        self.by_language: dict[str, _Bucket] = defaultdict(_Bucket)
        self.by_day: dict[date, _Bucket] = defaultdict(_Bucket)
        self.intents: Counter[str] = Counter()
        self.sentiment_by_day: dict[date, Counter] = defaultdict(Counter)
        self.sentiment: Counter[str] = Counter()
        self.not_understood: dict[str, Counter] = defaultdict(Counter)
        self.form_fallbacks: dict[str, Counter] = defaultdict(Counter)
        self.unanswered: dict[str, Counter] = defaultdict(Counter)
        self.examples: dict[str, str] = {}
        self.redact = redact
        self.handed_off_intents: Counter[str] = Counter()

    def add(self, conv: Conversation) -> None:
        """Count one conversation (its language must be set)."""
        language = conv.language or "unknown"
        self.overall.add(conv)
        self.by_language[language].add(conv)
        day = conv.day
        if day is not None:
            self.by_day[day].add(conv)
        self.intents.update(i for i in conv.intents if i)
        if conv.handoff:
            self.handed_off_intents.update({i for i in conv.intents if i})
        for label in conv.sentiments:
            if label:
                self.sentiment[label] += 1
                if day is not None:
                    self.sentiment_by_day[day][label] += 1
        for table, texts in (
            (self.not_understood, conv.not_understood),
            (self.form_fallbacks, conv.form_fallbacks),
            (self.unanswered, conv.unanswered),
        ):
            self._count(table[language], texts)

    def _count(self, counter: Counter, texts: list[str]) -> None:
        for text in texts:
            if self.redact:  # the report lists these messages: no personal data
                text = redact_text(text)
            key = normalise_message(text)
            if key:
                counter[key] += 1
                self.examples.setdefault(key, text.strip()[:200])
        if len(counter) > MAX_DISTINCT_MESSAGES:
            kept = dict(counter.most_common(MAX_DISTINCT_MESSAGES // 2))
            counter.clear()
            counter.update(kept)

    def _top(self, table: dict[str, Counter]) -> dict[str, list[dict]]:
        return {
            lang: [
                {"text": self.examples.get(key, key), "count": n}
                for key, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[: self.top_messages]
            ]
            for lang, c in sorted(table.items())
            if c
        }

    def summary(self) -> dict:
        total_intents = sum(self.intents.values())
        return {
            "overall": self.overall.figures(),
            "by_language": {lang: b.figures() for lang, b in sorted(self.by_language.items())},
            "per_day": [
                {"day": day.isoformat(), **self.by_day[day].figures()}
                for day in sorted(self.by_day)
            ],
            "intent_mix": [
                {"intent": i, "count": c, "share": round(c / total_intents, 4)}
                for i, c in sorted(self.intents.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "sentiment": dict(self.sentiment.most_common()),
            "sentiment_trend": [
                {
                    "day": day.isoformat(),
                    "n": sum(c.values()),
                    "counts": dict(c),
                    "negative_share": round(c.get("negative", 0) / sum(c.values()), 4),
                }
                for day, c in sorted(self.sentiment_by_day.items())
            ],
            "not_understood": self._top(self.not_understood),
            "form_fallbacks": self._top(self.form_fallbacks),
            "unanswered": self._top(self.unanswered),
        }


def _shop_tables(shop_url: str | None, bad: Counter) -> tuple[dict[str, list[float]], dict]:
    """Ticket times per conversation id and the CSAT figures, from the shop database."""
    csat: dict = {"responses": 0, "average": None, "distribution": {}, "by_language": {}}
    tickets: dict[str, list[float]] = defaultdict(list)
    rows = frames.tickets_and_csat(shop_url)
    if rows is None:
        csat["note"] = "no shop database: CSAT and tickets not available"
        return tickets, csat
    scores: dict[str, Counter] = defaultdict(Counter)
    ticket_rows, csat_rows = rows
    for conversation_id, created_at in ticket_rows:
        tickets[conversation_id].append(_epoch(created_at))
    for language, score in csat_rows:
        if isinstance(score, int) and 1 <= score <= 5:
            scores[language or "unknown"][score] += 1
        else:
            bad["invalid CSAT score"] += 1
    overall: Counter = Counter()
    for c in scores.values():
        overall.update(c)

    def figures(c: Counter) -> dict:
        n = sum(c.values())
        return {
            "responses": n,
            "average": round(sum(k * v for k, v in c.items()) / n, 3) if n else None,
            "distribution": {str(k): c.get(k, 0) for k in range(1, 6)},
            "satisfied_share": _rate(c.get(4, 0) + c.get(5, 0), n),
        }

    csat.update(figures(overall))
    csat["by_language"] = {lang: figures(c) for lang, c in sorted(scores.items())}
    return tickets, csat


def _epoch(value: datetime | None) -> float:
    """A stored shop time (naive UTC, :mod:`kefu.clock`) as Rasa's epoch seconds."""
    return 0.0 if value is None else to_epoch(value)


def analyse_conversations(
    tracker_url: str,
    shop_url: str | None = None,
    *,
    sentiment_model=None,
    top_messages: int = 20,
    redact: bool = True,
) -> dict:
    """Every figure of the conversations report.

    Args:
        tracker_url: SQLAlchemy URL of Rasa's SQL tracker store.
        shop_url: the shop database (tickets and CSAT); ``None`` to leave them out.
        sentiment_model: a fitted sentiment classifier used for user messages whose parse
            data carries no sentiment (``None``: such messages have none).
        top_messages: messages listed per language among those not understood.
        redact: mask personal data in the messages listed (``False``: raw text, for
            ``kefu analyze conversations --no-redact``).

    Raises:
        analytics.trackers.TrackerError: when the tracker store cannot be read.
    """
    from nlp.language import detect_language

    bad: Counter[str] = Counter()
    tickets, csat = _shop_tables(shop_url, bad)
    stats = ConversationStats(top_messages=top_messages, redact=redact)
    pending: list[Conversation] = []

    def flush() -> None:
        if sentiment_model is not None:
            missing = [(c, i) for c in pending for i, s in enumerate(c.sentiments) if not s]
            if missing:
                labels = sentiment_model.predict([c.texts[i][:2000] for c, i in missing])
                for (c, i), label in zip(missing, labels, strict=True):
                    c.sentiments[i] = sentiment_name(label)
        for c in pending:
            stats.add(c)
        pending.clear()

    for conv in iter_conversations(tracker_url, bad):
        if conv.language is None:
            votes = Counter(detect_language(t) for t in conv.texts if t.strip())
            conv.language = votes.most_common(1)[0][0] if votes else "unknown"
        times = tickets.get(conv.sender_id)
        if times and not conv.handoff and conv.first_ts is not None:
            # A ticket belongs to the session it was opened in (or the sender's last one).
            end = (conv.last_ts or conv.first_ts) + 3600
            if any(conv.first_ts - 60 <= t <= end for t in times):
                conv.handoff = True
        pending.append(conv)
        if len(pending) >= 1_000:
            flush()
    flush()
    summary = stats.summary()
    summary["csat"] = csat
    summary["tickets"] = sum(len(v) for v in tickets.values())
    summary["handoff"] = handoff_summary(shop_url, stats.handed_off_intents)
    summary["unreadable_events"] = dict(bad)
    summary["tracker"] = redact_url(tracker_url)
    return summary
