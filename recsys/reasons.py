"""Recommendations and their reasons, worded in Chinese or English from ``data/recsys/reasons.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.text import LANGUAGES

REASONS_FILE = Path(__file__).resolve().parents[1] / "data" / "recsys" / "reasons.json"


@lru_cache(maxsize=4)
def load_templates(path: str = str(REASONS_FILE)) -> dict[str, dict[str, str]]:
    """The reason templates per language (``{"zh": {kind: template}, "en": {...}}``)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {lang: dict(data[lang]) for lang in LANGUAGES}


@dataclass(frozen=True)
class Reason:
    """Why an item is recommended, renderable in either language.

    Attributes:
        kind: template key (``bought``, ``rated``, ``similar``, ``similar_customers``,
            ``popular``, ``popular_category``, ``popular_city``, ``new_similar``).
        item: the related item's names ``{"zh": ..., "en": ...}`` (for item-based kinds).
        item_id: the related item's id.
        category: the category's display names ``{"zh": ..., "en": ...}``.
        city: the city (as the customer wrote it).
    """

    kind: str
    item: dict[str, str] = field(default_factory=dict)
    item_id: Any = None
    category: dict[str, str] = field(default_factory=dict)
    city: str = ""

    def text(self, language: str = "zh") -> str:
        """The reason worded in ``language`` (``"zh"`` or ``"en"``)."""
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
        template = load_templates()[language][self.kind]
        other = "en" if language == "zh" else "zh"
        return template.format(
            item=self.item.get(language) or self.item.get(other) or str(self.item_id or ""),
            category=self.category.get(language) or self.category.get(other, ""),
            city=self.city,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view with the text in both languages."""
        return {
            "kind": self.kind,
            "item_id": self.item_id,
            "zh": self.text("zh"),
            "en": self.text("en"),
        }

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class Recommendation:
    """One recommended item.

    Attributes:
        item_id: the item's raw id.
        score: relevance (higher is better; comparable within one list only).
        reason: why it is recommended.
    """

    item_id: Any
    score: float
    reason: Reason
