"""MLlib's implicit ALS as a second ranking model, stored as neighbour tables.

ALS learns user and item factors from the confidence matrix (implicit preferences,
``log1p`` of the summed weights). The local :class:`~recsys.Recommender` ranks with item and
user neighbour tables, so the factors are turned into such tables: the ``k`` most similar
items (users) by cosine of their factors, positive similarities only. Serving, reasons and
``kefu recommend`` then work unchanged on an ALS-trained model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recsys.similarity import Neighbours

#: MLlib ALS settings (implicit preferences); ``blocks`` = user and item blocks
ALS_DEFAULTS = {"rank": 32, "iterations": 10, "reg": 0.05, "alpha": 10.0, "blocks": 2, "seed": 0}


def als_factors(entries, n_users: int, n_items: int, **params) -> tuple[np.ndarray, np.ndarray]:
    """Fit MLlib implicit ALS on ``(row=user, col=item, value=confidence)`` entries.

    Args:
        entries: Spark DataFrame of the confidence matrix's stored entries.
        n_users: number of user rows (users ALS never sees get zero factors).
        n_items: number of item rows.
        **params: overrides of :data:`ALS_DEFAULTS`.

    Returns:
        (user factors (n_users, rank), item factors (n_items, rank)), float32.
    """
    from pyspark.ml.recommendation import ALS

    settings = {**ALS_DEFAULTS, **params}
    unknown = set(settings) - set(ALS_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown ALS settings {sorted(unknown)}; known: {sorted(ALS_DEFAULTS)}")
    als = ALS(
        rank=int(settings["rank"]),
        maxIter=int(settings["iterations"]),
        regParam=float(settings["reg"]),
        alpha=float(settings["alpha"]),
        implicitPrefs=True,
        userCol="row",
        itemCol="col",
        ratingCol="value",
        numUserBlocks=int(settings["blocks"]),
        numItemBlocks=int(settings["blocks"]),
        seed=int(settings["seed"]),
        coldStartStrategy="drop",
    )
    model = als.fit(entries.select(entries.row.cast("int"), entries.col.cast("int"), "value"))
    rank = int(settings["rank"])
    out = []
    for frame, n in ((model.userFactors, n_users), (model.itemFactors, n_items)):
        local: Any = frame.toPandas()
        factors = np.zeros((n, rank), dtype=np.float32)
        if len(local):
            factors[local["id"].to_numpy(np.int64)] = np.vstack(local["features"].to_numpy())
        out.append(factors)
    return out[0], out[1]


def factor_neighbours(factors: np.ndarray, k: int, block_size: int = 1024) -> Neighbours:
    """The k most similar rows of ``factors`` by cosine (positive only, best first).

    Args:
        factors: (n, rank) factor matrix.
        k: neighbours kept per row.
        block_size: rows scored at a time (memory ``block_size * n`` floats).
    """
    n = factors.shape[0]
    k = min(k, max(n - 1, 1))
    norms = np.linalg.norm(factors, axis=1)
    unit = np.divide(factors, norms[:, None], out=np.zeros_like(factors), where=norms[:, None] > 0)
    index = np.full((n, k), -1, dtype=np.int32)
    weight = np.zeros((n, k), dtype=np.float32)
    for start in range(0, n, block_size):
        stop = min(start + block_size, n)
        sims = unit[start:stop] @ unit.T
        sims[np.arange(stop - start), np.arange(start, stop)] = 0.0
        if n > k:
            part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            part = np.tile(np.arange(n), (stop - start, 1))[:, :k]
        values = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -values), axis=1)
        part = np.take_along_axis(part, order, axis=1)
        values = np.take_along_axis(values, order, axis=1)
        keep = values > 0
        index[start:stop] = np.where(keep, part, -1)
        weight[start:stop] = np.where(keep, values, 0.0)
    return Neighbours(index=index, weight=weight)
