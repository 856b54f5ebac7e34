"""The action side of a ticket announce: posted with the secret, in the background; nothing
without a secret; a site that is down never fails the hand-off (a real HTTP listener)."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from actions.services import announce
from actions.support import ActionHandleAffirm
from kefu.shop.queries import queue
from tests.actions.conftest import make_tracker, responses, run, user_event
from tests.support.servers import free_port

SECRET = "kefu-test-announce-" + secrets.token_hex(8)
OFFER = {"event": "slot", "name": "pending_confirmation", "value": "handoff"}


class Site:
    """A listener standing in for the site's internal door: notes each call, answers 204
    (``redirect``: answers 307 to itself instead)."""

    def __init__(self, redirect: bool = False) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.got = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                owner.calls.append(("POST", self.path, self.headers.get(announce.HEADER)))
                self.send_response(307 if redirect else 204)
                if redirect:
                    self.send_header("Location", owner.url + "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                owner.got.set()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    listener = Site()
    yield listener
    listener.close()


def _drained() -> None:
    """Wait until the announces sent off so far are done (posted or given up)."""
    deadline = time.monotonic() + 2 * announce.TIMEOUT + 5
    while announce._pending and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not announce._pending


def _accept_handoff(domain: dict) -> tuple[list[dict], list[dict]]:
    tracker = make_tracker(
        "yes",
        intent="affirm",
        slots={"pending_confirmation": "handoff", "language": "en"},
        history=[user_event("a person please", "human_handoff"), OFFER],
        sender_id=f"conv-{secrets.token_hex(6)}",
    )
    return run(ActionHandleAffirm(), tracker, domain)


def test_post_sends_the_secret_to_the_ticket_door(site):
    assert announce.post(site.url, SECRET, 42)
    assert site.calls == [("POST", "/internal/tickets/42/announce", SECRET)]


def test_a_redirect_is_not_followed(caplog):
    caplog.set_level(logging.WARNING, logger=announce.__name__)
    site = Site(redirect=True)
    try:
        assert not announce.post(site.url, SECRET, 42)
        assert [c[1] for c in site.calls] == ["/internal/tickets/42/announce"]  # once
        assert "refused the announce of ticket 42 (HTTP 307)" in caplog.text
    finally:
        site.close()


def test_post_to_a_site_that_is_down_says_so_and_never_raises(caplog):
    caplog.set_level(logging.WARNING, logger=announce.__name__)
    assert not announce.post(f"http://127.0.0.1:{free_port()}", SECRET, 7)
    assert "could not announce ticket 7" in caplog.text
    assert not announce.post("not a url", SECRET, 7)


def test_without_a_secret_nothing_is_sent(site, monkeypatch, domain):
    monkeypatch.delenv("KEFU_ANNOUNCE_SECRET", raising=False)
    monkeypatch.setenv("KEFU_SITE_URL", site.url)
    assert not announce.ticket(1)
    messages, _events = _accept_handoff(domain)  # the hand-off itself as before
    assert responses(messages) == ["utter_handoff_done"]
    _drained()
    assert not site.got.wait(0.5) and site.calls == []


def test_the_hand_off_announces_its_new_ticket(site, monkeypatch, domain):
    monkeypatch.setenv("KEFU_ANNOUNCE_SECRET", SECRET)
    monkeypatch.setenv("KEFU_SITE_URL", site.url)
    messages, _events = _accept_handoff(domain)
    ticket_id = messages[0]["ticket_id"]
    assert site.got.wait(10)
    assert site.calls == [("POST", f"/internal/tickets/{ticket_id}/announce", SECRET)]


def test_a_site_that_is_down_never_fails_the_hand_off(monkeypatch, domain, caplog):
    caplog.set_level(logging.WARNING, logger=announce.__name__)
    monkeypatch.setenv("KEFU_ANNOUNCE_SECRET", SECRET)
    monkeypatch.setenv("KEFU_SITE_URL", f"http://127.0.0.1:{free_port()}")
    messages, events = _accept_handoff(domain)
    assert responses(messages) == ["utter_handoff_done"]
    assert events[-1]["event"] == "pause"
    assert queue.get_ticket(messages[0]["ticket_id"]) is not None
    _drained()
    assert f"could not announce ticket {messages[0]['ticket_id']}" in caplog.text
