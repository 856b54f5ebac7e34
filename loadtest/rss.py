"""Resident memory of kefu's servers, read from ``/proc`` (Linux; no psutil needed).

:class:`Sampler` samples, every ``every`` seconds in a thread, the RSS of each child of a
``kefu run`` process (the action server, the Rasa server, the site), each with its own
children, named by what they run.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PAGE = 4096
NAMES = (("-m kefu.rasa_main", "rasa"), ("-m actions.server", "actions"), ("-m web", "site"))


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(stat.parent.name))
    return out


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _tree(pid: int, children: dict[int, list[int]]) -> list[int]:
    out, todo = [], [pid]
    while todo:
        here = todo.pop()
        out.append(here)
        todo.extend(children.get(here, []))
    return out


def name_of(pid: int) -> str:
    """``rasa``, ``actions`` or ``site`` from a process's command line (else its pid)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return str(pid)
    return next((name for key, name in NAMES if key in cmd), str(pid))


def servers_rss(parent: int) -> dict[str, int]:
    """RSS in bytes of each server started by ``parent``, its own children included."""
    children = _children()
    return {
        name_of(pid): sum(_rss(p) for p in _tree(pid, children)) for pid in children.get(parent, [])
    }


class Sampler:
    """Samples :func:`servers_rss` (in MB) and the load average every ``every`` seconds
    until stopped (``parent`` ``None``: the load average only)."""

    def __init__(self, parent: int | None, every: float) -> None:
        self.parent, self.every = parent, every
        self.samples: list[dict[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = time.monotonic()

    def _run(self) -> None:
        while True:
            rss = servers_rss(self.parent) if self.parent else {}
            sample = {"t": round(time.monotonic() - self._start, 1)}
            sample.update({k: round(v / 2**20, 1) for k, v in rss.items()})
            sample["load1"] = round(os.getloadavg()[0], 2)
            self.samples.append(sample)
            if self._stop.wait(self.every):
                return

    def start(self) -> Sampler:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> list[dict[str, float]]:
        self._stop.set()
        self._thread.join()
        return self.samples


def growth(samples: list[dict[str, float]], window: float) -> dict[str, float]:
    """Per server, the RSS growth in percent over the last ``window`` seconds (from the
    first sample at or after its start to the last sample)."""
    if not samples:
        return {}
    end = samples[-1]
    start = next(s for s in samples if s["t"] >= end["t"] - window)
    return {
        k: round(100.0 * (end[k] - start[k]) / start[k], 1)
        for k in end
        if k not in ("t", "load1") and start.get(k)
    }
