"""The garbage collector and a long-running server's start-up heap.

A server holds hundreds of thousands of objects once it has started (its libraries, models,
lexicons, compiled templates), and all of them live until it stops. Each full collection
of CPython's garbage collector walks every one of them: 0.1-0.25 s during which the event
loop answers nobody, a few times a minute under load (the tail of every latency figure).
Frozen (``gc.freeze``) they are never walked again; collections see only what requests
create.
"""

from __future__ import annotations

import gc
from typing import Any


def freeze_heap() -> int:
    """Collect, then move every object alive now out of the collector's sight.

    Returns:
        How many objects are frozen.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


async def freeze_after_start(_app: Any, _loop: Any) -> None:
    """A Sanic ``after_server_start`` listener: :func:`freeze_heap` once serving."""
    freeze_heap()


__all__ = ["freeze_after_start", "freeze_heap"]
