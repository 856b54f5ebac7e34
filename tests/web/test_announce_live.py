"""A new hand-off reaches the agent consoles during the bot's turn, not after it (#13).

The action server announces the ticket to the site the moment it writes it
(``actions.services.announce`` -> ``POST /internal/tickets/{id}/announce``). These servers
are the test's own (the action server needs the site's URL and the shared secret): an
action server, a Rasa server and a site, the site talking to Rasa through a proxy that
holds back the answer of every chat turn for :data:`HOLD` seconds. The site's own
announcement follows the turn, so without the action server's the console could not have
the ticket before the customer's answer; with it, the console has it seconds earlier, and
still shows one row for it though it heard of it twice.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from aiohttp import web

from tests.support.servers import (
    ServerProcess,
    action_server_process,
    free_port,
)
from tests.support.site import (
    DEMO_PASSWORD,
    STAFF_PASSWORD,
    Site,
    api_rasa_process,
    start_site_on,
)
from tests.web.browser import browser, needs_chromium  # noqa: F401
from tests.web.live import Socket, api, cookie_header, customer, run_blocking, say, staff
from tests.web.test_console_browser import _console

HOLD = 3.0  # seconds the proxy holds back the answer of each chat turn
HOP = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}


@contextmanager
def holding_proxy(target: str, hold: float) -> Iterator[str]:
    """An HTTP proxy to ``target`` that answers each ``/webhooks/...`` call (a chat turn)
    ``hold`` seconds after Rasa did, every other call at once; yields its URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def forward(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        async with aiohttp.ClientSession() as session:
            async with session.request(
                request.method,
                target + request.rel_url.path_qs,
                data=await request.read(),
                headers=headers,
            ) as answer:
                body, status = await answer.read(), answer.status
                kind = answer.headers.get("Content-Type")
        if request.path.startswith("/webhooks/"):
            await asyncio.sleep(hold)
        return web.Response(body=body, status=status, headers={"Content-Type": kind or ""})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@dataclass
class Announcing:
    """The test's servers: the site (behind which the proxy and Rasa run) and the secret."""

    site: Site
    secret: str


@pytest.fixture(scope="module")
def announcing_site(bot_env: dict[str, str], bot_model: Path) -> Iterator[Announcing]:
    """Action server and site sharing an announce secret; Rasa behind the holding proxy."""
    var = Path(bot_env["KEFU_VAR_DIR"])
    site_port = free_port()
    secret = "kefu-test-announce-" + os.urandom(8).hex()
    env = {
        **bot_env,
        "KEFU_SITE_URL": f"http://127.0.0.1:{site_port}",
        "KEFU_ANNOUNCE_SECRET": secret,
    }
    actions = action_server_process(env, var / "actions-announce.log", "action server (announce)")
    rasa = api_rasa_process(env, bot_model, actions, "rasa server (announce)", "rasa-announce.log")
    started: list[ServerProcess] = []
    try:
        for server in (actions, rasa):
            server.start()
            started.append(server)
        with holding_proxy(rasa.url, HOLD) as proxy:
            site = start_site_on(
                site_port,
                env,
                var / "web-announce.log",
                KEFU_RASA_URL=proxy,
                KEFU_RASA_TOKEN=rasa.token,
                KEFU_DEMO_PASSWORD=DEMO_PASSWORD,
                KEFU_STAFF_PASSWORD=STAFF_PASSWORD,
            )
            try:
                yield Announcing(site, secret)
            finally:
                site.stop()
    finally:
        for server in reversed(started):
            server.stop()


class TimedSocket(Socket):
    """A console socket that also notes when each ``ticket`` event arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.tickets: list[tuple[float, dict[str, Any]]] = []

        @self.client.on("ticket", namespace="/agent")
        async def _ticket(data: dict[str, Any]) -> None:
            self.tickets.append((time.monotonic(), data))
            self.events.append(("ticket", data))

    def arrivals(self, ticket_id: int) -> list[float]:
        return [t for t, d in self.tickets if d.get("ticket_id") == ticket_id]


def test_the_console_has_a_new_hand_off_before_the_customer_has_the_answer(announcing_site):
    url = announcing_site.site.url

    async def scenario() -> None:
        buyer = await run_blocking(customer, url)
        agent = await run_blocking(staff, url)
        console = TimedSocket()
        await console.connect(url, "/agent", cookie_header(agent))
        try:
            offer = await run_blocking(say, buyer, url, "I want to talk to a human agent")
            assert any(
                b.get("payload") == "/affirm"
                for m in offer["messages"]
                for b in m.get("buttons", [])
            )
            done = await run_blocking(say, buyer, url, "/affirm")
            answered = time.monotonic()
            ticket_id = done["handoff"]["ticket_id"]
            arrivals = console.arrivals(ticket_id)
            assert arrivals, console.events[-5:]
            # the announce came during the turn: the answer was held HOLD s after it
            assert arrivals[0] < answered - HOLD / 2, (answered - arrivals[0], HOLD)
            # the site's own announcement after the turn came too: the same ticket twice...
            await console.wait_for(
                "ticket", lambda _t: len(console.arrivals(ticket_id)) >= 2, timeout=10
            )
            pushed = [d for _t, d in console.tickets if d["ticket_id"] == ticket_id]
            assert pushed[0]["conversation_id"] == pushed[-1]["conversation_id"]
            assert pushed[0].keys() == pushed[-1].keys()  # the one payload of a ticket
            # ...and one row in the console's list
            listed = await run_blocking(api, agent, url, "/conversations?view=pending")
            assert [t["ticket_id"] for t in listed].count(ticket_id) == 1
        finally:
            await console.close()

    asyncio.run(scenario())


def test_the_live_site_refuses_announces_without_the_secret(announcing_site):
    url = announcing_site.site.url + "/internal/tickets/1/announce"
    for headers in ({}, {"X-Kefu-Announce-Secret": "wrong-" + announcing_site.secret}):
        r = requests.post(url, headers=headers, timeout=10)
        assert r.status_code == 401 and "ticket_id" not in r.text, r.text


@needs_chromium
def test_the_console_page_shows_the_new_hand_off_once_and_before_the_answer(
    browser,  # noqa: F811
    announcing_site,
):
    url = announcing_site.site.url
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    try:
        page = _console(context, url)
        page.wait_for_selector("#agent-app[data-inbox='loaded']", state="attached")
        rows = ".ag-list .ag-item-button[data-ticket]"
        known = set(page.eval_on_selector_all(rows, "bs => bs.map(b => b.dataset.ticket)"))
        buyer = customer(url)
        say(buyer, url, "I want to talk to a human agent")
        with ThreadPoolExecutor(1) as pool:
            accepting = pool.submit(say, buyer, url, "/affirm")
            page.wait_for_function(
                "([sel, known]) => [...document.querySelectorAll(sel)]"
                ".some(b => !known.includes(b.dataset.ticket))",
                arg=[rows, sorted(known)],
                timeout=HOLD * 1000,
            )
            assert not accepting.done()  # in the list while the customer still waits
            ticket_id = accepting.result()["handoff"]["ticket_id"]
        # the site's own announcement after the turn: the list reloads, one row still
        page.wait_for_timeout(1500)
        assert page.locator(f".ag-item-button[data-ticket='{ticket_id}']").count() == 1
        assert page.get_attribute("#agent-app", "data-new-handoffs") == "1"  # one alert
    finally:
        context.close()
