"""Top-k column similarity on Spark: the same numbers as :func:`recsys.similarity.top_k_similarity`.

The pair work (every two columns that share a row) is a self-join on the row followed by an
aggregation, computed once per unordered pair and mirrored. Formulas, as in the local
engine (``n`` = rows the two columns share, counting stored zeros):

* ``cosine``: ``dot / (|a|^(2 alpha) |b|^(2 (1 - alpha)))`` with norms over all of a
  column's entries, times ``n / (n + shrinkage)``;
* ``pearson_baseline`` / ``adjusted_cosine``: ``dot / sqrt(sum a^2 * sum b^2)`` over the
  common rows only, times ``(n - 1) / (n - 1 + shrinkage)``.

Only positive similarities are kept, the ``k`` best per column (ties: lower column first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.similarity import SIMILARITIES, Neighbours


def entries_frame(spark, matrix: sp.spmatrix):
    """A sparse matrix as a Spark DataFrame ``(row, col, value)`` of its stored entries."""
    coo = sp.coo_matrix(matrix)
    frame = pd.DataFrame(
        {
            "row": coo.row.astype(np.int64),
            "col": coo.col.astype(np.int64),
            "value": coo.data.astype(np.float64),
        }
    )
    if frame.empty:
        return spark.createDataFrame([], "row long, col long, value double")
    return spark.createDataFrame(frame)


def spark_top_k_similarity(
    entries,
    n_columns: int,
    k: int,
    kind: str = "cosine",
    shrinkage: float = 0.0,
    alpha: float = 0.5,
) -> Neighbours:
    """The k most similar columns of each column, computed on Spark.

    Args:
        entries: Spark DataFrame ``(row, col, value)``: the stored entries of an
            (m, n_columns) matrix whose rows are observations (e.g. users x items).
        n_columns: number of columns (columns without entries get no neighbours).
        k: neighbours kept per column.
        kind: ``"cosine"``, ``"adjusted_cosine"`` or ``"pearson_baseline"`` (see the module).
        shrinkage: pulls similarities backed by few common rows towards 0.
        alpha: asymmetry of the cosine (0.5 = plain cosine).

    Returns:
        The neighbour table, as the local engine returns it.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if kind not in SIMILARITIES:
        raise ValueError(f"similarity must be one of {SIMILARITIES}, got {kind!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    k = min(k, max(n_columns - 1, 1))
    e = entries.select("row", "col", F.col("value").cast("double").alias("value"))
    a, b = e.alias("a"), e.alias("b")
    # each unordered pair once (i < j); dot and counts are symmetric
    half = (
        a.join(b, (F.col("a.row") == F.col("b.row")) & (F.col("a.col") < F.col("b.col")))
        .groupBy(F.col("a.col").alias("i"), F.col("b.col").alias("j"))
        .agg(
            F.sum(F.col("a.value") * F.col("b.value")).alias("dot"),
            F.count(F.lit(1)).alias("n"),
            F.sum(F.col("a.value") * F.col("a.value")).alias("own"),
            F.sum(F.col("b.value") * F.col("b.value")).alias("other"),
        )
    )
    mirrored = half.select(
        F.col("j").alias("i"),
        F.col("i").alias("j"),
        "dot",
        "n",
        F.col("other").alias("own"),
        F.col("own").alias("other"),
    )
    pairs = half.unionByName(mirrored)
    if kind == "cosine":
        norms = e.groupBy("col").agg(F.sqrt(F.sum(F.col("value") * F.col("value"))).alias("norm"))
        left = norms.select(F.col("col").alias("i"), F.pow("norm", 2 * alpha).alias("left"))
        right = norms.select(F.col("col").alias("j"), F.pow("norm", 2 * (1 - alpha)).alias("right"))
        pairs = pairs.join(left, "i").join(right, "j")
        denom = F.col("left") * F.col("right")
        factor = F.col("n") / (F.col("n") + F.lit(float(shrinkage)))
    else:
        denom = F.sqrt(F.col("own") * F.col("other"))
        factor = (F.col("n") - 1) / (F.col("n") - 1 + F.lit(float(shrinkage)))
    sim = F.try_divide(F.col("dot"), denom)  # 0/0 (all-zero residuals): null, dropped
    if shrinkage:
        sim = sim * factor  # n + shrinkage > 0 here
    best = Window.partitionBy("i").orderBy(F.col("sim").desc(), F.col("j"))
    top = (
        pairs.select("i", "j", sim.alias("sim"))
        .where(F.col("sim").isNotNull() & (F.col("sim") > 0) & ~F.isnan("sim"))
        .withColumn("rank", F.row_number().over(best) - 1)
        .where(F.col("rank") < k)
        .toPandas()
    )
    index = np.full((n_columns, k), -1, dtype=np.int32)
    weight = np.zeros((n_columns, k), dtype=np.float32)
    if len(top):
        rows, ranks = top["i"].to_numpy(np.int64), top["rank"].to_numpy(np.int64)
        index[rows, ranks] = top["j"].to_numpy(np.int32)
        weight[rows, ranks] = top["sim"].to_numpy(np.float32)
    return Neighbours(index=index, weight=weight)
