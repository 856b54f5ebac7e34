"""The console in Chromium against the real site and bot: the agent inserts and edits the
bot's suggested reply, the customer's widget says which agent joined, the live overview
shows today's figures, an admin changes the opening hours; axe finds nothing serious."""

from __future__ import annotations

from tests.support.site import STAFF_PASSWORD
from tests.web.a11y import axe_violations
from tests.web.browser import browser, open_chat  # noqa: F401
from tests.web.live import ADMIN, api, staff
from tests.web.test_widget_chat import BOT_TIMEOUT, click_reply, send


def _console(context, url: str):
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(url + "/staff/login")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_load_state()
    page.goto(url + "/agent")
    page.wait_for_selector("#agent-app[data-ready='true']", state="attached")
    return page


def test_suggested_reply_joined_notice_overview_and_hours(browser, live_site):  # noqa: F811
    url = live_site.url
    customer_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    agent_ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    try:
        customer = customer_ctx.new_page()
        customer.goto(url + "/lang/zh")
        open_chat(customer, url + "/")
        send(customer, "我要找人工客服")
        click_reply(customer, "/affirm")
        customer.wait_for_selector("#kefu-chat[data-handoff='pending']", state="attached")
        customer.fill(".kefu-input", "运费多少钱？包邮吗")
        customer.press(".kefu-input", "Enter")
        customer.wait_for_selector("#kefu-chat:not([data-busy='true'])", state="attached")

        newest = max(t["ticket_id"] for t in api(staff(url), url, "/conversations?view=pending"))
        agent = _console(agent_ctx, url)
        agent.click(f".ag-item-button[data-ticket='{newest}']")
        text = agent.locator(".ag-suggestion-text")
        text.wait_for(timeout=BOT_TIMEOUT)
        draft = text.text_content()
        assert "99" in draft  # the FAQ's answer on fees, in the customer's language
        assert agent.input_value(".ag-reply") == ""  # offered, not imposed

        agent.click(".ag-claim")
        agent.wait_for_selector(".ag-conv-head .ag-status-open")
        status = customer.locator(".kefu-handoff")
        customer.wait_for_function(
            "() => document.querySelector('.kefu-handoff').textContent.includes('已接入')"
        )
        assert status.text_content().startswith("客服 ")

        agent.wait_for_selector("#agent-app:not([data-busy])", state="attached")
        agent.click(".ag-insert-suggestion")
        assert agent.input_value(".ag-reply") == draft
        agent.fill(".ag-reply", draft + " 祝您购物愉快！")
        agent.click(".ag-send")
        customer.wait_for_selector(".kefu-agent .kefu-bubble", timeout=BOT_TIMEOUT)
        assert customer.locator(".kefu-agent .kefu-bubble").last.text_content() == (
            draft + " 祝您购物愉快！"
        )

        # the overview counts today's conversations (polled and pushed, no reload)
        agent.wait_for_function(
            """() => { const dd = document.querySelector(
                ".ag-ov-item[data-key='conversations_today'] dd");
                return dd && /^[0-9]+$/.test(dd.textContent); }""",
            timeout=30_000,
        )

        # an admin changes the hours from the console; agents only read them
        form = agent.locator(".ag-hours-form")
        form.locator("[name=opening_hours]").fill("mon-sun 00:00-24:00")
        form.locator("[name=support_tz]").fill("Asia/Shanghai")
        form.locator(".ag-hours-save").click()
        agent.wait_for_selector(".ag-hours-reset")
        assert agent.locator(".ag-hours-spec").text_content() == "mon-sun 00:00-24:00"
        agent.click(".ag-hours-reset")
        agent.wait_for_selector(".ag-hours-reset", state="detached")

        for page, where in ((agent, None), (customer, "#kefu-chat")):
            found = axe_violations(page, where)
            assert found == [], found

        agent.click(".ag-resolve")
        agent.click(".ag-resolve-confirm")
        customer.wait_for_selector("#kefu-chat[data-handoff='resolved']", state="attached")
    finally:
        customer_ctx.close()
        agent_ctx.close()
