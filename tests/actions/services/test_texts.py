"""Replies are rendered in one language from the domain's variations."""

from __future__ import annotations

from actions.services import texts
from tests.actions.conftest import CJK


def test_render_picks_the_variation_of_the_language(domain):
    zh = texts.render(domain, "utter_greet_customer", "zh", name="张伟")
    en = texts.render(domain, "utter_greet_customer", "en", name="Ann")
    assert zh["text"].startswith("张伟") and CJK.search(zh["text"])
    assert en["text"].startswith("Hello Ann") and not CJK.search(en["text"])
    assert all(not CJK.search(b["title"]) for b in en["buttons"])
    assert texts.render(domain, "utter_nonexistent", "zh") is None
    # a missing value leaves a blank, never a "{placeholder}"
    assert "{" not in texts.render(domain, "utter_order_shipped", "en")["text"]


def test_labels_exist_in_both_languages():
    zh, en = texts.labels("zh"), texts.labels("en")
    assert set(zh) == set(en)
    for group in ("carriers", "order_statuses", "refund_statuses", "categories", "intents"):
        assert set(zh[group]) == set(en[group]), group
        assert all(
            CJK.search(v) for v in zh[group].values() if not v.isascii() or group != "carriers"
        )
        assert not any(CJK.search(v) for v in en[group].values()), group
    assert texts.language_of("fr") == "zh"


def test_render_unescapes_button_payloads_like_rasa(domain):
    import json

    buttons = texts.render(domain, "utter_ask_csat", "en")["buttons"]
    payload = buttons[0]["payload"]
    assert payload.startswith("/csat_score{") and "{{" not in payload
    assert json.loads(payload[len("/csat_score") :]) == {"csat_score": "5"}
