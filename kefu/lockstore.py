"""A Redis lock store that is safe across several Rasa processes.

Rasa keeps one ticket lock per conversation: each message takes a ticket and waits until
its number is the lowest one still valid, so a conversation's messages are handled one
at a time, in the order they arrived. Rasa's own ``RedisLockStore`` keeps the whole lock
as one JSON value and changes it by read, modify in Python, write back: two processes
that issue a ticket at the same moment can both read the same lock, hand out the same
number and each write back a lock without the other's ticket (rasa#9213; the fix was
reverted from the open-source edition, rasa#11428). Releasing a ticket has the same race.

Here every change is one atomic Redis step:

* ``{prefix}seq:{id}``: the conversation's ticket counter, taken with ``INCR``;
* ``{prefix}tickets:{id}``: a sorted set of the valid tickets, member = ticket number,
  score = expiry time (Redis' own clock, the same for every process).

Issuing (``INCR`` + ``ZADD``) and releasing (``ZREM``, and the counter deleted when no
ticket is left) are Lua scripts, so no other process sees a half-done change. When Redis
cannot be reached, the message fails with an error (the REST channel answers 503):
a message is never handled without the lock.

``bot/endpoints.yml`` names it ``type: kefu.lockstore.AtomicRedisLockStore`` when
``KEFU_REDIS_URL`` is set (same keys as Rasa's ``redis`` store: url, port, db, password,
key_prefix).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

logger = logging.getLogger(__name__)

DEFAULT_SOCKET_TIMEOUT = 5.0
# how often a waiting message looks whether its turn has come (Rasa's default: 1 s)
POLL_SECONDS = 0.05

# KEYS: seq, tickets; ARGV: lifetime in ms. Returns the new ticket number.
_ISSUE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now_ms)
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], now_ms + tonumber(ARGV[1]), number)
-- keys live as long as their longest ticket (twice over), never shorter
local keep = tonumber(ARGV[1]) * 2
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < keep then redis.call('PEXPIRE', key, keep) end
end
return number
"""

# KEYS: seq, tickets. Returns the valid tickets as [number, expiry ms, ...].
_VALID = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now_ms)
return redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
"""

# KEYS: seq, tickets; ARGV: ticket number. Releases it; the counter goes with the last.
_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
return 1
"""


class AtomicRedisLockStore(LockStore):
    """Rasa's ticket lock kept in Redis, every change atomic (see the module docstring).

    Args:
        endpoint_config: the ``lock_store`` section of ``endpoints.yml`` (``url`` is the
            Redis host; ``port``, ``db``, ``password``, ``key_prefix``, ``socket_timeout``).
        client: a ready Redis client instead (tests).
    """

    def __init__(self, endpoint_config: Any = None, client: Any = None) -> None:
        import redis  # type: ignore[import-untyped]

        kwargs: dict[str, Any] = dict(getattr(endpoint_config, "kwargs", None) or {})
        if client is None:
            client = redis.Redis(
                host=getattr(endpoint_config, "url", None) or "localhost",
                port=int(kwargs.get("port") or 6379),
                db=int(kwargs.get("db") or 1),
                password=kwargs.get("password") or None,
                socket_timeout=float(kwargs.get("socket_timeout") or DEFAULT_SOCKET_TIMEOUT),
                socket_connect_timeout=DEFAULT_SOCKET_TIMEOUT,
            )
        self.red = client
        prefix = str(kwargs.get("key_prefix") or "")
        self.key_prefix = (prefix + ":" if prefix.isalnum() else "") + "lock:"
        self._issue = self.red.register_script(_ISSUE)
        self._valid = self.red.register_script(_VALID)
        self._release = self.red.register_script(_RELEASE)
        super().__init__()

    def _keys(self, conversation_id: str) -> list[str]:
        return [
            f"{self.key_prefix}seq:{conversation_id}",
            f"{self.key_prefix}tickets:{conversation_id}",
        ]

    # --- the atomic steps ---------------------------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket for ``conversation_id``, valid ``lock_lifetime`` seconds.

        Raises:
            LockError: when Redis cannot be reached (the message must not go on).
        """
        try:
            ms = max(1, int(lock_lifetime * 1000))
            return int(self._issue(keys=self._keys(conversation_id), args=[ms]))
        except Exception as exc:  # noqa: BLE001 - any Redis failure refuses the message
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's valid tickets, lowest number first (``None``: no ticket)."""
        flat = self._valid(keys=self._keys(conversation_id))
        if not flat:
            return None
        tickets = sorted(
            (Ticket(int(number), float(expires) / 1000.0) for number, expires in _pairs(flat)),
            key=lambda t: t.number,
        )
        return TicketLock(conversation_id, deque(tickets))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Release ``ticket_number`` (the counter is deleted with the last ticket)."""
        self._release(keys=self._keys(conversation_id), args=[int(ticket_number)])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Release the ticket; nothing else to delete (the release does it atomically)."""
        self.finish_serving(conversation_id, ticket_number)

    def update_lock(self, conversation_id: str) -> None:
        """Expired tickets are dropped by every read (:meth:`get_lock`)."""

    def delete_lock(self, conversation_id: str) -> None:
        """Delete every ticket of the conversation."""
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the conversation's tickets with those of ``lock`` (one transaction).

        Rasa's message path never calls it here (every change above is atomic); kept
        for callers of the generic ``LockStore`` interface.
        """
        seq, tickets = self._keys(lock.conversation_id)
        pipe = self.red.pipeline(transaction=True)
        pipe.delete(tickets)
        if lock.tickets:
            pipe.zadd(tickets, {str(t.number): t.expires * 1000.0 for t in lock.tickets})
            pipe.set(seq, max(t.number for t in lock.tickets))
        pipe.execute()

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        # Rasa's loop, polling every POLL_SECONDS instead of every second
        return await super()._acquire_lock(
            conversation_id, ticket, min(wait_time_in_seconds, POLL_SECONDS)
        )

    def ping(self) -> None:
        """Raise when Redis cannot be reached."""
        self.red.ping()


def _pairs(flat: list[Any]) -> list[tuple[Any, Any]]:
    """``ZRANGE ... WITHSCORES`` answers from a script: ``[member, score, member, ...]``."""
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)]


__all__ = ["POLL_SECONDS", "AtomicRedisLockStore"]
