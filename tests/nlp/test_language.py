from __future__ import annotations

import pytest

from nlp.language import DEFAULT_LANGUAGE, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单到哪了", "zh"),
        ("Where is my order?", "en"),
        ("这个iPhone case还有货吗?", "zh"),
        ("Hi 你好", "zh"),
        ("My order KF10000123 hasn't arrived, 谢谢", "zh"),
        ("好", "zh"),
        ("ok 好", "zh"),
        ("please send it to 王 at the office", "en"),
        ("KF10000123 where", "en"),
        ("Ｈｅｌｌｏ", "en"),
    ],
)
def test_detects_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "12345", "😀😀", "?!", "\x00\x01"])
def test_no_letters_gives_the_documented_default(text):
    assert DEFAULT_LANGUAGE == "zh"
    assert detect_language(text) == "zh"
    assert detect_language(text, default="en") == "en"


def test_huge_text_is_fine():
    assert detect_language("hello " * 200_000) == "en"
    assert detect_language("你好" * 500_000) == "zh"


def test_bad_input():
    with pytest.raises(TypeError):
        detect_language(None)
    with pytest.raises(TypeError):
        detect_language(b"hello")
    with pytest.raises(ValueError):
        detect_language("hello", default="fr")
