"""A reply that takes too long: the widget says the message was received and offers the
answer from the history, never a resend (the bot finishes the turn anyway, so a resend
would answer the message twice: ``kefu/rasa_faults.py``)."""

from __future__ import annotations

import json
import socket
import threading

from tests.support.servers import ROOT
from tests.support.site import start_site
from tests.web.browser import browser, needs_chromium, open_chat  # noqa: F401

EN = json.loads((ROOT / "web" / "i18n" / "en.json").read_text())["widget"]


@needs_chromium
def test_a_timed_out_message_is_kept_as_sent_and_the_answer_offered(
    browser,  # noqa: F811
    site_env,
    tmp_path,
):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # a Rasa that accepts connections and never answers
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    site = start_site(
        site_env,
        tmp_path / "slow.log",
        KEFU_RASA_URL=f"http://127.0.0.1:{port}",
        KEFU_RASA_TIMEOUT="1",
    )
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
        site.stop()
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
