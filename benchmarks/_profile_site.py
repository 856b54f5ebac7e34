"""Serve the site (``python -m web`` and its arguments) under cProfile, every thread
profiled (the database calls run in the executor's threads); the merged statistics go to
``$KEFU_PROFILE_OUT`` when the site stops. Used by ``KEFU_BENCH_PROFILE`` in
:mod:`benchmarks.handoff`; profiled CPU is slower, so figures of such a run do not count.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import runpy
import sys
import threading
from typing import Any

_profiles: list[cProfile.Profile] = []


def _in_new_thread(*_args: Any) -> None:
    profile = cProfile.Profile()
    _profiles.append(profile)
    profile.enable()  # replaces this hook in the thread that just started


def main() -> None:
    """Run ``web`` as ``__main__`` under the profilers; dump the merged stats."""
    out = os.environ["KEFU_PROFILE_OUT"]
    threading.setprofile(_in_new_thread)
    main_profile = cProfile.Profile()
    main_profile.enable()
    sys.argv = ["web", *sys.argv[1:]]
    try:
        runpy.run_module("web", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        main_profile.disable()
        stats = pstats.Stats(main_profile)
        for profile in _profiles:
            try:
                stats.add(profile)
            except (TypeError, ValueError):  # a thread that never ran profiled code
                continue
        stats.dump_stats(out)


if __name__ == "__main__":
    main()
