"""Street addresses in the usual Chinese and English written forms, found by regular
expressions (used by :mod:`nlp.redact`).

Chinese: a street and house number (``建国路88号``, ``长乐路399弄``), a building / unit /
room sequence (``3号楼2单元501室``, ``5栋1203``) or a chain of at least three
administrative divisions (``广东省深圳市南山区``), together with the place names written
before it and the building, unit and room written after it. Words that introduce an
address in a sentence (``寄到``, ``地址是``, ...) are cut off the front.

English: a house number, capitalised street name words and a street suffix (``221B Baker
Street``, ``1600 Pennsylvania Avenue NW``, ``No. 88 Jianguo Road``), with an optional
flat or suite before or after, up to three capitalised place segments after commas, and a
US ZIP, UK postcode or Chinese postcode.

The text given is already NFKC-normalised (full-width digits and letters folded).
"""

from __future__ import annotations

import re

from nlp.text import CJK_CHARS

__all__ = ["find_addresses"]

_CJK = CJK_CHARS
_NUM = "(?:[0-9]{1,6}|[零〇一二三四五六七八九十百]{1,5})"
_SP = "[ \t]*"

# A building, unit, floor or room: "3号楼", "2单元", "501室", "A座", "12层", "-2-301".
_UNIT = "(?:号楼|号院|栋|幢|座|单元|门|层|楼|室|户|房)"
_TAIL_TOKEN = (
    f"(?:{_SP}[-—]?{_SP}{_NUM}{_SP}(?:{_UNIT}|号)"  # directly: 5号楼, 1单元, 3号
    f"|{_SP}[{_CJK}A-Za-z]{{1,12}}?{_SP}{_NUM}{_SP}{_UNIT}"  # after a name: 阳光花园3栋
    f"|{_SP}[A-Za-z]{_SP}座"
    f"|{_SP}[东西南北中](?:户|侧|门)"  # 8层东户
    f"|{_SP}-?[0-9]{{1,5}}(?:-[0-9]{{1,5}}){{1,3}}(?![0-9])"  # 2-3-1 (building-unit-room)
    f"|{_SP}-[0-9]{{1,5}})"
)
_ROOM = f"(?:{_SP}[0-9]{{2,5}}(?![0-9])(?:{_SP}(?:室|号|房))?)?"

_ZH_STREET = f"(?:路|街|大道|(?<![知频味报难说问通轨车人])道|巷|弄|胡同)(?:[东西南北中]段)?{_SP}{_NUM}(?:-[0-9]+)?{_SP}(?:号院|号|弄)"
_ZH_BUILDING = f"{_NUM}{_SP}(?:号楼|栋|幢|座|单元){_SP}{_NUM}"
_ZH_ADDRESS = re.compile(
    f"(?:{_ZH_STREET}|{_ZH_BUILDING}{_SP}(?:{_UNIT}|号)?)(?:{_TAIL_TOKEN})*{_ROOM}"
)
# The place names before a street or building (searched backwards from it).
_ZH_BEFORE = re.compile(f"[{_CJK}]{{0,30}}$")
# Province + city + district, or city + district + town / street / village.
_ZH_DIVISIONS = re.compile(
    f"(?:[{_CJK}]{{2,7}}?(?:省|自治区)[{_CJK}]{{2,7}}?(?:市|自治州|地区|盟)[{_CJK}]{{1,7}}?(?:区|县|旗|市)"
    f"|[{_CJK}]{{2,7}}?(?:市|自治州|地区|盟)[{_CJK}]{{1,7}}?(?:区|县|旗|市)[{_CJK}]{{2,7}}?(?:镇|乡|街道|村))"
    f"(?:[{_CJK}]{{1,7}}?(?:镇|乡|街道|村|组)|{_SP}{_NUM}{_SP}组)*"
)

_ZH_DIVISION_CHAR = re.compile("省|自治区|市|自治州|地区|盟")

# Words that introduce an address; the address starts after the last of them.
_ZH_LEAD = re.compile(
    "(?:地址|住址|寄到|寄往|寄去|送到|送往|送去|发到|发往|发去|邮到|改成|改为|改到|换成|"
    "住在|位于|收货|是|在|到)"
)

_EN_SUFFIX = (
    "(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|"
    "Square|Sq|Terrace|Close|Crescent|Cres|Way|Parkway|Pkwy|Highway|Hwy|Row|Mews|Gardens|"
    "Grove|Walk|Hill|Circle|Cir|Trail|Green|Rise|Parade|Esplanade|Quay|Wharf|Alley|Plaza)"
)
_EN_WORD = "(?:[A-Z][A-Za-z'.-]*|[0-9]{1,3}(?:st|nd|rd|th))(?![0-9A-Za-z])"
_EN_FLAT = (
    r"(?:Apt|Apartment|Flat|Unit|Suite|Ste|Floor|Fl|Room|Rm|Blk|Block|#)\.?[ ]?#?[ ]?[0-9A-Za-z-]+"
)
_EN_PLACE = "[A-Z][A-Za-z.'-]*(?![0-9])"
_EN_POSTCODE = (
    "(?:[A-Z]{2,3}[ ]+[0-9]{4,5}(?:-[0-9]{4})?"  # US state and ZIP, Australian state
    "|[A-Z][0-9][A-Z][ ]?[0-9][A-Z][0-9]"  # Canadian postcode
    "|[A-Z]{1,2}[0-9][A-Z0-9]?[ ]?[0-9][A-Z]{2}"  # UK postcode
    "|[0-9]{4,6})(?![0-9A-Za-z])"  # ZIP, Chinese and other postcodes
)
_EN_ADDRESS = re.compile(
    rf"(?<![0-9A-Za-z])(?:{_EN_FLAT},?[ ]+)?(?:No\.?[ ]?|Blk[ ]|Block[ ])?[0-9]{{1,6}}[A-Za-z]?(?:[-/][0-9]{{1,6}}[A-Za-z]?)?,?[ ]+"
    rf"(?:{_EN_WORD}[ ]+){{1,4}}?{_EN_SUFFIX}(?![A-Za-z])\.?"
    rf"(?:[ ]+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West|Central|[0-9]{{1,3}})(?![A-Za-z0-9]))?"
    rf"(?:,?[ ]+{_EN_FLAT})?"
    rf"(?:,[ ]*{_EN_PLACE}(?:[ ]+{_EN_PLACE}){{0,3}}){{0,3}}"
    rf"(?:,?[ ]*{_EN_POSTCODE})?"
)

_EU_ADDRESS = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9]{1,5}[a-z]?,?[ ]+(?:Rue|Avenue|Boulevard|Bd|Place|Quai|Chemin|"
    r"Via|Viale|Piazza|Calle|Avenida|Rua)(?:[ ]+(?:de|du|des|la|le|di|del|della)?[ ]*[A-Z][A-Za-z'-]*){1,4}"
    r"|[A-Z][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer)[ ]+[0-9]{1,5}[a-z]?)"
    r"(?:,[ ]*[0-9]{4,5}[ ]+[A-Z][A-Za-z'-]*(?:[ ]+[A-Z][A-Za-z'-]*)?)?"
)


def _after_lead(text: str, start: int, limit: int) -> int:
    """``start`` moved past the last word introducing an address before ``limit``."""
    for lead in _ZH_LEAD.finditer(text, start, limit):
        start = lead.end()
    return start


def find_addresses(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the street addresses in ``text`` (may overlap)."""
    spans: list[tuple[int, int]] = []
    for m in _ZH_ADDRESS.finditer(text):
        lo = max(m.start() - 30, 0)
        before = _ZH_BEFORE.search(text, lo, m.start())  # {0,30}$ always matches
        start = before.start() if before is not None else m.start()
        spans.append((_after_lead(text, start, m.start()), m.end()))
    for m in _ZH_DIVISIONS.finditer(text):
        division = _ZH_DIVISION_CHAR.search(text, m.start())  # _ZH_DIVISIONS holds one
        limit = division.end() if division is not None else m.end()
        spans.append((_after_lead(text, m.start(), limit), m.end()))
    for pattern in (_EN_ADDRESS, _EU_ADDRESS):
        spans.extend((m.start(), m.end()) for m in pattern.finditer(text))
    return spans
