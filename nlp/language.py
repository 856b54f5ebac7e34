"""Language of a text: Chinese (``"zh"``) or English (``"en"``), from its share of CJK.

The bot replies in the language of the customer's message and the analytics report per
language, so the rule favours Chinese: any meaningful Chinese makes a text ``"zh"``.

Rule: count Han characters ``h`` and Latin letters ``l``.

* ``h >= 2`` (a Chinese word) -> ``"zh"``: ``"这个iPhone case还有货吗?"``, ``"Hi 你好"``.
* ``h == 1`` -> ``"zh"`` when ``4 * h >= l`` (one character weighs about one English word):
  ``"好"``, ``"ok 好"``; but ``"please send it to 王 at the office"`` -> ``"en"``.
* ``h == 0`` and ``l > 0`` -> ``"en"``.
* no Han character and no Latin letter (empty, whitespace, digits, emoji, punctuation)
  -> ``default`` (:data:`DEFAULT_LANGUAGE`, ``"zh"``: the shop's first language).
"""

from __future__ import annotations

import unicodedata

from nlp.text import CJK_RE, DEFAULT_LANGUAGE, LANGUAGES, Language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "detect_language"]


# Only the head of a huge text is inspected: the share of CJK does not need more.
_MAX_CHARS = 10_000


def detect_language(text: str, default: Language = DEFAULT_LANGUAGE) -> Language:
    """Return ``"zh"`` or ``"en"`` for ``text`` (see the module docstring for the rule).

    Args:
        text: any string; only its first 10,000 characters are inspected.
        default: the answer when the text has no Han character and no Latin letter.

    Returns:
        ``"zh"`` or ``"en"``.

    Raises:
        TypeError: when ``text`` is not a string.
        ValueError: when ``default`` is not ``"zh"`` or ``"en"``.
    """
    if not isinstance(text, str):
        raise TypeError(f"detect_language() expects a str, got {type(text).__name__}")
    if default not in LANGUAGES:
        raise ValueError(f"default must be one of {LANGUAGES}, got {default!r}")
    head = unicodedata.normalize("NFKC", text[:_MAX_CHARS])  # full-width Ｌａｔｉｎ too
    han = len(CJK_RE.findall(head))
    if han >= 2:
        return "zh"
    latin = sum(1 for c in head if ("a" <= c <= "z") or ("A" <= c <= "Z"))
    if han == 1 and 4 * han >= latin:
        return "zh"
    if latin:
        return "en"
    return "zh" if han else default
