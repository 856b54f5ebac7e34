"""The chat widget in a real browser when the bot is down: nothing typed is lost.

Also the parts of the widget that need no bot: IME-safe Enter, phone layout, language
toggle, no external requests. The conversations with the bot are in test_widget_chat.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.web.browser import browser, needs_chromium, open_chat  # noqa: F401

pytestmark = needs_chromium


def test_unreachable_bot_keeps_the_message_to_resend(browser, offline_site):  # noqa: F811
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    open_chat(page, offline_site.url + "/")
    assert page.text_content(".kefu-title") == "在线客服"
    page.fill(".kefu-input", "我的订单到哪了")
    page.press(".kefu-input", "Enter")
    page.wait_for_selector(".kefu-notice:not([hidden])")
    assert "连接不上" in page.text_content(".kefu-notice-text")
    assert page.input_value(".kefu-input") == "我的订单到哪了"
    assert page.is_visible(".kefu-retry")
    assert page.is_hidden(".kefu-typing")
    # a reload keeps the unsent text too (browser storage)
    page.reload()
    page.wait_for_selector("#kefu-chat[data-ready='true']", state="attached")
    assert page.input_value(".kefu-input") == "我的订单到哪了"
    # resending fails the same way, and still keeps it
    assert page.is_visible(".kefu-panel")  # the chat stayed open across the reload
    page.press(".kefu-input", "Enter")
    page.wait_for_selector(".kefu-notice:not([hidden])")
    page.click(".kefu-retry")
    page.wait_for_selector(".kefu-user.kefu-failed")
    assert page.input_value(".kefu-input") == "我的订单到哪了"
    context.close()


def test_enter_during_ime_composition_does_not_send(browser, offline_site):  # noqa: F811
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    posts = []
    # POSTs of the socket.io long-polling transport are not messages; everything else counts
    page.on(
        "request",
        lambda r: posts.append(r.url)
        if r.method == "POST" and "/socket.io/" not in r.url
        else None,
    )
    open_chat(page, offline_site.url + "/")
    page.fill(".kefu-input", "ni hao")
    page.eval_on_selector(
        ".kefu-input",
        """el => {
            el.dispatchEvent(new CompositionEvent('compositionstart', {data: ''}));
            el.dispatchEvent(new KeyboardEvent('keydown',
                {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true}));
        }""",
    )
    # a send happens inside the keydown handler; requests are reported in the order they
    # start, so once a later request is seen, a chat POST would have been seen before it
    with page.expect_request(lambda r: r.url.endswith("/healthz?after-enter")):
        page.evaluate("() => { fetch('/healthz?after-enter'); }")
    assert posts == [] and page.query_selector(".kefu-user") is None
    page.eval_on_selector(
        ".kefu-input",
        "el => el.dispatchEvent(new CompositionEvent('compositionend', {data: '你好'}))",
    )
    # the widget ends composition in a setTimeout(0): one queued after it runs later
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")
    page.press(".kefu-input", "Shift+Enter")  # a new line, not a send
    assert posts == []
    page.press(".kefu-input", "Enter")
    page.wait_for_selector(".kefu-user")
    assert [urlsplit(u).path for u in posts] == ["/chat/message"]
    context.close()


def test_phone_sized_screen_gets_a_full_screen_chat(browser, offline_site):  # noqa: F811
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-US"
    )
    page = context.new_page()
    open_chat(page, offline_site.url + "/")
    box = page.locator(".kefu-panel").bounding_box()
    assert box["x"] == 0 and box["width"] == 390 and box["height"] >= 800
    for selector in (".kefu-input", ".kefu-send", ".kefu-restart", ".kefu-close"):
        inner = page.locator(selector).bounding_box()
        assert inner["x"] >= 0 and inner["x"] + inner["width"] <= 390, selector
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow
    page.click(".kefu-close")
    assert page.is_visible(".kefu-launcher") and page.is_hidden(".kefu-panel")
    context.close()


def test_language_toggle_switches_page_and_widget(browser, offline_site):  # noqa: F811
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    open_chat(page, offline_site.url + "/?category=books")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.text_content(".kefu-send") == "发送"
    page.click(".kefu-lang")
    page.wait_for_selector("#kefu-chat[data-ready='true']", state="attached")
    assert page.get_attribute("html", "lang") == "en"
    assert "category=books" in page.url
    assert page.text_content(".kefu-send") == "Send"
    assert page.get_attribute(".kefu-input", "placeholder").startswith("Type a message")
    assert page.is_visible(".kefu-panel")  # the chat stays open across the switch
    context.close()


def test_site_loads_nothing_from_other_hosts(browser, offline_site):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    hosts = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    for path in ("/", "/products/P0001", "/login"):
        open_chat(page, offline_site.url + path)
    assert hosts == {urlsplit(offline_site.url).netloc}
    context.close()


def _storage(page) -> dict[str, dict[str, str]]:
    """Every key and value of the page's localStorage and sessionStorage."""
    return page.evaluate(
        """() => {
            const dump = s => Object.fromEntries(
                Array.from({length: s.length}, (_, i) => [s.key(i), s.getItem(s.key(i))]));
            return {local: dump(window.localStorage), session: dump(window.sessionStorage)};
        }"""
    )


def test_an_unsent_draft_stays_in_this_tab_and_goes_at_sign_out(browser, offline_site, site_env):  # noqa: F811
    from sqlalchemy import create_engine, text

    from tests.web.test_widget_chat import sign_in

    engine = create_engine(site_env["KEFU_DATABASE_URL"])
    with engine.connect() as conn:
        email = conn.execute(text("SELECT email FROM customers ORDER BY id LIMIT 1")).scalar()
    engine.dispose()
    draft = f"my phone is 13800138000, order KF10000123 ({email})"
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, offline_site.url, email)
    open_chat(page, offline_site.url + "/")
    page.fill(".kefu-input", draft)
    page.press(".kefu-input", "Enter")
    page.wait_for_selector(".kefu-notice:not([hidden])")
    stored = _storage(page)
    # the draft is kept for this tab and this conversation only, never in localStorage
    assert draft not in stored["local"].values(), stored["local"]
    keys = [k for k, v in stored["session"].items() if v == draft]
    assert len(keys) == 1 and keys[0].startswith("kefu-chat-draft:"), stored["session"]
    assert len(keys[0]) > len("kefu-chat-draft:")  # named for the conversation
    # another tab of the same browser does not see it
    other = context.new_page()
    open_chat(other, offline_site.url + "/")
    assert other.input_value(".kefu-input") == ""
    other.close()
    # signing out clears it (Clear-Site-Data), and a reload does not bring it back
    page.locator("form[action='/logout'] button").first.click()
    page.wait_for_load_state()
    open_chat(page, offline_site.url + "/")
    assert page.input_value(".kefu-input") == ""
    after = _storage(page)
    assert draft not in after["session"].values() and draft not in after["local"].values()
    context.close()
