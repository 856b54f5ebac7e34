"""Hand-off figures of the conversations report: why the bot handed off, how long customers
waited, how fast agents answered and resolved, and how satisfied customers were with the
bot alone and with each agent.

Reads the shop database's ``tickets`` and ``csat`` (through :mod:`kefu.shop.queries.frames`)
and, for the intents most often handed off, the conversations the tracker report counted.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kefu.shop.queries import frames

__all__ = ["handoff_summary"]

# intents that only carry the hand-off itself (or a score), not why it happened
NOT_A_REASON = frozenset({"affirm", "deny", "csat_score", "human_handoff", "greet", "thank"})


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _stats(values: Iterable[float | None]) -> dict[str, Any]:
    found = sorted(v for v in values if v is not None)
    if not found:
        return {"n": 0, "median_s": None, "p90_s": None, "mean_s": None}
    return {
        "n": len(found),
        "median_s": round(statistics.median(found), 1),
        "p90_s": round(found[min(len(found) - 1, int(0.9 * (len(found) - 1) + 0.5))], 1),
        "mean_s": round(statistics.fmean(found), 1),
    }


def _csat(scores: list[int]) -> dict[str, Any]:
    return {
        "responses": len(scores),
        "average": round(statistics.fmean(scores), 3) if scores else None,
    }


def handoff_summary(
    shop_url: str | None, handed_off_intents: Counter[str] | None = None, top: int = 10
) -> dict[str, Any]:
    """The hand-off section of the conversations report.

    Args:
        shop_url: the shop database.
        handed_off_intents: intents seen in handed-off conversations (one count per
            conversation and intent), from the tracker store.
        top: intents listed.
    """
    rows = frames.handoff_rows(shop_url)
    if rows is None:
        return {"note": "no shop database: hand-off figures not available"}
    tickets, scores = rows
    reasons = Counter(t["escalation_reason"] or "unknown" for t in tickets)
    per_agent: dict[str, list[int]] = defaultdict(list)
    bot_only: list[int] = []
    for row in scores:
        (per_agent[row["agent"]] if row["agent"] else bot_only).append(row["score"])
    total = len(tickets)
    return {
        "tickets": total,
        "by_reason": {
            reason: {"tickets": n, "share": round(n / total, 4)}
            for reason, n in reasons.most_common()
        },
        "status": dict(Counter(t["status"] for t in tickets)),
        "time_in_queue": _stats(
            _seconds(t["waiting_since"] or t["created_at"], t["first_reply_at"]) for t in tickets
        ),
        "time_to_first_human_reply": _stats(
            _seconds(t["created_at"], t["first_reply_at"]) for t in tickets
        ),
        "resolution_time": _stats(
            _seconds(t["created_at"], t["resolved_at"]) for t in tickets if t["resolved_by"]
        ),
        "csat": {
            "bot_only": _csat(bot_only),
            "agent_handled": _csat([s for v in per_agent.values() for s in v]),
            "per_agent": {name: _csat(v) for name, v in sorted(per_agent.items())},
        },
        "resolved_per_agent": dict(
            Counter(t["resolved_by"] for t in tickets if t["resolved_by"]).most_common()
        ),
        "intents_most_handed_off": [
            {"intent": i, "conversations": n}
            for i, n in (handed_off_intents or Counter()).most_common()
            if i not in NOT_A_REASON
        ][:top],
    }
