"""WCAG 2.1 AA: axe-core on every page of the shop, and the chat widget's dialog semantics.

The console with a conversation open is checked in the live hand-off flow
(test_handoff_flow.py); everything here runs against the site without a bot.
"""

from __future__ import annotations

import pytest

from tests.support.site import DEMO_PASSWORD, STAFF_PASSWORD
from tests.web.a11y import axe_violations
from tests.web.browser import browser, needs_chromium, open_chat  # noqa: F401

pytestmark = needs_chromium


def _first_customer_email(site_env) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(site_env["KEFU_DATABASE_URL"])
    with engine.connect() as conn:
        email = conn.execute(text("SELECT email FROM customers ORDER BY id LIMIT 1")).scalar()
    engine.dispose()
    return email


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_shop_pages_have_no_serious_violations(browser, offline_site, site_env, locale):  # noqa: F811
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = {}
    for name, path in (
        ("home", "/"),
        ("category", "/?category=books"),
        ("search", "/?q=zzzz-nothing"),
        ("product", "/products/P0001"),
        ("login", "/login"),
        ("staff login", "/staff/login"),
        ("not found", "/products/nope"),
    ):
        page.goto(offline_site.url + path)
        page.wait_for_selector("#kefu-chat[data-ready='true']", state="attached")
        found[name] = axe_violations(page)
    # the open chat panel (a dialog) on top of a page
    open_chat(page, offline_site.url + "/")
    found["chat open"] = axe_violations(page)
    # a signed-in customer's pages
    page.goto(offline_site.url + "/login")
    page.fill("input[name=email]", _first_customer_email(site_env))
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_selector(".nav-hello")
    found["account"] = axe_violations(page)
    # staff (the first admin, from KEFU_STAFF_PASSWORD): the console and the analytics list
    page.goto(offline_site.url + "/staff/login")
    page.fill("input[name=email]", "admin@localhost")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url("**/agent")
    page.wait_for_selector("#agent-app[data-ready='true']", state="attached")
    found["agent console"] = axe_violations(page)
    page.goto(offline_site.url + "/analytics")
    found["analytics"] = axe_violations(page)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


def test_chat_panel_is_a_dialog_that_escape_closes(browser, offline_site):  # noqa: F811
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    open_chat(page, offline_site.url + "/")
    panel = page.locator(".kefu-panel")
    assert panel.get_attribute("role") == "dialog"
    label_id = panel.get_attribute("aria-labelledby")
    assert page.text_content(f"#{label_id}") == "Customer service"
    assert page.evaluate("document.activeElement.classList.contains('kefu-input')")
    page.keyboard.press("Escape")
    assert page.is_hidden(".kefu-panel")
    # focus goes back to the button that opened the chat
    assert page.evaluate("document.activeElement.classList.contains('kefu-launcher')")
    assert page.get_attribute(".kefu-launcher", "aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.is_visible(".kefu-panel")
    page.click(".kefu-close")
    assert page.evaluate("document.activeElement.classList.contains('kefu-launcher')")
    context.close()


def test_failed_send_is_announced_and_labelled(browser, offline_site):  # noqa: F811
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    open_chat(page, offline_site.url + "/")
    page.fill(".kefu-input", "hello")
    page.press(".kefu-input", "Enter")
    page.wait_for_selector(".kefu-notice:not([hidden])")
    assert page.get_attribute(".kefu-notice", "role") == "alert"
    assert page.text_content(".kefu-user .kefu-from") == "You (not sent):"
    # the log itself is not a live region (history is not read out again on a reload)
    assert page.get_attribute(".kefu-log", "aria-live") == "off"
    context.close()


def test_colours_meet_contrast_and_motion_is_reducible(browser, offline_site):  # noqa: F811
    context = browser.new_context(locale="en-US", reduced_motion="reduce")
    page = context.new_page()
    open_chat(page, offline_site.url + "/")
    css = page.evaluate(
        """() => {
        const root = getComputedStyle(document.getElementById('kefu-chat'));
        return [root.getPropertyValue('--kefu-accent').trim(),
                getComputedStyle(document.querySelector('.kefu-send')).backgroundColor];
        }"""
    )
    assert css == ["#c2410c", "rgb(194, 65, 12)"]  # 5.2:1 against white text
    page.evaluate("document.querySelector('.kefu-typing').hidden = false")
    animation = page.eval_on_selector(".kefu-dot", "e => getComputedStyle(e).animationName")
    assert animation == "none"
    context.close()


def test_history_is_not_fetched_for_a_visitor_who_never_chatted(browser, offline_site):  # noqa: F811
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(offline_site.url + "/")
    page.wait_for_selector("#kefu-chat[data-ready='true']", state="attached")
    page.goto(offline_site.url + "/products/P0001")
    page.wait_for_selector("#kefu-chat[data-ready='true']", state="attached")
    assert not [u for u in requests if "/chat/" in u or "/socket.io" in u]
    page.click(".kefu-launcher")
    page.wait_for_selector("#kefu-chat[data-history]", state="attached")
    page.wait_for_function("document.getElementById('kefu-chat').dataset.history !== 'loading'")
    assert [u for u in requests if "/chat/history" in u]
    context.close()
