"""The hand-off benchmark's clients and figures: socket.io clients that timestamp what they
receive, the HTTP posts, percentiles, CPU per process group, the load average."""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

TRANSPORTS = ("websocket", "polling")


def pct(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (nearest rank), rounded to 0.1."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 1)


def summary(values: list[float]) -> dict[str, Any]:
    """n, p50, p99, mean and the three worst of ``values`` (milliseconds)."""
    return {
        "n": len(values),
        "p50_ms": pct(values, 50),
        "p99_ms": pct(values, 99),
        "mean_ms": round(statistics.fmean(values), 1) if values else None,
        "worst_ms": [round(v, 1) for v in sorted(values, reverse=True)[:3]],
    }


def allow_websocket_client() -> None:
    """Let python-engineio's websocket client run on Rasa 3.6's aiohttp (3.9).

    engineio 4.15 builds its websocket timeout with ``aiohttp.ClientWSTimeout`` (aiohttp
    3.10); on 3.9 ``ws_connect`` takes the same close timeout as a number of seconds.
    """
    import aiohttp

    if not hasattr(aiohttp, "ClientWSTimeout"):

        def close_timeout(ws_close: float = 10.0, ws_receive: float | None = None) -> float:
            return ws_close

        aiohttp.ClientWSTimeout = close_timeout


class _Counter(logging.Handler):
    """Counts the engine.io client's warnings (why a polling transport gave up)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.seen[message.split(" to http", 1)[0][:120]] += 1


ENGINEIO_WARNINGS = _Counter()
_engineio_log = logging.getLogger("bench.engineio")
_engineio_log.setLevel(logging.WARNING)
_engineio_log.addHandler(ENGINEIO_WARNINGS)
_engineio_log.propagate = False


class Client:
    """A socket.io client that timestamps the first arrival of every message text and
    ticket id (waiters are woken by the event itself: no polling loop, no scan)."""

    def __init__(self, transport: str = "websocket") -> None:
        import socketio

        if transport == "websocket":
            allow_websocket_client()
        elif os.environ.get("KEFU_BENCH_EIO_MAX_PACKETS"):
            # python-engineio's polling client refuses a long-poll answer of more than 16
            # packets ("Unexpected packet from server": a transport error); browsers do not
            from engineio.payload import Payload

            Payload.max_decode_packets = int(os.environ["KEFU_BENCH_EIO_MAX_PACKETS"])
        self.transport = transport
        # a loaded machine can hold a request past engine.io's 5 s: wait longer,
        # reconnect (and watch the tickets again) rather than die
        self.sio = socketio.AsyncClient(
            reconnection=True, request_timeout=30, engineio_logger=_engineio_log
        )
        self.watching: list[int] = []
        self.first: dict[tuple[str, Any], float] = {}
        self.waiters: dict[tuple[str, Any], asyncio.Future[float]] = {}
        self.message_ids: list[str] = []
        self.disconnects: collections.Counter[str] = collections.Counter()

        @self.sio.on("*", namespace="*")
        async def _any(event: str, _namespace: str, data: Any = None) -> None:
            at = time.perf_counter()
            if not isinstance(data, dict):
                return
            if event == "message":
                key: tuple[str, Any] = ("message", data.get("text"))
                if isinstance(data.get("id"), str):
                    self.message_ids.append(data["id"])
            elif event == "ticket":
                key = ("ticket", data.get("ticket_id"))
            else:
                return
            if key not in self.first:
                self.first[key] = at
                future = self.waiters.pop(key, None)
                if future is not None and not future.done():
                    future.set_result(at)

        @self.sio.on("connect", namespace="*")
        async def _back(*_args: Any) -> None:
            for ticket_id in self.watching:
                await self.sio.emit("watch", {"ticket_id": ticket_id}, namespace="/agent")

        @self.sio.on("disconnect", namespace="*")
        async def _gone(*args: Any) -> None:
            reason = str(args[-1]) if len(args) > 1 else "unknown"
            self.disconnects[reason] += 1
            if os.environ.get("KEFU_BENCH_DEBUG"):
                print("disconnected", time.strftime("%H:%M:%S"), args, file=sys.stderr)

    async def connect(self, url: str, namespace: str, cookies: dict[str, str]) -> None:
        """Connect to ``namespace`` with the browser's cookies."""
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        await self.sio.connect(
            url,
            namespaces=[namespace],
            transports=[self.transport],
            headers={"Cookie": header},
            wait_timeout=60,
        )

    async def watch(self, ticket_id: int) -> None:
        """Join the ticket's room (again after every reconnect)."""
        self.watching.append(ticket_id)
        await self.sio.emit("watch", {"ticket_id": ticket_id}, namespace="/agent")

    async def wait(self, event: str, key: Any, timeout: float = 60) -> float:
        """When the first ``message`` with text ``key`` (or ``ticket`` with id ``key``)
        arrived; waits up to ``timeout`` seconds (:class:`TimeoutError`)."""
        found = self.first.get((event, key))
        if found is not None:
            return found
        future = self.waiters.get((event, key))
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self.waiters[(event, key)] = future
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no {event} {key!r} in {timeout}s") from None

    def dropped(self) -> int:
        """How many times the socket dropped."""
        return sum(self.disconnects.values())


def browser() -> Any:
    """A ``requests`` session that sends what browsers send (the CSRF check)."""
    import requests

    s = requests.Session()
    s.headers["Sec-Fetch-Site"] = "same-origin"
    return s


def post_blocking(session: Any, url: str, body: dict[str, Any]) -> Any:
    """POST JSON with a ``requests`` session; the decoded answer."""
    r = session.post(url, json=body, timeout=120)
    r.raise_for_status()
    return r.json()


class Poster:
    """Posts JSON as a browser's session (aiohttp: really concurrent)."""

    def __init__(self, site: str) -> None:
        import aiohttp

        self.site = site
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(),
            connector=aiohttp.TCPConnector(limit=0, force_close=True),  # no stale keep-alives
            timeout=aiohttp.ClientTimeout(total=120),
        )

    async def post(self, s: Any, path: str, body: dict[str, Any]) -> Any:
        """POST ``body`` to ``path`` with the cookies of ``s``; the decoded answer."""
        cookie = "; ".join(f"{k}={v}" for k, v in s.cookies.get_dict().items())
        headers = {"Cookie": cookie, "Sec-Fetch-Site": "same-origin"}
        async with self.http.post(f"{self.site}{path}", json=body, headers=headers) as r:
            r.raise_for_status()
            return await r.json()

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.http.close()


def cpu_s(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each named process group."""
    tick = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(groups, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        for name, pgrp in groups.items():
            if int(fields[2]) == pgrp:
                used[name] += (int(fields[11]) + int(fields[12])) / tick
    used["benchmark_client"] = time.process_time()
    return used


def cpu_per_message(before: dict[str, float], after: dict[str, float], n: int) -> dict:
    """CPU milliseconds per message of each process group between two :func:`cpu_s`."""
    per = {k: round((after[k] - before[k]) * 1000 / max(1, n), 2) for k in before}
    return {"ms_per_message": per, "messages": n}


async def sample_loads(samples: list[float], stop: asyncio.Event) -> None:
    """Append the 1-minute load average every second until ``stop``."""
    while not stop.is_set():
        samples.append(os.getloadavg()[0])
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


def load_summary(samples: list[float]) -> dict[str, float | None]:
    """min, mean and max of the load averages sampled."""
    if not samples:
        return {"min": None, "mean": None, "max": None}
    return {
        "min": round(min(samples), 2),
        "mean": round(statistics.fmean(samples), 2),
        "max": round(max(samples), 2),
    }


def stages(log: Path, phases: list[tuple[str, dict[str, int]]]) -> dict[str, Any]:
    """Per-stage times the site logged (``KEFU_STAGE_LOG=1``), split into consecutive
    ``phases``: (name, how many lines of each path it logged)."""
    rows: dict[str, list[list[float]]] = {}
    names: dict[str, list[str]] = {}
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    for line in lines:
        if "web.stages:" not in line:
            continue
        path, *pairs = line.split("web.stages:", 1)[1].split()
        rows.setdefault(path, []).append([float(p.partition("=")[2]) for p in pairs])
        names.setdefault(path, [p.partition("=")[0] for p in pairs])
    out: dict[str, Any] = {}
    start = dict.fromkeys(rows, 0)
    for phase, counts in phases:
        for path, found in rows.items():
            part = found[start[path] : start[path] + counts.get(path, 0)]
            start[path] += counts.get(path, 0)
            for k, name in enumerate(names[path]):
                out.setdefault(phase, {})[f"{path}.{name}"] = summary([r[k] for r in part])
    return out
