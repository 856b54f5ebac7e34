"""Support records: hand-off tickets with their transcript, and satisfaction (CSAT) scores."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from kefu.clock import utcnow
from kefu.shop.models import LANGUAGES, Csat, Ticket
from kefu.shop.queries.common import guarded, invalidates
from kefu.shop.queries.effects import EffectKey, once

MAX_TRANSCRIPT_CHARS = 200_000


def _language(language: str) -> str:
    return language if language in LANGUAGES else "zh"


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
    """Write a hand-off ticket with the transcript so far; returns its id.

    A repeat of the same request (same ``key``) writes nothing and returns the first id.
    """
    payload = json.dumps(transcript, ensure_ascii=False)
    while len(payload) > MAX_TRANSCRIPT_CHARS and transcript:
        transcript = transcript[1:]  # keep the latest turns of a very long conversation
        payload = json.dumps(transcript, ensure_ascii=False)

    def effect(s: Session) -> dict[str, Any]:
        ticket = Ticket(
            conversation_id=conversation_id[:255],
            customer_id=customer_id,
            language=_language(language),
            reason=(reason or "")[:200],
            transcript=payload,
            status="open",
            created_at=utcnow(),
        )
        s.add(ticket)
        s.flush()
        return {"id": int(ticket.id)}

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

    A repeat of the same request (same ``key``) stores nothing and returns the first id.
    """
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"score must be an integer from 1 to 5, got {score!r}")

    def effect(s: Session) -> dict[str, Any]:
        row = Csat(
            conversation_id=conversation_id[:255],
            customer_id=customer_id,
            language=_language(language),
            score=score,
            created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        return {"id": int(row.id)}

    return int(once(key, effect, url=url).outcome["id"])
