"""Answers to frequent questions, from ``data/faq/<language>.yml``.

Each topic (``shipping_info``, ``payment_methods``, ``account_help``) has a general answer
and entries with keywords; the entry whose keywords occur in the customer's message wins,
otherwise the general answer is given.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions.services.texts import language_of
from kefu.settings import get_settings


class FaqError(ValueError):
    """The FAQ file is missing or malformed."""


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        raise FaqError(f"FAQ file missing: {file}")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FaqError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        raise FaqError(f"{file}: expected a mapping with 'topics'")
    for key, topic in data["topics"].items():
        if not isinstance(topic, dict) or not isinstance(topic.get("answer"), str):
            raise FaqError(f"{file}: topic {key!r} needs an 'answer' text")
    return data


def faq(language: str, data_dir: Path | None = None) -> dict[str, Any]:
    """The FAQ of ``language`` (loaded once per file)."""
    base = data_dir or get_settings().data_dir
    return _load(str(base / "faq" / f"{language_of(language)}.yml"))


def topics(language: str) -> list[str]:
    """Topic keys of the FAQ of ``language``."""
    return list(faq(language)["topics"])


def answer(topic: str, language: str, message: str = "") -> str | None:
    """The answer to ``topic`` in ``language``, refined by keywords of ``message``.

    Returns:
        The answer text, or ``None`` when the topic is unknown.
    """
    entry = faq(language)["topics"].get(topic)
    if entry is None:
        return None
    best = _best_entry(entry, message)
    return best if best is not None else entry["answer"].strip()


def entry_answer(topic: str, language: str, message: str) -> str | None:
    """The answer of the entry of ``topic`` whose keywords ``message`` contains; ``None``
    when no entry matches (never the topic's general answer)."""
    entry = faq(language)["topics"].get(topic)
    if entry is None:
        return None
    return _best_entry(entry, message)


def _best_entry(entry: dict, message: str) -> str | None:
    """The answer of the topic's entry with the most keywords in ``message`` (the first of
    equals), or ``None`` when no keyword occurs."""
    text = (message or "")[:2000].lower()
    best, best_hits = None, 0
    for item in entry.get("entries") or []:
        hits = sum(1 for kw in item.get("keywords") or [] if str(kw).lower() in text)
        if hits > best_hits:
            best, best_hits = item, hits
    return str(best["answer"]).strip() if best else None
