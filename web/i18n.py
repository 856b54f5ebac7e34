"""UI wording of the site and the chat widget, kept in ``web/i18n/<lang>.json``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.text import DEFAULT_LANGUAGE, LANGUAGES

I18N_DIR = Path(__file__).resolve().parent / "i18n"


@lru_cache(maxsize=len(LANGUAGES))
def texts(lang: str) -> dict[str, Any]:
    """Every UI string in ``lang`` (``zh`` or ``en``); the widget's under ``"widget"``."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {LANGUAGES}")
    return json.loads((I18N_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def preferred_language(accept_language: str | None) -> str:
    """``en`` when the browser prefers English over Chinese, else ``zh``."""
    for part in (accept_language or "").split(",")[:20]:
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE
