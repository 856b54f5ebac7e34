"""The hand-off queue as the bot and the site use it.

:func:`hand_off` puts a conversation in the queue (idempotent), tries to give it to an
agent on duty, and says where the customer stands: their place, the expected wait, or
the opening hours when nobody is on duty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from kefu.settings import get_settings
from kefu.shop import queries as shop
from kefu.shop.queries import queue, queue_stats
from kefu.shop.queries import staff as staff_rows
from kefu.support.hours import opening_hours


@dataclass(frozen=True)
class HandoffStatus:
    """Where a handed-off conversation stands.

    Attributes:
        ticket_id: its ticket.
        created: whether this call opened the ticket (``False``: it was already waiting).
        status: ``pending``, ``open`` or ``snoozed``.
        position: place in the queue (1 = next), ``None`` once an agent has it.
        expected_wait_s: expected seconds until an agent answers (``None``: with an agent,
            or nobody on duty).
        agents_on_duty: agents taking conversations now.
        in_hours: whether now is within the opening hours.
        hours: the opening hours as configured (empty: no fixed hours).
    """

    ticket_id: int
    created: bool
    status: str
    position: int | None
    expected_wait_s: float | None
    agents_on_duty: int
    in_hours: bool
    hours: str

    def public(self) -> dict[str, Any]:
        """What the customer's widget may know (no ticket internals beyond these)."""
        out = asdict(self)
        out.pop("created")
        return out


def status_of(
    ticket: dict[str, Any], created: bool = False, *, url: str | None = None
) -> HandoffStatus:
    """The :class:`HandoffStatus` of a ticket row (see :func:`kefu.shop.queries.queue.get_ticket`)."""
    hours = opening_hours(url=url)
    on_duty = staff_rows.count_on_duty(url=url)
    position = queue_stats.queue_position(ticket["ticket_id"], url=url)
    wait = None
    if position is not None and on_duty:
        wait = queue_stats.expected_wait_s(position, on_duty, queue_stats.recent_waits(url=url))
    return HandoffStatus(
        ticket_id=ticket["ticket_id"],
        created=created,
        status=ticket["status"],
        position=position,
        expected_wait_s=wait,
        agents_on_duty=on_duty,
        in_hours=hours.is_open(),
        hours=hours.text,
    )


def hand_off(
    conversation_id: str,
    customer_id: str | None,
    language: str,
    reason: str,
    transcript: list[dict[str, Any]],
    escalation_reason: str = "asked",
    *,
    url: str | None = None,
    on_commit: Callable[[int], object] | None = None,
) -> HandoffStatus:
    """Queue the conversation for a human (once) and assign it when an agent is free.

    ``on_commit`` is called with the ticket's id as soon as the ticket (and its assignment)
    is committed, before its status is read (the action server announces the ticket to
    the site from there, without waiting for the rest of the bot's turn).
    """
    ticket_id, created = shop.open_ticket(
        conversation_id,
        customer_id,
        language,
        reason,
        transcript,
        escalation_reason=escalation_reason,
        url=url,
    )
    ticket = None
    if created and opening_hours(url=url).is_open():
        ticket = queue.auto_assign(ticket_id, get_settings().agent_max_open, url=url)
    if on_commit is not None:
        on_commit(ticket_id)
    ticket = ticket or queue.get_ticket(ticket_id, url=url)
    assert ticket is not None
    return status_of(ticket, created, url=url)


def current(conversation_id: str, *, url: str | None = None) -> HandoffStatus | None:
    """The hand-off status of a conversation, ``None`` when it is with the bot."""
    ticket = queue.unresolved_ticket(conversation_id, url=url)
    return status_of(ticket, url=url) if ticket is not None else None
