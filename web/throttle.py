"""Slow down password guessing: a bounded, in-memory count of recent failures per key."""

from __future__ import annotations

import time
from collections import OrderedDict


class Throttle:
    """Block a key (a client address) after ``max_failures`` within ``window`` seconds.

    Args:
        max_failures: failures allowed in the window before the key is blocked.
        window: length of the window in seconds.
        max_keys: keys remembered at most; the oldest are forgotten first.
    """

    def __init__(self, max_failures: int = 10, window: float = 300.0, max_keys: int = 10_000):
        self.max_failures = max_failures
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def blocked(self, key: str) -> bool:
        """Whether ``key`` has used up its failures."""
        return len(self._recent(key, time.monotonic())) >= self.max_failures

    def failed(self, key: str) -> None:
        """Record one failure of ``key``."""
        now = time.monotonic()
        times = self._recent(key, now)
        times.append(now)
        self._failures[key] = times
        self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def reset(self, key: str) -> None:
        """Forget the failures of ``key`` (after a success)."""
        self._failures.pop(key, None)


class RateLimit:
    """At most ``limit`` events per key within ``window`` seconds (a sliding window).

    Args:
        limit: events allowed per key in the window.
        window: length of the window in seconds.
        max_keys: keys remembered at most; the least recently used are forgotten first.
    """

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 50_000):
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: OrderedDict[str, list[float]] = OrderedDict()

    def hit(self, key: str, now: float | None = None) -> float:
        """Count one event of ``key``; 0 when allowed, else the seconds to wait (refused
        events are not counted)."""
        now = time.monotonic() if now is None else now
        times = [t for t in self._events.get(key, []) if now - t < self.window]
        if len(times) >= self.limit:
            self._events[key] = times
            return max(times[0] + self.window - now, 0.001)
        times.append(now)
        self._events[key] = times
        self._events.move_to_end(key)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return 0.0
