"""Support records: hand-off tickets, satisfaction (CSAT) scores, private notes, canned replies.

The queue's state changes (claim, assign, snooze, resolve...) are in
:mod:`kefu.shop.queries.queue`; staff accounts in :mod:`kefu.shop.queries.staff`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.clock import utcnow
from kefu.shop.db import session_scope
from kefu.shop.models import ESCALATION_REASONS, LANGUAGES, CannedReply, Csat, Ticket, TicketNote
from kefu.shop.queries.common import guarded, invalidates
from kefu.shop.queries.effects import EffectKey, once
from nlp.text import DEFAULT_LANGUAGE

MAX_TRANSCRIPT_CHARS = 200_000
MAX_NOTE_CHARS = 4000
MAX_CANNED_CHARS = 2000
CSAT_LINK_WINDOW = timedelta(hours=24)
SHORTCUT = re.compile(r"^[a-z0-9_-]{1,50}$")


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def now() -> datetime:
    """The current time (naive UTC, :mod:`kefu.clock`) to the second, as support rows store it."""
    return utcnow().replace(microsecond=0)


def transcript_payload(transcript: list[dict[str, Any]], limit: int | None = None) -> str:
    """The transcript as stored: JSON of its latest turns that fit in ``limit`` characters
    (default :data:`MAX_TRANSCRIPT_CHARS`; the oldest turns of a very long conversation are
    dropped, whole)."""
    limit = MAX_TRANSCRIPT_CHARS if limit is None else limit
    parts = [json.dumps(turn, ensure_ascii=False) for turn in transcript]
    size = 2 + sum(len(p) for p in parts) + 2 * max(len(parts) - 1, 0)  # "[", ", ", "]"
    start = 0
    while size > limit and start < len(parts):
        size -= len(parts[start]) + (2 if start < len(parts) - 1 else 0)
        start += 1
    return "[" + ", ".join(parts[start:]) + "]"


def _unresolved(s: Any, conversation_id: str) -> Ticket | None:
    return s.scalars(
        select(Ticket).where(
            Ticket.conversation_id == conversation_id[:255], Ticket.status != "resolved"
        )
    ).first()


def _open_in(
    s: Session,
    conversation_id: str,
    customer_id: str | None,
    language: str,
    reason: str,
    payload: str,
    escalation_reason: str,
) -> tuple[int, bool]:
    """:func:`open_ticket` inside the session ``s``."""
    existing = _unresolved(s, conversation_id)
    if existing is not None:
        return int(existing.id), False
    if customer_id is not None:
        # one unresolved ticket per signed-in customer too: a customer who restarted the
        # chat and asks again takes their place in the queue (and their agent) along
        waiting = s.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer_id, Ticket.status != "resolved")
            .order_by(Ticket.id)
        ).first()
        if waiting is not None:
            waiting.conversation_id = conversation_id[:255]
            return int(waiting.id), False
    at = now()
    ticket = Ticket(
        conversation_id=conversation_id[:255],
        customer_id=customer_id,
        language=_language(language),
        reason=(reason or "")[:200],
        transcript=payload,
        status="pending",
        created_at=at,
        waiting_since=at,
        escalation_reason=escalation_reason,
        unread_for_agent=0,
    )
    s.add(ticket)
    s.flush()
    return int(ticket.id), True


@invalidates
@guarded
def open_ticket(
    conversation_id: str,
    customer_id: str | None,
    language: str,
    reason: str,
    transcript: list[dict[str, Any]],
    *,
    escalation_reason: str = "asked",
    url: str | None = None,
) -> tuple[int, bool]:
    """The conversation's unresolved ticket, created (``pending``) when there is none.

    A signed-in customer's unresolved ticket of another conversation (they restarted the
    chat) moves to this conversation instead of a second one being opened.

    Returns:
        ``(ticket_id, created)``; asking twice gives the same ticket (one unresolved
        ticket per conversation, enforced by a partial unique index, and per customer).
    """
    if escalation_reason not in ESCALATION_REASONS:
        raise ValueError(f"unknown escalation reason {escalation_reason!r}")
    payload = transcript_payload(transcript)
    for _attempt in range(2):
        try:
            with session_scope(url) as s:
                return _open_in(
                    s, conversation_id, customer_id, language, reason, payload, escalation_reason
                )
        except IntegrityError:
            continue  # another process opened it at the same moment: read theirs
    raise RuntimeError("could not open a ticket")  # pragma: no cover - index race twice


@invalidates
@guarded
def create_ticket(
    conversation_id: str,
    customer_id: str | None,
    language: str,
    reason: str,
    transcript: list[dict[str, Any]],
    *,
    key: EffectKey | None = None,
    url: str | None = None,
) -> int:
    """The id of the conversation's unresolved ticket (see :func:`open_ticket`).

    A repeat (a retry, or the customer asking twice) finds the same unresolved ticket;
    with ``key`` the request is also recorded like the other side effects.
    """
    if key is None:
        return open_ticket(conversation_id, customer_id, language, reason, transcript, url=url)[0]
    payload = transcript_payload(transcript)

    def effect(s: Session) -> dict[str, Any]:
        ticket_id, _ = _open_in(s, conversation_id, customer_id, language, reason, payload, "asked")
        return {"id": ticket_id}

    return int(once(key, effect, url=url).outcome["id"])


@invalidates
@guarded
def store_csat(
    conversation_id: str,
    customer_id: str | None,
    language: str,
    score: int,
    *,
    key: EffectKey | None = None,
    url: str | None = None,
) -> int:
    """Store a 1-5 satisfaction score for a conversation; returns the row id.

    A score given within a day of an agent resolving the conversation's ticket (and the
    first one since) is stored with that ticket and agent; otherwise it is the bot's. A
    repeat of the same request (same ``key``) stores nothing and returns the first id.
    """
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"score must be an integer from 1 to 5, got {score!r}")

    def effect(s: Session) -> dict[str, Any]:
        at = now()
        ticket = s.scalars(
            select(Ticket)
            .where(
                Ticket.conversation_id == conversation_id[:255],
                Ticket.status == "resolved",
                Ticket.resolved_by.is_not(None),
                Ticket.resolved_at >= at - CSAT_LINK_WINDOW,
            )
            .order_by(Ticket.resolved_at.desc(), Ticket.id.desc())
        ).first()
        if ticket is not None:
            rated = s.scalars(select(Csat.id).where(Csat.ticket_id == ticket.id)).first()
            ticket = None if rated is not None else ticket
        row = Csat(
            conversation_id=conversation_id[:255],
            customer_id=customer_id,
            language=_language(language),
            score=score,
            created_at=at,
            agent_id=ticket.resolved_by if ticket is not None else None,
            ticket_id=ticket.id if ticket is not None else None,
        )
        s.add(row)
        s.flush()
        return {"id": int(row.id)}

    return int(once(key, effect, url=url).outcome["id"])


def _note(n: TicketNote) -> dict[str, Any]:
    return {
        "id": n.id,
        "ticket_id": n.ticket_id,
        "staff_id": n.staff_id,
        "text": n.text,
        "created_at": n.created_at.isoformat(),
    }


@guarded
def add_note(ticket_id: int, staff_id: int, text: str, *, url: str | None = None) -> dict:
    """Add a private note to a ticket (never shown to the customer)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"a note has 1 to {MAX_NOTE_CHARS} characters")
    with session_scope(url) as s:
        if s.get(Ticket, ticket_id) is None:
            raise LookupError(f"no ticket {ticket_id}")
        note = TicketNote(ticket_id=ticket_id, staff_id=staff_id, text=text, created_at=now())
        s.add(note)
        s.flush()
        return _note(note)


@guarded
def notes_for(ticket_id: int, *, url: str | None = None) -> list[dict[str, Any]]:
    """The private notes of a ticket, oldest first."""
    with session_scope(url) as s:
        rows = s.scalars(
            select(TicketNote).where(TicketNote.ticket_id == ticket_id).order_by(TicketNote.id)
        ).all()
        return [_note(n) for n in rows]


def _canned(c: CannedReply) -> dict[str, Any]:
    return {"id": c.id, "shortcut": c.shortcut, "text_zh": c.text_zh, "text_en": c.text_en}


@guarded
def canned_replies(*, url: str | None = None) -> list[dict[str, Any]]:
    """Every canned reply, by shortcut."""
    with session_scope(url) as s:
        return [_canned(c) for c in s.scalars(select(CannedReply).order_by(CannedReply.shortcut))]


@guarded
def save_canned_reply(
    shortcut: str, text_zh: str, text_en: str, staff_id: int | None, *, url: str | None = None
) -> dict[str, Any]:
    """Create or replace the canned reply of ``shortcut`` (``[a-z0-9_-]+``)."""
    if not isinstance(shortcut, str) or not SHORTCUT.match(shortcut):
        raise ValueError("a shortcut is 1 to 50 of a-z, 0-9, _ and -")
    texts = [(t or "").strip() for t in (text_zh, text_en)]
    if not all(0 < len(t) <= MAX_CANNED_CHARS for t in texts):
        raise ValueError(f"both texts need 1 to {MAX_CANNED_CHARS} characters")
    with session_scope(url) as s:
        row = s.scalars(select(CannedReply).where(CannedReply.shortcut == shortcut)).first()
        if row is None:
            row = CannedReply(shortcut=shortcut, created_by=staff_id)
            s.add(row)
        row.text_zh, row.text_en = texts
        s.flush()
        return _canned(row)


@guarded
def delete_canned_reply(shortcut: str, *, url: str | None = None) -> bool:
    """Delete the canned reply of ``shortcut``; whether it existed."""
    with session_scope(url) as s:
        row = s.scalars(select(CannedReply).where(CannedReply.shortcut == shortcut)).first()
        if row is None:
            return False
        s.delete(row)
        return True
