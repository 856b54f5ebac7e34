"""A reply that takes too long: the widget says the message was received and offers the
answer from the history, never a resend (the bot finishes the turn anyway, so a resend
would answer the message twice: ``kefu/rasa_faults.py``)."""

from __future__ import annotations

import json

from tests.support.servers import ROOT
from tests.support.site import slow_bot_site
from tests.web.browser import browser, needs_chromium, open_chat  # noqa: F401

EN = json.loads((ROOT / "web" / "i18n" / "en.json").read_text())["widget"]


@needs_chromium
def test_a_timed_out_message_is_kept_as_sent_and_the_answer_offered(
    browser,  # noqa: F811
    site_env,
    tmp_path,
):
    with slow_bot_site(site_env, tmp_path / "slow.log") as site:
        context = browser.new_context(locale="en-US")
        try:
            page = context.new_page()
            open_chat(page, site.url + "/lang/en?next=/")
            page.fill(".kefu-input", "where is my order")
            page.press(".kefu-input", "Enter")
            page.wait_for_selector(".kefu-notice:not([hidden])")
            assert page.text_content(".kefu-notice-text") == EN["timeout"]
            assert page.text_content(".kefu-retry") == EN["show_answer"]
            assert page.input_value(".kefu-input") == ""  # not put back to be sent again
            bubble = page.locator(".kefu-log .kefu-user").last
            assert bubble.text_content().endswith("where is my order")
            assert "kefu-failed" not in (bubble.get_attribute("class") or "")
        finally:
            context.close()
