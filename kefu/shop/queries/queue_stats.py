"""The queue's numbers: a waiting customer's place and expected wait, the live overview."""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import and_, func, select

from kefu.shop.db import session_scope
from kefu.shop.models import Staff, Ticket
from kefu.shop.queries.common import guarded
from kefu.shop.queries.queue import _wake_snoozed
from kefu.shop.queries.support import now

DEFAULT_WAIT_S = 120.0  # expected wait per customer before any ticket was answered
RECENT_WAITS = 50


@guarded
def queue_position(ticket_id: int, *, url: str | None = None) -> int | None:
    """1 for the ticket waiting longest; ``None`` when it is not waiting."""
    with session_scope(url) as s:
        t = s.get(Ticket, ticket_id)
        if t is None or t.status != "pending":
            return None
        ahead = s.execute(
            select(func.count()).where(Ticket.status == "pending", Ticket.id < ticket_id)
        ).scalar_one()
        return int(ahead) + 1


@guarded
def recent_waits(*, url: str | None = None) -> list[float]:
    """Seconds from hand-off to the first agent reply, of the latest answered tickets."""
    with session_scope(url) as s:
        rows = s.execute(
            select(Ticket.waiting_since, Ticket.first_reply_at)
            .where(Ticket.first_reply_at.is_not(None), Ticket.waiting_since.is_not(None))
            .order_by(Ticket.first_reply_at.desc())
            .limit(RECENT_WAITS)
        ).all()
    return [max(0.0, (reply - since).total_seconds()) for since, reply in rows]


def expected_wait_s(position: int, agents_on_duty: int, waits: list[float]) -> float:
    """Expected seconds until an agent answers the ``position``-th waiting customer."""
    per_customer = statistics.median(waits) if waits else DEFAULT_WAIT_S
    return round(per_customer * position / max(1, agents_on_duty), 1)


@guarded
def overview(*, url: str | None = None) -> dict[str, Any]:
    """Live numbers of the queue: waiting, longest wait, open, agents on duty, today."""
    at = now()
    today = at.replace(hour=0, minute=0, second=0)
    with session_scope(url) as s:
        _wake_snoozed(s, at)
        counts = dict(
            s.execute(
                select(Ticket.status, func.count())
                .where(Ticket.status != "resolved")
                .group_by(Ticket.status)
            ).all()
        )
        oldest = s.execute(
            select(func.min(Ticket.waiting_since)).where(Ticket.status == "pending")
        ).scalar()
        on_duty = s.execute(
            select(func.count()).where(Staff.active.is_(True), Staff.on_duty.is_(True))
        ).scalar_one()
        handoffs_today = s.execute(
            select(func.count()).where(Ticket.created_at >= today)
        ).scalar_one()
        resolved_today = s.execute(
            select(func.count()).where(and_(Ticket.resolved_at >= today))
        ).scalar_one()
    return {
        "pending": counts.get("pending", 0),
        "open": counts.get("open", 0),
        "snoozed": counts.get("snoozed", 0),
        "longest_wait_s": (at - oldest).total_seconds() if oldest else 0,
        "agents_on_duty": on_duty,
        "handoffs_today": handoffs_today,
        "resolved_today": resolved_today,
    }
