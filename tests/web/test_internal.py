"""``POST /internal/tickets/{id}/announce``: only with the shared secret, never the ticket
in the answer; with it, the ticket goes to every agent console (a real site, no Rasa)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator

import pytest
import requests

from tests.support.servers import free_port
from tests.support.site import Site, start_site
from tests.web.live import Socket, cookie_header, run_blocking, staff
from web.internal import authorized

SECRET = "kefu-test-announce-" + os.urandom(8).hex()
HEADER = "X-Kefu-Announce-Secret"


@pytest.fixture(scope="module")
def secret_site(site_env, tmp_path_factory) -> Iterator[Site]:
    """A site with an announce secret (no Rasa behind it: nothing here needs the bot)."""
    log = tmp_path_factory.mktemp("site-internal") / "web.log"
    site = start_site(
        site_env,
        log,
        KEFU_RASA_URL=f"http://127.0.0.1:{free_port()}",
        KEFU_ANNOUNCE_SECRET=SECRET,
    )
    yield site
    site.stop()


def _ticket(site_env: dict[str, str]) -> int:
    from kefu.shop import queries as shop

    ticket_id, created = shop.open_ticket(
        f"conv-internal-{secrets.token_hex(6)}",
        None,
        "en",
        "private reason 7731",
        [{"sender": "user", "text": "private words 7731"}],
        url=site_env["KEFU_DATABASE_URL"],
    )
    assert created
    return ticket_id


def _announce(site: Site, ticket_id: int, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{site.url}/internal/tickets/{ticket_id}/announce", headers=headers, timeout=10
    )


def test_the_secret_is_compared_and_never_empty():
    assert authorized(SECRET, SECRET)
    assert not authorized(SECRET[:-1], SECRET)
    assert not authorized(None, SECRET)
    assert not authorized("", "")  # a site without a secret takes no announce at all
    assert not authorized("\ud800", SECRET)  # any header text: refused, never an error


def test_announces_without_the_secret_are_refused_and_say_nothing(secret_site, site_env):
    ticket_id = _ticket(site_env)
    for headers in ({}, {HEADER: ""}, {HEADER: "wrong"}, {HEADER: SECRET + "x"}):
        r = _announce(secret_site, ticket_id, headers)
        assert r.status_code == 401, (headers, r.status_code, r.text)
        assert r.json()["code"] == "unauthorized"
        assert "7731" not in r.text and "conv-internal" not in r.text
    r = requests.get(f"{secret_site.url}/internal/tickets/{ticket_id}/announce", timeout=10)
    assert r.status_code == 405


def test_a_site_without_a_secret_refuses_every_announce(offline_site, site_env):
    ticket_id = _ticket(site_env)
    for headers in ({}, {HEADER: ""}, {HEADER: SECRET}):
        assert _announce(offline_site, ticket_id, headers).status_code == 401


def test_an_announce_pushes_the_ticket_to_the_consoles_and_answers_nothing(secret_site, site_env):
    from kefu.shop.queries import queue

    ticket_id = _ticket(site_env)

    async def scenario() -> None:
        agent = await run_blocking(staff, secret_site.url)
        console = Socket()
        await console.connect(secret_site.url, "/agent", cookie_header(agent))
        try:
            r = await run_blocking(_announce, secret_site, ticket_id, {HEADER: SECRET})
            assert r.status_code == 204 and r.content == b"", r.text
            got = await console.wait_for("ticket", lambda t: t["ticket_id"] == ticket_id)
            # exactly what the consoles get after the bot's turn (web.handoff)
            assert got == queue.get_ticket(ticket_id, url=site_env["KEFU_DATABASE_URL"])
            # no such ticket: 404, nothing pushed
            missing = await run_blocking(_announce, secret_site, 2**62, {HEADER: SECRET})
            assert missing.status_code == 404
        finally:
            await console.close()
        assert [t["ticket_id"] for t in console.got("ticket")] == [ticket_id]

    asyncio.run(scenario())
