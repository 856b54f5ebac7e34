"""500 XSS payloads (tests/data/security/xss_payloads.txt) through every place the site
shows text, rendered in Chromium: 0 script executions, and no page allows inline script.

A payload "runs" when a dialog opens (``alert``), when it sets the ``window.__xss``
marker, or when Chromium refuses it by CSP (a console error: the markup reached the page
even though the policy stopped it). Places: the chat widget (customer messages typed and
in the history; bot text, buttons and product cards), the shop (search query; product
names and descriptions from the database, on listing and product pages, both
languages), and the analytics reports (a texts file of payloads and a conversation store
of them, rendered as files and through ``/analytics``).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.nlp import conftest as nlp_fixtures
from tests.support.servers import free_port
from tests.support.site import STAFF_PASSWORD, start_site
from tests.web.browser import browser, needs_chromium  # noqa: F401 - fixture

sentiment_data = nlp_fixtures.sentiment_data
binary_sentiment_data = nlp_fixtures.binary_sentiment_data
sentiment_model = nlp_fixtures.sentiment_model

pytestmark = needs_chromium
PAYLOADS_FILE = Path(__file__).resolve().parents[1] / "data" / "security" / "xss_payloads.txt"
PAYLOADS = [
    line
    for line in PAYLOADS_FILE.read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
PRODUCT_FIELDS = ("name_en", "name_zh", "description_en", "description_zh")


def test_the_payload_list_has_500_distinct_payloads():
    assert len(PAYLOADS) == len(set(PAYLOADS)) == 500
    assert sum("<script" in p.lower() for p in PAYLOADS) >= 50
    assert sum("javascript:" in p.lower() for p in PAYLOADS) >= 50
    assert any("<svg" in p for p in PAYLOADS) and any("<math" in p for p in PAYLOADS)


class Watch:
    """Everything on a page that says a payload ran or reached the DOM as markup."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.csp: dict[str, str] = {}
        page.on("dialog", self._dialog)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", self._response)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _response(self, response) -> None:
        if response.request.resource_type == "document" and response.url.startswith("http"):
            self.csp[response.url] = response.headers.get("content-security-policy", "")

    def goto(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        self.check(url)

    def check(self, where: str) -> None:
        marker = self.page.evaluate(
            "() => window.__xss === undefined ? null : String(window.__xss)"
        )
        assert marker is None, f"a payload set window.__xss on {where}"
        assert not self.dialogs, f"a payload opened a dialog on {where}: {self.dialogs[:3]}"
        refused = [e for e in self.errors if "Content Security Policy" in e or "Refused" in e]
        assert not refused, f"markup from a payload reached {where}: {refused[:3]}"
        assert not [e for e in self.errors if "Failed to load resource" not in e], self.errors[:3]

    def assert_no_inline_script_allowed(self) -> None:
        assert self.csp, "no page was loaded over HTTP"
        for url, policy in self.csp.items():
            assert policy, f"{url} has no Content-Security-Policy"
            directives = dict(
                (d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";") if d.strip()
            )
            scripts = directives.get("script-src", directives.get("default-src"))
            assert scripts is not None, f"{url}: no script-src or default-src"
            assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, url


@pytest.fixture(scope="module")
def xss_site(site_env, tmp_path_factory):
    """The site over a copy of the test shop whose product texts are the payloads, with a
    texts report and a conversations report made from the payloads."""
    var = tmp_path_factory.mktemp("xss-var")
    # the backup API: the shop runs in WAL mode, recent rows may still be in shop.db-wal
    source = sqlite3.connect(Path(site_env["KEFU_VAR_DIR"]) / "shop.db")
    db = sqlite3.connect(var / "shop.db")
    source.backup(db)
    source.close()
    ids = [row[0] for row in db.execute("SELECT id FROM products ORDER BY id")]
    needed = -(-len(PAYLOADS) // len(PRODUCT_FIELDS))
    assert len(ids) >= needed
    products = ids[:needed]
    for i, product_id in enumerate(products):
        values = [PAYLOADS[(i * 4 + k) % len(PAYLOADS)] for k in range(len(PRODUCT_FIELDS))]
        sets = ", ".join(f"{field} = ?" for field in PRODUCT_FIELDS)
        db.execute(f"UPDATE products SET {sets} WHERE id = ?", [*values, product_id])
    db.commit()
    db.close()
    env = {
        **site_env,
        "KEFU_VAR_DIR": str(var),
        "KEFU_DATABASE_URL": f"sqlite:///{var / 'shop.db'}",
    }
    site = start_site(env, var / "site.log", KEFU_RASA_URL=f"http://127.0.0.1:{free_port()}")
    site.products = products
    site.var = var
    yield site
    site.stop()


@pytest.fixture(scope="module")
def payload_reports(xss_site, sentiment_model):
    """A texts report and a conversations report made from the payloads, under the
    site's ``var/reports`` (what ``/analytics`` lists)."""
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from analytics import run_conversations, run_texts
    from analytics.texts import TextsOptions
    from tests.analytics.trackers import DAY1, _action, _user

    source = xss_site.var / "payloads.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category", "product", "channel"])
        for payload in PAYLOADS:
            # complaints, so payloads are also the report's example texts
            writer.writerow(
                [f"太差了 terrible {payload}", payload[:40], payload[-40:], payload[:20]]
            )
    reports = xss_site.var / "reports"
    texts_dir, _ = run_texts(
        source,
        TextsOptions(progress=False, workers=1, themes=8),
        reports,
        sentiment_model=sentiment_model,
    )

    def write_store() -> None:  # in a thread: Playwright's loop runs in this one
        store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(xss_site.var / "t.db"))
        for i, payload in enumerate(PAYLOADS):
            events = [
                _action("action_listen", DAY1 + i),
                _user(payload, "nlu_fallback", DAY1 + i + 0.5, "negative"),
                _action("action_listen", DAY1 + i + 0.6),
            ]
            asyncio.run(store.save(DialogueStateTracker.from_events(f"x{i}", events, [])))
        store.engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(write_store).result()
    conv_dir, summary = run_conversations(
        f"sqlite:///{xss_site.var / 't.db'}", None, reports, redact=False
    )
    assert sum(len(v) for v in summary["not_understood"].values()) >= 20
    return texts_dir, conv_dir


def test_the_shop_pages_run_no_payload(browser, xss_site):  # noqa: F811
    page = browser.new_page()
    watch = Watch(page)
    for i, payload in enumerate(PAYLOADS):
        watch.goto(f"{xss_site.url}/?q={quote(payload)}")
        if i == 0:
            assert page.locator("input[name=q]").input_value() == payload[:100]
    for lang in ("en", "zh"):
        watch.goto(f"{xss_site.url}/lang/{lang}")
        for page_no in range(1, 2 + len(xss_site.products) // 24):
            watch.goto(f"{xss_site.url}/?page={page_no}")
        for product_id in xss_site.products:
            watch.goto(f"{xss_site.url}/products/{product_id}")
    watch.assert_no_inline_script_allowed()
    page.close()


def test_the_chat_widget_runs_no_payload(browser, xss_site):  # noqa: F811
    page = browser.new_page()
    watch = Watch(page)
    history = []
    for payload in PAYLOADS:
        history.append({"sender": "user", "text": payload})
        history.append(
            {
                "sender": "bot",
                "text": payload,
                "buttons": [{"title": payload, "payload": "/greet"}],
                "custom": {
                    "products": [
                        {
                            "id": "P1",
                            "name": payload,
                            "price": payload,
                            "url": payload,
                            "image": payload,
                        }
                    ]
                },
            }
        )
    page.route(
        "**/chat/history",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"messages": history})
        ),
    )

    def echo(route):
        text = json.loads(route.request.post_data or "{}").get("message", "")
        body = {
            "messages": [
                {"sender": "bot", "text": text, "buttons": [{"title": text, "payload": "/x"}]}
            ]
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/chat/message", echo)
    page.set_default_timeout(15_000)
    watch.goto(xss_site.url + "/")
    # the widget reads the history when the chat is opened (or the browser chatted before)
    page.wait_for_selector("#kefu-chat[data-ready='true']", state="attached")
    if page.is_hidden(".kefu-panel"):
        page.click(".kefu-launcher")
    # 1,000 hostile messages and 500 cards to lay out: on a loaded machine (2 shared
    # cores) that alone took 24 s, over the 15 s an interaction may take
    page.wait_for_selector("#kefu-chat[data-history='loaded']", state="attached", timeout=90_000)
    shown = page.locator(".kefu-panel").inner_text()
    assert PAYLOADS[0] in shown and PAYLOADS[250] in shown  # shown as text
    watch.check("the widget's history")
    for payload in PAYLOADS[::10]:  # typed by the customer, echoed by the bot
        before = page.locator(".kefu-msg").count()
        page.fill(".kefu-input", payload)
        page.keyboard.press("Enter")
        page.wait_for_function(
            "n => document.querySelectorAll('.kefu-msg').length >= n + 2", arg=before
        )
        watch.check("the widget after a typed message")
    assert PAYLOADS[-10] in page.locator(".kefu-log").inner_text()
    watch.assert_no_inline_script_allowed()
    page.close()


def test_the_analytics_reports_run_no_payload(browser, xss_site, payload_reports):  # noqa: F811
    texts_dir, conv_dir = payload_reports
    html = (texts_dir / "report.html").read_text(encoding="utf-8")
    assert "terrible" in html  # the payload texts are in the report (as examples)
    page = browser.new_page()
    watch = Watch(page)
    for directory in (texts_dir, conv_dir):  # as a file: no CSP to help
        watch.goto((directory / "report.html").as_uri())
    watch.goto(xss_site.url + "/staff/login")
    page.fill("input[name=email]", "admin@localhost")  # the first admin (staff accounts, #13)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url("**/agent")
    watch.goto(xss_site.url + "/analytics")
    watch.check("/analytics")
    for directory in (texts_dir, conv_dir):
        watch.goto(f"{xss_site.url}/analytics/{directory.name}/report.html")
    watch.assert_no_inline_script_allowed()
    page.close()


@pytest.mark.parametrize(
    "markup", ["<img src=x onerror=alert(1)>", "<svg onload=window.__xss=1>", PAYLOADS[100]]
)
def test_the_watch_sees_a_payload_that_runs(browser, markup):  # noqa: F811
    """The detector itself: a page that does render a payload as HTML fails the check."""
    page = browser.new_page()
    watch = Watch(page)
    page.set_content(markup)
    page.wait_for_timeout(200)
    with pytest.raises(AssertionError):
        watch.check("a page that renders the payload")
    page.close()
