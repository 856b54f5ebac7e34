"""Conversations with the real bot through the site and the widget, in Chromium.

The site, the Rasa server (HTTP API behind a token) and the action server run on free
local ports over a demo shop (fixtures in tests/support/).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.support.site import DEMO_PASSWORD
from tests.web.browser import browser, needs_chromium, open_chat, output_dir  # noqa: F401

pytestmark = needs_chromium

BOT_TIMEOUT = 60_000


def conversation(page) -> list[tuple[str, str]]:
    """The chat log as (sender, text) pairs, product cards as their names."""
    return page.eval_on_selector_all(
        ".kefu-log .kefu-msg:not(.kefu-welcome)",
        """rows => rows.map(r => [
            r.classList.contains('kefu-user') ? 'user' : 'bot',
            Array.from(r.querySelectorAll('.kefu-bubble, .kefu-card-name'))
                .map(n => n.textContent).join(' | ')])""",
    )


def wait_for_answer(page, bots_before: int) -> None:
    """Wait until the bot answered (more bot messages) and the widget is idle again."""
    page.wait_for_function(
        "n => document.querySelectorAll('.kefu-log .kefu-bot').length > n",
        arg=bots_before,
        timeout=BOT_TIMEOUT,
    )
    page.wait_for_selector("#kefu-chat[data-busy='false']", state="attached", timeout=BOT_TIMEOUT)


def send(page, message: str) -> None:
    """Type ``message``, press Enter and wait for the bot's answer."""
    page.wait_for_selector("#kefu-chat:not([data-busy='true'])", state="attached")
    before = page.locator(".kefu-log .kefu-bot").count()
    page.fill(".kefu-input", message)
    page.press(".kefu-input", "Enter")
    wait_for_answer(page, before)


def click_reply(page, payload: str) -> str:
    """Click the live quick reply with ``payload``; its title once the bot answered."""
    button = page.locator(f".kefu-quick-reply:enabled[data-payload='{payload}']").last
    title = button.text_content()
    before = page.locator(".kefu-log .kefu-bot").count()
    button.click()
    wait_for_answer(page, before)
    return title


def customers_with_orders(bot_env: dict[str, str], language: str, n: int = 2) -> list[dict]:
    """Demo customers of ``language`` with a shipped or delivered order."""
    engine = create_engine(bot_env["KEFU_DATABASE_URL"])
    query = text(
        "SELECT c.id, c.email, o.id, o.tracking_number FROM customers c "
        "JOIN orders o ON o.customer_id = c.id "
        "WHERE c.language = :lang AND o.status IN ('shipped', 'delivered') "
        "AND o.tracking_number IS NOT NULL ORDER BY c.id, o.ordered_at DESC"
    )
    found: dict[str, dict] = {}
    with engine.connect() as conn:
        for cid, email, order_id, tracking in conn.execute(query, {"lang": language}):
            found.setdefault(
                cid, {"id": cid, "email": email, "order": order_id, "tracking": tracking}
            )
            if len(found) == n:
                break
        for customer in found.values():
            orders = conn.execute(
                text("SELECT id FROM orders WHERE customer_id = :c"), {"c": customer["id"]}
            )
            customer["orders"] = {row[0] for row in orders}
    engine.dispose()
    assert len(found) == n, "the demo shop has too few customers with shipped orders"
    return list(found.values())


def sign_in(page, site_url: str, email: str) -> None:
    page.set_default_timeout(15_000)
    page.goto(site_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_selector(".nav-hello")


def test_visitor_gets_product_cards_quick_replies_and_history(browser, live_site, request):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_chat(page, live_site.url + "/")
    send(page, "你好")
    title = click_reply(page, "/product_search")
    assert page.locator(".kefu-log .kefu-user .kefu-bubble").last.text_content() == title
    send(page, "给我推荐几款热销商品")
    cards = page.locator(".kefu-cards").last.locator(".kefu-card")
    assert cards.count() >= 1, conversation(page)
    first = cards.first
    assert (
        first.locator(".kefu-card-img")
        .get_attribute("src")
        .startswith(live_site.url + "/static/img/")
    )
    assert first.locator(".kefu-card-price").text_content().startswith("¥")
    assert first.locator(".kefu-card-name").text_content().strip()
    href = first.locator(".kefu-card-link").get_attribute("href")
    assert href.startswith(live_site.url + "/products/P")
    overflow = page.eval_on_selector(".kefu-cards", "e => getComputedStyle(e).overflowX")
    assert overflow == "auto"  # a horizontally scrolling row
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir(request) / "chat-product-cards.png"))
    before = conversation(page)
    assert len(before) >= 6
    page.reload()
    page.wait_for_selector("#kefu-chat[data-history='loaded']", state="attached")
    assert conversation(page) == before
    assert page.locator(".kefu-card").count() >= cards.count()
    # the restart button empties the conversation, also after a reload
    page.click(".kefu-restart")
    expect(page.locator(".kefu-log .kefu-user")).to_have_count(0)
    page.reload()
    page.wait_for_selector("#kefu-chat[data-history='loaded']", state="attached")
    assert conversation(page) == []
    assert dialogs == []
    context.close()


def test_customers_see_their_own_orders_only(browser, live_site, bot_env):  # noqa: F811
    alice, bob = customers_with_orders(bot_env, "en")
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, live_site.url, alice["email"])
    open_chat(page, live_site.url + "/")
    send(page, f"Where is my order {alice['order']}?")
    answer = " ".join(t for s, t in conversation(page) if s == "bot")
    assert alice["order"] in answer and alice["tracking"] in answer
    context.close()

    other = browser.new_context(locale="en-US")
    page = other.new_page()
    sign_in(page, live_site.url, bob["email"])
    open_chat(page, live_site.url + "/")
    assert conversation(page) == []  # another browser, another conversation
    send(page, f"Where is my order {alice['order']}?")
    send(page, "where is my order?")
    shown = " ".join(t for _, t in conversation(page))
    shown += " ".join(page.locator(".kefu-quick-reply").all_text_contents())
    assert alice["tracking"] not in shown
    mentioned = set(re.findall(r"KF\d+", shown))
    assert mentioned - {alice["order"]}, "the bot should list Bob's own orders"
    assert not (mentioned - {alice["order"]}) & alice["orders"]
    assert mentioned - {alice["order"]} <= bob["orders"]
    other.close()


def test_hostile_message_renders_as_text(browser, live_site):  # noqa: F811
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_chat(page, live_site.url + "/")
    hostile = "<img src=x onerror=alert(1)>"
    send(page, hostile)
    assert page.locator(".kefu-log .kefu-user .kefu-bubble").last.text_content() == hostile
    assert page.locator(".kefu-log img[src='x']").count() == 0
    assert page.locator(".kefu-log img:not(.kefu-card-img):not(.kefu-image)").count() == 0
    page.reload()
    page.wait_for_selector("#kefu-chat[data-history='loaded']", state="attached")
    assert page.locator(".kefu-log .kefu-user .kefu-bubble").first.text_content() == hostile
    assert page.locator(".kefu-log img[src='x']").count() == 0
    assert dialogs == []
    context.close()
