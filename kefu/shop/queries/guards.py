"""Server-side state of the doors: failed order lookups and revocable site sessions.

Failed lookups are counted in the shop database, not in the conversation, so that a
restart of the chat (a new conversation id) or a new browser session does not reset
them: each failure is recorded under every key the caller knows (the browser session,
the client address, the conversation), and a lookup is refused while any key has used
up its failures within the window. Keys are hashed by the caller; nothing here sees a
raw address.

A signed-in site session (a customer's or a staff member's) is valid only while its row
exists and has not expired: sign-out deletes it, so a cookie saved before ``/logout`` or
``/staff/logout`` no longer signs anyone in; staff sessions also expire when idle
(:func:`renew_site_session`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from kefu.shop.db import session_scope
from kefu.shop.models import LookupFailure, SiteSession
from kefu.shop.queries.common import guarded

MAX_KEY_CHARS = 80
RENEW_EVERY_S = 60  # an active session's expiry is moved at most this often


@dataclass(frozen=True)
class LookupLimit:
    """How many failures a kind of key may have within ``window`` seconds."""

    max_failures: int
    window: float


# a browser session or a conversation: the three tries the bot promises; an address
# (several people behind one NAT) gets more, but still far too few to guess contacts
LIMITS: dict[str, LookupLimit] = {
    "session": LookupLimit(3, 3600.0),
    "conversation": LookupLimit(3, 3600.0),
    "ip": LookupLimit(10, 3600.0),
}
DEFAULT_LIMIT = LookupLimit(3, 3600.0)


def _limit(key: str) -> LookupLimit:
    return LIMITS.get(key.partition(":")[0], DEFAULT_LIMIT)


def _valid_keys(keys: Iterable[str]) -> list[str]:
    return sorted({k for k in keys if isinstance(k, str) and 0 < len(k) <= MAX_KEY_CHARS})


@guarded
def record_lookup_failure(
    keys: Iterable[str], *, now: datetime | None = None, url: str | None = None
) -> None:
    """Record one failed lookup under each of ``keys`` (and prune expired rows)."""
    now = now or datetime.utcnow()
    valid = _valid_keys(keys)
    if not valid:
        return
    oldest = now - timedelta(seconds=max(limit.window for limit in LIMITS.values()))
    with session_scope(url) as s:
        s.execute(delete(LookupFailure).where(LookupFailure.failed_at < oldest))
        s.add_all(LookupFailure(key=k, failed_at=now) for k in valid)


@guarded
def lookup_locked(
    keys: Iterable[str], *, now: datetime | None = None, url: str | None = None
) -> bool:
    """Whether any of ``keys`` has used up its failed lookups within its window."""
    now = now or datetime.utcnow()
    valid = _valid_keys(keys)
    if not valid:
        return False
    with session_scope(url) as s:
        for key in valid:
            limit = _limit(key)
            since = now - timedelta(seconds=limit.window)
            count = s.execute(
                select(func.count())
                .select_from(LookupFailure)
                .where(LookupFailure.key == key, LookupFailure.failed_at >= since)
            ).scalar_one()
            if count >= limit.max_failures:
                return True
    return False


@guarded
def open_site_session(
    session_id: str,
    customer_id: str | None,
    max_age: float,
    *,
    now: datetime | None = None,
    url: str | None = None,
) -> None:
    """Register a signed-in session (valid ``max_age`` seconds or until closed)."""
    now = now or datetime.utcnow()
    with session_scope(url) as s:
        s.execute(delete(SiteSession).where(SiteSession.expires_at < now))
        s.merge(
            SiteSession(
                id=session_id,
                customer_id=customer_id,
                created_at=now,
                expires_at=now + timedelta(seconds=max_age),
            )
        )


@guarded
def site_session_active(
    session_id: str, *, now: datetime | None = None, url: str | None = None
) -> bool:
    """Whether ``session_id`` was opened, is not closed and has not expired."""
    if not isinstance(session_id, str) or not session_id or len(session_id) > 64:
        return False
    now = now or datetime.utcnow()
    with session_scope(url) as s:
        row = s.get(SiteSession, session_id)
        return row is not None and row.expires_at >= now


@guarded
def renew_site_session(
    session_id: str,
    idle: float,
    absolute: float,
    *,
    now: datetime | None = None,
    url: str | None = None,
) -> bool:
    """Whether ``session_id`` is active; when it is, it stays so ``idle`` seconds more, but
    never past ``absolute`` seconds after it was opened (an idle and an absolute timeout).
    The new expiry is written at most once a minute."""
    if not isinstance(session_id, str) or not session_id or len(session_id) > 64:
        return False
    now = now or datetime.utcnow()
    with session_scope(url) as s:
        row = s.get(SiteSession, session_id)
        if row is None or row.expires_at < now:
            return False
        until = min(now + timedelta(seconds=idle), row.created_at + timedelta(seconds=absolute))
        if until - row.expires_at > timedelta(seconds=RENEW_EVERY_S):
            row.expires_at = until
        return True


@guarded
def close_site_session(session_id: str, *, url: str | None = None) -> None:
    """Revoke ``session_id`` (sign-out): its cookie stops working at once."""
    with session_scope(url) as s:
        s.execute(delete(SiteSession).where(SiteSession.id == session_id))
