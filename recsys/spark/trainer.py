"""Train the app's :class:`~recsys.Recommender` on Spark; the model files are the local ones.

Spark reads, cleans and aggregates the log (:mod:`recsys.spark.data`) and does the pair
work of every neighbour table (:mod:`recsys.spark.similarity`: blocks of columns as
tasks over the broadcast matrix, or a self-join of the entries past
:data:`BROADCAST_LIMIT`), or, with ``model="als"``,
learns the ranking tables from MLlib's implicit ALS (:mod:`recsys.spark.als`). What is
small stays on the driver as in the local engine: baseline biases, popularity and the
content (text) neighbours of the catalogue. The result is a fitted ``Recommender``
(``save``/``load``/``recommend`` unchanged); its ``_fit`` is mirrored here step by step,
and ``tests/recsys/spark`` checks the saved arrays against the local engine's.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd
import scipy.sparse as sp

from recsys.biases import fit_biases
from recsys.content import content_neighbours
from recsys.neighbors import empty_neighbours, rating_values
from recsys.ranking import popularity
from recsys.recommender import Recommender
from recsys.similarity import Neighbours
from recsys.spark.als import als_factors, factor_neighbours
from recsys.spark.data import spark_dataset
from recsys.spark.similarity import (
    broadcast_top_k_similarity,
    entries_frame,
    spark_top_k_similarity,
)

logger = logging.getLogger(__name__)

MODELS = ("similarity", "als")

#: stored entries up to which a matrix is broadcast to the tasks (about 12 bytes each);
#: larger ones go through Spark's self-join of the entries
BROADCAST_LIMIT = 100_000_000


def _top_k(spark, matrix: sp.spmatrix, **params: Any) -> Neighbours:
    """A neighbour table on Spark: broadcast blocks when the matrix is small enough."""
    matrix = sp.csr_matrix(matrix)
    if matrix.nnz <= BROADCAST_LIMIT:
        return broadcast_top_k_similarity(spark, matrix, **params)
    entries = entries_frame(spark, matrix).cache()
    try:
        return spark_top_k_similarity(entries, matrix.shape[1], **params)
    finally:
        entries.unpersist()


def fit_on_spark(
    spark,
    interactions: Any,
    items: pd.DataFrame | None = None,
    model: str = "similarity",
    params: dict[str, Any] | None = None,
    als: dict[str, Any] | None = None,
    fmt: str | None = None,
) -> Recommender:
    """Fit a :class:`Recommender` with Spark doing the data and the pair work.

    Args:
        spark: the Spark session (local or a cluster).
        interactions: pandas DataFrame, or path/URI of a Parquet or CSV log (columns as
            for :meth:`Recommender.fit`).
        items: optional item metadata (pandas, on the driver).
        model: ``"similarity"`` (the local engine's neighbour tables, same numbers) or
            ``"als"`` (ranking tables from MLlib implicit ALS factors; rating tables as
            with ``"similarity"``).
        params: ``Recommender`` parameters (default: its defaults).
        als: ALS settings (see :data:`recsys.spark.als.ALS_DEFAULTS`).
        fmt: ``"parquet"`` or ``"csv"`` when ``interactions`` is a path (default: by name).

    Returns:
        The fitted recommender; ``timings_`` holds the seconds of each step.

    Raises:
        ValueError: unknown model, bad parameters or malformed interactions.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    rec = Recommender(**(params or {}))
    rec._check_params()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    data = spark_dataset(spark, interactions, items, rec.rating_scale, fmt=fmt)
    timings["dataset"] = time.perf_counter() - start

    start = time.perf_counter()
    rec.dataset_ = data
    rec.biases_ = fit_biases(
        data.ratings,
        data.n_users,
        data.n_items,
        reg_user=rec.reg_user,
        reg_item=rec.reg_item,
        n_epochs=rec.n_epochs,
    )
    rec.popularity_, rec.segment_popularity_ = popularity(data, rec.MIN_SEGMENT_USERS)
    timings["driver"] = time.perf_counter() - start

    start = time.perf_counter()
    if data.confidence.nnz:
        if model == "similarity":
            rec.item_ranking_ = _top_k(
                spark,
                data.confidence,
                k=rec.item_neighbours,
                kind="cosine",
                shrinkage=rec.ranking_shrinkage,
                alpha=rec.alpha,
            )
            rec.user_ranking_ = _top_k(
                spark,
                data.confidence.T,
                k=rec.user_neighbours,
                kind="cosine",
                shrinkage=rec.ranking_shrinkage,
            )
        else:
            confidence = entries_frame(spark, data.confidence).cache()
            users, item_factors = als_factors(confidence, data.n_users, data.n_items, **(als or {}))
            rec.item_ranking_ = factor_neighbours(item_factors, rec.item_neighbours)
            rec.user_ranking_ = factor_neighbours(users, rec.user_neighbours)
            confidence.unpersist()
    else:
        rec.item_ranking_ = empty_neighbours(data.n_items)
        rec.user_ranking_ = empty_neighbours(data.n_users)
    timings["ranking"] = time.perf_counter() - start

    start = time.perf_counter()
    rec.item_rating_ = rec.user_rating_ = None
    if data.has_ratings:
        values = rating_values(data, rec.biases_, rec.similarity)
        k, kind, shrinkage = max(rec.candidates, rec.k), rec.similarity, rec.shrinkage
        rec.item_rating_ = _top_k(spark, values, k=k, kind=kind, shrinkage=shrinkage)
        rec.user_rating_ = _top_k(spark, values.T, k=k, kind=kind, shrinkage=shrinkage)
    timings["rating"] = time.perf_counter() - start

    start = time.perf_counter()
    rec.content_ = (
        content_neighbours(data.item_info, rec.content_neighbours)
        if data.item_info.has_text
        else None
    )
    rec._prepare()
    timings["content"] = time.perf_counter() - start
    rec.timings_ = timings
    logger.info("trained on Spark (%s): %s", model, timings)
    return rec
