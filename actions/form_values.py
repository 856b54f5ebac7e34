"""Reading form values out of free text: which line of an order, which return reason.

Pure functions over the order lines and the word lists of ``actions/texts/<lang>.yml``
(``parse.ordinals``, ``parse.return_reasons``); no Rasa, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from actions.services import texts
from kefu.shop import queries as shop
from nlp.text import CJK_RE, CJK_RUN_RE

# words that say nothing about which item ("the", "那个", "one")
_STOP = frozenset(
    "the a an one this that it my i want to return of from and with for please these those"
    " item items thing order pair set".split()
)
_CJK_STOP = set("的个了我要想退这那件双把一是吗呢啊吧和与")
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")


def _all_languages(key: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for lang in texts.LANGUAGES:
        table = texts.labels(lang).get("parse", {}).get(key) or {}
        if isinstance(table, dict):
            merged.update(table)
    return merged


def ordinal_in(text: str) -> int | None:
    """The position a customer names ("第二个", "the second one", "2"): 1-based, -1 = last."""
    low = text.lower()
    ordinals = {str(k).lower(): int(v) for k, v in _all_languages("ordinals").items()}
    for word, index in sorted(ordinals.items(), key=lambda kv: -len(kv[0])):
        if CJK_RE.search(word):
            if word in low:
                return index
        elif re.search(rf"\b{re.escape(word)}\b", low):
            return index
    digits = re.fullmatch(r"\D{0,4}?(\d{1,2})\D{0,4}", low.strip())
    if digits and not re.search(r"kf\d", low):
        return int(digits.group(1))
    return None


def _en_words(text: str) -> set[str]:
    words = {w.strip("'-") for w in _WORD.findall(text.lower())}
    out = set()
    for w in words:
        if len(w) < 3 or w in _STOP:
            continue
        out.add(w)
        if w.endswith("s") and len(w) > 3:
            out.add(w[:-1])  # "shoes" / "shoe", "earbuds" / "earbud"
    return out


def _cjk_score(text: str, name: str) -> int:
    """How well the Chinese of ``text`` names ``name``: shared runs of 2+ characters, or
    the product type's head character ("鞋" in "跑步鞋")."""
    runs = [r for r in CJK_RUN_RE.findall(text) if r]
    plain = name.replace(" ", "")
    score = 0
    for run in runs:
        for size in (4, 3, 2):
            for i in range(len(run) - size + 1):
                if run[i : i + size] in plain:
                    score = max(score, size)
    head = CJK_RUN_RE.findall(name.split(" ")[-1] if " " in name else name)
    if not score and head:
        last = head[-1][-1]
        if any(last in run and last not in _CJK_STOP for run in runs):
            score = 1
    return score


def _line_score(text: str, line: shop.LineInfo) -> int:
    low = text.lower()
    if line.product_id.lower() in low:
        return 100
    score = _cjk_score(text, line.name_zh)
    name_words = _en_words(line.name_en)
    score += 2 * len(_en_words(text) & name_words)
    return score


def match_line(lines: Sequence[shop.LineInfo], text: str) -> shop.LineInfo | None:
    """The line of ``lines`` the customer means by ``text``, or ``None`` when unclear.

    A product id, a position ("第二个", "the second one", "2", "last"), or words of the
    product's name (brand, type: "the shoes", "小米那个", "那双鞋"): the best-scoring line
    wins when it is the only one with that score.
    """
    text = (text or "").strip()[:200]
    if not lines or not text:
        return None
    scored = sorted(((_line_score(text, ln), i) for i, ln in enumerate(lines)), reverse=True)
    best, index = scored[0]
    if best > 0 and (len(scored) == 1 or scored[1][0] < best):
        return lines[index]
    position = ordinal_in(text)
    if position is not None:
        if position == -1:
            return lines[-1]
        if 0 < position <= len(lines):
            return lines[position - 1]
    return None


def reason_codes() -> list[str]:
    """Return reason codes, in the order of the buttons."""
    table = texts.labels(texts.DEFAULT_LANGUAGE).get("parse", {}).get("return_reasons") or {}
    return list(table)


def reason_label(code: str, language: str) -> str:
    """The customer-facing label of a reason code in ``language``."""
    table = texts.labels(language).get("parse", {}).get("return_reasons") or {}
    entry = table.get(code) or {}
    return str(entry.get("label") or code)


def _contains(text: str, words: Iterable[str]) -> bool:
    for word in words:
        word = str(word).lower()
        if CJK_RE.search(word):
            if word in text:
                return True
        elif re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text):
            return True
    return False


def match_reason(text: str) -> str | None:
    """The reason code ``text`` names (a code, a label or its words, in either language)."""
    low = (text or "").strip().lower()[:500]
    if not low:
        return None
    for lang in texts.LANGUAGES:
        table = texts.labels(lang).get("parse", {}).get("return_reasons") or {}
        for code, entry in table.items():
            if low == code or low == str(entry.get("label", "")).lower():
                return str(code)
    for lang in texts.LANGUAGES:
        table = texts.labels(lang).get("parse", {}).get("return_reasons") or {}
        for code, entry in table.items():
            if _contains(low, entry.get("words") or []):
                return str(code)
    return None


def says(text: str, group: str) -> bool:
    """Whether ``text`` holds one of the phrases ``parse.<group>`` of either language."""
    low = (text or "").lower()
    for lang in texts.LANGUAGES:
        words = texts.labels(lang).get("parse", {}).get(group) or []
        if any(str(w).lower() in low for w in words):
            return True
    return False


_FORGOT = re.compile(
    r"(不知道|忘了|忘记|不记得|记不得|记不清|没有|找不到|don'?t know|do not know|forgot|lost|"
    r"can'?t find|cannot find|no idea|don'?t have|do not have|don'?t remember)"
    r"[^。.!?？！]{0,12}?(订单号|单号|订单编号|order ?number|order ?no|order ?#|order ?id)",
    re.IGNORECASE,
)


def forgot_order_id(text: str) -> bool:
    """Whether the customer says they do not know their order number."""
    return bool(_FORGOT.search(text or "")) or says(text, "forgot_order_id")


_QUESTION = re.compile(
    r"[?？]\s*$|吗|谁|多少|怎么|几天|多久|什么时候|^(who|what|how|when|where|why|can|do|does|is|are)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """Whether ``text`` asks something (a side question rather than an answer)."""
    return bool(_QUESTION.search((text or "").strip()))
