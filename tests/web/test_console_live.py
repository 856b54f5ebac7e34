"""The console's newer parts on the real site, Rasa server and action server: the widget
told when an agent joins, suggested replies, the customer panel's scores, the live
overview, and what admins manage (opening hours, staff, canned replies) that agents may not."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from tests.support.site import DEMO_PASSWORD, STAFF_PASSWORD
from tests.web.live import (
    Socket,
    api,
    browser,
    cookie_header,
    customer,
    hand_off,
    run_blocking,
    say,
    staff,
)
from tests.web.test_widget_chat import customers_with_orders


def _post(s: requests.Session, url: str, path: str, body: object) -> requests.Response:
    return s.post(f"{url}/agent/api{path}", json=body, timeout=60)


def test_the_widget_is_told_who_joined_and_the_agent_gets_a_draft(live_site):
    url = live_site.url

    async def scenario() -> None:
        buyer = await run_blocking(customer, url, "zh")
        agent = await run_blocking(staff, url)
        me = await run_blocking(api, agent, url, "/me")
        widget = Socket()
        await widget.connect(url, "/widget", cookie_header(buyer))
        try:
            await run_blocking(say, buyer, url, "我要找人工客服")
            state = (await run_blocking(say, buyer, url, "/affirm"))["handoff"]
            ticket_id = state["ticket_id"]
            assert api(agent, url, f"/conversations/{ticket_id}")["lang"] == "zh"
            # a question the FAQ answers, while the conversation waits for an agent
            await run_blocking(say, buyer, url, "运费多少钱？包邮吗")
            detail = await run_blocking(api, agent, url, f"/conversations/{ticket_id}")
            draft = detail["suggested_reply"]
            assert draft is not None, detail["messages"][-3:]
            assert draft["lang"] == "zh" and draft["source"] == "faq"
            assert "99" in draft["text"]  # the shipping FAQ entry on fees, in Chinese
            assert (
                draft["message_id"]
                == [m for m in detail["messages"] if m["sender"] == "user"][-1]["id"]
            )

            await run_blocking(api, agent, url, f"/conversations/{ticket_id}/claim", {})
            joined = await widget.wait_for("handoff", lambda d: bool(d.get("joined")))
            assert joined["status"] == "open"
            assert joined["joined"]["name"] == me["name"]
            assert joined["joined"]["text"] == f"客服 {me['name']} 已接入。"

            await run_blocking(api, agent, url, f"/conversations/{ticket_id}/resolve", {})
            await widget.wait_for("handoff", lambda d: d.get("status") == "resolved")
        finally:
            await widget.close()

    asyncio.run(scenario())


def test_an_english_complaint_gets_an_english_draft(live_site):
    url = live_site.url
    buyer = customer(url, "en")
    agent = staff(url)
    ticket_id = hand_off(buyer, url)["handoff"]["ticket_id"]
    say(buyer, url, "this is terrible, I am very angry about the service")
    draft = api(agent, url, f"/conversations/{ticket_id}")["suggested_reply"]
    assert draft is not None and draft["lang"] == "en"
    assert draft["intent"] and draft["text"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in draft["text"])
    api(agent, url, f"/conversations/{ticket_id}/resolve", {})


def test_the_panel_scores_a_verified_customer_and_shows_a_visitor_nothing(live_site, bot_env):
    url = live_site.url
    agent = staff(url)
    info = customers_with_orders(bot_env, "en", n=3)[2]
    shopper = browser()
    shopper.get(f"{url}/lang/en", timeout=10)
    r = shopper.post(
        f"{url}/login",
        data={"email": info["email"], "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303, r.text
    ticket_id = hand_off(shopper, url)["handoff"]["ticket_id"]
    deadline = time.monotonic() + 120
    panel = api(agent, url, f"/conversations/{ticket_id}")["customer_panel"]
    while panel.get("scores_pending") and time.monotonic() < deadline:
        time.sleep(1)  # the shop is scored in the background, never in the request
        panel = api(agent, url, f"/conversations/{ticket_id}")["customer_panel"]
    assert panel["verified"] and panel["profile"]["id"] == info["id"]
    assert info["order"] in [o["id"] for o in panel["orders"]]  # the scores keep the orders
    assert panel["segment"]["key"] and panel["segment"]["zh"] and panel["segment"]["en"]
    assert float(panel["lifetime_value"]) > 0
    assert 0.0 <= panel["propensity"] <= 1.0
    assert {"r", "f", "m"} <= set(panel["rfm"])
    # personal suggestions from the recommender, sent as product cards
    ids = [p["id"] for p in panel["suggestions"][:2]]
    assert ids and all(p["name"] and p["price"] for p in panel["suggestions"])
    api(agent, url, f"/conversations/{ticket_id}/claim", {})
    sent = api(agent, url, f"/conversations/{ticket_id}/products", {"product_ids": ids})
    assert [c["id"] for c in sent["products"]] == ids
    api(agent, url, f"/conversations/{ticket_id}/resolve", {})

    visitor = customer(url, "en")
    ticket_id = hand_off(visitor, url)["handoff"]["ticket_id"]
    panel = api(agent, url, f"/conversations/{ticket_id}")["customer_panel"]
    assert panel == {"verified": False}
    api(agent, url, f"/conversations/{ticket_id}/resolve", {})


def test_a_visitor_panel_shows_the_order_they_proved_and_nothing_more(live_site, bot_env):
    url = live_site.url
    agent = staff(url)
    owner, stranger = customers_with_orders(bot_env, "en", n=2)
    visitor = customer(url, "en")
    asked = say(visitor, url, f"where is my order {owner['order']}")
    assert owner["tracking"] not in json.dumps(asked)  # nothing before the proof
    # someone else's order with the visitor's contact proves nothing
    answer = say(visitor, url, owner["email"])
    assert owner["tracking"] in " ".join(m.get("text") or "" for m in answer["messages"])
    say(visitor, url, f"where is my order {stranger['order']}")
    ticket_id = hand_off(visitor, url)["handoff"]["ticket_id"]
    panel = api(agent, url, f"/conversations/{ticket_id}")["customer_panel"]
    assert set(panel) == {"verified", "proved_orders"} and panel["verified"] is False
    assert [o["id"] for o in panel["proved_orders"]] == [owner["order"]]
    assert panel["proved_orders"][0]["tracking_number"] == owner["tracking"]
    shown = json.dumps(panel, ensure_ascii=False)
    for private in (owner["id"], owner["email"], stranger["id"], stranger["email"]):
        assert private not in shown
    assert not (owner["orders"] - {owner["order"]}) & set(re.findall(r"KF\d+", shown))
    assert stranger["order"] not in shown
    api(agent, url, f"/conversations/{ticket_id}/resolve", {})


def _not_understood(rasa) -> str:
    """A message the bot's NLU gives ``nlu_fallback`` (asked of the Rasa server itself)."""
    for text in ("qwzx plorb fnargle", "zzzz", "??? !!!", "ok ok ok no", "the the the", "x"):
        parsed = requests.post(
            f"{rasa.url}/model/parse", params={"token": rasa.token}, json={"text": text}, timeout=30
        ).json()
        if parsed["intent"]["name"] == "nlu_fallback":
            return text
    raise AssertionError("every candidate was understood")


def test_the_overview_counts_today_and_what_the_bot_missed(live_site, api_rasa_server):
    url = live_site.url
    agent = staff(url)
    before = api(agent, url, "/overview")
    missed = _not_understood(api_rasa_server)
    visitor = customer(url, "en")
    say(visitor, url, "hello")
    say(visitor, url, missed)
    api(agent, url, "/duty", {"on_duty": True})
    ticket_id = hand_off(customer(url, "en"), url)["handoff"]["ticket_id"]
    time.sleep(5.5)  # the tracker figures are cached for five seconds
    after = api(agent, url, "/overview")
    for key in (
        "conversations_today",
        "containment",
        "waiting",
        "longest_wait_s",
        "agents_on_duty",
        "csat_today",
        "not_understood_last_hour",
    ):
        assert key in after, key
    assert after["conversations_today"] >= (before["conversations_today"] or 0) + 2
    assert 0.0 <= after["containment"] < 1.0
    assert after["agents_on_duty"] >= 1
    assert after["not_understood_last_hour"] >= 1
    assert missed in after["not_understood_messages"]
    api(agent, url, f"/conversations/{ticket_id}/resolve", {})
    api(agent, url, "/duty", {"on_duty": False})


def test_admins_manage_hours_staff_and_canned_replies_and_agents_are_refused(live_site):
    url = live_site.url
    admin = staff(url)
    email = f"agent-{datetime.now().strftime('%H%M%S%f')}@example.com"
    r = _post(
        admin,
        url,
        "/staff",
        {"email": email, "name": "Bo", "role": "agent", "password": STAFF_PASSWORD},
    )
    assert r.status_code == 201, r.text
    agent = staff(url, email)
    assert api(agent, url, "/me")["role"] == "agent"

    # agents read the hours and the canned replies but change nothing
    assert "opening_hours" in api(agent, url, "/hours")
    api(agent, url, "/canned")
    for path, body in (
        ("/hours", {"opening_hours": "", "support_tz": "UTC"}),
        ("/canned", {"shortcut": "x", "text_zh": "好", "text_en": "ok"}),
        ("/staff", {"email": "x@example.com", "name": "X", "password": "long-enough-pw"}),
        ("/staff/disable", {"email": email}),
    ):
        assert _post(agent, url, path, body).status_code == 403, path
    assert agent.get(f"{url}/agent/api/staff", timeout=10).status_code == 403

    # bad hours are refused with the reason; nothing is stored
    bad = _post(admin, url, "/hours", {"opening_hours": "someday 9-5", "support_tz": "UTC"})
    assert bad.status_code == 400 and "mon-fri" in bad.json()["error"]
    assert (
        _post(admin, url, "/hours", {"opening_hours": "", "support_tz": "Mars/Base"}).status_code
        == 400
    )

    # hours that are closed now: a new hand-off is told the hours
    tz = "Asia/Shanghai"
    tomorrow = (datetime.now(ZoneInfo(tz)) + timedelta(days=1)).strftime("%a").lower()
    spec = f"{tomorrow} 09:00-18:00"
    try:
        saved = _post(admin, url, "/hours", {"opening_hours": spec, "support_tz": tz})
        assert saved.status_code == 200, saved.text
        assert saved.json() == {
            "opening_hours": spec,
            "support_tz": tz,
            "custom": True,
            "open_now": False,
        }
        state = hand_off(customer(url, "en"), url)["handoff"]
        assert state["in_hours"] is False and state["hours"] == spec
        assert spec in state["text"]
        api(admin, url, f"/conversations/{state['ticket_id']}/resolve", {})
    finally:
        reset = _post(admin, url, "/hours", {"reset": True})
    assert reset.status_code == 200 and reset.json()["custom"] is False

    # disabling signs the agent out everywhere
    assert _post(admin, url, "/staff/disable", {"email": email}).status_code == 200
    assert agent.get(f"{url}/agent/api/me", timeout=10).status_code == 401
    assert _post(admin, url, "/staff/disable", {"email": "admin@localhost"}).status_code == 400


def test_a_reply_claims_a_waiting_chat_and_is_refused_on_anothers_or_a_resolved_one(live_site):
    url = live_site.url
    admin = staff(url)
    email = f"agent-r-{datetime.now().strftime('%H%M%S%f')}@example.com"
    created = _post(
        admin,
        url,
        "/staff",
        {"email": email, "name": "Rea", "role": "agent", "password": STAFF_PASSWORD},
    )
    assert created.status_code == 201, created.text
    rea = staff(url, email)
    buyer = customer(url, "en")
    ticket_id = hand_off(buyer, url)["handoff"]["ticket_id"]
    say(buyer, url, "hello? is anyone there")

    def mine() -> dict:
        (row,) = (
            t for t in api(rea, url, "/conversations?view=mine") if t["ticket_id"] == ticket_id
        )
        return row

    # a reply to a waiting conversation claims it for the agent who answers
    api(rea, url, f"/conversations/{ticket_id}/messages", {"text": "Hi, Rea here."})
    row = mine()
    assert row["status"] == "open" and row["assignee"]["name"] == "Rea"
    assert row["first_reply_at"] and row["unread"] == 0
    first_reply = row["first_reply_at"]
    # another agent's conversation: refused, nothing sent
    taken = _post(admin, url, f"/conversations/{ticket_id}/messages", {"text": "me too"})
    assert taken.status_code == 409
    assert taken.json()["error"] == "another agent has this conversation"
    # the owner's next reply counts the customer's message as read, first reply unchanged
    say(buyer, url, "and where is my refund?")
    assert mine()["unread"] == 1
    api(rea, url, f"/conversations/{ticket_id}/messages", {"text": "Looking into it."})
    row = mine()
    assert row["unread"] == 0 and row["first_reply_at"] == first_reply
    texts = [m.get("text") for m in api(rea, url, f"/conversations/{ticket_id}")["messages"]]
    assert "me too" not in texts and texts.count("Looking into it.") == 1
    api(rea, url, f"/conversations/{ticket_id}/resolve", {})
    late = _post(rea, url, f"/conversations/{ticket_id}/messages", {"text": "late"})
    assert late.status_code == 409
    assert late.json()["error"] == "the conversation is not waiting for an agent"
