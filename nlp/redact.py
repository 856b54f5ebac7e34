"""Find and mask personal data in free text: Chinese resident ID numbers, phone numbers,
e-mail addresses, bank card numbers and street addresses.

Each kind of personal data is replaced by one short, language-neutral mark:

- ``id_card`` -> ``[ID]``: 18-character resident ID with a valid check digit and birth
  date (python-stdnum's ``cn.ric``), plain or grouped ``6-8-4``.
- ``phone`` -> ``[PHONE]``: a valid number for one of :data:`PHONE_REGIONS` (China, the
  US, the UK, Australia) or, written with ``+``/``00`` and a country code, a number of a
  possible length for that country (``phonenumbers``); with its extension. Never a date
  or a time.
- ``email`` -> ``[EMAIL]``: ``name@domain.tld``, also ``name [at] domain [dot] tld``;
  not image file names such as ``icon@2x.png``.
- ``bank_card`` -> ``[CARD]``: 15-19 digits (plain, grouped by 4, or 6 + the rest)
  passing the Luhn check, with a card network's prefix.
- ``address`` -> ``[ADDRESS]``: see :mod:`nlp.address`.

Order numbers (``KF10000123``), tracking numbers, prices, dates and product codes are
left alone: numbers glued to Latin letters are never phones or cards, and the checksums,
prefixes and lengths above rule out most other digit strings.

Matching runs on an NFKC-folded copy of the text (full-width digits, ``＠``), but the
spans returned are offsets into the original text, and everything outside them is
returned unchanged, including lone surrogates and control characters.
"""

from __future__ import annotations

import bisect
import datetime
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric

from nlp.address import find_addresses

__all__ = ["ALL", "KINDS", "MASKS", "Span", "find_pii", "parse_kinds", "redact"]

KINDS = ("id_card", "phone", "email", "bank_card", "address")
ALL = frozenset(KINDS)
MASKS = {
    "id_card": "[ID]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "bank_card": "[CARD]",
    "address": "[ADDRESS]",
}
# When two findings overlap, the longer wins; on equal length, the earlier kind here.
_PRIORITY = {
    kind: i for i, kind in enumerate(("email", "id_card", "bank_card", "phone", "address"))
}

# Regions tried, in order, for numbers written without a country code.
PHONE_REGIONS = ("CN", "US", "GB", "AU")
_PHONE_LENIENCY = phonenumbers.Leniency.VALID


class Span(NamedTuple):
    """One finding: its kind and its ``[start, end)`` offsets in the original text."""

    kind: str
    start: int
    end: int


def parse_kinds(value: str | Iterable[str]) -> frozenset[str]:
    """The kinds named in ``value`` (``"phone,email"`` or an iterable; ``"all"`` for all).

    Raises:
        ValueError: a name is not one of :data:`KINDS`, or none is given.
    """
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise ValueError(f"no kind given; choose from {', '.join(KINDS)} or all")
    if "all" in names:
        return ALL
    unknown = sorted(set(names) - ALL)
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    return frozenset(names)


# --- normalisation -----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _nfkc(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded or ch


def _fold(text: str) -> tuple[str, list[int] | None]:
    """NFKC-fold ``text`` character by character; returns the folded text and, when its
    length differs, the original offset of each folded character (plus one past the end)."""
    if text.isascii():
        return text, None
    table = {}
    for ch in set(text):
        if ord(ch) > 127:
            folded = _nfkc(ch)
            if folded != ch:
                table[ord(ch)] = folded
    if not table:
        return text, None
    if all(len(v) == 1 for v in table.values()):
        return text.translate(table), None
    parts: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = table.get(ord(ch), ch)
        parts.append(folded)
        index.extend([i] * len(folded))
    index.append(len(text))
    return "".join(parts), index


# --- detectors (on the folded text) ------------------------------------------------------

_ID = re.compile(
    r"(?<![0-9])[0-9]{6}(?:([ -]?)[0-9]{8}\1|([ -])[0-9]{4}\2[0-9]{4}\2)[0-9]{3}[0-9Xx](?![0-9])"
)
_CARD = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9]{15,19}|[0-9]{4}([ -])[0-9]{4}(?:\1[0-9]{4}){1,2}(?:\1[0-9]{1,3})?"
    r"|[0-9]{4}([ -])[0-9]{6}\2[0-9]{5}|[0-9]{6}([ -])[0-9]{9,13})(?![0-9A-Za-z])"
)
_DOT = r"(?:\.|[ ]*(?:\[dot\]|\(dot\)|[ ]dot[ ])[ ]*)"
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
    r"[ ]*(?:@|\[at\]|\(at\)|\{at\}|[ ]at[ ])[ ]*"
    rf"[A-Za-z0-9][A-Za-z0-9-]{{0,62}}(?:{_DOT}[A-Za-z0-9-]{{1,63}}){{0,4}}"
    rf"{_DOT}[A-Za-z]{{2,24}}(?![A-Za-z0-9-])",
    re.IGNORECASE,
)
# "icon@2x.png": an image file name (a file extension is no top-level domain).
_FILE_NAME = re.compile(
    r"\.(?:png|jpe?g|gif|webp|svg|bmp|tiff?|heic|pdf|docx?|xlsx?|pptx?|txt|csv|zip|mp[34]|mov)$",
    re.IGNORECASE,
)
_WINDOW = 40
_PHONE_WINDOW = re.compile(
    rf"(?<![0-9A-Za-z])(?<![0-9A-Za-z][-_/])(?:\(?\+|\()?[0-9][0-9 ()./-]{{5,{_WINDOW - 3}}}[0-9]"
    r"(?![0-9A-Za-z])"
)
_DIGIT = re.compile("[0-9]")
# Cheap tests that a window may hold a number of the region (the matcher decides).
_REGION_HINTS = {
    "CN": re.compile(r"\+|(?<![0-9])(?:0|1[3-9]|86|400|800)"),
    "US": re.compile(r"(?<![0-9])\(?[2-9][0-9]{2}\)?[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4}(?![0-9])"),
    "GB": re.compile(r"(?<![0-9])\(?0[1-9]"),
    "AU": re.compile(r"(?<![0-9])\(?0[2-478]"),
}
# Dates (2024-03-15, 15/03/2024) are never phones; the matcher itself rules them out.
_DATE = re.compile(
    r"(?<![0-9])(?:[0-9]{4}([-/.])[0-9]{1,2}\1[0-9]{1,2}|[0-9]{1,2}([-/.])[0-9]{1,2}\2[0-9]{4})(?![0-9])"
)
_INTERNATIONAL = re.compile(r"\(?(?:\+|00)[ ]?[1-9]")
_EXTENSION = re.compile(r"[ ]*(?:转|分机|ext\.?|x|#)[ ]*[0-9]{1,6}(?![0-9])", re.IGNORECASE)
# A Chinese mobile number after a label written without a space ("tel13812345678"),
# which phonenumbers' matcher skips because a Latin letter touches it.
_LABELLED_MOBILE = re.compile(
    r"(?:tel|phone|mobile|mob|cell|whatsapp|wechat|wx)[.:]?((?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2})(?![0-9])",
    re.IGNORECASE,
)
_CARD_PREFIX = re.compile(r"3[0-9]|4|5[0-9]|6|2[2-7]|8[18]|9")


def _id_cards(text: str) -> Iterable[tuple[int, int]]:
    for m in _ID.finditer(text):
        number = re.sub("[ -]", "", m.group()).upper()
        if _is_id_number(number):
            yield m.start(), m.end()


def _is_id_number(number: str) -> bool:
    """Check digit and birth date valid (the area code is not looked up: numbers issued
    under since-abolished area codes stay valid for life)."""
    if number[-1] != ric.calc_check_digit(number) or number[0] not in "1234568":
        return False
    try:
        born = ric.get_birth_date(number)
    except Exception:  # noqa: BLE001 - stdnum raises its own ValidationError subclasses
        return False
    return datetime.date(1880, 1, 1) <= born <= datetime.date.today()


def _bank_cards(text: str) -> Iterable[tuple[int, int]]:
    for m in _CARD.finditer(text):
        number = re.sub("[ -]", "", m.group())
        if len(number) == 15 and not number.startswith(("34", "37")):
            continue
        if not (15 <= len(number) <= 19) or not _CARD_PREFIX.match(number):
            continue
        if len(number) == 18 and _looks_like_id_number(number):
            continue  # an ID number with a wrong check digit is not a card
        if luhn.is_valid(number):
            yield m.start(), m.end()


def _looks_like_id_number(number: str) -> bool:
    try:
        ric.get_birth_date(number)
    except Exception:  # noqa: BLE001
        return False
    return number[0] in "1234568" and number[-1] in "0123456789X"


def _emails(text: str) -> Iterable[tuple[int, int]]:
    if "@" in text or "at" in text.lower():
        for m in _EMAIL.finditer(text):
            if not _FILE_NAME.search(m.group()):
                yield m.start(), m.end()


def _phones(text: str) -> Iterable[tuple[int, int]]:
    """Phone numbers: ``phonenumbers``' matcher runs on each window of digits and
    separators (at most :data:`_WINDOW` characters, ending where a token ends) with
    seven digits or more, first for China, then on what is left for the other regions."""
    for window in _PHONE_WINDOW.finditer(text):
        chunk = window.group()
        if len(_DIGIT.findall(chunk)) < 7:
            continue
        timed = text.startswith(":", window.end())
        if not timed and not _DATE.search(chunk) and _whole_window_is_a_number(chunk):
            ext = _EXTENSION.match(text, window.end())
            yield window.start(), ext.end() if ext else window.end()
            continue
        lo = max(window.start() - 1, 0)
        hi = min(window.end() + 1, len(text))
        chunk = text[lo:hi]
        for region in PHONE_REGIONS:
            if not _REGION_HINTS[region].search(chunk):
                continue
            found = [
                (m.start, m.end)
                for m in phonenumbers.PhoneNumberMatcher(chunk, region, leniency=_PHONE_LENIENCY)
                if not _DATE.search(m.raw_string) and not chunk.startswith(":", m.end)
            ]
            for start, end in found:
                ext = _EXTENSION.match(text, lo + end)
                yield lo + start, ext.end() if ext else lo + end
                chunk = chunk[:start] + " " * (end - start) + chunk[end:]
            if len(_DIGIT.findall(chunk)) < 7:
                break
    for m in _LABELLED_MOBILE.finditer(text):
        yield m.start(1), m.end(1)


def _whole_window_is_a_number(chunk: str) -> bool:
    """Whether the whole window is one valid number of a region (the fast path: one
    parse instead of the matcher's search). With an explicit country code (``+44``,
    ``0086``) a number of a possible length for that country is enough."""
    international = _INTERNATIONAL.match(chunk) is not None
    for region in PHONE_REGIONS:
        if _REGION_HINTS[region].search(chunk):
            try:
                number = phonenumbers.parse(chunk, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number) or (
                international and phonenumbers.is_possible_number(number)
            ):
                return True
    return False


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A phone span without surrounding spaces or an opening parenthesis left unclosed."""
    while (
        start < end and text[start] in " (" and (text[start] == " " or ")" not in text[start:end])
    ):
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    return start, end


# Phones are searched last, in the text without the other findings (see find_pii).
_DETECTORS = {
    "id_card": _id_cards,
    "email": _emails,
    "bank_card": _bank_cards,
    "address": find_addresses,
}


# --- public API --------------------------------------------------------------------------


def find_pii(text: str, *, kinds: Iterable[str] = ALL) -> list[Span]:
    """The personal data found in ``text``, as non-overlapping spans sorted by start.

    Args:
        text: any string (empty, huge, with lone surrogates or control characters).
        kinds: the kinds to look for, a subset of :data:`KINDS`.

    Returns:
        Spans whose offsets slice the original ``text``.

    Raises:
        ValueError: an unknown kind.
    """
    kinds = parse_kinds(kinds) if not isinstance(kinds, frozenset) or kinds - ALL else kinds
    if not text:
        return []
    folded, index = _fold(text)
    candidates = [
        (start, end, kind)
        for kind in sorted(kinds - {"phone"})
        for start, end in _DETECTORS[kind](folded)
        if end > start
    ]
    if "phone" in kinds:
        # Digits already inside an e-mail, ID or card number are not searched for phones.
        chars = list(folded)
        for start, end, kind in candidates:
            if kind != "address":
                chars[start:end] = " " * (end - start)
        for s, e in _phones("".join(chars)):
            s, e = _trim(folded, s, e)
            if e > s:
                candidates.append((s, e, "phone"))
    # Longest first (then by kind priority); keep those that overlap nothing kept.
    candidates.sort(key=lambda c: (c[0] - c[1], _PRIORITY[c[2]], c[0]))
    starts: list[int] = []  # starts and ends of the kept spans, sorted (they never overlap)
    ends: list[int] = []
    taken: list[tuple[int, int, str]] = []
    for start, end, kind in candidates:
        i = bisect.bisect_right(starts, start)
        if (i and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        taken.append((start, end, kind))
    taken.sort()
    if index is None:
        return [Span(kind, start, end) for start, end, kind in taken]
    return [Span(kind, index[start], index[end - 1] + 1) for start, end, kind in taken]


def redact(text: str, *, kinds: Iterable[str] = ALL) -> str:
    """``text`` with each finding of :func:`find_pii` replaced by its mark in :data:`MASKS`."""
    spans = find_pii(text, kinds=kinds)
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for span in spans:
        parts.append(text[last : span.start])
        parts.append(MASKS[span.kind])
        last = span.end
    parts.append(text[last:])
    return "".join(parts)
