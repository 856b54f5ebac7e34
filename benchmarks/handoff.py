"""Live hand-off benchmark: 50 handed-off conversations, 5 agents, everything on loopback.

The real action server, Rasa server (HTTP API on) and site run as child processes over a
fresh demo shop and SQLite tracker store. 50 customers ask for a human at once (their
widgets connected to ``/widget``); 5 agents (socket clients on ``/agent``) are signed in.
Measured:

- ``new_handoff_to_console``: from the start of the customer's accepting message to the
  ``ticket`` event at every agent's socket (this includes the bot's turn), and the same
  event relative to the moment the customer got the bot's answer;
- ``burst``: every agent message to all 50 customers at once, then every customer message
  at once, ``--rounds`` times: ``agent_to_customer`` (the agent's ``POST .../messages`` to
  the ``message`` event at the customer's socket) and ``customer_to_agent`` (the customer's
  ``POST /chat/message`` to the ``message`` event at the watching agent's socket); the
  site pushes first and writes to the tracker right after (:mod:`web.outbox`);
- ``one_at_a_time``: 20 messages each way, one after the other (no queue in front);
- CPU milliseconds per message of each server process (and of this client), the load
  average sampled every second, and the site's own stage times (``KEFU_STAGE_LOG=1``);
- lost and duplicated messages, counted against the tracker store once the outbox has
  written everything (agent replies as bot events with ``metadata.agent``, customer
  messages as user events), and at the sockets.

The sockets use long-polling: python-engineio's websocket client needs aiohttp 3.10,
newer than Rasa 3.6 allows (browsers use websockets). Prints JSON;
``python -m benchmarks.handoff [--rounds N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CUSTOMERS = int(os.environ.get("KEFU_BENCH_CUSTOMERS") or 50)
AGENTS = 5
ROUNDS = 3
SEQUENTIAL = 20
PASSWORD = "bench-agent-pass"
START_TIMEOUT = 300


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 1)


def _summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50_ms": _pct(values, 50),
        "p99_ms": _pct(values, 99),
        "mean_ms": round(statistics.fmean(values), 1) if values else None,
    }


class Client:
    """A socket.io client that timestamps every event it receives (waiters are woken by
    the event itself: no polling loop competes with the sockets for the CPU)."""

    def __init__(self) -> None:
        import socketio

        # a loaded machine can hold a polling request past engine.io's 5 s: wait longer,
        # reconnect (and watch the tickets again) rather than die
        self.sio = socketio.AsyncClient(reconnection=True, request_timeout=30)
        self.watching: list[int] = []
        self.events: list[tuple[float, str, Any]] = []
        self.waiters: list[tuple[str, Any, asyncio.Future[float]]] = []
        self.disconnects = 0

        @self.sio.on("*", namespace="*")
        async def _any(event: str, _namespace: str, data: Any = None) -> None:
            at = time.perf_counter()
            self.events.append((at, event, data))
            for waiter in list(self.waiters):
                name, match, future = waiter
                if name == event and not future.done() and match(data):
                    future.set_result(at)
                    self.waiters.remove(waiter)

        @self.sio.on("connect", namespace="*")
        async def _back(*_args: Any) -> None:
            for ticket_id in self.watching:
                await self.sio.emit("watch", {"ticket_id": ticket_id}, namespace="/agent")

        @self.sio.on("disconnect", namespace="*")
        async def _gone(*_args: Any) -> None:
            self.disconnects += 1
            if os.environ.get("KEFU_BENCH_DEBUG"):
                print("disconnected", time.strftime("%H:%M:%S"), _args, file=sys.stderr)

    async def watch(self, ticket_id: int) -> None:
        self.watching.append(ticket_id)
        await self.sio.emit("watch", {"ticket_id": ticket_id}, namespace="/agent")

    async def connect(self, url: str, namespace: str, cookies: dict[str, str]) -> None:
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        await self.sio.connect(
            url,
            namespaces=[namespace],
            transports=["polling"],
            headers={"Cookie": header},
            wait_timeout=60,
        )
        self.namespace = namespace

    async def wait(self, event: str, match: Any, timeout: float = 60) -> float:
        for at, name, data in self.events:
            if name == event and match(data):
                return at
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        waiter = (event, match, future)
        self.waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no {event} event in {timeout}s") from None
        finally:
            if waiter in self.waiters:
                self.waiters.remove(waiter)


def _browser() -> Any:
    import requests

    s = requests.Session()
    s.headers["Sec-Fetch-Site"] = "same-origin"  # what browsers send (the CSRF check)
    return s


def _post(session: Any, url: str, body: dict[str, Any]) -> Any:
    r = session.post(url, json=body, timeout=120)
    r.raise_for_status()
    return r.json()


def _cpu_s(groups: dict[str, int]) -> dict[str, float]:
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


def _cpu_per_message(before: dict[str, float], after: dict[str, float], n: int) -> dict:
    per = {k: round((after[k] - before[k]) * 1000 / n, 2) for k in before}
    return {"ms_per_message": per, "messages": n}


async def _loads(samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(os.getloadavg()[0])
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


def _load_summary(samples: list[float]) -> dict[str, float | None]:
    if not samples:
        return {"min": None, "mean": None, "max": None}
    return {
        "min": round(min(samples), 2),
        "mean": round(statistics.fmean(samples), 2),
        "max": round(max(samples), 2),
    }


def _stages(log: Path, burst: int) -> dict[str, Any]:
    """Per-stage times the site logged (``KEFU_STAGE_LOG=1``): the first ``burst`` of each
    path were the bursts, the rest one at a time."""
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
    for path, found in rows.items():
        for phase, part in (("burst", found[:burst]), ("one_at_a_time", found[burst:])):
            for k, name in enumerate(names[path]):
                out.setdefault(phase, {})[f"{path}.{name}"] = _summary([r[k] for r in part])
    return out


async def _scenario(
    site: str, rasa_url: str, token: str, rounds: int, groups: dict[str, int]
) -> dict[str, Any]:
    import aiohttp

    from kefu.support.staff import add_account

    http = aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(),
        connector=aiohttp.TCPConnector(limit=0, force_close=True),  # no stale keep-alives
        timeout=aiohttp.ClientTimeout(total=120),
    )

    def cookie(s: Any) -> str:
        return "; ".join(f"{k}={v}" for k, v in s.cookies.get_dict().items())

    async def post(s: Any, path: str, body: dict[str, Any]) -> Any:
        headers = {"Cookie": cookie(s), "Sec-Fetch-Site": "same-origin"}
        async with http.post(f"{site}{path}", json=body, headers=headers) as r:
            r.raise_for_status()
            return await r.json()

    agents = []
    for i in range(AGENTS):
        add_account(f"agent{i}@bench.local", f"Agent {i}", "agent", PASSWORD)
        s = _browser()
        r = s.post(
            f"{site}/staff/login",
            data={"email": f"agent{i}@bench.local", "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 303, r.text
        client = Client()
        await client.connect(site, "/agent", s.cookies.get_dict())
        agents.append((s, client))
    customers = []
    for i in range(CUSTOMERS):
        s = _browser()
        s.get(f"{site}/lang/{'en' if i % 2 else 'zh'}", timeout=30)
        s.get(f"{site}/", timeout=30)
        # the first message marks the session as having chatted (a new cookie), one by one
        await asyncio.to_thread(_post, s, f"{site}/chat/message", {"message": "转人工"})
        client = Client()
        await client.connect(site, "/widget", s.cookies.get_dict())
        customers.append((s, client))

    async def ask(i: int) -> dict[str, Any]:
        s, _ = customers[i]
        start = time.perf_counter()
        answer = await post(s, "/chat/message", {"message": "/affirm"})
        return {"start": start, "answered": time.perf_counter(), "handoff": answer["handoff"]}

    asked = await asyncio.gather(*(ask(i) for i in range(CUSTOMERS)))
    to_console, after_answer = [], []
    for a in asked:
        ticket_id = a["handoff"]["ticket_id"]
        for _, client in agents:
            at = await client.wait("ticket", lambda t, tid=ticket_id: t["ticket_id"] == tid)
            to_console.append((at - a["start"]) * 1000)
            after_answer.append((at - a["answered"]) * 1000)
    # each agent claims and watches 10 conversations
    owner: dict[int, int] = {}
    convs: dict[int, str] = {}
    for i, a in enumerate(asked):
        ticket_id = a["handoff"]["ticket_id"]
        k = i % AGENTS
        s, client = agents[k]
        claimed = await post(s, f"/agent/api/conversations/{ticket_id}/claim", {})
        convs[i] = claimed["conversation_id"]
        await client.watch(ticket_id)
        owner[i] = k
    await asyncio.sleep(2.0)

    lat: dict[str, list[float]] = {k: [] for k in ("agent", "customer", "agent_1", "customer_1")}
    answered: dict[str, list[float]] = {k: [] for k in lat}

    async def agent_says(i: int, tag: str, kind: str = "agent") -> None:
        s, _ = agents[owner[i]]
        ticket_id = asked[i]["handoff"]["ticket_id"]
        text = f"agent-{i}-{tag}"
        start = time.perf_counter()
        await post(s, f"/agent/api/conversations/{ticket_id}/messages", {"text": text})
        answered[kind].append((time.perf_counter() - start) * 1000)
        try:
            at = await customers[i][1].wait(
                "message", lambda m: m.get("text") == text, 60 if kind == "agent" else 15
            )
        except TimeoutError:
            missing.append(text)
            return
        lat[kind].append((at - start) * 1000)

    async def customer_says(i: int, tag: str, kind: str = "customer") -> None:
        s, _ = customers[i]
        text = f"customer-{i}-{tag}"
        start = time.perf_counter()
        await post(s, "/chat/message", {"message": text})
        answered[kind].append((time.perf_counter() - start) * 1000)
        client = agents[owner[i]][1]
        try:
            at = await client.wait(
                "message", lambda m: m.get("text") == text, 60 if kind == "customer" else 15
            )
        except TimeoutError:
            missing.append(text)
            return
        lat[kind].append((at - start) * 1000)

    missing: list[str] = []  # never pushed to the socket within a minute
    sent: list[str] = []  # (every text that must be in the tracker once)
    loads: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(_loads(loads, stop))
    cpu0 = _cpu_s(groups)
    wall = time.perf_counter()
    for round_no in range(rounds):
        await asyncio.gather(*(agent_says(i, str(round_no)) for i in range(CUSTOMERS)))
        await asyncio.gather(*(customer_says(i, str(round_no)) for i in range(CUSTOMERS)))
        sent += [f"{who}-{i}-{round_no}" for i in range(CUSTOMERS) for who in ("agent", "customer")]
    wall = time.perf_counter() - wall
    cpu1 = _cpu_s(groups)
    burst_loads = list(loads)
    # one message at a time: what a message costs without 49 others in the queue
    for i in range(min(SEQUENTIAL, CUSTOMERS)):
        await agent_says(i, "one", "agent_1")
        await asyncio.sleep(0.05)
        await customer_says(i, "one", "customer_1")
        await asyncio.sleep(0.05)
        sent += [f"agent-{i}-one", f"customer-{i}-one"]
    cpu2 = _cpu_s(groups)
    stop.set()
    await sampler

    # count against the tracker store, once the outboxes have written everything
    done_at = time.perf_counter()
    deadline = done_at + 180
    lost = duplicated = socket_dupes = 0
    for i, (_s, client) in enumerate(customers):
        conv = convs[i]
        url = f"{rasa_url}/conversations/{conv}/tracker?include_events=ALL&token={token}"
        mine = [t for t in sent if f"-{i}-" in t]
        while True:
            with urllib.request.urlopen(url, timeout=60) as resp:
                events = json.loads(resp.read())["events"]
            texts = [e.get("text") for e in events if e.get("event") in ("user", "bot")]
            if all(t in texts for t in mine) or time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.2)
        for text in mine:
            n = texts.count(text)
            lost += n == 0
            duplicated += max(0, n - 1)
        ids = [d["id"] for _, e, d in client.events if e == "message"]
        socket_dupes += len(ids) - len(set(ids))
    in_tracker_after = time.perf_counter() - done_at
    dropped = sum(c.disconnects for _, c in customers + agents)
    await asyncio.gather(*(client.sio.disconnect() for _, client in customers + agents))
    await http.close()
    n_burst = CUSTOMERS * rounds * 2
    return {
        "new_handoff_to_console": {
            "from_accepting_message": _summary(to_console),
            "relative_to_customer_answer": _summary(after_answer),
        },
        "burst": {
            "agent_to_customer": _summary(lat["agent"]),
            "customer_to_agent": _summary(lat["customer"]),
            "http_answer": {
                "agent_post": _summary(answered["agent"]),
                "customer_post": _summary(answered["customer"]),
            },
            "load_average_1m": _load_summary(burst_loads),
            "cpu": _cpu_per_message(cpu0, cpu1, n_burst),
            "wall_s": round(wall, 1),
        },
        "one_at_a_time": {
            "agent_to_customer": _summary(lat["agent_1"]),
            "customer_to_agent": _summary(lat["customer_1"]),
            "cpu": _cpu_per_message(cpu1, cpu2, min(SEQUENTIAL, CUSTOMERS) * 2),
        },
        "load_average_1m": _load_summary(loads),
        "messages": {
            "sent": len(sent),
            "lost_in_tracker": lost,
            "duplicated_in_tracker": duplicated,
            "duplicated_at_widget_sockets": socket_dupes,
            "not_pushed_within_60s": missing[:20],
            "socket_drops_before_the_end": dropped,
            "all_in_tracker_after_s": round(in_tracker_after, 2),
        },
    }


def run(rounds: int = ROUNDS) -> dict[str, Any]:
    """Start the servers, play the scenario, stop everything; the figures as a dict."""
    work = Path(tempfile.mkdtemp(prefix="kefu-bench-handoff-"))
    saved = dict(os.environ)
    token = secrets.token_urlsafe(24)
    load_start = round(os.getloadavg()[0], 2)
    try:
        var = work / "var"
        os.environ.update(
            {
                "KEFU_VAR_DIR": str(var),
                "KEFU_DATABASE_URL": f"sqlite:///{var / 'shop.db'}",
                "KEFU_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
                "KEFU_TOKEN_SECRET": secrets.token_hex(16),
                "KEFU_STAFF_PASSWORD": secrets.token_urlsafe(12),
                "KEFU_RASA_TOKEN": token,
                "KEFU_STAGE_LOG": "1",
                # 50 customers share one loopback address: no per-address chat limit
                "KEFU_CHAT_RATE": "100000",
                "RASA_TELEMETRY_ENABLED": "false",
            }
        )
        for name in ("KEFU_REDIS_URL", "KEFU_SUPPORT_HOURS"):
            os.environ.pop(name, None)
        from kefu.bot import rasa_env, train_bot
        from kefu.commands.processes import Service, Supervisor, free_port
        from kefu.commands.run import actions_service, api_env, rasa_argv
        from kefu.settings import ROOT
        from kefu.shop.demo import build_demo

        build_demo(os.environ["KEFU_DATABASE_URL"], progress=False)
        cache = Path(saved.get("KEFU_VAR_DIR") or ROOT / "var") / "bench" / "handoff-bot"
        model = train_bot(out_dir=cache)  # trained once, reused while the bot is unchanged
        env = dict(os.environ)
        supervisor = Supervisor()
        try:
            actions_port, rasa_port, site_port = free_port(), free_port(), free_port()
            actions = supervisor.start(actions_service(actions_port, var / "actions.log", env))
            if not supervisor.wait_ready(actions, START_TIMEOUT):
                raise RuntimeError(actions.log_tail())
            renv = {
                **env,
                **rasa_env(f"http://127.0.0.1:{actions_port}/webhook", base=env),
                **api_env(token),
            }
            rasa = supervisor.start(
                Service(
                    "rasa",
                    rasa_argv(model, rasa_port),
                    f"http://127.0.0.1:{rasa_port}/status?token={token}",
                    var / "rasa.log",
                    renv,
                )
            )
            if not supervisor.wait_ready(rasa, START_TIMEOUT):
                raise RuntimeError(rasa.log_tail())
            rasa_url = f"http://127.0.0.1:{rasa_port}"
            site = supervisor.start(
                Service(
                    "site",
                    [sys.executable, "-m", "web", "--port", str(site_port)],
                    f"http://127.0.0.1:{site_port}/healthz",
                    var / "web.log",
                    {**env, "KEFU_RASA_URL": rasa_url},
                )
            )
            if not supervisor.wait_ready(site, START_TIMEOUT):
                raise RuntimeError(site.log_tail())
            groups = {s.name: s.process.pid for s in (actions, rasa, site) if s.process is not None}
            figures = asyncio.run(
                _scenario(f"http://127.0.0.1:{site_port}", rasa_url, token, rounds, groups)
            )
            figures["site_stages_ms"] = _stages(var / "web.log", rounds * CUSTOMERS)
        finally:
            supervisor.stop_all()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if os.environ.get("KEFU_BENCH_KEEP") == "1":
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return {
        "benchmark": "handoff",
        "customers": CUSTOMERS,
        "agents": AGENTS,
        "rounds": rounds,
        "transport": "long-polling (python client); site, Rasa, actions on loopback",
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average_1m": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
        },
        **figures,
        "targets": {
            "p99_under_100ms": {
                "agent_to_customer": (figures["burst"]["agent_to_customer"]["p99_ms"] or 1e9) < 100,
                "customer_to_agent": (figures["burst"]["customer_to_agent"]["p99_ms"] or 1e9) < 100,
            },
            "nothing_lost_or_duplicated": not (
                figures["messages"]["lost_in_tracker"]
                or figures["messages"]["duplicated_in_tracker"]
                or figures["messages"]["duplicated_at_widget_sockets"]
                or figures["messages"]["not_pushed_within_60s"]
            ),
        },
    }


def main() -> None:
    """Print the benchmark's JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.handoff", description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="messages each way per chat")
    args = parser.parse_args()
    print(json.dumps(run(args.rounds), indent=2))


if __name__ == "__main__":
    main()
