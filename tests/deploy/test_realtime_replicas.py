"""Real-time push across site replicas: an event emitted by site A reaches a socket
connected to site B, through python-socketio's ``AsyncRedisManager`` (``KEFU_REDIS_URL``).

Without the Redis manager each site only knows its own sockets and B's widget never
hears what an agent does on A (the control below shows it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.site import STAFF_PASSWORD, Site, start_site
from tests.web.live import Socket, cookie_header, customer, run_blocking, staff

pytestmark = [pytest.mark.integration]

ANNOUNCE_SECRET = "kefu-test-announce-replicas-0123"


def _sites(bot_env: dict[str, str], redis: str, tag: str) -> list[Site]:
    var = Path(bot_env["KEFU_VAR_DIR"])
    extra = {
        "KEFU_STAFF_PASSWORD": STAFF_PASSWORD,
        "KEFU_REDIS_URL": redis,
        "KEFU_ANNOUNCE_SECRET": ANNOUNCE_SECRET,
    }
    # one after the other: the first creates the staff account in the shared shop database
    return [start_site(bot_env, var / f"web-{tag}-{n}.log", **extra) for n in ("a", "b")]


@pytest.fixture(scope="module")
def two_sites(bot_env: dict[str, str], redis_url: str) -> Iterator[list[Site]]:
    sites = _sites(bot_env, redis_url, "redis")
    yield sites
    for site in sites:
        site.stop()


def _ticket_for(buyer_cookie: str) -> int:
    """Queue the buyer's conversation for a human (as the hand-off does); its ticket."""
    from kefu.support.queue import hand_off
    from web import session as web_session
    from web.credentials import session_key

    current = web_session.decode(buyer_cookie, session_key())
    assert current is not None
    status = hand_off(current.conversation_id, None, "en", "test", [], "asked")
    return status.ticket_id


async def _typing_reaches(a: Site, b: Site, shop_env: dict[str, str], wait: float) -> bool:
    """An agent types on site A; whether the customer's widget on site B hears it."""
    buyer = await run_blocking(customer, b.url)
    ticket_id = await run_blocking(_ticket_for, buyer.cookies.get("kefu_session"))
    agent = await run_blocking(staff, a.url)
    widget = Socket()
    await widget.connect(b.url, "/widget", cookie_header(buyer))
    try:
        r = await run_blocking(
            lambda: agent.post(
                f"{a.url}/agent/api/conversations/{ticket_id}/typing",
                json={"typing": True},
                timeout=30,
            )
        )
        assert r.status_code == 200, r.text
        try:
            got = await widget.wait_for("typing", lambda d: d.get("who") == "agent", wait)
        except AssertionError:
            return False
        assert got["typing"] is True
        return True
    finally:
        await widget.close()


def test_an_emit_on_site_a_reaches_a_socket_on_site_b(two_sites, shop_env):
    a, b = two_sites
    assert asyncio.run(_typing_reaches(a, b, shop_env, 20))
    assert asyncio.run(_typing_reaches(b, a, shop_env, 20))  # and the other way


def test_an_announce_to_site_a_reaches_a_console_on_site_b(two_sites, shop_env):
    """The action server announces a new ticket to one site (any, behind nginx): every
    console hears it, through the Redis manager (#13)."""
    a, b = two_sites

    async def scenario() -> None:
        buyer = await run_blocking(customer, a.url)
        ticket_id = await run_blocking(_ticket_for, buyer.cookies.get("kefu_session"))
        agent = await run_blocking(staff, b.url)
        console = Socket()
        await console.connect(b.url, "/agent", cookie_header(agent))
        try:
            r = await run_blocking(
                lambda: requests.post(
                    f"{a.url}/internal/tickets/{ticket_id}/announce",
                    headers={"X-Kefu-Announce-Secret": ANNOUNCE_SECRET},
                    timeout=30,
                )
            )
            assert r.status_code == 204, r.text
            await console.wait_for("ticket", lambda t: t["ticket_id"] == ticket_id, 20)
        finally:
            await console.close()

    asyncio.run(scenario())


def test_without_redis_the_sites_do_not_share_rooms(bot_env, shop_env):
    a, b = _sites(bot_env, "", "alone")
    try:
        assert not asyncio.run(_typing_reaches(a, b, shop_env, 3))
    finally:
        a.stop()
        b.stop()
