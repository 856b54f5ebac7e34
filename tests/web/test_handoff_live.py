"""Live hand-off through the real site, Rasa server and action server (sockets and API)."""

from __future__ import annotations

import asyncio

import requests
from sqlalchemy import select

from tests.support.servers import http_json
from tests.web.live import (
    Socket,
    api,
    cookie_header,
    customer,
    hand_off,
    run_blocking,
    say,
    staff,
)


def _tracker_events(rasa, conversation_id: str) -> list[dict]:
    url = (
        f"{rasa.url}/conversations/{conversation_id}/tracker?include_events=ALL&token={rasa.token}"
    )
    return http_json(url)["events"]


async def _stored(rasa, conversation_id: str, index: int) -> list[dict]:
    """The tracker's events once the event ``index`` is there (the outbox writes it
    right after the push)."""
    for _ in range(100):
        events = await run_blocking(_tracker_events, rasa, conversation_id)
        if len(events) > index:
            return events
        await asyncio.sleep(0.1)
    raise AssertionError(f"event {index} never reached the tracker")


def test_a_customer_is_handed_off_answered_and_handed_back(live_site, api_rasa_server, bot_env):
    url = live_site.url

    async def scenario() -> None:
        buyer = await run_blocking(customer, url)
        agent = await run_blocking(staff, url)
        me = await run_blocking(api, agent, url, "/me")
        await run_blocking(api, agent, url, "/duty", {"on_duty": False})
        widget, console = Socket(), Socket()
        await widget.connect(url, "/widget", cookie_header(buyer))
        await console.connect(url, "/agent", cookie_header(agent))
        try:
            done = await run_blocking(hand_off, buyer, url)
            state = done["handoff"]
            assert state["status"] == "pending" and state["position"] >= 1
            assert state["text"]  # the customer is told where they stand
            ticket_id = state["ticket_id"]
            # the new hand-off reaches the console
            await console.wait_for("ticket", lambda t: t["ticket_id"] == ticket_id)
            listed = await run_blocking(api, agent, url, "/conversations?view=pending")
            assert ticket_id in [t["ticket_id"] for t in listed]
            claimed = await run_blocking(api, agent, url, f"/conversations/{ticket_id}/claim", {})
            assert claimed["status"] == "open" and claimed["assignee"]["id"] == me["id"]
            await console.call("watch", {"ticket_id": ticket_id})  # in the room once acknowledged

            # a customer message during the hand-off: no bot answer, a notice, the agent sees it
            during = await run_blocking(say, buyer, url, "where is my parcel? this is so slow")
            assert during["messages"] == [] and during["handoff"]["notice"]
            pushed = await console.wait_for(
                "message", lambda m: m["sender"] == "user" and "parcel" in m["text"]
            )
            assert pushed["ticket_id"] == ticket_id and pushed["id"] == during["id"]
            # pushed before Rasa has it; what the bot understood follows once it is stored
            seen = await console.wait_for("understood", lambda u: u["id"] == during["id"])
            assert seen["ticket_id"] == ticket_id
            assert seen["intent"] and isinstance(seen["confidence"], float)
            assert seen["sentiment"]["label"] in ("positive", "negative", "neutral")

            # the agent answers: the customer's socket gets it, the tracker keeps it
            sent = await run_blocking(
                api, agent, url, f"/conversations/{ticket_id}/messages", {"text": "Checking now."}
            )
            got = await widget.wait_for("message", lambda m: m["id"] == sent["id"])
            assert got["sender"] == "agent" and got["agent"] == {"name": me["name"]}
            conv = claimed["conversation_id"]
            index = int(sent["id"].rsplit(":", 1)[1])
            events = await _stored(api_rasa_server, conv, index)
            assert events[index]["event"] == "bot" and events[index]["text"] == "Checking now."
            assert events[index]["metadata"]["agent"] == {"id": me["id"], "name": me["name"]}

            # a private note never reaches the customer
            secret = "note: customer threatened chargeback"
            await run_blocking(
                api, agent, url, f"/conversations/{ticket_id}/notes", {"text": secret}
            )
            history = (await run_blocking(buyer.get, f"{url}/chat/history")).json()
            assert secret not in str(history) and secret not in str(widget.events)
            view = await run_blocking(api, agent, url, f"/conversations/{ticket_id}")
            assert [n["text"] for n in view["notes"]] == [secret]
            texts = [m["text"] for m in view["messages"] if m.get("text")]
            assert "Checking now." in texts and any("parcel" in t for t in texts)
            user_msgs = [m for m in view["messages"] if m["sender"] == "user"]
            assert all("intent" in m and "fallback" in m for m in user_msgs)

            # resolve: the bot is back and asks for a score of the agent's help
            resolved = await run_blocking(
                api, agent, url, f"/conversations/{ticket_id}/resolve", {}
            )
            assert resolved["status"] == "resolved" and resolved["resolved_by"] == me["id"]
            await widget.wait_for("handoff", lambda h: h.get("status") == "resolved")
            ask = await widget.wait_for("message", lambda m: "1 to 5" in (m.get("text") or ""))
            assert ask["sender"] == "bot" and ask.get("buttons")
            again = await run_blocking(
                api_post_status, agent, url, f"/conversations/{ticket_id}/resolve"
            )
            assert again == 409
            # the next message is the bot's again: the score is stored with the agent
            thanks = await run_blocking(say, buyer, url, "5")
            assert "handoff" not in thanks and thanks["messages"]
            assert "5" in thanks["messages"][0]["text"]
        finally:
            await widget.close()
            await console.close()
        return ticket_id, me["id"], conv

    ticket_id, agent_id, conv = asyncio.run(scenario())
    from kefu.shop import session_scope
    from kefu.shop.models import Csat

    with session_scope(bot_env["KEFU_DATABASE_URL"]) as s:
        rows = s.scalars(select(Csat).where(Csat.conversation_id == conv)).all()
        assert [(r.score, r.agent_id, r.ticket_id) for r in rows] == [(5, agent_id, ticket_id)]


def api_post_status(s: requests.Session, url: str, path: str) -> int:
    return s.post(f"{url}/agent/api{path}", json={}, timeout=60).status_code


def test_a_customer_can_go_back_to_the_bot_and_asking_twice_keeps_one_ticket(live_site):
    url = live_site.url
    buyer = customer(url, "zh")
    first = hand_off(buyer, url)
    again = say(buyer, url, "转人工")  # while handed off: reaches the queue, no new ticket
    assert (
        again["messages"] == [] and again["handoff"]["ticket_id"] == first["handoff"]["ticket_id"]
    )
    assert "人工客服队列" in again["handoff"]["notice"]
    r = buyer.post(f"{url}/chat/handoff/end", json={}, timeout=60)
    assert r.json() == {"handoff": {"status": "resolved"}}
    back = say(buyer, url, "运费多少钱")
    assert "handoff" not in back and back["messages"]  # the bot answers again
