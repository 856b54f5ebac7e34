"""Reasons worded in Chinese or English from the data file."""

from __future__ import annotations

import json

import pytest

from recsys.reasons import REASONS_FILE, Reason, load_templates


def test_every_kind_has_both_languages_and_only_known_placeholders():
    data = json.loads(REASONS_FILE.read_text(encoding="utf-8"))
    assert set(data["zh"]) == set(data["en"])
    for language in ("zh", "en"):
        for template in data[language].values():
            template.format(item="X", category="C", city="Y")  # no unknown placeholder


@pytest.mark.parametrize(
    "reason, zh, en",
    [
        (
            Reason("bought", item={"zh": "小米 降噪蓝牙耳机", "en": "Xiaomi Earbuds"}),
            "因为您购买了 小米 降噪蓝牙耳机",
            "because you bought Xiaomi Earbuds",
        ),
        (
            Reason("popular_category", category={"zh": "数码", "en": "Electronics"}),
            "数码 热销",
            "popular in Electronics",
        ),
        (Reason("similar", item={"zh": "茶杯"}), "与 茶杯 相似", "similar to 茶杯"),
        (Reason("rated", item_id=42), "因为您喜欢 42", "because you liked 42"),
        (Reason("popular_city", city="London"), "London 热销", "popular in London"),
    ],
)
def test_reason_text_in_both_languages(reason, zh, en):
    assert reason.text("zh") == zh
    assert reason.text("en") == en
    assert reason.to_dict()["zh"] == zh and str(reason) == en


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language must be one of"):
        Reason("popular").text("fr")


def test_templates_are_loaded_from_the_data_file():
    assert (
        load_templates()["en"]["popular"]
        == json.loads(REASONS_FILE.read_text("utf-8"))["en"]["popular"]
    )
