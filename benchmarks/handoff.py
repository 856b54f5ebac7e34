"""Live hand-off benchmark: 50 handed-off conversations, 5 agents, everything on loopback.

The real action server, Rasa server (HTTP API on) and site run as child processes over a
fresh demo shop and SQLite tracker store. 50 customers ask for a human (their widgets
connected to ``/widget``); 5 agents (socket clients on ``/agent``) are signed in and each
claims and watches 10 conversations. Measured, in this order:

- ``steady`` (the headline, :mod:`benchmarks._handoff_steady`): for ``--period`` seconds
  each agent answers their 10 conversations one after the other with a short think time,
  each customer writes after an exponential think time, and ``--new-handoffs`` more
  customers are handed off at random moments: ``agent_to_customer`` (the agent's
  ``POST .../messages`` to the ``message`` event at the customer's socket),
  ``customer_to_agent`` (the customer's ``POST /chat/message`` to the ``message`` event at
  the agent's socket) and ``new_handoff_to_console`` (the accepting message to the
  ``ticket`` event at every agent's socket; also from the customer's answer);
- ``stress``: the 50 hand-offs at once (setup), then every agent message to all 50
  customers at once and every customer message at once, ``--rounds`` times (no 5 people
  can do that: a queueing figure), then 20 messages each way one at a time;
- CPU milliseconds per message of each server process (and of this client), the load
  average sampled every second, and the site's own stage times (``KEFU_STAGE_LOG=1``);
- lost and duplicated messages, counted against the tracker store once the outbox has
  written everything (agent replies as bot events with ``metadata.agent``, customer
  messages as user events), and at the sockets; socket drops and their reasons.

The sockets use websockets, as browsers do (``--transport polling`` for long-polling).
The shop database is a fresh SQLite file, as with ``make run``; ``KEFU_BENCH_DATABASE_URL``
puts it on a server database instead (its tables are rebuilt with the demo shop).
Prints JSON; ``python -m benchmarks.handoff [--period S] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks._handoff_clients import (
    ENGINEIO_WARNINGS,
    TRANSPORTS,
    Client,
    Poster,
    browser,
    cpu_per_message,
    cpu_s,
    load_summary,
    post_blocking,
    sample_loads,
    stages,
    summary,
)
from benchmarks._handoff_steady import Cast, Pace, run_steady
from benchmarks._handoff_stress import stress_scenario

CUSTOMERS = int(os.environ.get("KEFU_BENCH_CUSTOMERS") or 50)
AGENTS = 5
ROUNDS = 3
PASSWORD = "bench-agent-pass"
START_TIMEOUT = 300


async def _customer(site: str, i: int, transport: str) -> tuple[Any, Client]:
    """A browser that asked for a human once (the bot offers; not accepted yet)."""
    s = browser()
    s.get(f"{site}/lang/{'en' if i % 2 else 'zh'}", timeout=30)
    s.get(f"{site}/", timeout=30)
    # the first message marks the session as having chatted (a new cookie), one by one
    await asyncio.to_thread(post_blocking, s, f"{site}/chat/message", {"message": "转人工"})
    client = Client(transport)
    await client.connect(site, "/widget", s.cookies.get_dict())
    return s, client


async def _cast(site: str, poster: Poster, pace: Pace, transport: str) -> tuple[Cast, dict]:
    """Sign the agents in, hand the customers off at once, claim 10 chats per agent."""
    from kefu.support.staff import add_account

    agents = []
    for i in range(AGENTS):
        add_account(f"agent{i}@bench.local", f"Agent {i}", "agent", PASSWORD)
        s = browser()
        r = s.post(
            f"{site}/staff/login",
            data={"email": f"agent{i}@bench.local", "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 303, r.text
        client = Client(transport)
        await client.connect(site, "/agent", s.cookies.get_dict())
        agents.append((s, client))
    customers = [await _customer(site, i, transport) for i in range(CUSTOMERS)]
    newcomers = [await _customer(site, CUSTOMERS + j, transport) for j in range(pace.new_handoffs)]

    async def ask(i: int) -> dict[str, Any]:
        start = time.perf_counter()
        answer = await poster.post(customers[i][0], "/chat/message", {"message": "/affirm"})
        return {"start": start, "answered": time.perf_counter(), "handoff": answer["handoff"]}

    asked = await asyncio.gather(*(ask(i) for i in range(CUSTOMERS)))
    to_console, after_answer = [], []
    for a in asked:
        for _, client in agents:
            at = await client.wait("ticket", a["handoff"]["ticket_id"])
            to_console.append((at - a["start"]) * 1000)
            after_answer.append((at - a["answered"]) * 1000)
    cast = Cast(agents, customers, {}, {}, newcomers)
    convs: dict[int, str] = {}
    for i, a in enumerate(asked):
        ticket_id = a["handoff"]["ticket_id"]
        k = i % AGENTS
        claimed = await poster.post(agents[k][0], f"/agent/api/conversations/{ticket_id}/claim", {})
        convs[i] = claimed["conversation_id"]
        await agents[k][1].watch(ticket_id)
        cast.owner[i], cast.tickets[i] = k, ticket_id
    await asyncio.sleep(2.0)
    return cast, {
        "convs": convs,
        "handoffs_at_once": {
            "from_accepting_message": summary(to_console),
            "after_the_customer_got_the_answer": summary(after_answer),
        },
    }


async def _count(rasa_url: str, token: str, cast: Cast, convs: dict, sent: list[str]) -> dict:
    """Lost and duplicated texts in the tracker store (once the outboxes wrote everything)."""
    done_at = time.perf_counter()
    deadline = done_at + 180
    lost = duplicated = socket_dupes = 0
    for i, (_s, client) in enumerate(cast.customers):
        url = f"{rasa_url}/conversations/{convs[i]}/tracker?include_events=ALL&token={token}"
        mine = [t for t in sent if f"-{i}-" in t]
        while True:
            with urllib.request.urlopen(url, timeout=60) as resp:
                events = json.loads(resp.read())["events"]
            texts = [e.get("text") for e in events if e.get("event") in ("user", "bot")]
            if all(t in texts for t in mine) or time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.2)
        for text in mine:
            k = texts.count(text)
            lost += k == 0
            duplicated += max(0, k - 1)
        socket_dupes += len(client.message_ids) - len(set(client.message_ids))
    return {
        "sent": len(sent),
        "lost_in_tracker": lost,
        "duplicated_in_tracker": duplicated,
        "duplicated_at_widget_sockets": socket_dupes,
        "all_in_tracker_after_s": round(time.perf_counter() - done_at, 2),
    }


async def _scenario(
    site: str, rasa_url: str, token: str, rounds: int, pace: Pace, transport: str, groups: dict
) -> dict[str, Any]:
    poster = Poster(site)
    cast, setup = await _cast(site, poster, pace, transport)
    loads: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_loads(loads, stop))
    cpu0 = cpu_s(groups)
    tally, steady = await run_steady(poster, cast, pace)
    cpu1 = cpu_s(groups)
    steady_loads = list(loads)
    steady["cpu"] = cpu_per_message(cpu0, cpu1, len(tally.sent))
    steady["load_average_1m"] = load_summary(steady_loads)
    drops_steady = sum(c.dropped() for _, c in cast.agents + cast.customers)
    stress, sent, counts = await stress_scenario(poster, cast, rounds)
    cpu2 = cpu_s(groups)
    stop.set()
    await sampler
    stress["handoffs_at_once"] = setup["handoffs_at_once"]
    stress["cpu"] = cpu_per_message(cpu1, cpu2, len(sent))
    stress["load_average_1m"] = load_summary(loads[len(steady_loads) :])
    messages = await _count(rasa_url, token, cast, setup["convs"], tally.sent + sent)
    everyone = cast.agents + cast.customers + cast.newcomers
    reasons: dict[str, int] = {}
    for _, c in everyone:
        for reason, k in c.disconnects.items():
            reasons[reason] = reasons.get(reason, 0) + k
    messages["socket_drops"] = {
        "during_steady": drops_steady,
        "agents_total": sum(c.dropped() for _, c in cast.agents),
        "customers_total": sum(c.dropped() for _, c in cast.customers + cast.newcomers),
        "reasons": reasons,
        "engineio_client_warnings": dict(ENGINEIO_WARNINGS.seen),
    }
    await asyncio.gather(*(c.sio.disconnect() for _, c in everyone))
    await poster.close()
    return {
        "steady": steady,
        "stress": stress,
        "messages": messages,
        "load_average_1m": load_summary(loads),
        "_stage_phases": [
            (
                "steady",
                {"agent": len(tally.agent_post_ms), "customer": len(tally.customer_post_ms)},
            ),
            ("at_once", {"agent": counts["at_once"], "customer": counts["at_once"]}),
            (
                "one_at_a_time",
                {"agent": counts["one_at_a_time"], "customer": counts["one_at_a_time"]},
            ),
        ],
    }


def run(
    rounds: int = ROUNDS, pace: Pace | None = None, transport: str = "websocket"
) -> dict[str, Any]:
    """Start the servers, play the scenarios, stop everything; the figures as a dict."""
    pace = pace or Pace()
    work = Path(tempfile.mkdtemp(prefix="kefu-bench-handoff-"))
    saved = dict(os.environ)
    token = secrets.token_urlsafe(24)
    load_start = round(os.getloadavg()[0], 2)
    try:
        var = work / "var"
        os.environ.update(
            {
                "KEFU_VAR_DIR": str(var),
                # KEFU_BENCH_DATABASE_URL: the shop on a server database (e.g. PostgreSQL),
                # rebuilt with the demo shop; the default is a SQLite file, as `make run`
                "KEFU_DATABASE_URL": os.environ.get("KEFU_BENCH_DATABASE_URL")
                or f"sqlite:///{var / 'shop.db'}",
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
        from kefu.commands.run import actions_service, announce_env, api_env, rasa_argv
        from kefu.settings import ROOT
        from kefu.shop.demo import build_demo

        build_demo(os.environ["KEFU_DATABASE_URL"], progress=False)
        cache = Path(saved.get("KEFU_VAR_DIR") or ROOT / "var") / "bench" / "handoff-bot"
        model = train_bot(out_dir=cache)  # trained once, reused while the bot is unchanged
        env = dict(os.environ)
        supervisor = Supervisor()
        try:
            actions_port, rasa_port, site_port = free_port(), free_port(), free_port()
            env.update(announce_env("127.0.0.1", site_port))  # as `kefu run` does
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
            profile = saved.get("KEFU_BENCH_PROFILE")  # the site under cProfile (slower)
            site_module = "benchmarks._profile_site" if profile else "web"
            if profile:
                env["KEFU_PROFILE_OUT"] = str(Path(profile).resolve())
            site = supervisor.start(
                Service(
                    "site",
                    [sys.executable, "-m", site_module, "--port", str(site_port)],
                    f"http://127.0.0.1:{site_port}/healthz",
                    var / "web.log",
                    {**env, "KEFU_RASA_URL": rasa_url},
                )
            )
            if not supervisor.wait_ready(site, START_TIMEOUT):
                raise RuntimeError(site.log_tail())
            groups = {s.name: s.process.pid for s in (actions, rasa, site) if s.process is not None}
            site_url = f"http://127.0.0.1:{site_port}"
            figures = asyncio.run(
                _scenario(site_url, rasa_url, token, rounds, pace, transport, groups)
            )
            figures["site_stages_ms"] = stages(var / "web.log", figures.pop("_stage_phases"))
        finally:
            supervisor.stop_all()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if os.environ.get("KEFU_BENCH_KEEP") == "1":
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    steady = figures["steady"]
    return {
        "benchmark": "handoff",
        "customers": CUSTOMERS,
        "agents": AGENTS,
        "rounds": rounds,
        "pace": {
            "period_s": pace.period_s,
            "agent_think_s": list(pace.agent_think_s),
            "customer_think_mean_s": pace.customer_think_s,
            "new_handoffs": pace.new_handoffs,
        },
        "transport": f"{transport} (python-socketio client); site, Rasa, actions on loopback",
        "shop_database": (os.environ.get("KEFU_BENCH_DATABASE_URL") or "sqlite").split(":")[0],
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average_1m": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
        },
        **figures,
        "targets": {
            "steady_p99_under_100ms": {
                name: (steady[name]["p99_ms"] or 1e9) < 100
                for name in ("agent_to_customer", "customer_to_agent")
            }
            | {
                "new_handoff_to_console": (
                    steady["new_handoff_to_console"]["from_accepting_message"]["p99_ms"] or 1e9
                )
                < 100
            },
            "nothing_lost_or_duplicated": not (
                figures["messages"]["lost_in_tracker"]
                or figures["messages"]["duplicated_in_tracker"]
                or figures["messages"]["duplicated_at_widget_sockets"]
                or steady["not_pushed_within_60s"]
                or figures["stress"]["not_pushed"]
            ),
        },
    }


def main() -> None:
    """Print the benchmark's JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.handoff", description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="stress: bursts each way")
    parser.add_argument("--period", type=float, default=Pace.period_s, help="steady: seconds")
    parser.add_argument(
        "--customer-think", type=float, default=Pace.customer_think_s, help="mean seconds"
    )
    parser.add_argument("--new-handoffs", type=int, default=Pace.new_handoffs)
    parser.add_argument("--transport", choices=TRANSPORTS, default="websocket")
    args = parser.parse_args()
    pace = Pace(args.period, customer_think_s=args.customer_think, new_handoffs=args.new_handoffs)
    print(json.dumps(run(args.rounds, pace, args.transport), indent=2))


if __name__ == "__main__":
    main()
