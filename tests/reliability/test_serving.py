"""Two Rasa processes on one PostgreSQL tracker store and one Redis lock store, through
faults: ordering under a burst, a database outage, Redis down, the action server killed.

Each test fails on Rasa's own behaviour: without the atomic lock store the turns of one
conversation interleave across processes; with Rasa's ``FailSafeTrackerStore`` an outage
answers 200 and starts the conversation over (or keeps it in memory); without the action
call fix a killed action server leaves the customer with no answer.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tests.reliability.conftest import Pair, new_sender, stored_events, user_texts
from tests.support.servers import ROOT, RasaServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BURST = 20
RECOVERY_SECONDS = 30.0
APOLOGY_SECONDS = 10.0


def post(server: RasaServer, sender: str, text: str, timeout: float = 120.0):
    """POST one message to kefu's channel, as the site does: (HTTP status, decoded body)."""
    data = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        server.webhook,
        data=data,
        headers={"Content-Type": "application/json", **server.channel_headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def assert_one_turn_at_a_time(events: list[dict]) -> None:
    """Every user message's turn ends (``action_listen``) before the next one starts."""
    open_turn = False
    for event in events:
        if event["event"] == "user":
            assert not open_turn, "a message was handled while another one was"
            open_turn = True
        elif event["event"] == "action" and event.get("name") == "action_listen":
            open_turn = False


def _burst(servers: list[RasaServer], sender: str) -> tuple[list[str], list]:
    """Send :data:`BURST` messages into one conversation, each 50 ms after the previous
    one (all in flight together), round-robin over ``servers``: (texts, answers)."""
    texts = [f"hello {i:02d}" for i in range(BURST)]

    def send(i: int):
        time.sleep(0.05 * i)
        return post(servers[i % len(servers)], sender, texts[i])

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(send, range(BURST)))
    assert [status for status, _ in answers] == [200] * BURST
    assert all(body for _, body in answers)  # every message got its reply
    events = stored_events(PAIR_URL[0], sender)
    assert_one_turn_at_a_time(events)
    replies = [e for e in events if e["event"] == "bot"]
    assert len(replies) == sum(len(body) for _, body in answers)  # each reply stored once
    return texts, answers


PAIR_URL: list[str] = []


def test_a_burst_in_one_conversation_is_handled_one_at_a_time_in_order(pair: Pair):
    PAIR_URL[:] = [pair.tracker_url]
    sender = new_sender()
    texts, _ = _burst([pair.a], sender)
    assert user_texts(pair.tracker_url, sender) == texts  # none lost, none twice, in order


def test_a_burst_across_two_processes_is_handled_one_at_a_time(pair: Pair):
    PAIR_URL[:] = [pair.tracker_url]
    sender = new_sender()
    texts, _ = _burst([pair.a, pair.b], sender)
    stored = user_texts(pair.tracker_url, sender)
    assert sorted(stored) == texts  # none lost, none twice
    for server_texts in (texts[0::2], texts[1::2]):  # each process keeps its arrival order
        assert [t for t in stored if t in server_texts] == server_texts


def test_a_tracker_database_outage_fails_messages_explicitly_and_recovers(pair: Pair):
    from web.chat import ChatError, RasaClient

    sender = new_sender()
    assert post(pair.a, sender, "hello")[0] == 200
    before = stored_events(pair.tracker_url, sender)
    pair.pg.stop()
    try:
        for server in (pair.a, pair.b, pair.a):
            status, body = post(server, sender, "where is my order", timeout=60)
            assert status == 503 and body["code"] == "unavailable"

        async def through_site() -> ChatError:
            client = RasaClient(
                pair.b.url, timeout=60, channel_secret=pair.b.env["KEFU_CHANNEL_SECRET"]
            )
            await client.start()
            try:
                with pytest.raises(ChatError) as caught:
                    await client.send(sender, "where is my order", {"language": "en"})
            finally:
                await client.close()
            return caught.value

        import asyncio

        error = asyncio.run(through_site())
        assert (error.status, error.code) == (503, "unavailable")  # the site's answer
    finally:
        pair.pg.start()
    back = time.monotonic()
    while True:
        status, body = post(pair.b, sender, "thanks", timeout=60)
        if status == 200:
            break
        assert time.monotonic() - back < RECOVERY_SECONDS, "no recovery within 30 s"
        time.sleep(1)
    assert body
    for server in (pair.a, pair.b):  # both processes are back, without a restart
        assert post(server, sender, "thanks again")[0] == 200
    events = stored_events(pair.tracker_url, sender)
    assert events[: len(before)] == before  # the conversation was not reset
    assert user_texts(pair.tracker_url, sender) == ["hello", "thanks"] + ["thanks again"] * 2
    assert sum(e["event"] == "session_started" for e in events) == 1  # not started over


def test_without_redis_messages_are_refused_not_handled_unlocked(pair: Pair):
    sender = new_sender()
    assert post(pair.a, sender, "hello")[0] == 200
    pair.redis.stop()
    try:
        for server in (pair.a, pair.b):
            status, body = post(server, sender, "hello again", timeout=60)
            assert status == 503 and body["code"] == "unavailable"
    finally:
        pair.redis.start()
    assert post(pair.b, sender, "hello at last")[0] == 200
    assert user_texts(pair.tracker_url, sender) == ["hello", "hello at last"]


def _apologies() -> set[str]:
    domain = yaml.safe_load((ROOT / "bot" / "domain" / "responses_general.yml").read_text())
    return {v["text"] for v in domain["responses"]["utter_action_unavailable"]}


def test_action_server_killed_mid_turn_gives_an_apology_then_the_conversation_goes_on(
    pair: Pair,
):
    sender = new_sender()
    status, first = post(pair.a, sender, "hello")
    assert status == 200 and first and not {m.get("text") for m in first} & _apologies()
    pair.action_proxy.hold = True  # the action server works, its answer never comes back
    result: dict = {}

    def send() -> None:
        result["answer"] = post(pair.a, sender, "where is my order KF000000001")
        result["at"] = time.monotonic()

    thread = threading.Thread(target=send)
    thread.start()
    deadline = time.monotonic() + 60
    while pair.action_proxy.held_requests == 0:  # an action call is under way
        assert time.monotonic() < deadline and thread.is_alive(), "no action call seen"
        time.sleep(0.05)
    os.killpg(os.getpgid(pair.actions.proc.pid), signal.SIGKILL)
    killed = time.monotonic()
    thread.join(timeout=60)
    pair.actions.proc.wait(timeout=10)
    pair.actions.proc = None
    status, replies = result["answer"]
    assert status == 200
    assert result["at"] - killed < APOLOGY_SECONDS
    texts = [m.get("text") for m in replies]
    assert [t for t in texts if t in _apologies()], texts  # in English, like the customer
    assert all(not t or t.isascii() or t in _apologies() for t in texts)

    pair.action_proxy.hold = False
    pair.actions.start()  # back, on the same port
    status, again = post(pair.a, sender, "hello")
    assert status == 200 and again
    assert not {m.get("text") for m in again} & _apologies()
    events = stored_events(pair.tracker_url, sender)
    assert user_texts(pair.tracker_url, sender) == [
        "hello",
        "where is my order KF000000001",
        "hello",
    ]
    assert sum(e["event"] == "session_started" for e in events) == 1
    assert_one_turn_at_a_time(events)


def test_a_client_that_leaves_mid_turn_does_not_cut_the_turn_in_half(pair: Pair):
    """The site gives up waiting (its timeout) while an action runs: the turn still runs to
    its end and is stored, rather than being cancelled between a side effect and the save."""
    sender = new_sender()
    status, _ = post(pair.a, sender, "hello")
    assert status == 200
    pair.action_proxy.held_requests = 0
    pair.action_proxy.hold = True  # the action call is under way and answers nothing
    url = urllib.parse.urlsplit(pair.a.webhook)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        body = json.dumps({"sender": sender, "message": "where is my order KF000000001"})
        headers = {"Content-Type": "application/json", **pair.a.channel_headers}
        conn.request("POST", url.path, body=body.encode(), headers=headers)
        deadline = time.monotonic() + 60
        while pair.action_proxy.held_requests == 0:
            assert time.monotonic() < deadline, "no action call seen"
            time.sleep(0.05)
    finally:
        conn.close()  # the client leaves mid-turn
        pair.action_proxy.hold = False
    deadline = time.monotonic() + 90  # at worst the held call times out (30 s): an apology
    while True:
        events = stored_events(pair.tracker_url, sender)
        if user_texts(pair.tracker_url, sender)[-1:] == ["where is my order KF000000001"]:
            break
        assert time.monotonic() < deadline, "the turn whose client left was never stored"
        time.sleep(0.5)
    tail = events[max(i for i, e in enumerate(events) if e["event"] == "user") :]
    assert tail[-1]["event"] == "action" and tail[-1]["name"] == "action_listen", tail
    assert any(e["event"] == "bot" for e in tail), tail  # answered, though nobody waited
    status, again = post(pair.a, sender, "hello")  # the conversation goes on
    assert status == 200 and again
    assert user_texts(pair.tracker_url, sender) == [
        "hello",
        "where is my order KF000000001",
        "hello",
    ]
