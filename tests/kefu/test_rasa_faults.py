"""kefu.rasa_faults and the Rasa launcher: faults become errors, never silence."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from kefu import rasa_faults, rasa_patches

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def installed():
    rasa_patches.install()
    rasa_faults.install(rasa_patches.close_sessions)
    assert rasa_faults.installed() and rasa_faults.install() is False


def test_rasa_version_is_checked():
    rasa_patches.check_rasa_version("3.6.21")
    with pytest.raises(rasa_patches.RasaSetupError, match="rasa==3.6.21"):
        rasa_patches.check_rasa_version("3.7.0")


def test_tracker_store_is_not_wrapped_in_the_fail_safe_store(tmp_path):
    from kefu.trackers import KefuTrackerStore

    store = KefuTrackerStore(domain=Domain.empty(), host=f"sqlite:///{tmp_path / 't.db'}")
    used = Agent._create_tracker_store(store, Domain.empty())
    assert used is store and not isinstance(used, FailSafeTrackerStore)


def test_a_locked_sqlite_tracker_store_fails_the_save_instead_of_hiding_it(tmp_path):
    import sqlite3

    from kefu.trackers import KefuTrackerStore

    path = tmp_path / "t.db"
    store = Agent._create_tracker_store(
        KefuTrackerStore(domain=Domain.empty(), host=f"sqlite:///{path}"), Domain.empty()
    )
    tracker = DialogueStateTracker("c1", [])
    tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
    blocker = sqlite3.connect(path, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(Exception, match="locked"):
            asyncio.run(store.save(tracker))
    finally:
        blocker.rollback()
        blocker.close()
    assert asyncio.run(store.retrieve("c1")) is None  # nothing kept in memory either
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve("c1")).latest_message.text == "hello"


def test_the_action_call_carries_the_message_id():
    from rasa.core.actions.action import RemoteAction

    tracker = DialogueStateTracker("c1", [])
    tracker.update(UserUttered("hello", {"name": "greet"}, message_id="m-42"))
    body = RemoteAction("action_x", EndpointConfig("http://x"))._action_call_format(
        tracker, Domain.empty()
    )
    assert body["tracker"]["latest_message"]["message_id"] == "m-42"


def test_an_unreachable_action_server_gives_the_apology_in_the_customers_language():
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import BotUttered, FollowupAction

    domain = Domain.load(str(ROOT / "bot" / "domain"))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    texts = {v["text"] for v in domain.responses[rasa_faults.APOLOGY]}
    for said, lang in (("我的订单到哪了", "zh"), ("where is my order", "en")):
        tracker = DialogueStateTracker("c1", domain.slots)  # language not set yet
        tracker.update(UserUttered(said, {"name": "order_status"}))
        action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))
        events = asyncio.run(action.run(CollectingOutputChannel(), nlg, tracker, domain))
        assert isinstance(events[0], BotUttered) and events[0].text in texts
        assert ("您" in events[0].text) == (lang == "zh")
        assert isinstance(events[-1], FollowupAction)  # the turn ends there


def test_kept_http_sessions_are_closed_when_the_server_stops():
    import rasa.core.run

    async def main():
        endpoint = EndpointConfig("http://127.0.0.1:1/webhook")
        async with endpoint.session() as session:
            pass
        assert not session.closed

        class App:
            class ctx:
                agent = None

        await rasa.core.run.close_resources(App(), asyncio.get_running_loop())
        return session

    assert asyncio.run(main()).closed


def _launch(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kefu.rasa_main", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_launcher_refuses_a_lock_shorter_than_an_action_call():
    result = _launch(["--version"], KEFU_LOCK_LIFETIME="30", KEFU_ACTION_TIMEOUT="60")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "KEFU_LOCK_LIFETIME" in result.stderr
    result = _launch(["--version"], TICKET_LOCK_LIFETIME="20")
    assert result.returncode == 2 and "TICKET_LOCK_LIFETIME (20 s)" in result.stderr


def test_kefu_run_refuses_an_inconsistent_lock_configuration(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).with_name("kefu")), "run"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KEFU_VAR_DIR": str(tmp_path),
            "KEFU_LOCK_LIFETIME": "30",
            "KEFU_ACTION_TIMEOUT": "60",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "KEFU_LOCK_LIFETIME" in result.stderr
    assert not (tmp_path / "shop.db").exists()  # refused before building anything


def test_a_call_whose_connection_breaks_is_sent_again_once():
    """A real loopback server drops the first connection before answering (as a stale
    kept-alive connection does under a burst); the call is sent again and answered."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import BotUttered

    domain = Domain.load(str(ROOT / "bot" / "domain"))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    answer = b'{"events": [], "responses": [{"text": "done"}]}'

    async def scenario(drops: int) -> tuple[list, int]:
        calls = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal calls
            calls += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            await reader.readexactly(length)
            if calls <= drops:
                writer.close()  # no answer: the client sees the server disconnect
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        tracker = DialogueStateTracker("c-drop", domain.slots)
        tracker.update(UserUttered("where is my order", {"name": "order_status"}))
        action = RemoteAction("action_x", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
        async with server:
            events = await action.run(CollectingOutputChannel(), nlg, tracker, domain)
        return events, calls

    events, calls = asyncio.run(scenario(drops=1))
    assert calls == 2
    assert [e.text for e in events if isinstance(e, BotUttered)] == ["done"]
    # a second break is not retried again: the customer gets the apology
    events, calls = asyncio.run(scenario(drops=2))
    texts = {v["text"] for v in domain.responses[rasa_faults.APOLOGY]}
    assert calls == 2 and events[0].text in texts
