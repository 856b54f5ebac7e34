"""Wording for the actions, all kept in data files.

Replies are domain responses (``bot/domain/*.yml``) with one variation per language,
chosen by a condition on the ``language`` slot. Actions let Rasa render them
(``dispatcher.utter_message(response=...)``); :func:`render` does the same from a domain
dict, for code that must show a reply in a given language (tests, previews). Short labels
(carrier names, intent titles, category names) and the words the actions parse (price
ranges, satisfaction scores) live in ``actions/texts/{zh,en}.yml``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nlp.text import DEFAULT_LANGUAGE, LANGUAGES, Language

TEXTS_DIR = Path(__file__).resolve().parents[1] / "texts"


def language_of(value: object) -> Language:
    """``value`` when it is a supported language, else the default (``"zh"``)."""
    for lang in LANGUAGES:
        if value == lang:
            return lang
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=4)
def _labels(language: str) -> dict[str, Any]:
    path = TEXTS_DIR / f"{language}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a mapping")
    return data


def labels(language: str) -> dict[str, Any]:
    """All labels of ``language`` (``actions/texts/<language>.yml``)."""
    return _labels(language_of(language))


def label(language: str, group: str, key: str, default: str | None = None) -> str:
    """One label, e.g. ``label("en", "carriers", "SF")`` -> ``"SF Express"``."""
    table = labels(language).get(group)
    value = table.get(key) if isinstance(table, dict) else None
    if isinstance(value, str):
        return value
    return default if default is not None else key


def template(language: str, name: str) -> str:
    """A top-level format string of the labels, e.g. ``template("zh", "money")``."""
    value = labels(language).get(name)
    if not isinstance(value, str):
        raise KeyError(f"no template {name!r} in actions/texts/{language_of(language)}.yml")
    return value


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _matches(variation: Mapping[str, Any], language: str) -> bool:
    conditions = variation.get("condition") or []
    for cond in conditions:
        if cond.get("type") == "slot" and cond.get("name") == "language":
            if cond.get("value") != language:
                return False
    return True


def render(
    domain: Mapping[str, Any], name: str, language: str, /, **values: Any
) -> dict[str, Any] | None:
    """Render response ``name`` of ``domain`` in ``language`` (text and buttons).

    Returns:
        ``{"text": ..., "buttons": [...]}`` (buttons only when the response has some), or
        ``None`` when the domain has no such response.
    """
    variations = (domain or {}).get("responses", {}).get(name) or []
    language = language_of(language)
    candidates = [v for v in variations if v.get("condition") and _matches(v, language)]
    candidates = candidates or [v for v in variations if not v.get("condition")]
    if not candidates:
        return None
    chosen = random.choice(candidates)
    fill = _Blank({k: "" if v is None else v for k, v in values.items()})
    message: dict[str, Any] = {"text": str(chosen.get("text", "")).format_map(fill)}
    if chosen.get("buttons"):
        # titles and payloads are templates, as in Rasa (payloads escape their JSON: {{...}})
        message["buttons"] = [
            {
                "title": str(b["title"]).format_map(fill),
                "payload": str(b["payload"]).format_map(fill),
            }
            for b in chosen["buttons"]
        ]
    return message
