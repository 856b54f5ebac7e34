"""What a customer asks of a product list: constraints and refinements, in zh, en or mixed text.

:class:`ProductQuery` is the one model of a product search: product types, brands, a
category, a price range, in stock only, cheapest first, brands to leave out. It is plain
data (JSON with :meth:`ProductQuery.to_json`) so that a conversation can keep the last one.

:class:`ConstraintParser` reads a message with the shop's own vocabulary
(:class:`Vocabulary`: product types, brands, categories, passed in by the caller) and the
cue words of ``data/search/cues.yml`` (prices: 以内, 以下, 左右, 到, 以上, under, around,
between, over; cheap/便宜; in stock/有货; and the refinements of a list shown before:
cheaper/便宜点, more expensive/好一点的, another brand/换个牌子, more/换一批, "the second
one"/第二个, "the Xiaomi one"/小米那个). It returns a :class:`Request`; :func:`refine`
applies a refinement to the last query.

Matching is :class:`nlp.lexicon.Lexicon`'s: longest term first, English as whole words
(plurals included), Chinese anywhere. A number is a price only next to a currency sign or
a price word, so order numbers, sizes and scores are never read as prices.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nlp.lexicon import Lexicon
from nlp.product_query import (
    MAX_PRICE,
    REFINEMENTS,
    ProductQuery,
    Request,
    follow_up,
    refine,
)

__all__ = [
    "CUES_FILE",
    "REFINEMENTS",
    "ConstraintParser",
    "ProductQuery",
    "Request",
    "Vocabulary",
    "follow_up",
    "refine",
]

CUES_FILE = Path(__file__).resolve().parents[1] / "data" / "search" / "cues.yml"
MAX_TEXT_CHARS = 500
# a cue counts for a number when at most this many characters (spaces, currency) part them
_GAP = 2
_PRICE_TAGS = {
    "price_max_before": "price_max",
    "price_max_after": "price_max",
    "price_min_before": "price_min",
    "price_min_after": "price_min",
    "price_around_before": "price_around",
    "price_around_after": "price_around",
}
_NUMBER = re.compile(
    r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*(k|千|w|万)?(?![0-9])|([零一二两三四五六七八九十百千万]{2,})"
)
_ORDER_ID = re.compile(r"kf\d{8}")
# signs the lexicon cannot hold (it matches words): currency, ranges, comparisons
_SIGNS = re.compile(r"[¥￥$]|[-~～]|[<>]")
_SIGN_TAGS = {"¥": "currency_sign", "￥": "currency_sign", "$": "currency_sign", "-": "price_joiners",
              "~": "price_joiners", "～": "price_joiners", "<": "price_max_before",
              ">": "price_min_before"}  # fmt: skip
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}  # fmt: skip
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}


@dataclass(frozen=True)
class Vocabulary:
    """What the shop sells, as customers name it.

    Attributes:
        products: product types and names, any language ("蓝牙耳机", "Bluetooth Earbuds").
        brands: ``{name customers write: brand}`` ("小米" and "xiaomi" -> "Xiaomi").
        categories: ``{name customers write: category key}`` ("零食" -> "food").
    """

    products: tuple[str, ...] = ()
    brands: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=4)
def load_cues(path: str = str(CUES_FILE)) -> dict[str, Any]:
    """The cue words of ``data/search/cues.yml`` (or ``path``)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of cue lists")
    return data


def _norm(term: str) -> str:
    """The form :class:`nlp.lexicon.Lexicon` matches: NFKC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", term).lower().replace("’", "'").split())


_IRREGULAR = {"mice": "mouse", "knives": "knife", "shelves": "shelf"}
_IRREGULAR_WORDS = re.compile(r"\b(" + "|".join(_IRREGULAR) + r")\b", re.IGNORECASE)


def _singular_forms(text: str) -> list[str]:
    words = text.split(" ")
    last = words[-1]
    forms = [text]
    if last in _IRREGULAR:
        forms.append(" ".join([*words[:-1], _IRREGULAR[last]]))
    for cut, add in (("ies", "y"), ("es", ""), ("s", "")):
        if len(last) > 3 and last.endswith(cut) and not last.endswith("ss"):
            forms.append(" ".join([*words[:-1], last[: -len(cut)] + add]))
    return forms


class ConstraintParser:
    """Reads product constraints and refinements from a message.

    Args:
        vocabulary: the shop's product types, brands and categories.
        cues: cue words (default: :func:`load_cues`).
    """

    def __init__(self, vocabulary: Vocabulary, cues: Mapping[str, Any] | None = None) -> None:
        cues = dict(cues if cues is not None else load_cues())
        self.vocabulary = vocabulary
        self.around_share = float(cues.get("around_share", 0.2))
        self._ordinals = {_norm(str(k)): int(v) for k, v in (cues.get("ordinals") or {}).items()}
        self._brands = {_norm(k): v for k, v in vocabulary.brands.items() if _norm(k)}
        # other names of brands ("阿迪" for Adidas), kept when the shop sells that brand
        known = {_norm(v): v for v in vocabulary.brands.values()}
        for alias, brand in (cues.get("brand_aliases") or {}).items():
            if _norm(str(brand)) in known:
                self._brands.setdefault(_norm(str(alias)), known[_norm(str(brand))])
        # words that name a product type by its use ("跑步" for running shoes), kept when the
        # shop sells that type; read only when the message names no type itself
        sold = {_norm(p) for p in vocabulary.products if isinstance(p, str)}
        self._type_aliases: dict[str, tuple[str, ...]] = {}
        for alias, target in (cues.get("type_aliases") or {}).items():
            targets = target if isinstance(target, list) else [target]
            kept = tuple(_norm(str(t)) for t in targets if _norm(str(t)) in sold)
            if kept:
                self._type_aliases[_norm(str(alias))] = kept
        self._categories = {_norm(k): v for k, v in vocabulary.categories.items() if _norm(k)}
        terms: dict[str, list[str]] = {
            "product": [p for p in vocabulary.products if isinstance(p, str)],
            "brand": list(self._brands),
            "type_alias": list(self._type_aliases),
            "category": list(vocabulary.categories),
            "ordinal": list(cues.get("ordinals") or {}),
        }
        for tag in (*_PRICE_TAGS, "price_between", "price_joiners", "currency", "cheap",
                    "in_stock", "pick", "same_price", "price_words", "negation", *REFINEMENTS):  # fmt: skip
            terms[tag] = [str(v) for v in cues.get(tag) or []]
        self._lexicon = Lexicon(terms)
        self._products = set(self._lexicon.terms.get("product", []))

    def parse(self, text: str) -> Request:
        """The constraints and refinements of ``text`` (cut to 500 characters).

        Raises:
            TypeError: when ``text`` is not a str.
        """
        if not isinstance(text, str):
            raise TypeError(f"expected a str, got {type(text).__name__}")
        text = _IRREGULAR_WORDS.sub(lambda m: _IRREGULAR[m.group().lower()], text[:MAX_TEXT_CHARS])
        norm, spans = self._lexicon.spans(text)
        types: list[str] = []
        brands: list[str] = []
        category = None
        refinements: list[str] = []
        ordinal = None
        flags: set[str] = set()
        aliases: list[str] = []
        excluded: list[str] = []
        negations = [(s, e) for s, e, t in spans if t == "negation"]

        def negated(pos: int) -> bool:
            return any(0 <= pos - e <= 1 for _s, e in negations)

        for start, end, tag in spans:
            term = norm[start:end]
            if tag == "product":
                # the singular matches more names ("phone cases" -> "phone case")
                forms = _singular_forms(term)[::-1]
                value = next((f for f in forms if f in self._products), term)
                if value not in types:
                    types.append(value)
            elif tag == "brand":
                value = self._lookup(self._brands, term) or term
                if negated(start):  # "not midea", "不要美的"
                    excluded.append(value.lower())
                elif value not in brands:
                    brands.append(value)
            elif tag == "category" and category is None:
                category = self._lookup(self._categories, term)
                aliases += self._type_aliases.get(term, ())  # "运动鞋": the sports shoes
            elif tag in REFINEMENTS and tag not in refinements:
                refinements.append(tag)
            elif tag == "ordinal" and ordinal is None:
                ordinal = self._ordinals.get(term)
            elif tag == "type_alias":
                aliases += self._type_aliases[term]
            elif tag in ("cheap", "in_stock", "pick", "same_price", "price_words"):
                flags.add(tag)
        if not types and aliases:
            types = list(dict.fromkeys(aliases))
        context = bool(types or brands or category or "price_words" in flags)
        low, high = self._prices(norm, spans, context)
        query = ProductQuery(
            types=tuple(types),
            brands=tuple(brands),
            category=category,
            min_price=low,
            max_price=high,
            in_stock="in_stock" in flags,
            cheap="cheap" in flags and not refinements,
            exclude_brands=tuple(dict.fromkeys(excluded)),
        )
        if excluded and not brands and "other_brand" not in refinements:
            refinements.append("other_brand")  # "not midea, something else"
        # a change of list comes before "more": "看看别的牌子" is another brand
        order = ("cheaper", "pricier", "other_brand", "more")
        refinements.sort(key=order.index)
        return Request(query, tuple(refinements), ordinal, "pick" in flags, "same_price" in flags)

    @staticmethod
    def _lookup(table: Mapping[str, str], term: str) -> str | None:
        for form in _singular_forms(term):
            if form in table:
                return table[form]
        return None

    def _prices(
        self, norm: str, spans: list[tuple[int, int, str]], context: bool = False
    ) -> tuple[float | None, float | None]:
        """``(min, max)`` from the numbers of ``norm`` that sit next to a price cue.

        Two numbers joined by "到" / "to" are a range when a price cue is next to them, or
        when the message names a product, brand or category or a price word ("100到300的面
        霜", "价格在200到600之间"): ``context``.
        """
        blanked = _ORDER_ID.sub(lambda m: " " * len(m.group()), norm)
        numbers = []
        for m in _NUMBER.finditer(blanked):
            value = _number(m)
            if value is not None and 0 < value <= MAX_PRICE:
                numbers.append((m.start(), m.end(), value))
        if not numbers:
            return None, None
        cues = [(s, e, t) for s, e, t in spans if t in (*_PRICE_TAGS, "price_between",
                "price_joiners", "currency")]  # fmt: skip
        cues += [(m.start(), m.end(), _SIGN_TAGS[m.group()]) for m in _SIGNS.finditer(blanked)]

        def cue_before(pos: int, tags: Iterable[str]) -> bool:
            return any(t in tags and 0 <= pos - e <= _GAP for s, e, t in cues)

        def cue_after(pos: int, tags: Iterable[str]) -> bool:
            return any(t in tags and 0 <= s - pos <= _GAP for s, e, t in cues)

        def edges(start: int, end: int) -> tuple[int, int]:
            # a currency sign or word next to the number belongs to it ("¥100", "100元以内")
            while True:
                moved = False
                for s, e, t in cues:
                    if t in ("currency", "currency_sign") and 0 <= start - e <= 1:
                        start, moved = s, True
                    if t == "currency" and 0 <= s - end <= 1:
                        end, moved = e, True
                if not moved:
                    return start, end

        low_tags = ("price_min_before", "price_min_after")
        high_tags = ("price_max_before", "price_max_after")
        around_tags = ("price_around_before", "price_around_after")
        for (s1, e1, v1), (s2, e2, v2) in zip(numbers, numbers[1:], strict=False):
            a1, b1 = edges(s1, e1)
            a2, b2 = edges(s2, e2)
            joined = cue_after(b1, ("price_joiners",)) and cue_before(a2, ("price_joiners",))
            money = (
                a1 < s1 or b2 > e2 or b1 > e1
                or cue_before(a1, ("price_between", *low_tags, *around_tags))
                or cue_after(b2, (*high_tags, *around_tags))
            )  # fmt: skip
            if joined and (money or context) and a2 - b1 <= 6:
                return min(v1, v2), max(v1, v2)
        for start, end, value in numbers:
            a, b = edges(start, end)
            # "预算500左右": a budget of about 500 (around wins over the budget word)
            if cue_before(a, ("price_around_before",)) or cue_after(b, ("price_around_after",)):
                share = self.around_share
                return round(value * (1 - share), 2), round(value * (1 + share), 2)
            if cue_before(a, ("price_max_before",)) or cue_after(b, ("price_max_after",)):
                return None, value
            if cue_before(a, ("price_min_before",)) or cue_after(b, ("price_min_after",)):
                return value, None
            if a < start or b > end:  # "¥300的", "300 rmb": a budget
                return None, value
        return None, None


def _number(match: re.Match[str]) -> float | None:
    digits, unit, chinese = match.groups()
    if chinese:
        return _chinese_number(chinese)
    value = float(digits)
    if unit in ("k", "千"):
        value *= 1000
    elif unit in ("w", "万"):
        value *= 10000
    return value


def _chinese_number(text: str) -> float | None:
    """一百 -> 100, 两千五 -> 2500, 三百五十 -> 350; ``None`` when it is not a number."""
    total, section, digit = 0, 0, None
    last_unit = 1
    for char in text:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            last_unit = _ZH_UNITS[char]
            section += (1 if digit is None else digit) * last_unit
            digit = None
        elif char == "万":
            total += (section + (digit or 0)) * 10000
            section, digit, last_unit = 0, None, 10000
        else:
            return None
    if digit is not None:  # 两千五: a trailing digit is a tenth of the last unit
        section += digit * (last_unit // 10 if last_unit >= 10 else 1)
    value = total + section
    return float(value) if value > 0 else None
