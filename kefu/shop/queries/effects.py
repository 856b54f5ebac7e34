"""Side effects done at most once per customer message: idempotency keys.

Rasa may call an action again for the same message (a retry after a timeout, a replayed
request after the action server restarted). A side effect (cancelling an order, opening
a return, writing a ticket, storing a score) is therefore run through :func:`once` with
an :class:`EffectKey` (conversation id, Rasa's message id, action). The key is written
in the same transaction as the effect; a repeat finds it and gets the recorded outcome
back, changing nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.clock import utcnow
from kefu.shop.db import session_scope
from kefu.shop.models import ActionEffect
from kefu.shop.queries.common import guarded

Outcome = dict[str, Any]


@dataclass(frozen=True)
class EffectKey:
    """Which request a side effect answers: one message of one conversation, one action."""

    conversation_id: str
    message_id: str
    action: str

    @classmethod
    def of(cls, conversation_id: object, message_id: object, action: str) -> EffectKey | None:
        """The key, or ``None`` when the conversation or message id is missing."""
        if not isinstance(conversation_id, str) or not conversation_id:
            return None
        if not isinstance(message_id, str) or not message_id:
            return None
        return cls(conversation_id[:255], message_id[:255], action[:64])


@dataclass(frozen=True)
class Done:
    """The outcome of a side effect; ``repeated`` when it was done by an earlier call."""

    outcome: Outcome
    repeated: bool = False


def _recorded(key: EffectKey, url: str | None) -> Done | None:
    with session_scope(url) as s:
        raw = s.scalar(
            select(ActionEffect.outcome).where(
                ActionEffect.conversation_id == key.conversation_id,
                ActionEffect.message_id == key.message_id,
                ActionEffect.action == key.action,
            )
        )
    return None if raw is None else Done(json.loads(raw), repeated=True)


@guarded
def once(
    key: EffectKey | None, effect: Callable[[Session], Outcome], *, url: str | None = None
) -> Done:
    """Run ``effect`` in one transaction unless ``key`` already did; the outcome either way.

    Args:
        key: the request; ``None`` runs ``effect`` without a key (no message id known).
        effect: does the writes in the session it gets and returns a JSON-able outcome.
            Raising leaves no trace (nothing is recorded for a refused request).
        url: shop database URL (default: the configured one).

    Returns:
        The outcome, ``repeated=True`` when it was recorded by an earlier call.
    """
    if key is None:
        with session_scope(url) as s:
            return Done(effect(s))
    done = _recorded(key, url)
    if done is not None:
        return done
    try:
        with session_scope(url) as s:
            outcome = effect(s)
            s.add(
                ActionEffect(
                    conversation_id=key.conversation_id,
                    message_id=key.message_id,
                    action=key.action,
                    outcome=json.dumps(outcome, ensure_ascii=False, default=str),
                    created_at=utcnow(),
                )
            )
            s.flush()
        return Done(outcome)
    except Exception:
        # a concurrent call with the same key won the race (its effect may have tripped a
        # unique index before our key did): answer with what it recorded
        done = _recorded(key, url)
        if done is not None:
            return done
        raise


__all__ = ["Done", "EffectKey", "Outcome", "once"]
