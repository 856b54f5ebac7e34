"""Top-k column similarity on Spark: the same numbers as :func:`recsys.similarity.top_k_similarity`.

Two ways, the same neighbour tables:

* :func:`broadcast_top_k_similarity` (what the trainer uses): the matrix is broadcast once
  and each Spark task computes the top-k of its blocks of columns with the local engine's
  own sparse products (:func:`recsys.similarity.block_top_k`), so no pair is ever a Spark
  row and nothing but the ``k`` best neighbours per column comes back; the output is that
  of the local engine, bit for bit. Every executor must hold the matrix (about 12 bytes per
  stored entry, a few copies while it works).
* :func:`spark_top_k_similarity`: for matrices too large to broadcast, from a DataFrame of
  entries.

The pair work of :func:`spark_top_k_similarity` (every two columns that share a row) is a
self-join on the row followed by an aggregation, computed once per unordered pair and
mirrored. Formulas, as in the local
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

from recsys import similarity
from recsys.similarity import Neighbours, block_top_k, check_similarity, prepare


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


def broadcast_top_k_similarity(
    spark,
    matrix: sp.spmatrix,
    k: int,
    kind: str = "cosine",
    shrinkage: float = 0.0,
    alpha: float = 0.5,
    block_size: int = 512,
) -> Neighbours:
    """The k most similar columns of each column, blocks of columns computed by Spark tasks.

    Args:
        spark: the Spark session.
        matrix: (m, n) sparse values whose rows are observations (e.g. users x items).
        k, kind, shrinkage, alpha, block_size: as for
            :func:`recsys.similarity.top_k_similarity`.

    Returns:
        The neighbour table, equal to the local engine's.
    """
    from pyspark import cloudpickle

    check_similarity(kind, k)
    csr = sp.csr_matrix(matrix, dtype=np.float64)
    n = csr.shape[1]
    k = min(k, max(n - 1, 1))
    index = np.full((n, k), -1, dtype=np.int32)
    weight = np.zeros((n, k), dtype=np.float32)
    starts = list(range(0, n, block_size))
    if not starts:
        return Neighbours(index=index, weight=weight)
    # the tasks run the local engine's code: shipped with them (executors need numpy and
    # scipy, not this package)
    cloudpickle.register_pickle_by_value(similarity)
    context = spark.sparkContext
    shared = context.broadcast(csr)
    slices = max(1, min(len(starts), context.defaultParallelism))
    groups = [starts[i::slices] for i in range(slices)]  # interleaved: even loads

    def columns(parts):
        inputs = prepare(shared.value, k, kind, shrinkage, alpha)
        for group in parts:
            for start in group:
                stop = min(start + block_size, n)
                rows, cols, sims, rank = block_top_k(inputs, start, stop)
                block_index = np.full((stop - start, k), -1, dtype=np.int32)
                block_weight = np.zeros((stop - start, k), dtype=np.float32)
                block_index[rows - start, rank] = cols
                block_weight[rows - start, rank] = sims
                yield start, block_index, block_weight

    try:
        for start, block_index, block_weight in (
            context.parallelize(groups, slices).mapPartitions(columns).collect()
        ):
            index[start : start + len(block_index)] = block_index
            weight[start : start + len(block_weight)] = block_weight
    finally:
        shared.unpersist()
    return Neighbours(index=index, weight=weight)


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

    check_similarity(kind, k)
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
