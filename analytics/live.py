"""The console's live overview: today's conversations from the tracker store and the desk's
figures from the shop, read in a window (today, the last hour) instead of the whole store.

Same definitions as the conversations report (:mod:`analytics.conversations`): a
conversation is *contained* when it was never handed off; a message is *not understood*
when its intent is ``nlu_fallback`` or the bot answered it with a fallback action.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta, timezone
from typing import Any

from analytics.trackers import TrackerError, iter_conversations
from kefu.clock import shop_zone, to_epoch, utcnow
from kefu.shop.queries.desk import desk_since
from nlp.redact import redact

__all__ = ["TrackerError", "live_figures"]

MISSES_LISTED = 5


def start_of_today(at: datetime | None = None) -> datetime:
    """Midnight of the shop's day (``KEFU_SHOP_TZ``) as stored naive UTC."""
    zone = shop_zone()
    now = (at or utcnow()).replace(tzinfo=timezone.utc).astimezone(zone)
    local = datetime.combine(now.date(), time(0), tzinfo=zone)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def live_figures(tracker_url: str, shop_url: str | None = None) -> dict[str, Any]:
    """Conversations today, containment, CSAT today and the messages not understood in the
    last hour: how many, and the latest five, latest first (redacted: the console shows
    them to every agent).

    Raises:
        analytics.trackers.TrackerError: when the tracker store cannot be read.
    """
    now = utcnow()
    today = start_of_today(now)
    desk = desk_since(today, url=shop_url)
    bad: Counter[str] = Counter()
    conversations = contained = 0
    for conv in iter_conversations(tracker_url, bad, since=to_epoch(today)):
        conversations += 1
        contained += not conv.handoff and conv.sender_id not in desk["handed_off"]
    misses: list[tuple[float, str]] = []
    hour = to_epoch(now - timedelta(hours=1))
    for conv in iter_conversations(tracker_url, bad, since=hour):
        misses.extend(zip(conv.not_understood_ts, conv.not_understood, strict=True))
    # the store is read conversation by conversation: the latest are found by their time
    latest = [text for _, text in sorted(misses, key=lambda miss: miss[0])[-MISSES_LISTED:]]
    return {
        "conversations_today": conversations,
        "containment": round(contained / conversations, 4) if conversations else None,
        "csat_today": desk["csat_average"],
        "csat_responses_today": desk["csat_responses"],
        "not_understood_last_hour": len(misses),
        "not_understood_messages": [redact(m)[:200] for m in latest][::-1],  # latest first
    }
