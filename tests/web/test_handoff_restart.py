"""A restart of the site and of the Rasa server in the middle of a hand-off loses nothing."""

from __future__ import annotations

from pathlib import Path

from tests.support.site import DEMO_PASSWORD, STAFF_PASSWORD, start_site
from tests.web.live import api, customer, hand_off, say, staff


def test_queue_transcript_and_agent_view_survive_restarts(bot_env, api_rasa_server, tmp_path):
    env = {
        **bot_env,
        "KEFU_RASA_URL": api_rasa_server.url,
        "KEFU_RASA_TOKEN": api_rasa_server.token,
        "KEFU_DEMO_PASSWORD": DEMO_PASSWORD,
        "KEFU_STAFF_PASSWORD": STAFF_PASSWORD,
    }
    site = start_site(env, Path(tmp_path) / "site-1.log")
    try:
        buyer = customer(site.url)
        agent = staff(site.url)
        ticket_id = hand_off(buyer, site.url)["handoff"]["ticket_id"]
        api(agent, site.url, f"/conversations/{ticket_id}/claim", {})
        api(agent, site.url, f"/conversations/{ticket_id}/messages", {"text": "before restart"})
        say(buyer, site.url, "my order never came")
        view_before = api(agent, site.url, f"/conversations/{ticket_id}")
        history_before = buyer.get(f"{site.url}/chat/history", timeout=30).json()["messages"]
    finally:
        site.stop()
    api_rasa_server.restart()
    site = start_site(env, Path(tmp_path) / "site-2.log")
    try:
        # the same cookies still work: the staff and customer sessions survive
        mine = api(agent, site.url, "/conversations?view=mine")
        assert [t["ticket_id"] for t in mine].count(ticket_id) == 1
        view_after = api(agent, site.url, f"/conversations/{ticket_id}")
        assert view_after["status"] == "open"
        assert view_after["messages"] == view_before["messages"]
        history = buyer.get(f"{site.url}/chat/history", timeout=30).json()["messages"]
        assert history == history_before
        ids = [m["id"] for m in history]
        assert len(ids) == len(set(ids))
        # the conversation is still with the agent: no bot answer, one ticket
        during = say(buyer, site.url, "hello? anyone?")
        assert during["messages"] == [] and during["handoff"]["ticket_id"] == ticket_id
        sent = api(agent, site.url, f"/conversations/{ticket_id}/messages", {"text": "after"})
        later = buyer.get(
            f"{site.url}/chat/history", params={"after": history[-1]["id"]}, timeout=30
        ).json()["messages"]
        assert [m["text"] for m in later] == ["hello? anyone?", "after"]
        assert later[-1]["id"] == sent["id"]
        texts = [m.get("text") for m in history]
        assert texts.count("before restart") == 1 and texts.count("my order never came") == 1
    finally:
        site.stop()
