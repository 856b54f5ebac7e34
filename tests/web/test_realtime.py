"""Socket rooms: a customer reads only their own conversation; reconnects catch up in order."""

from __future__ import annotations

import asyncio
import json

import requests

from tests.web.live import Socket, api, cookie_header, customer, hand_off, run_blocking, staff


def _claimed(url: str, buyer: requests.Session, agent: requests.Session) -> dict:
    ticket_id = hand_off(buyer, url)["handoff"]["ticket_id"]
    return api(agent, url, f"/conversations/{ticket_id}/claim", {})


def test_a_customer_cannot_join_or_read_another_conversation(live_site):
    url = live_site.url

    async def scenario() -> None:
        alice, mallory = customer(url), customer(url)
        agent = await run_blocking(staff, url)
        ticket = await run_blocking(_claimed, url, alice, agent)
        alice_conv = ticket["conversation_id"]
        a, m = Socket(), Socket()
        await a.connect(url, "/widget", cookie_header(alice))
        # Mallory names Alice's conversation every way a client could: it is ignored
        await m.connect(
            f"{url}?conversation_id={alice_conv}",
            "/widget",
            cookie_header(mallory),
            auth={"conversation_id": alice_conv, "room": f"conv:{alice_conv}"},
        )
        try:
            await m.emit("join", {"room": f"conv:{alice_conv}"})
            await m.call("catch_up", {"after": f"{alice_conv}:0"})  # both handled once acked
            sent = await run_blocking(
                api,
                agent,
                url,
                f"/conversations/{ticket['ticket_id']}/messages",
                {"text": "for Alice only"},
            )
            await a.wait_for("message", lambda d: d["id"] == sent["id"])
            await m.wait_for("error")  # the foreign id is refused
            # the site pushed to the room before it answered; Mallory asks again: whatever
            # the site sent her before this acknowledgement has arrived
            await m.call("catch_up", {"after": f"{alice_conv}:0"})
            assert "for Alice only" not in str(m.events)
            assert m.got("message") == []
            # nor over HTTP
            r = mallory.get(f"{url}/chat/history", params={"after": f"{alice_conv}:0"}, timeout=30)
            assert r.status_code == 400 and "for Alice only" not in r.text
        finally:
            await a.close()
            await m.close()

    asyncio.run(scenario())


def test_sockets_without_a_valid_session_are_refused(live_site):
    url = live_site.url
    forged = customer(url)
    value = forged.cookies.get("kefu_session")
    tampered = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")

    def answer(namespace: str, headers: dict[str, str]) -> str:
        """The server's answer to a namespace connect, over raw engine.io long-polling."""
        base = f"{url}/socket.io/?EIO=4&transport=polling"
        opened = requests.get(base, headers=headers, timeout=10).text
        sid = json.loads(opened[opened.index("{") :])["sid"]
        requests.post(f"{base}&sid={sid}", data=f"40{namespace},", headers=headers, timeout=10)
        return requests.get(f"{base}&sid={sid}", headers=headers, timeout=30).text

    for headers in ({}, {"Cookie": f"kefu_session={tampered}"}):
        assert answer("/widget", headers).startswith("44/widget,")  # CONNECT_ERROR
    assert answer("/widget", cookie_header(forged)).startswith("40/widget,")  # CONNECT
    buyer = customer(url)
    for headers in ({}, cookie_header(buyer)):  # anonymous and customers: no console
        assert answer("/agent", headers).startswith("44/agent,")
    assert answer("/agent", cookie_header(staff(url))).startswith("40/agent,")


def test_a_reconnecting_widget_catches_up_in_order_without_duplicates(live_site):
    url = live_site.url

    async def scenario() -> None:
        buyer = customer(url)
        agent = await run_blocking(staff, url)
        ticket = await run_blocking(_claimed, url, buyer, agent)
        path = f"/conversations/{ticket['ticket_id']}/messages"
        first = Socket("polling")  # the browsers' fallback: pushes answer a pending poll
        await first.connect(url, "/widget", cookie_header(buyer))
        seen = await run_blocking(api, agent, url, path, {"text": "one"})
        await first.wait_for("message", lambda d: d["id"] == seen["id"])
        await first.close()  # the network drops
        missed = [
            await run_blocking(api, agent, url, path, {"text": text})
            for text in ("two", "three", "four")
        ]
        again = Socket("polling")
        await again.connect(url, "/widget", cookie_header(buyer))
        try:
            # the catch-up is all sent before its acknowledgement: nothing more comes after
            await again.call("catch_up", {"after": seen["id"]})
            await again.wait_for("message", lambda d: d["id"] == missed[-1]["id"])
            got = again.got("message")
            assert [m["id"] for m in got] == [m["id"] for m in missed]
            assert [m["text"] for m in got] == ["two", "three", "four"]
            history = buyer.get(f"{url}/chat/history", params={"after": seen["id"]}, timeout=30)
            assert [m["id"] for m in history.json()["messages"]] == [m["id"] for m in missed]
            full = buyer.get(f"{url}/chat/history", timeout=30).json()["messages"]
            ids = [m["id"] for m in full]
            assert len(ids) == len(set(ids)) and ids == sorted(ids, key=_order)
        finally:
            await again.close()

    asyncio.run(scenario())


def _order(message_id: str) -> tuple[int, int]:
    n, _, k = message_id.rsplit(":", 1)[1].partition(".")
    return int(n), int(k or 0)


def test_a_visitor_who_never_chatted_gets_an_empty_history(live_site):
    visitor = customer(live_site.url)
    r = visitor.get(f"{live_site.url}/chat/history", timeout=30)
    assert r.status_code == 200 and r.json()["messages"] == []


def test_typing_shows_on_both_sides(live_site):
    url = live_site.url

    async def scenario() -> None:
        buyer = customer(url)
        agent = await run_blocking(staff, url)
        ticket = await run_blocking(_claimed, url, buyer, agent)
        widget, console = Socket(), Socket()
        await widget.connect(url, "/widget", cookie_header(buyer))
        await console.connect(url, "/agent", cookie_header(agent))
        try:
            await console.call(
                "watch", {"ticket_id": ticket["ticket_id"]}
            )  # in the room once acknowledged
            await widget.emit("typing", {"typing": True})
            seen = await console.wait_for("typing")
            assert seen == {"ticket_id": ticket["ticket_id"], "who": "customer", "typing": True}
            path = f"/conversations/{ticket['ticket_id']}/typing"
            await run_blocking(api, agent, url, path, {"typing": True})
            shown = await widget.wait_for("typing")
            assert shown["who"] == "agent" and shown["typing"] is True and shown["name"]
        finally:
            await widget.close()
            await console.close()

    asyncio.run(scenario())
