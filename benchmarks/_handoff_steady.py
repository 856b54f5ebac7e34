"""The hand-off benchmark's headline scenario: agents and customers at a human pace.

Every agent is one person: a sequential sender over their conversations (round robin),
pausing a short think time (uniform ``agent_think_s``) before each reply; they never send
two at once. Every customer waits an exponential think time (mean ``customer_think_s``)
between messages, independently of the others. New customers are handed off at random
moments of the period. Every push is timed from the start of its HTTP post to the
socket event (the sender never waits for the push before the next message).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks._handoff_clients import Client, Poster, summary

GRACE_S = 60.0  # a push not seen this long after its post counts as not pushed


@dataclass
class Pace:
    """The scenario's human pace and length."""

    period_s: float = 60.0
    agent_think_s: tuple[float, float] = (1.0, 3.0)
    customer_think_s: float = 5.0
    new_handoffs: int = 10
    seed: int = 13


@dataclass
class Cast:
    """Who takes part: browsers (``requests`` sessions) and their socket clients."""

    agents: list[tuple[Any, Client]]
    customers: list[tuple[Any, Client]]
    owner: dict[int, int]  # customer index -> agent index
    tickets: dict[int, int]  # customer index -> ticket id
    newcomers: list[tuple[Any, Client]] = field(default_factory=list)


@dataclass
class Tally:
    """What the scenario sent and measured."""

    agent_to_customer: list[float] = field(default_factory=list)
    customer_to_agent: list[float] = field(default_factory=list)
    handoff_from_accepting: list[float] = field(default_factory=list)
    handoff_after_answer: list[float] = field(default_factory=list)
    handoff_answer_ms: list[float] = field(default_factory=list)  # the bot's accepting turn
    agent_post_ms: list[float] = field(default_factory=list)
    customer_post_ms: list[float] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def run_steady(poster: Poster, cast: Cast, pace: Pace) -> tuple[Tally, dict[str, Any]]:
    """Play the period; the tally (texts sent, for the tracker count) and the figures."""
    rng = random.Random(pace.seed)
    tally = Tally()
    pushes: list[asyncio.Task[None]] = []
    end = time.perf_counter() + pace.period_s

    async def timed(client: Client, text: str, start: float, into: list[float]) -> None:
        try:
            at = await client.wait("message", text, GRACE_S)
        except TimeoutError:
            tally.missing.append(text)
            return
        into.append((at - start) * 1000)

    async def agent(k: int) -> None:
        s, _ = cast.agents[k]
        mine = [i for i, owner in sorted(cast.owner.items()) if owner == k]
        n = 0
        while True:
            await asyncio.sleep(rng.uniform(*pace.agent_think_s))
            if time.perf_counter() >= end:
                return
            i = mine[n % len(mine)]
            text = f"agent-{i}-s{n}"
            n += 1
            start = time.perf_counter()
            try:
                await poster.post(
                    s, f"/agent/api/conversations/{cast.tickets[i]}/messages", {"text": text}
                )
            except Exception as exc:  # noqa: BLE001 - counted, the agent goes on
                tally.errors.append(f"{text}: {exc}")
                continue
            tally.agent_post_ms.append((time.perf_counter() - start) * 1000)
            tally.sent.append(text)
            client = cast.customers[i][1]
            pushes.append(asyncio.create_task(timed(client, text, start, tally.agent_to_customer)))

    async def customer(i: int) -> None:
        s, _ = cast.customers[i]
        n = 0
        while True:
            await asyncio.sleep(rng.expovariate(1.0 / pace.customer_think_s))
            if time.perf_counter() >= end:
                return
            text = f"customer-{i}-s{n}"
            n += 1
            start = time.perf_counter()
            try:
                await poster.post(s, "/chat/message", {"message": text})
            except Exception as exc:  # noqa: BLE001 - counted, the customer goes on
                tally.errors.append(f"{text}: {exc}")
                continue
            tally.customer_post_ms.append((time.perf_counter() - start) * 1000)
            tally.sent.append(text)
            client = cast.agents[cast.owner[i]][1]
            pushes.append(asyncio.create_task(timed(client, text, start, tally.customer_to_agent)))

    async def newcomer(j: int, at: float) -> None:
        await asyncio.sleep(at)
        s, _ = cast.newcomers[j]
        start = time.perf_counter()
        try:
            answer = await poster.post(s, "/chat/message", {"message": "/affirm"})
            ticket_id = answer["handoff"]["ticket_id"]
        except Exception as exc:  # noqa: BLE001 - counted
            tally.errors.append(f"hand-off {j}: {exc}")
            return
        answered = time.perf_counter()
        tally.handoff_answer_ms.append((answered - start) * 1000)
        for _, client in cast.agents:
            try:
                seen = await client.wait("ticket", ticket_id, GRACE_S)
            except TimeoutError:
                tally.missing.append(f"ticket {ticket_id}")
                continue
            tally.handoff_from_accepting.append((seen - start) * 1000)
            tally.handoff_after_answer.append((seen - answered) * 1000)

    moments = sorted(rng.uniform(0, pace.period_s) for _ in cast.newcomers)
    wall = time.perf_counter()
    await asyncio.gather(
        *(agent(k) for k in range(len(cast.agents))),
        *(customer(i) for i in range(len(cast.customers))),
        *(newcomer(j, at) for j, at in enumerate(moments)),
    )
    wall = time.perf_counter() - wall
    await asyncio.gather(*pushes)
    figures = {
        "agent_to_customer": summary(tally.agent_to_customer),
        "customer_to_agent": summary(tally.customer_to_agent),
        "new_handoff_to_console": {
            "from_accepting_message": summary(tally.handoff_from_accepting),
            "after_the_customer_got_the_answer": summary(tally.handoff_after_answer),
            "the_customer_s_answer_itself": summary(tally.handoff_answer_ms),
        },
        "http_answer": {
            "agent_post": summary(tally.agent_post_ms),
            "customer_post": summary(tally.customer_post_ms),
        },
        "sent": {
            "agent_messages": len(tally.agent_post_ms),
            "customer_messages": len(tally.customer_post_ms),
            "new_handoffs": len(cast.newcomers),
            "per_second": round(len(tally.sent) / max(wall, 1e-9), 2),
        },
        "not_pushed_within_60s": tally.missing[:20],
        "post_errors": tally.errors[:20],
        "wall_s": round(wall, 1),
    }
    return tally, figures
