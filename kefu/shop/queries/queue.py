"""The hand-off queue: ticket states and who has them.

Every change is one conditional ``UPDATE`` (the condition is the state the change starts
from), so two agents claiming the same ticket cannot both win: the loser's update matches
no row and the caller gets ``None``.

States: ``pending`` (waiting for an agent), ``open`` (an agent has it), ``snoozed``
(until a time), ``resolved`` (back with the bot).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update

from kefu.shop.db import session_scope
from kefu.shop.models import Customer, Staff, Ticket
from kefu.shop.queries.common import contains, guarded
from kefu.shop.queries.support import now

VIEWS = ("pending", "mine", "unassigned", "open", "snoozed", "resolved", "all")
MAX_LIST = 200


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_row(t: Ticket, names: dict[int, str], customers: dict[str, str]) -> dict[str, Any]:
    """A ticket as the console's JSON shows it."""
    return {
        "ticket_id": t.id,
        "conversation_id": t.conversation_id,
        "status": t.status,
        "customer": (
            {"id": t.customer_id, "name": customers.get(t.customer_id)} if t.customer_id else {}
        ),
        "lang": t.language,
        "reason": t.reason,
        "escalation_reason": t.escalation_reason,
        "created_at": _iso(t.created_at),
        "waiting_since": _iso(t.waiting_since),
        "snoozed_until": _iso(t.snoozed_until),
        "first_reply_at": _iso(t.first_reply_at),
        "resolved_at": _iso(t.resolved_at),
        "resolved_by": t.resolved_by,
        "last_customer_message_at": _iso(t.last_customer_message_at),
        "assignee": (
            {"id": t.assignee_id, "name": names.get(t.assignee_id, "")} if t.assignee_id else None
        ),
        "unread": t.unread_for_agent,
    }


def _rows(s: Any, tickets: list[Ticket]) -> list[dict[str, Any]]:
    staff_ids = {i for t in tickets for i in (t.assignee_id, t.resolved_by) if i}
    names = (
        dict(s.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids))).all())
        if staff_ids
        else {}
    )
    customer_ids = {t.customer_id for t in tickets if t.customer_id}
    customers = (
        dict(
            s.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all()
        )
        if customer_ids
        else {}
    )
    return [ticket_row(t, names, customers) for t in tickets]


def _woken() -> Any:
    """The state a snoozed ticket wakes up in: ``open`` with its agent, else ``pending``."""
    return case((Ticket.assignee_id.is_(None), "pending"), else_="open")


def _wake_snoozed(s: Any, at: datetime) -> None:
    s.execute(
        update(Ticket)
        .where(Ticket.status == "snoozed", Ticket.snoozed_until <= at)
        .values(status=_woken(), snoozed_until=None)
        .execution_options(synchronize_session=False)
    )


@guarded
def get_ticket(ticket_id: int, *, wake: bool = True, url: str | None = None) -> dict | None:
    """One ticket as a row of the console, or ``None`` (``wake``: snoozed ones due first)."""
    with session_scope(url) as s:
        if wake:
            _wake_snoozed(s, now())
        t = s.get(Ticket, ticket_id)
        return _rows(s, [t])[0] if t is not None else None


@guarded
def unresolved_ticket(conversation_id: str, *, url: str | None = None) -> dict[str, Any] | None:
    """The conversation's unresolved ticket, or ``None`` (it is with the bot)."""
    with session_scope(url) as s:
        t = s.scalars(
            select(Ticket).where(
                Ticket.conversation_id == conversation_id[:255], Ticket.status != "resolved"
            )
        ).first()
        return _rows(s, [t])[0] if t is not None else None


@guarded
def list_tickets(
    view: str, staff_id: int | None = None, query: str = "", *, url: str | None = None
) -> list[dict[str, Any]]:
    """The tickets of an inbox view, oldest waiting first (resolved: newest first).

    Args:
        view: one of :data:`VIEWS`.
        staff_id: the agent asking (``mine``).
        query: matches the customer's id or name, the conversation, the reason.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; one of {', '.join(VIEWS)}")
    with session_scope(url) as s:
        _wake_snoozed(s, now())
        stmt = select(Ticket).outerjoin(Customer, Customer.id == Ticket.customer_id)
        if view == "mine":
            stmt = stmt.where(Ticket.assignee_id == staff_id, Ticket.status != "resolved")
        elif view == "unassigned":
            stmt = stmt.where(Ticket.assignee_id.is_(None), Ticket.status != "resolved")
        elif view != "all":
            stmt = stmt.where(Ticket.status == view)
        if query.strip():
            stmt = stmt.where(
                or_(
                    contains(Ticket.customer_id, query),
                    contains(Customer.name, query),
                    contains(Ticket.conversation_id, query),
                    contains(Ticket.reason, query),
                    contains(Ticket.transcript, query),
                )
            )
        order = Ticket.id.desc() if view in ("resolved", "all") else Ticket.id
        return _rows(s, list(s.scalars(stmt.order_by(order).limit(MAX_LIST))))


def _change(
    ticket_id: int, where: list[Any], values: dict[str, Any], url: str | None
) -> dict[str, Any] | None:
    """Apply ``values`` to the ticket when ``where`` holds; the changed ticket or ``None``."""
    with session_scope(url) as s:
        result = s.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, *where)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        s.expire_all()
        return _rows(s, [s.get(Ticket, ticket_id)])[0]


def _active_staff(staff_id: int) -> Any:
    return select(Staff.id).where(Staff.id == staff_id, Staff.active.is_(True)).exists()


@guarded
def claim(ticket_id: int, staff_id: int, *, url: str | None = None) -> dict[str, Any] | None:
    """``staff_id`` takes a waiting (or snoozed, unowned) ticket; ``None`` if someone else has it."""
    return _change(
        ticket_id,
        [
            Ticket.status.in_(("pending", "snoozed", "open")),
            or_(Ticket.assignee_id.is_(None), Ticket.assignee_id == staff_id),
            _active_staff(staff_id),
        ],
        {"status": "open", "assignee_id": staff_id, "snoozed_until": None},
        url,
    )


@guarded
def assign(ticket_id: int, staff_id: int, *, url: str | None = None) -> dict[str, Any] | None:
    """Give an unresolved ticket to ``staff_id`` (an active account), whoever had it."""
    return _change(
        ticket_id,
        [Ticket.status != "resolved", _active_staff(staff_id)],
        {"status": "open", "assignee_id": staff_id, "snoozed_until": None},
        url,
    )


@guarded
def transfer(
    ticket_id: int, from_staff: int, to_staff: int, *, url: str | None = None
) -> dict[str, Any] | None:
    """Hand a ticket ``from_staff`` owns to ``to_staff``."""
    return _change(
        ticket_id,
        [Ticket.status != "resolved", Ticket.assignee_id == from_staff, _active_staff(to_staff)],
        {"status": "open", "assignee_id": to_staff},
        url,
    )


@guarded
def snooze(ticket_id: int, until: datetime, *, url: str | None = None) -> dict[str, Any] | None:
    """Put an unresolved ticket aside until ``until`` (naive UTC, :mod:`kefu.clock`; it
    comes back ``open`` then)."""
    if until <= now():
        raise ValueError("snooze until a time in the future")
    return _change(
        ticket_id,
        [Ticket.status.in_(("pending", "open"))],
        {"status": "snoozed", "snoozed_until": until},
        url,
    )


@guarded
def resolve(
    ticket_id: int, staff_id: int | None, *, url: str | None = None
) -> dict[str, Any] | None:
    """Close a ticket (``staff_id`` None: the customer went back to the bot)."""
    return _change(
        ticket_id,
        [Ticket.status != "resolved"],
        {
            "status": "resolved",
            "resolved_at": now(),
            "resolved_by": staff_id,
            "unread_for_agent": 0,
        },
        url,
    )


@guarded
def reopen(ticket_id: int, status: str, *, url: str | None = None) -> dict[str, Any] | None:
    """Undo a resolve that could not reach the bot (back to ``status``, still unresolved)."""
    if status == "resolved":
        raise ValueError("reopen into an unresolved state")
    return _change(
        ticket_id,
        [Ticket.status == "resolved"],
        {"status": status, "resolved_at": None, "resolved_by": None},
        url,
    )


@guarded
def customer_wrote(conversation_id: str, *, url: str | None = None) -> dict[str, Any] | None:
    """Count a customer message on the conversation's unresolved ticket (wakes a snoozed one)."""
    with session_scope(url) as s:
        ticket_id = s.scalars(
            select(Ticket.id).where(
                Ticket.conversation_id == conversation_id[:255], Ticket.status != "resolved"
            )
        ).first()
        if ticket_id is None:
            return None
    return _change(
        ticket_id,
        [Ticket.status != "resolved"],
        {
            "last_customer_message_at": now(),
            "unread_for_agent": Ticket.unread_for_agent + 1,
            "status": case((Ticket.status == "snoozed", _woken()), else_=Ticket.status),
            "snoozed_until": None,
        },
        url,
    )


@guarded
def agent_replied(ticket_id: int, staff_id: int, *, url: str | None = None) -> dict | None:
    """Record an agent's reply: first reply time, unread reset; claims an unowned ticket."""
    return _change(
        ticket_id,
        [
            Ticket.status != "resolved",
            or_(Ticket.assignee_id.is_(None), Ticket.assignee_id == staff_id),
        ],
        {
            "first_reply_at": func.coalesce(Ticket.first_reply_at, now()),
            "unread_for_agent": 0,
            "assignee_id": staff_id,
            "status": "open",
        },
        url,
    )


@guarded
def mark_read(ticket_id: int, *, url: str | None = None) -> None:
    """The agent has seen every message of the ticket."""
    _change(ticket_id, [], {"unread_for_agent": 0}, url)


@guarded
def auto_assign(ticket_id: int, max_open: int, *, url: str | None = None) -> dict | None:
    """Give a pending ticket to the on-duty agent with the fewest open ones (below ``max_open``).

    Returns:
        The assigned ticket, or ``None`` when nobody is on duty with room (it stays pending).
    """
    with session_scope(url) as s:
        load = (
            select(Ticket.assignee_id, func.count().label("n"))
            .where(Ticket.status == "open")
            .group_by(Ticket.assignee_id)
            .subquery()
        )
        candidate = s.execute(
            select(Staff.id, func.coalesce(load.c.n, 0).label("n"))
            .outerjoin(load, load.c.assignee_id == Staff.id)
            .where(Staff.active.is_(True), Staff.on_duty.is_(True))
            .where(func.coalesce(load.c.n, 0) < max_open)
            .order_by("n", Staff.id)
        ).first()
    if candidate is None:
        return None
    return _change(
        ticket_id,
        [Ticket.status == "pending", Ticket.assignee_id.is_(None)],
        {"status": "open", "assignee_id": candidate[0]},
        url,
    )
