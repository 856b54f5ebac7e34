"""The hand-off benchmark's stress figure: every message to all 50 conversations at once.

No 5 people send 50 messages in the same instant: this measures the queue in front of the
site, Rasa and the databases, not a human pace (that is :mod:`benchmarks._handoff_steady`).
Then 20 messages each way one at a time: what one message costs with nothing in front.
"""

from __future__ import annotations

import asyncio
import time

from benchmarks._handoff_clients import Poster, summary
from benchmarks._handoff_steady import Cast

SEQUENTIAL = 20


async def stress_scenario(poster: Poster, cast: Cast, rounds: int) -> tuple[dict, list[str], dict]:
    """Every message to all 50 at once, ``rounds`` times; then 20 each way one at a time."""
    lat: dict[str, list[float]] = {k: [] for k in ("agent", "customer", "agent_1", "customer_1")}
    answered: dict[str, list[float]] = {k: [] for k in lat}
    missing: list[str] = []

    async def says(who: str, i: int, tag: str, kind: str) -> None:
        text = f"{who}-{i}-{tag}"
        if who == "agent":
            s, path = (
                cast.agents[cast.owner[i]][0],
                f"/agent/api/conversations/{cast.tickets[i]}/messages",
            )
            body, client = {"text": text}, cast.customers[i][1]
        else:
            s, path = cast.customers[i][0], "/chat/message"
            body, client = {"message": text}, cast.agents[cast.owner[i]][1]
        start = time.perf_counter()
        await poster.post(s, path, body)
        answered[kind].append((time.perf_counter() - start) * 1000)
        try:
            at = await client.wait("message", text, 60 if kind in ("agent", "customer") else 15)
        except TimeoutError:
            missing.append(text)
            return
        lat[kind].append((at - start) * 1000)

    sent: list[str] = []
    n = len(cast.customers)
    wall = time.perf_counter()
    for r in range(rounds):
        await asyncio.gather(*(says("agent", i, str(r), "agent") for i in range(n)))
        await asyncio.gather(*(says("customer", i, str(r), "customer") for i in range(n)))
        sent += [f"{who}-{i}-{r}" for i in range(n) for who in ("agent", "customer")]
    wall = time.perf_counter() - wall
    middle = {"wall_s": round(wall, 1)}
    for i in range(min(SEQUENTIAL, n)):
        await says("agent", i, "one", "agent_1")
        await asyncio.sleep(0.05)
        await says("customer", i, "one", "customer_1")
        await asyncio.sleep(0.05)
        sent += [f"agent-{i}-one", f"customer-{i}-one"]
    figures = {
        "at_once": {
            "agent_to_customer": summary(lat["agent"]),
            "customer_to_agent": summary(lat["customer"]),
            "http_answer": {
                "agent_post": summary(answered["agent"]),
                "customer_post": summary(answered["customer"]),
            },
            **middle,
        },
        "one_at_a_time": {
            "agent_to_customer": summary(lat["agent_1"]),
            "customer_to_agent": summary(lat["customer_1"]),
        },
        "not_pushed": missing[:20],
    }
    return figures, sent, {"at_once": n * rounds, "one_at_a_time": min(SEQUENTIAL, n)}
