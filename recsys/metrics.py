"""Evaluation metrics: rating error and top-n ranking quality."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np


def rmse(truth: Iterable[float], estimate: Iterable[float]) -> float:
    """Root mean squared error."""
    t, e = np.asarray(list(truth), float), np.asarray(list(estimate), float)
    if t.size == 0 or t.shape != e.shape:
        raise ValueError("rmse needs two non-empty sequences of the same length")
    return float(np.sqrt(np.mean((t - e) ** 2)))


def mae(truth: Iterable[float], estimate: Iterable[float]) -> float:
    """Mean absolute error."""
    t, e = np.asarray(list(truth), float), np.asarray(list(estimate), float)
    if t.size == 0 or t.shape != e.shape:
        raise ValueError("mae needs two non-empty sequences of the same length")
    return float(np.mean(np.abs(t - e)))


def ranking_metrics(
    recommend: Callable[[Any], list[Any]],
    relevant: Mapping[Any, set[Any]],
    n: int = 10,
    n_items: int | None = None,
) -> dict[str, float]:
    """Precision, recall, NDCG (binary relevance) at ``n`` and catalogue coverage.

    Args:
        recommend: ``user -> list of item ids`` (at most ``n`` are used).
        relevant: per evaluated user, the set of relevant (held-out) items.
        n: list length.
        n_items: catalogue size for coverage (distinct recommended items / n_items).

    Returns:
        ``{"precision": ..., "recall": ..., "ndcg": ..., "coverage": ..., "users": ...}``
    """
    discounts = 1.0 / np.log2(np.arange(2, n + 2))
    precision, recall, ndcg = [], [], []
    shown: set[Any] = set()
    for user, truth in relevant.items():
        if not truth:
            continue
        items = list(recommend(user))[:n]
        shown.update(items)
        hits = np.array([item in truth for item in items], dtype=float)
        precision.append(hits.sum() / n)
        recall.append(hits.sum() / len(truth))
        dcg = float((hits * discounts[: hits.size]).sum())
        ideal = float(discounts[: min(len(truth), n)].sum())
        ndcg.append(dcg / ideal)
    result = {
        "precision": float(np.mean(precision)) if precision else 0.0,
        "recall": float(np.mean(recall)) if recall else 0.0,
        "ndcg": float(np.mean(ndcg)) if ndcg else 0.0,
        "users": len(precision),
    }
    if n_items:
        result["coverage"] = len(shown) / n_items
    return result
