"""Helpers of the live hand-off tests: customers, staff and socket.io clients on a real site."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import requests
import socketio

from tests.support.site import STAFF_PASSWORD

ADMIN = "admin@localhost"


def browser() -> requests.Session:
    """An HTTP session that says what browsers say on same-site requests (the site refuses
    unsafe requests that carry neither ``Origin`` nor ``Sec-Fetch-Site``)."""
    s = requests.Session()
    s.headers["Sec-Fetch-Site"] = "same-origin"
    return s


def customer(url: str, lang: str = "en") -> requests.Session:
    """A browser with a session cookie (it opened the shop's home page)."""
    s = browser()
    s.get(f"{url}/lang/{lang}", timeout=10)
    s.get(url + "/", timeout=10)
    return s


def say(s: requests.Session, url: str, text: str) -> dict[str, Any]:
    """Send a chat message as this browser; the site's JSON answer."""
    r = s.post(f"{url}/chat/message", json={"message": text}, timeout=90)
    assert r.status_code == 200, r.text
    return r.json()


def staff(url: str, email: str = ADMIN, password: str = STAFF_PASSWORD) -> requests.Session:
    """A signed-in staff browser."""
    s = browser()
    r = s.post(
        f"{url}/staff/login",
        data={"email": email, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303, r.text
    return s


def api(s: requests.Session, url: str, path: str, body: Any = None) -> Any:
    """Call the console API (GET, or POST ``body`` as JSON); the decoded answer."""
    if body is None:
        r = s.get(f"{url}/agent/api{path}", timeout=90)
    else:
        r = s.post(f"{url}/agent/api{path}", json=body, timeout=90)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()


def hand_off(s: requests.Session, url: str) -> dict[str, Any]:
    """Ask for a human and accept; the hand-off state the site answered."""
    offer = say(s, url, "I want to talk to a human agent")
    assert any(
        b.get("payload") == "/affirm" for m in offer["messages"] for b in m.get("buttons", [])
    )
    done = say(s, url, "/affirm")
    assert done.get("handoff"), done
    return done


def cookie_header(s: requests.Session) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in s.cookies.items())}


def _websocket_client_on_aiohttp_3_9() -> None:
    """Let python-engineio's WebSocket client run on the aiohttp Rasa pins (3.9).

    It builds ``aiohttp.ClientWSTimeout(ws_close=...)``, new in aiohttp 3.10; 3.9's
    ``ws_connect`` takes that same close timeout as a plain number.
    """
    if not hasattr(aiohttp, "ClientWSTimeout"):
        aiohttp.ClientWSTimeout = _close_timeout


def _close_timeout(ws_close: float = 10.0, **_: Any) -> float:
    return ws_close


class Socket:
    """A socket.io client that records every event it gets: over WebSocket (where browsers
    end up), or over long-polling (``transport="polling"``, their fallback)."""

    def __init__(self, transport: str = "websocket") -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.transport = transport
        self.events: list[tuple[str, Any]] = []
        self.namespace = ""

        @self.client.on("*", namespace="*")
        async def _any(event: str, namespace: str, data: Any = None) -> None:
            self.events.append((event, data))

    async def connect(
        self, url: str, namespace: str, headers: dict[str, str], **kwargs: Any
    ) -> None:
        self.namespace = namespace
        kwargs.setdefault("wait_timeout", 20)
        if self.transport == "websocket":
            _websocket_client_on_aiohttp_3_9()
        await self.client.connect(
            url,
            namespaces=[namespace],
            transports=[self.transport],
            headers=dict(headers),
            **kwargs,
        )

    async def emit(self, event: str, data: Any) -> None:
        await self.client.emit(event, data, namespace=self.namespace)

    async def call(self, event: str, data: Any, timeout: float = 20) -> Any:
        """Emit and wait until the server has handled the event (its acknowledgement).

        Whatever the server sent this socket before the acknowledgement has arrived by then.
        """
        return await self.client.call(event, data, namespace=self.namespace, timeout=timeout)

    def got(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]

    async def wait_for(
        self, event: str, match: Callable[[Any], bool] = lambda _d: True, timeout: float = 30
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for d in self.got(event):
                if match(d):
                    return d
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {event!r} event matched in {timeout}s: {self.events[-10:]}")

    async def close(self) -> None:
        """Disconnect: the server is told at once.

        Over long-polling, python-engineio's client posts the close and then waits for its
        pending poll: the server leaves it open after the close (until its own 20 s poll
        timeout), so the client waits out its 15 s request timeout (10-15 s measured). A
        browser drops that request instead, and so does this, once the close is posted.
        """
        eio = self.client.eio
        if eio.current_transport != "polling" or eio.state != "connected":
            await self.client.disconnect()
            return
        closing = asyncio.ensure_future(self.client.disconnect())
        while eio.write_loop_task is not None and not closing.done():  # posting the close
            await asyncio.sleep(0.01)
        await eio.disconnect(abort=True)  # disconnecting already: only drops the poll
        await closing


async def run_blocking(func: Callable[..., Any], *args: Any) -> Any:
    """A blocking call (an HTTP request) from a test coroutine."""
    return await asyncio.to_thread(func, *args)
