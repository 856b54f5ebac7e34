"""The GIL and a server whose event loop shares the process with worker threads.

kefu's servers answer on one asyncio event loop and run blocking work (database queries,
model calls) on worker threads. A thread that holds CPython's GIL keeps it until the
*switch interval* has passed (5 ms by default) before the event loop's thread gets a turn,
and a request that needs several such hand-overs waits several times 5 ms while the
processor is idle (the hand-off benchmark's tails: waits, not work). A shorter interval
hands the GIL over sooner; the extra switches cost microseconds each.
"""

from __future__ import annotations

import sys

# seconds a thread keeps the GIL while another waits for it (CPython's default: 0.005)
SWITCH_INTERVAL_S = 0.0005


def favour_the_event_loop(interval_s: float = SWITCH_INTERVAL_S) -> float:
    """Set the interpreter's GIL switch interval for a server; the previous one.

    Raises:
        ValueError: ``interval_s`` is not a positive number of seconds.
    """
    if (
        isinstance(interval_s, bool)
        or not isinstance(interval_s, int | float)
        or not interval_s > 0
    ):
        raise ValueError(
            f"the switch interval must be a positive number of seconds: {interval_s!r}"
        )
    previous = sys.getswitchinterval()
    sys.setswitchinterval(float(interval_s))
    return previous


__all__ = ["SWITCH_INTERVAL_S", "favour_the_event_loop"]
