"""What kefu's text is made of, defined once: the languages, CJK characters, URLs and
e-mail addresses. Every module that needs one of them imports it from here."""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "CJK_CHARS",
    "CJK_RE",
    "CJK_RUN_RE",
    "DEFAULT_LANGUAGE",
    "EMAIL_PATTERN",
    "LANGUAGES",
    "Language",
    "URL_PATTERN",
]

Language = Literal["zh", "en"]
#: The languages kefu speaks, its first language first.
LANGUAGES: tuple[Language, ...] = ("zh", "en")
#: The shop's first language: the answer when nothing says otherwise.
DEFAULT_LANGUAGE: Language = "zh"

#: CJK ideographs (BMP blocks, compatibility ideographs, supplementary planes) plus 〇 and 々,
#: as the body of a regex character class.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff\u3007\u3005"
CJK_RE = re.compile(f"[{CJK_CHARS}]")
CJK_RUN_RE = re.compile(f"[{CJK_CHARS}]+")

#: A URL (``https://...`` or ``www....``), without the punctuation that ends a sentence.
URL_PATTERN = r"(?:https?://|www\.)[^\s<>\"'，。！？、；：（）【】]+[^\s<>\"'.,;:!?)\]}，。！？、；：（）【】]"
#: An e-mail address.
EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
