"""Customer segments: k-means on RFM, each cluster named after the nearest prototype of
``data/analytics/segments.json`` (one-to-one), e.g. champions, loyal, at risk, lost."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

__all__ = ["SEGMENTS_FILE", "RfmSegmenter", "find_segment", "segment_prototypes", "segment_summary"]

SEGMENTS_FILE = Path(__file__).resolve().parents[1] / "data" / "analytics" / "segments.json"


@lru_cache(maxsize=1)
def _prototype_file() -> tuple:
    return tuple(json.loads(SEGMENTS_FILE.read_text(encoding="utf-8"))["prototypes"])


def segment_prototypes() -> list[dict]:
    """The named segment prototypes (``data/analytics/segments.json``)."""
    return [dict(p) for p in _prototype_file()]


class RfmSegmenter:
    """k-means customer segments on RFM, named after the nearest prototypes.

    Args:
        n_segments: number of clusters (at most the number of prototypes, 8).
        random_state: seed of k-means.

    Attributes:
        mean_, scale_: standardisation of ``log1p`` recency, frequency, monetary.
        kmeans_: the fitted :class:`sklearn.cluster.KMeans`.
        segment_keys_: the prototype key of each cluster (``"champions"``...).
        centre_scores_: mean R, F, M scores of each cluster, shape (n_segments, 3).
    """

    def __init__(self, *, n_segments: int = 4, random_state: int = 0) -> None:
        self.n_segments = n_segments
        self.random_state = random_state

    @staticmethod
    def _features(rfm: pd.DataFrame) -> np.ndarray:
        missing = {"recency_days", "frequency", "monetary"} - set(rfm.columns)
        if missing:
            raise ValueError(f"the RFM table lacks {sorted(missing)}")
        return np.log1p(
            rfm[["recency_days", "frequency", "monetary"]].to_numpy(dtype=float).clip(min=0)
        )

    def fit(self, rfm: pd.DataFrame) -> RfmSegmenter:
        """Cluster the customers of an :func:`rfm_table` and name the clusters."""
        from scipy.optimize import linear_sum_assignment
        from sklearn.cluster import KMeans

        prototypes = segment_prototypes()
        if not 1 <= self.n_segments <= len(prototypes):
            raise ValueError(f"n_segments must be between 1 and {len(prototypes)}")
        if len(rfm) < self.n_segments:
            raise ValueError(f"{len(rfm)} customers cannot make {self.n_segments} segments")
        x = self._features(rfm)
        self.mean_ = x.mean(axis=0)
        self.scale_ = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        z = (x - self.mean_) / self.scale_
        distinct = len(np.unique(z.round(6), axis=0))
        k = min(self.n_segments, distinct)
        self.kmeans_ = KMeans(n_clusters=k, n_init=10, random_state=self.random_state).fit(z)
        labels = self.kmeans_.labels_
        scores = rfm[["r_score", "f_score", "m_score"]].to_numpy(dtype=float)
        self.centre_scores_ = np.array([scores[labels == c].mean(axis=0) for c in range(k)])
        proto = np.array([[p["r"], p["f"], p["m"]] for p in prototypes])
        cost = ((self.centre_scores_[:, None, :] - proto[None, :, :]) ** 2).sum(axis=2)
        rows, cols = linear_sum_assignment(cost)
        keys = [""] * k
        for r, c in zip(rows, cols, strict=True):
            keys[r] = prototypes[c]["key"]
        self.segment_keys_ = keys
        return self

    def predict(self, rfm: pd.DataFrame) -> np.ndarray:
        """The segment key of each customer (array of strings)."""
        check_is_fitted(self, "kmeans_")
        z = (self._features(rfm) - self.mean_) / self.scale_
        return np.array(self.segment_keys_, dtype=object)[self.kmeans_.predict(z)]


def segment_summary(rfm: pd.DataFrame, segments: np.ndarray) -> list[dict]:
    """Size, value and mean RFM of each segment, largest revenue first."""
    by_key = {p["key"]: p for p in segment_prototypes()}
    frame = rfm.assign(segment=segments)
    revenue = float(frame["monetary"].sum()) or 1.0
    rows = []
    for key, group in frame.groupby("segment", sort=False):
        proto = by_key.get(key, {})
        rows.append(
            {
                "key": key,
                "name": proto.get("en", key),
                "name_zh": proto.get("zh", key),
                "description": f"{proto.get('description_zh', '')} / {proto.get('description_en', '')}",
                "customers": int(len(group)),
                "share": round(len(group) / len(frame), 4),
                "revenue": round(float(group["monetary"].sum()), 2),
                "revenue_share": round(float(group["monetary"].sum()) / revenue, 4),
                "recency_mean": round(float(group["recency_days"].mean()), 1),
                "frequency_mean": round(float(group["frequency"].mean()), 2),
                "monetary_mean": round(float(group["monetary"].mean()), 2),
                "r_score": round(float(group["r_score"].mean()), 2),
                "f_score": round(float(group["f_score"].mean()), 2),
                "m_score": round(float(group["m_score"].mean()), 2),
            }
        )
    rows.sort(key=lambda r: (-r["revenue"], r["key"]))
    return rows


def find_segment(name: str) -> str:
    """The prototype key of a segment named by key, English or Chinese name."""
    wanted = name.strip().lower().replace("-", "_").replace(" ", "_")
    for proto in segment_prototypes():
        names = {proto["key"], proto["en"].lower().replace(" ", "_"), proto["zh"]}
        if wanted in names or name.strip() in names:
            return proto["key"]
    known = ", ".join(f"{p['key']} ({p['zh']})" for p in segment_prototypes())
    raise ValueError(f"unknown segment {name!r}; segments: {known}")
