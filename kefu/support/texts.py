"""What the customer is told about a hand-off, in their language (``data/support/<lang>.yml``)."""

from __future__ import annotations

import math
from functools import lru_cache

import yaml

from kefu.settings import get_settings
from kefu.support.queue import HandoffStatus
from nlp.text import DEFAULT_LANGUAGE, LANGUAGES


@lru_cache(maxsize=len(LANGUAGES))
def _texts(lang: str) -> dict[str, str]:
    path = get_settings().data_dir / "support" / f"{lang}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} must map names to texts")
    return {str(k): str(v) for k, v in data.items()}


def text(lang: str, name: str, **values: object) -> str:
    """The sentence ``name`` in ``lang`` (``zh`` when unknown), filled with ``values``."""
    return _texts(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)[name].format(**values)


def queue_status(status: HandoffStatus, lang: str, agent: str | None = None) -> str:
    """Where the customer stands: with an agent, their place and wait, or the hours."""
    if status.status != "pending":
        return text(lang, "assigned", agent=agent) if agent else text(lang, "assigned_any")
    if not status.in_hours:
        return text(lang, "closed", hours=status.hours)
    if not status.agents_on_duty or status.expected_wait_s is None or status.position is None:
        return text(lang, "no_agent")
    minutes = max(1, math.ceil(status.expected_wait_s / 60))
    if status.position <= 1:
        return text(lang, "next", minutes=minutes)
    return text(lang, "queued", ahead=status.position - 1, minutes=minutes)
