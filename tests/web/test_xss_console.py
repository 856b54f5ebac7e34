"""The 500 XSS payloads through the agent console in Chromium (#16): 0 script executions.

Where the console shows text, the payloads are put in the site's own database and come
out of the real API: customers' names, e-mails, phones and cities (inbox, customer
panel), hand-off reasons, notes, canned replies, staff names, the overview's messages
the bot did not understand (a tracker store of payloads). A conversation's messages come
from Rasa's tracker, and there is no Rasa server here: that one answer is built by the
site's own code (:func:`web.transcript.messages` over tracker events of payloads: customer
texts, bot texts, buttons, product cards, agent replies with payload names) and served to
the page in place of the site's. Detection is :class:`tests.web.test_xss_payloads.Watch`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.servers import free_port
from tests.support.site import STAFF_PASSWORD, start_site
from tests.web.browser import browser, needs_chromium  # noqa: F401 - fixture
from tests.web.live import ADMIN, staff
from tests.web.test_xss_payloads import PAYLOADS, Watch

pytestmark = needs_chromium

TICKETS = 20
CUSTOMER_FIELDS = ("name", "email", "phone", "city")
# where each slice of the 500 payloads goes
SLICES = {
    "customers": (0, 80),  # 20 customers x 4 fields
    "reasons": (80, 100),  # one hand-off reason per ticket
    "notes": (100, 200),  # five notes per ticket
    "canned": (200, 300),  # 50 canned replies x 2 languages
    "staff": (300, 320),  # 20 staff names
    "messages": (320, 500),  # nine per conversation, in texts, buttons, cards, agent names
}


def _part(name: str) -> list[str]:
    start, end = SLICES[name]
    return PAYLOADS[start:end]


def test_the_slices_cover_every_payload_once():
    covered = [p for name in SLICES for p in _part(name)]
    assert covered == PAYLOADS


def _events(i: int) -> list[dict]:
    """Tracker events of conversation ``i``: nine payloads in every kind of message."""
    p = _part("messages")[9 * i : 9 * i + 9]
    user = {"intent": {"name": "complain", "confidence": 0.9}, "entities": []}
    card = {"id": "P0001", "name": p[3], "price": p[4], "url": p[5], "image": p[6]}
    return [
        {"event": "session_started", "timestamp": 1.0},
        {"event": "user", "timestamp": 2.0, "text": p[0], "parse_data": user},
        {
            "event": "bot",
            "timestamp": 3.0,
            "text": p[1],
            "data": {"buttons": [{"title": p[2], "payload": "/greet"}]},
        },
        {"event": "bot", "timestamp": 4.0, "text": "", "data": {"custom": {"products": [card]}}},
        {
            "event": "bot",
            "timestamp": 5.0,
            "text": p[7],
            "metadata": {"agent": {"id": 1, "name": p[8]}},
        },
        {"event": "user", "timestamp": 6.0, "text": p[8], "parse_data": user},
    ]


def _seed_database(db: Path) -> list[tuple[str, str]]:
    """Payload customers and their hand-offs: ``(conversation_id, customer_id)`` each."""
    from kefu.shop import queries as shop

    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute("SELECT id FROM customers ORDER BY id LIMIT ?", (TICKETS,))]
    values = _part("customers")
    for i, cid in enumerate(ids):
        row = values[4 * i : 4 * i + 4]
        sets = ", ".join(f"{field} = ?" for field in CUSTOMER_FIELDS)
        con.execute(f"UPDATE customers SET {sets} WHERE id = ?", [*row, cid])
    con.commit()
    con.close()
    url = f"sqlite:///{db}"
    conversations = []
    for i, (cid, reason) in enumerate(zip(ids, _part("reasons"), strict=True)):
        conv = f"web-{i:032x}"
        shop.open_ticket(conv, cid, "en", reason, [], url=url)
        conversations.append((conv, cid))
    return conversations


def _missed_store(path: Path) -> str:
    """A tracker store whose latest not-understood messages are payloads (the overview)."""
    from tests.analytics.trackers import _action, _user, build_tracker_store

    now = time.time()
    convs = {
        f"miss-{i}": [
            _action("action_session_start", now - 60 + i),
            _action("action_listen", now - 60 + i),
            _user(payload, "nlu_fallback", now - 50 + i),
        ]
        for i, payload in enumerate(_part("messages")[:5])
    }
    return build_tracker_store(str(path), convs)


@pytest.fixture(scope="module")
def console_site(site_env, tmp_path_factory):
    """A site over a copy of the test shop seeded with payloads, signed-in admin data
    (notes, canned replies, staff) added through its own API."""
    var = tmp_path_factory.mktemp("xss-console")
    source = sqlite3.connect(Path(site_env["KEFU_VAR_DIR"]) / "shop.db")
    db = sqlite3.connect(var / "shop.db")
    source.backup(db)  # WAL mode: the backup API copies what is still in the -wal file
    source.close()
    db.close()
    conversations = _seed_database(var / "shop.db")
    env = {
        **site_env,
        "KEFU_VAR_DIR": str(var),
        "KEFU_DATABASE_URL": f"sqlite:///{var / 'shop.db'}",
        # in a thread: Playwright's event loop runs in this one
        "KEFU_TRACKER_URL": ThreadPoolExecutor(1)
        .submit(_missed_store, var / "tracker.db")
        .result(),
    }
    site = start_site(env, var / "site.log", KEFU_RASA_URL=f"http://127.0.0.1:{free_port()}")
    site.shop_url = env["KEFU_DATABASE_URL"]
    try:
        admin = staff(site.url)
        api = f"{site.url}/agent/api"
        tickets = {
            t["conversation_id"]: t
            for t in admin.get(f"{api}/conversations?view=all", timeout=30).json()
        }
        site.tickets = [(tickets[conv], i) for i, (conv, _cid) in enumerate(conversations)]
        notes = _part("notes")
        for ticket, i in site.tickets:
            for text in notes[5 * i : 5 * i + 5]:
                r = admin.post(
                    f"{api}/conversations/{ticket['ticket_id']}/notes", json={"text": text}
                )
                assert r.status_code == 200, r.text
        canned = _part("canned")
        for k in range(50):
            body = {"shortcut": f"x{k}", "text_zh": canned[2 * k], "text_en": canned[2 * k + 1]}
            assert admin.post(f"{api}/canned", json=body, timeout=30).status_code == 200
        for k, name in enumerate(_part("staff")):
            body = {
                "email": f"xss{k}@example.org",
                "name": name,
                "role": "agent",
                "password": "agent-pass-1",
            }
            r = admin.post(f"{api}/staff", json=body, timeout=30)
            assert r.status_code == 201, r.text
        yield site
    finally:
        site.stop()


def _detail(site, ticket: dict, i: int) -> dict:
    """The console's view of a conversation, as the site builds it, with payload events."""
    from kefu.shop import queries as shop
    from web.customer_panel import customer_panel
    from web.transcript import messages

    url = site.shop_url
    transcript = messages(ticket["conversation_id"], _events(i), for_agent=True)
    return {
        **ticket,
        "messages": transcript,
        "notes": shop.notes_for(ticket["ticket_id"], url=url),
        "sentiment_trail": [],
        "customer_panel": customer_panel(ticket["customer"].get("id"), "en", url),
        "suggested_reply": {"text": transcript[0]["text"], "lang": "en", "source": "faq"},
    }


def test_the_agent_console_runs_no_payload(browser, console_site):  # noqa: F811
    details = {t["ticket_id"]: _detail(console_site, t, i) for t, i in console_site.tickets}
    page = browser.new_page()
    page.set_default_timeout(30_000)
    watch = Watch(page)
    one = re.compile(r".*/agent/api/conversations/(\d+)$")

    def conversation(route):
        found = one.match(urlsplit(route.request.url)._replace(query="").geturl())
        if route.request.method != "GET" or found is None:
            route.continue_()
            return
        body = details.get(int(found.group(1)))
        if body is None:
            route.continue_()
            return
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(one, conversation)
    watch.goto(console_site.url + "/staff/login")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url("**/agent")
    page.wait_for_selector("#agent-app[data-ready='true']", state="attached")
    watch.check("the console")
    page.click(".ag-view[data-view='pending']")
    seen = [page.evaluate("document.body.textContent")]
    for ticket, i in console_site.tickets:
        page.locator(f".ag-item-button[data-ticket='{ticket['ticket_id']}']").click()
        page.wait_for_selector(".ag-note .ag-text")
        page.wait_for_function(
            "t => document.querySelector('.ag-transcript') && "
            "document.querySelector('.ag-transcript').textContent.includes(t)",
            arg=_events(i)[1]["text"][:30],
        )
        watch.check(f"conversation {ticket['ticket_id']}")
        seen.append(page.evaluate("document.body.textContent"))
    shown = "\n".join(seen)
    found = {name: sum(p in shown for p in _part(name)) for name in SLICES}
    print(found)
    # shown as text: every kind of place the console fills from data
    assert found["notes"] == 100 and found["reasons"] >= 1, found
    assert found["staff"] == 20 and found["canned"] >= 50, found
    assert found["customers"] >= 20 and found["messages"] >= 100, found
    watch.assert_no_inline_script_allowed()
    page.close()
