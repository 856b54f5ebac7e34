"""Replicas benchmark: throughput, latency and CPU per message at 1 and 2 Rasa replicas.

The set-up is ``kefu run --replicas 2``'s (:func:`kefu.commands.replicas.plan`): two Rasa
replicas on one fresh PostgreSQL tracker store and the Redis lock store
(:class:`kefu.lockstore.AtomicRedisLockStore`), one action server, nginx in front
(:mod:`kefu.nginx`). nginx has two doors to the same replicas: ``one`` (replica 0 only)
and ``two`` (round-robin over both), so 1 and 2 replicas are measured on the same
processes, one after the other.

Two bots run through it in the same run: kefu's bot, and a floor bot
(``benchmarks/floor_bot``: Rasa's KeywordIntentClassifier, one rule, no action call)
served by the same launcher, tracker store, lock store, channel and nginx, so that the
CPU each message costs Rasa itself and what kefu's pipeline and actions add are known.

Each level: :data:`CONVERSATIONS` conversations at once, each sending its messages one
after the other. Measured: messages per second, p50/p99 latency, errors, the CPU seconds
per message of every process (``/proc/<pid>/stat``; nginx with its worker), the load
average; then the tracker store is read back: every conversation's user messages stored
once each, in order, and one stored bot event per reply. The projection for 4, 8 and 16
replicas comes from the measured CPU per message (see :func:`projection`).

``python -m benchmarks.replicas [--model PATH] [--messages N]``; env
``KEFU_BENCH_POSTGRES_URL`` (default ``postgresql://root@127.0.0.1:5432/postgres``) and
``KEFU_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/8``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks._replica_set import (
    FLOOR_DIR,
    BenchSet,
    check_stored,
    cpu_of,
    fresh_database,
    train_floor,
)

CONVERSATIONS = 20
MESSAGES = 8  # per conversation and level
KEFU_SCRIPT = (
    "hello",
    "recommend some bluetooth headphones",
    "推荐几款热销商品",
    "where is my order?",
    "how do I return an item",
    "你好",
    "what are your opening hours",
    "thanks, bye",
)
FLOOR_SCRIPT = ("hello", "hi")
TARGET = 1.2


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


async def _load(
    url: str, headers: dict[str, str], script: tuple[str, ...], messages: int, route: bool
):
    """:data:`CONVERSATIONS` conversations at once; (senders, sent, replies, latencies, errors, wall).

    ``route``: each request names its conversation in ``kefu.nginx.ROUTE_HEADER``, as the
    site does, so a sticky door keeps each conversation on one replica."""
    import aiohttp

    from kefu.nginx import ROUTE_HEADER

    senders = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(CONVERSATIONS)]
    sent: dict[str, list[str]] = {s: [] for s in senders}
    replies: dict[str, int] = dict.fromkeys(senders, 0)
    latencies: list[float] = []
    errors: list[str] = []

    async def converse(session: aiohttp.ClientSession, sender: str, offset: int) -> None:
        for i in range(messages):
            text = script[(offset + i) % len(script)]
            started = time.perf_counter()
            try:
                async with session.post(
                    f"{url}/webhooks/kefu/webhook",
                    json={"sender": sender, "message": text},
                    headers={**headers, ROUTE_HEADER: sender} if route else headers,
                ) as resp:
                    body = await resp.json(content_type=None)
                    if resp.status != 200 or not body:
                        errors.append(f"{resp.status}: {str(body)[:200]}")
                        continue
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - started)
            sent[sender].append(text)
            replies[sender] += len(body)

    timeout = aiohttp.ClientTimeout(total=300)
    connector = aiohttp.TCPConnector(limit=CONVERSATIONS * 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(converse(session, s, n) for n, s in enumerate(senders)))
        wall = time.perf_counter() - started
    return senders, sent, replies, latencies, errors, wall


def measure(
    bench: BenchSet, door: str, script: tuple[str, ...], messages: int, route: bool = False
) -> dict[str, Any]:
    """One level through ``door``: speed, CPU per message of each process, stored events."""
    before = cpu_of(bench.pids())
    calls_before = bench.action_calls()
    load_before = os.getloadavg()
    senders, sent, replies, latencies, errors, wall = asyncio.run(
        _load(bench.door(door), bench.headers, script, messages, route)
    )
    after = cpu_of(bench.pids())
    calls = bench.action_calls() - calls_before
    done = len(latencies)
    cpu = {name: round((after[name] - before[name]) / max(done, 1), 5) for name in after}
    problems = check_stored(bench.tracker_url, senders, sent)
    return {
        "messages": done,
        "replies": sum(replies.values()),
        "errors": len(errors),
        "error_examples": errors[:3],
        "conversations_with_lost_duplicated_or_interleaved_events": problems,
        "throughput_msg_s": round(done / wall, 2),
        "p50_ms": round(_percentile(latencies, 50) * 1000, 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 99) * 1000, 1) if latencies else None,
        "wall_s": round(wall, 1),
        "cpu_s_per_message": cpu,
        "cpu_s_per_message_total": round(sum(cpu.values()), 5),
        "action_calls_per_message": round(calls / max(done, 1), 2),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def parse_cpu(bench: BenchSet, script: tuple[str, ...], n: int = 100) -> float:
    """CPU seconds replica 0 spends per ``POST /model/parse`` (the NLU pipeline alone, no
    tracker, lock or policy), requests one after the other."""
    import urllib.request

    url = f"{bench.door('one')}/model/parse?token={bench.token}"
    pid = {"rasa0": bench.pids()["rasa0"]}
    before = cpu_of(pid)["rasa0"]
    for i in range(n):
        body = json.dumps({"text": script[i % len(script)]}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            resp.read()
    return round((cpu_of(pid)["rasa0"] - before) / n, 5)


def projection(level: dict[str, Any], cores: int | None = None) -> dict[str, Any]:
    """Throughput of 4, 8 and 16 replicas from the CPU per message measured at 2.

    Model: a Rasa replica is one event loop, so it handles at most ``1 / rasa_cpu``
    messages per second; N replicas give ``N / rasa_cpu`` when every process has the
    CPU it needs: ``throughput x total_cpu`` cores in all (Rasa, actions, nginx; the
    PostgreSQL and Redis servers come on top). On ``cores`` cores the ceiling is
    ``cores / total_cpu``, whatever N.
    """
    cpu = level["cpu_s_per_message"]
    rasa = sum(v for k, v in cpu.items() if k.startswith("rasa")) or 1e-9
    total = level["cpu_s_per_message_total"] or 1e-9
    out: dict[str, Any] = {
        "rasa_cpu_s_per_message": round(rasa, 5),
        "all_cpu_s_per_message": round(total, 5),
        "ceiling_on_this_machine_msg_s": round((cores or os.cpu_count() or 1) / total, 1),
    }
    for n in (4, 8, 16):
        rate = n / rasa
        out[f"replicas_{n}"] = {"msg_s": round(rate, 1), "cores_needed": round(rate * total, 1)}
    return out


def run_bot(name: str, model: Path, messages: int, with_actions: bool) -> dict[str, Any]:
    """1 and 2 replicas of one bot, on one fresh tracker database."""
    script = KEFU_SCRIPT if name == "kefu" else FLOOR_SCRIPT
    with fresh_database() as tracker_url, BenchSet(model, tracker_url, with_actions) as bench:
        measure(bench, "two", script, 2)  # warm-up: models loaded, pools and caches filled
        one = measure(bench, "one", script, messages)
        two = measure(bench, "two", script, messages)
        sticky = measure(bench, "sticky", script, messages, route=True)
        return {
            "replicas_1": one,
            "replicas_2": two,
            "speedup_2_vs_1": round(two["throughput_msg_s"] / one["throughput_msg_s"], 2),
            # the same 2 replicas behind a door that keeps each conversation on one replica
            # (kefu.nginx.STICKY, as `kefu run --replicas N --routing sticky` sets up)
            "replicas_2_sticky": sticky,
            "speedup_2_sticky_vs_1": round(sticky["throughput_msg_s"] / one["throughput_msg_s"], 2),
            "projection": projection(two),
            "rasa_cpu_s_per_parse_nlu_only": parse_cpu(bench, script),
            "start_s": bench.start_s,
        }


def run(model: Path | None = None, messages: int = MESSAGES) -> dict[str, Any]:
    """Both bots; a ``skipped`` reason when PostgreSQL, Redis or nginx is missing."""
    from kefu.bot import current_model, train_bot

    reason = BenchSet.missing()
    if reason:
        return {"skipped": reason}
    kefu_model = model or current_model() or Path(train_bot())
    floor_model = train_floor()
    started = os.getloadavg()
    kefu = run_bot("kefu", kefu_model, messages, with_actions=True)
    floor = run_bot("floor", floor_model, messages, with_actions=False)
    kefu_cpu = kefu["replicas_2"]["cpu_s_per_message"]
    floor_rasa = sum(v for k, v in floor["replicas_2"]["cpu_s_per_message"].items() if "rasa" in k)
    kefu_rasa = sum(v for k, v in kefu_cpu.items() if k.startswith("rasa"))
    actions = kefu_cpu.get("actions", 0.0)
    return {
        "conversations": CONVERSATIONS,
        "messages_per_conversation": messages,
        "cores": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in started],
        "kefu": kefu,
        "floor": floor,
        "floor_bot": str(FLOOR_DIR.relative_to(Path(__file__).resolve().parents[1])),
        "kefu_rasa_cpu_vs_floor": round(kefu_rasa / floor_rasa, 2) if floor_rasa else None,
        "kefu_cpu_within_1_5x_floor_plus_actions": kefu_rasa + actions
        <= 1.5 * floor_rasa + actions,
        "target_2_replicas_1_2x": max(kefu["speedup_2_vs_1"], kefu["speedup_2_sticky_vs_1"])
        >= TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="kefu bot model (default: the trained one)")
    parser.add_argument("--messages", type=int, default=MESSAGES, help="per conversation")
    args = parser.parse_args()
    print(json.dumps(run(args.model, args.messages), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
