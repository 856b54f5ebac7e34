"""Support records: hand-off tickets with their transcript, and satisfaction (CSAT) scores."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from kefu.shop.db import session_scope
from kefu.shop.models import LANGUAGES, Csat, Ticket
from kefu.shop.queries.common import guarded

MAX_TRANSCRIPT_CHARS = 200_000


def _language(language: str) -> str:
    return language if language in LANGUAGES else "zh"


@guarded
def create_ticket(
    conversation_id: str,
    customer_id: str | None,
    language: str,
    reason: str,
    transcript: list[dict[str, Any]],
    *,
    url: str | None = None,
) -> int:
    """Write a hand-off ticket with the transcript so far; returns its id."""
    payload = json.dumps(transcript, ensure_ascii=False)
    while len(payload) > MAX_TRANSCRIPT_CHARS and transcript:
        transcript = transcript[1:]  # keep the latest turns of a very long conversation
        payload = json.dumps(transcript, ensure_ascii=False)
    with session_scope(url) as s:
        ticket = Ticket(
            conversation_id=conversation_id[:255],
            customer_id=customer_id,
            language=_language(language),
            reason=(reason or "")[:200],
            transcript=payload,
            status="open",
            created_at=datetime.now().replace(microsecond=0),
        )
        s.add(ticket)
        s.flush()
        return int(ticket.id)


@guarded
def store_csat(
    conversation_id: str,
    customer_id: str | None,
    language: str,
    score: int,
    *,
    url: str | None = None,
) -> int:
    """Store a 1-5 satisfaction score for a conversation; returns the row id."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"score must be an integer from 1 to 5, got {score!r}")
    with session_scope(url) as s:
        row = Csat(
            conversation_id=conversation_id[:255],
            customer_id=customer_id,
            language=_language(language),
            score=score,
            created_at=datetime.now().replace(microsecond=0),
        )
        s.add(row)
        s.flush()
        return int(row.id)
