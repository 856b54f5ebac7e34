"""Two Rasa replicas behind nginx: one conversation's messages fired at once are handled
one at a time, in one order (stored in the order their replies came back), none lost or
stored twice, with round-robin and with sticky routing; a
replica never serves a tracker another replica has written to since; simultaneous first
boots do not race on the tracker tables.

Each fails without the fix it covers: Rasa's own ``RedisLockStore`` hands the same ticket
to two replicas (turns interleave, events duplicate); a tracker cache without the
last-event check answers from its stale copy; Rasa's ``create_all`` logs "Could not
create tables" when two replicas boot together on a new database.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from kefu.nginx import ROUTE_HEADER, upstreams_used
from tests.deploy.conftest import Replicas
from tests.reliability.conftest import stored_events, user_texts
from tests.reliability.test_serving import assert_one_turn_at_a_time

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BURST = 16
STAGGER = 0.02  # seconds between two sends: all in flight together (checked in `burst`)


def post(
    base: str,
    sender: str,
    text: str,
    headers: dict[str, str],
    cookie: str | None = None,
    route: bool = False,
) -> tuple[int, Any]:
    """POST one message to kefu's channel at ``base``: (status, decoded body).

    ``cookie``: a browser's session cookie; ``route``: the conversation named in
    ``ROUTE_HEADER``, as the site does on its calls to Rasa."""
    extra = {"Cookie": f"kefu_session={cookie}"} if cookie else {}
    if route:
        extra[ROUTE_HEADER] = sender
    request = urllib.request.Request(
        f"{base}/webhooks/kefu/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json", **headers, **extra},
    )
    try:
        with urllib.request.urlopen(request, timeout=180) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def burst(
    rs: Replicas, door: str, sender: str, cookie: str | None = None, route: bool = False
) -> list[str]:
    """Fire :data:`BURST` messages of one conversation through ``door``; the backends
    nginx chose for them (from its access log), after checking every reply."""
    log = rs.access_log(door)
    before = len(upstreams_used(log)) if log.exists() else 0
    texts = [f"hello {i:02d}" for i in range(BURST)]

    spans: list[tuple[float, float]] = [(0.0, 0.0)] * BURST

    def send(i: int) -> tuple[int, Any]:
        time.sleep(STAGGER * i)
        started = time.monotonic()
        answer = post(rs.doors[door], sender, texts[i], rs.channel_headers, cookie, route)
        spans[i] = (started, time.monotonic())
        return answer

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(send, range(BURST)))
    # messages of the conversation were in flight at the same moment
    assert any(spans[i + 1][0] < spans[i][1] for i in range(BURST - 1))
    assert [status for status, _ in answers] == [200] * BURST, answers
    assert all(body for _, body in answers)  # every message got its reply
    events = stored_events(rs.tracker_url, sender)
    assert_one_turn_at_a_time(events)
    stored = user_texts(rs.tracker_url, sender)
    assert sorted(stored) == texts  # none lost, none stored twice
    # in order: a message's turn (and its reply) ends before the next one's starts, so the
    # replies came back in the order the messages are stored
    answered = [texts[i] for i in sorted(range(BURST), key=lambda i: spans[i][1])]
    assert stored == answered
    replies = [e for e in events if e["event"] == "bot"]
    assert len(replies) == sum(len(body) for _, body in answers)  # each reply stored once
    time.sleep(0.2)  # nginx writes the log line after the response
    return upstreams_used(log)[before:]


def test_round_robin_burst_is_handled_one_at_a_time_in_order(replicas: Replicas):
    sender = f"dep-{uuid.uuid4().hex[:12]}"
    used = burst(replicas, "rr", sender)
    # nginx alternated: each replica took every other message (both took half)
    assert sorted(Counter(used).values()) == [BURST // 2] * 2, used


def test_sticky_burst_stays_on_one_replica_and_in_order(replicas: Replicas):
    # The consistent hash places a cookie by hashing it with the replicas' addresses,
    # which are free ports that change every run: a fixed set of cookies can all land on
    # one replica (1 in 8 for four). Burst with new cookies until both replicas have
    # served one; twelve all on one replica would happen 1 in 2,048 runs.
    backends: set[str] = set()
    bursts = 0
    while len(backends) < 2 and bursts < 12:
        sender = f"dep-{uuid.uuid4().hex[:12]}"
        used = burst(replicas, "sticky", sender, cookie=f"sticky-{uuid.uuid4().hex}")
        assert len(used) == BURST and len(set(used)) == 1, used  # one replica per cookie
        backends |= set(used)
        bursts += 1
    assert len(backends) == 2, f"{bursts} cookies, all on {backends}"


def test_the_sites_conversation_header_spreads_conversations_and_keeps_each_on_one(
    replicas: Replicas,
):
    # what the site sends Rasa (no cookie): each conversation stays on one replica, and
    # different conversations reach both (a hash of the cookie alone put them all on one)
    backends: set[str] = set()
    bursts = 0
    while len(backends) < 2 and bursts < 12:
        used = burst(replicas, "sticky", f"dep-{uuid.uuid4().hex[:12]}", route=True)
        assert len(used) == BURST and len(set(used)) == 1, used
        backends |= set(used)
        bursts += 1
    assert len(backends) == 2, f"{bursts} conversations, all on {backends}"


def tracker_via(rs: Replicas, replica: int, sender: str) -> dict[str, Any]:
    """The conversation's tracker as replica ``replica`` serves it (HTTP API)."""
    url = f"{rs.rasa[replica]}/conversations/{sender}/tracker?token={rs.token}"
    with urllib.request.urlopen(url, timeout=60) as resp:
        return json.loads(resp.read())


def test_a_replica_never_serves_a_tracker_another_one_wrote_to(replicas: Replicas):
    sender = f"dep-{uuid.uuid4().hex[:12]}"
    a, b = replicas.rasa
    steps = [(b, "hello"), (a, "where is my order"), (b, "thanks"), (a, "bye")]
    for i, (base, text) in enumerate(steps):
        assert post(base, sender, text, replicas.channel_headers)[0] == 200
        expected = [t for _, t in steps[: i + 1]]
        for replica in (0, 1):  # each replica's cached copy is checked, never trusted blindly
            tracker = tracker_via(replicas, replica, sender)
            got = [e["text"] for e in tracker["events"] if e["event"] == "user"]
            assert got == expected, (replica, got)
    stored = stored_events(replicas.tracker_url, sender)
    assert [e["text"] for e in stored if e["event"] == "user"] == [t for _, t in steps]
    assert sum(e["event"] == "session_started" for e in stored) == 1


def test_simultaneous_first_boots_do_not_race_on_the_tables(replicas: Replicas):
    for service in replicas.services:
        if service.name.startswith("Rasa replica"):
            log = service.log_path.read_text(errors="replace")
            assert "Could not create tables" not in log
            assert "DuplicateTable" not in log and "UniqueViolation" not in log
