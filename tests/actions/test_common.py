"""The reply language of a message: one guess, nlp.language's."""

from __future__ import annotations

import pytest

from actions.common import message_language


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("ｈｅｌｌｏ", "zh", "en"),  # full-width Latin is English, as nlp.language reads it
        ("ｗｈｅｒｅ ｉｓ ｍｙ ｏｒｄｅｒ", "zh", "en"),
        ("你好", "en", "zh"),
        ("hello", "zh", "en"),
        ("/affirm", "en", "en"),  # button payloads keep the language
        ("KF10000123", "en", "en"),  # order numbers too
        ("KF10000123", "zh", "zh"),
        ("someone@example.com", "en", "en"),  # and e-mail addresses
        ("😀 5", "en", "en"),  # and emoji, scores
        ("", "en", "en"),
        ("hello", "fr", "en"),
        ("😀", "fr", "zh"),  # an unknown current language falls back to the default
    ],
)
def test_message_language(text, current, expected):
    assert message_language(text, current) == expected
