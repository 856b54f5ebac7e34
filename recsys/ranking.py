"""What every recommender does around its scores: request checks, popularity, top-n."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recsys.dataset import Dataset
from recsys.reasons import LANGUAGES

__all__ = ["MAX_N", "as_list", "check_context", "check_n", "popularity", "top_n"]

MAX_N = 10_000


def popularity(data: Dataset, min_segment_users: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Distinct users per item, overall and per user segment (``"city=上海"``...) of at
    least ``min_segment_users`` users."""
    seen = data.seen.astype(np.float32)
    total = np.asarray(seen.sum(axis=0)).ravel().astype(np.float32)
    segments: dict[str, np.ndarray] = {}
    for name, values in data.user_attributes.items():
        codes, uniques = pd.factorize(pd.Series(values), sort=True)
        for code, value in enumerate(uniques):
            if not value:
                continue
            members = codes == code
            if members.sum() < min_segment_users:
                continue
            segments[f"{name}={value}"] = np.asarray(seen[members].sum(axis=0)).ravel()
    return total, {k: v.astype(np.float32) for k, v in segments.items()}


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the (at most) ``n`` largest positive scores, best first (ties by index)."""
    positive = np.flatnonzero(scores > 0)
    if positive.size > n:
        part = np.argpartition(-scores[positive], n - 1)[:n]
        positive = positive[part]
    order = np.lexsort((positive, -scores[positive]))
    return positive[order]


def check_n(n: Any) -> int:
    """``n`` as an int, checked to be in ``1..MAX_N``."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if n <= 0:
        raise ValueError(f"n must be a positive integer, got {n}")
    if n > MAX_N:
        raise ValueError(f"n must be at most {MAX_N}, got {n}")
    return int(n)


def check_context(context: Any) -> dict[str, Any]:
    """The request context (``language``, ``city``) checked and cleaned."""
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise ValueError(f"context must be a dict, got {type(context).__name__}")
    out = {}
    language = context.get("language")
    if language is not None:
        if language not in LANGUAGES:
            raise ValueError(f"context language must be one of {LANGUAGES}, got {language!r}")
        out["language"] = language
    city = context.get("city")
    if city is not None:
        if not isinstance(city, str):
            raise ValueError(f"context city must be a string, got {city!r}")
        if city.strip():
            out["city"] = city.strip()
    return out


def as_list(values: Any) -> list[Any]:
    """One id or an iterable of ids, as a list."""
    if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
        return [values]
    return list(values)
