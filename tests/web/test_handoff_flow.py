"""Live hand-off end to end: a customer and an agent in two browser contexts.

The real site, Rasa server (HTTP API) and action server run on free ports (fixtures in
tests/support/). The agent is off duty when the customer is handed off, so
that nobody is assigned automatically and the customer waits in the queue until the agent
(then on duty) claims the conversation; the support hours cover the whole week. Screenshots of both
sides go to the test's output directory. Everything hostile (agent name, canned reply,
note) must come out as text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import ROOT
from tests.support.site import DEMO_PASSWORD, Site, start_site
from tests.web.a11y import axe_violations
from tests.web.browser import browser, needs_chromium, open_chat, output_dir  # noqa: F401
from tests.web.test_widget_chat import click_reply, customers_with_orders, send, sign_in

pytestmark = needs_chromium

AGENT_PASSWORD = "agent-test-pass-1"
HOSTILE_NAME = "Ann <img src=x onerror=alert(1)>"
BOT_TIMEOUT = 60_000
CSAT_QUESTION = re.compile(r"1\s*(-|–|to|到|至)\s*5")
TICKET_NUMBER = re.compile(r"(?:工单号|ticket)\s*(\d+)")
SCREENSHOTS = ROOT / "docs" / "screenshots"
# the zh screenshots replace the published ones in docs/ only when asked: a test run
# never changes tracked files (they always go to test-results/)
PUBLISH = os.environ.get("KEFU_PUBLISH_SCREENSHOTS") == "1"


@pytest.fixture(scope="module")
def handoff_site(bot_env, api_rasa_server) -> Iterator[Site]:
    """The site in front of the real bot, auto-assignment off, support open all week."""
    log = Path(bot_env["KEFU_VAR_DIR"]) / "web-handoff.log"
    site = start_site(
        bot_env,
        log,
        KEFU_RASA_URL=api_rasa_server.url,
        KEFU_RASA_TOKEN=api_rasa_server.token,
        KEFU_SUPPORT_HOURS="mon-sun 00:00-23:59",
        KEFU_DEMO_PASSWORD=DEMO_PASSWORD,
    )
    yield site
    site.stop()


def add_staff(bot_env, email: str, name: str, role: str) -> None:
    """``kefu staff add`` with the password on stdin (idempotent for the session)."""
    result = subprocess.run(
        [sys.executable, "-m", "kefu.cli", "staff", "add", email, "--name", name, "--role", role],
        input=AGENT_PASSWORD + "\n",
        text=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **bot_env},
        timeout=120,
    )
    assert result.returncode == 0 or "exists" in result.stderr, result.stderr


def agent_console(context, site_url: str, email: str):
    """Sign ``email`` in as staff and open the console, off duty (no auto-assignment)."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(site_url + "/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", AGENT_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_load_state()
    page.goto(site_url + "/agent")
    page.wait_for_selector("#agent-app[data-ready='true']", state="attached")
    if page.is_checked("#ag-duty"):
        page.uncheck("#ag-duty")
    return page


def add_canned(page, shortcut: str, text_zh: str, text_en: str) -> None:
    form = page.locator(".ag-canned-form")
    form.locator("[name=shortcut]").fill(shortcut)
    form.locator("[name=text_zh]").fill(text_zh)
    form.locator("[name=text_en]").fill(text_en)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f".ag-canned-list code:text-is('/{shortcut}')")


def customer_text(page) -> str:
    return " ".join(page.locator(".kefu-log").all_text_contents())


def told_ticket(customer) -> str:
    """The ticket number the bot gave the customer when it handed them off."""
    found = TICKET_NUMBER.findall(customer_text(customer))
    assert found, customer_text(customer)
    return found[-1]


def wait_for_ticket(page, ticket_id: str):
    """The customer's conversation in the pending view, once it arrived (pushed, no reload).

    Found by the number the customer was told: the session's shop is shared, and earlier
    tests may have left other customers waiting ahead of this one (oldest first).
    """
    page.check("#ag-duty")
    page.click(".ag-view[data-view='pending']")
    item = page.locator(f".ag-item-button[data-ticket='{ticket_id}']")
    item.wait_for(timeout=BOT_TIMEOUT)
    return item


def idle(agent) -> None:
    """Wait until the console has shown the result of the last action."""
    agent.wait_for_selector("#agent-app:not([data-busy])", state="attached")


def claim_and_answer(agent, customer, canned_text: str, product_id: str, note: str) -> None:
    agent.click(".ag-claim")
    agent.wait_for_selector(".ag-conv-head .ag-status-open")
    # the canned reply: /shortcut and a space expands in the composer
    idle(agent)
    agent.fill(".ag-reply", "")
    agent.type(".ag-reply", "/sorry ")
    assert agent.input_value(".ag-reply") == canned_text
    agent.click(".ag-send")
    customer.wait_for_selector(".kefu-agent .kefu-bubble", timeout=BOT_TIMEOUT)
    assert customer.locator(".kefu-agent .kefu-bubble").last.text_content() == canned_text
    assert customer.locator(".kefu-agent .kefu-agent-name").last.text_content() == HOSTILE_NAME
    # a product card
    idle(agent)
    agent.fill(".ag-product-id", product_id)
    agent.eval_on_selector(".ag-toast", "e => { e.hidden = true; }")
    agent.click(".ag-send-card")
    agent.wait_for_selector(".ag-toast:not([hidden])")
    assert "ag-toast-error" not in agent.get_attribute(".ag-toast", "class"), agent.text_content(
        ".ag-toast"
    )
    customer.wait_for_selector(".kefu-agent .kefu-card", timeout=BOT_TIMEOUT)
    link = customer.locator(".kefu-agent .kefu-card-link").last
    assert link.get_attribute("href").endswith(f"/products/{product_id}")
    name = customer.locator(".kefu-agent .kefu-card-name").last.text_content()
    assert name in link.get_attribute("aria-label")
    # a private note: shown to staff as a note, never to the customer
    idle(agent)
    agent.fill(".ag-reply", note)
    agent.click(".ag-note-button")
    agent.wait_for_selector(".ag-note .ag-text")
    assert agent.locator(".ag-note .ag-text").last.text_content() == note


def resolve_and_rate(agent, customer, next_message: str) -> None:
    bots = customer.locator(".kefu-bot:not(.kefu-agent)").count()
    idle(agent)
    agent.click(".ag-resolve")
    agent.click(".ag-resolve-confirm")
    agent.wait_for_selector(".ag-conv-head .ag-status-resolved")
    # the bot asks for the rating (pushed to the open widget)
    customer.wait_for_function(
        "n => document.querySelectorAll('.kefu-log .kefu-bot:not(.kefu-agent)').length > n",
        arg=bots,
        timeout=BOT_TIMEOUT,
    )
    assert CSAT_QUESTION.search(customer_text(customer)), customer_text(customer)
    # and answers the next message itself
    send(customer, next_message)
    last = customer.locator(".kefu-log .kefu-msg").last
    assert "kefu-bot" in last.get_attribute("class")
    assert "kefu-agent" not in last.get_attribute("class")


def check_no_leaks(customer, agent, note: str, dialogs: list) -> None:
    assert note not in customer_text(customer)
    assert customer.locator(".kefu-log img[src='x'], .kefu-log script").count() == 0
    assert agent.locator("img[src='x']").count() == 0
    assert dialogs == []


def screenshots(request, customer, agent, tag: str, publish: bool) -> None:
    out = output_dir(request)
    for side, page in (("customer", customer), ("agent", agent)):
        path = out / f"handoff-{tag}-{side}.png"
        page.screenshot(path=str(path))
        if publish and PUBLISH:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOTS / path.name)


def test_visitor_complains_in_chinese_and_an_agent_answers(
    browser,  # noqa: F811
    handoff_site,
    bot_env,
    request,
):
    add_staff(bot_env, "ann@example.com", HOSTILE_NAME, "admin")
    dialogs: list[str] = []
    agent_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    agent = agent_console(agent_ctx, handoff_site.url, "ann@example.com")
    agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    canned = "非常抱歉给您带来不便 <b>我们马上处理</b>"
    add_canned(agent, "sorry", canned, "Sorry <b>for the trouble</b>")

    customer_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    customer = customer_ctx.new_page()
    customer.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_chat(customer, handoff_site.url + "/")
    send(customer, "你们的服务太差了")
    send(customer, "垃圾服务，太让人生气了")
    click_reply(customer, "/affirm")
    customer.wait_for_selector(".kefu-handoff:not([hidden])", timeout=BOT_TIMEOUT)
    # in the queue: no agent is on duty yet, so nobody was assigned automatically
    assert customer.get_attribute("#kefu-chat", "data-handoff") == "pending"
    assert customer.text_content(".kefu-handoff").strip()

    item = wait_for_ticket(agent, told_ticket(customer))
    assert agent.get_attribute("#agent-app", "data-new-handoffs")  # title + sound
    item.click()
    agent.wait_for_selector(".ag-transcript .ag-from-user")
    assert "complaint" in " ".join(agent.locator(".ag-intent").all_text_contents())
    assert agent.locator(".ag-sentiment-negative").count() >= 1
    assert agent.locator(".ag-trail-chart circle").count() >= 2
    assert agent.locator(".ag-reason-tag").count() == 1
    assert axe_violations(agent) == []

    note = "内部备注 <script>alert(1)</script> 客户两次投诉"
    claim_and_answer(agent, customer, canned, "P0001", note)
    screenshots(request, customer, agent, "zh", publish=True)
    assert axe_violations(customer) == []
    resolve_and_rate(agent, customer, "推荐几款热销商品")
    check_no_leaks(customer, agent, note, dialogs)
    agent_ctx.close()
    customer_ctx.close()


def test_signed_in_customer_in_english_with_the_order_panel(
    browser,  # noqa: F811
    handoff_site,
    bot_env,
    request,
):
    add_staff(bot_env, "ann@example.com", HOSTILE_NAME, "admin")
    customer_info = customers_with_orders(bot_env, "en", n=1)[0]
    dialogs: list[str] = []
    agent_ctx = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 1366})
    agent = agent_console(agent_ctx, handoff_site.url, "ann@example.com")
    agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    if agent.locator(".ag-canned-list code:text-is('/sorry')").count() == 0:
        add_canned(agent, "sorry", "非常抱歉", "Sorry <b>for the trouble</b>")

    customer_ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    customer = customer_ctx.new_page()
    customer.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(customer, handoff_site.url, customer_info["email"])
    open_chat(customer, handoff_site.url + "/")
    send(customer, "this is terrible, worst service ever")
    send(customer, "i am really angry, this is a disgrace")
    click_reply(customer, "/affirm")
    customer.wait_for_selector(".kefu-handoff:not([hidden])", timeout=BOT_TIMEOUT)
    assert customer.get_attribute("#kefu-chat", "data-handoff") == "pending"
    assert customer.text_content(".kefu-handoff").strip()

    item = wait_for_ticket(agent, told_ticket(customer))
    item.click()
    agent.wait_for_selector(".ag-transcript .ag-from-user")
    # the order panel: the customer's orders with status and tracking, one-click actions
    order = agent.locator(f".ag-order[data-order='{customer_info['order']}']")
    order.wait_for()
    assert customer_info["tracking"] in order.text_content()
    # shipped or delivered: nothing left to cancel
    assert order.locator(".ag-cancel-order").count() == 0

    note = "note: <img src=x onerror=alert(1)> angry customer"
    claim_and_answer(agent, customer, "Sorry <b>for the trouble</b>", "P0002", note)
    screenshots(request, customer, agent, "en", publish=False)
    resolve_and_rate(agent, customer, "recommend some popular products")
    check_no_leaks(customer, agent, note, dialogs)
    agent_ctx.close()
    customer_ctx.close()
