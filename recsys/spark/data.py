"""Interactions on Spark: read a log from any URI Spark reads (or a pandas frame), validate,
clean and aggregate it there, and hand the driver the same :class:`~recsys.dataset.Dataset`
that :func:`recsys.interactions.build_dataset` builds from the same log.

The rules are those of ``build_dataset`` (see :mod:`recsys.interactions`): rows identical in
every column count once, weights of a (user, item) pair add up, the latest rating wins (by
``timestamp``, then by position in the log), users and items get rows in order of first
appearance. The driver receives one row per distinct pair: what the saved model holds.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.dataset import Dataset
from recsys.idmap import IdMap
from recsys.interactions import USER_ATTRIBUTES, assemble_dataset, with_catalogue

COLUMNS = ("user_id", "item_id", "rating", "weight", "timestamp", *USER_ATTRIBUTES)
ORDER = "_position"


def read_interactions(spark, source: Any, fmt: str | None = None):
    """The interactions log as a Spark DataFrame with a ``_position`` column (log order).

    Args:
        spark: the Spark session.
        source: a pandas DataFrame, or a path/URI of Parquet or CSV (``file:``, ``hdfs:``,
            ``s3a:``... anything the session can read; a directory of part files works).
        fmt: ``"parquet"`` or ``"csv"`` (default: from the name, Parquet unless it ends
            in ``.csv``/``.csv.gz``). CSV needs a header row.

    Raises:
        ValueError: unknown format.
        recsys.spark.uris.SparkPathError: the session cannot read the path (a scheme it has
            no filesystem for, a missing file).
        TypeError: ``source`` is neither a DataFrame nor a path.
    """
    from pyspark.sql import functions as F

    from recsys.spark.uris import check_readable

    if isinstance(source, pd.DataFrame):
        if source.empty:
            raise ValueError("interactions is empty: at least one (user_id, item_id) row is needed")
        frame = source[[c for c in COLUMNS if c in source]].copy()
        for column in ("user_id", "item_id", *USER_ATTRIBUTES):
            if column in frame and frame[column].dtype == object:
                kinds = {type(v) for v in frame[column].dropna()}
                if len(kinds) > 1:  # Spark columns hold one type
                    frame[column] = frame[column].map(lambda v: v if pd.isna(v) else str(v))
        frame[ORDER] = np.arange(len(frame), dtype=np.int64)
        df = spark.createDataFrame(frame)
    elif isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        fmt = fmt or ("csv" if path.lower().endswith((".csv", ".csv.gz")) else "parquet")
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"format must be 'parquet' or 'csv', got {fmt!r}")
        check_readable(spark, path)  # one clear line, not a Java stack trace
        if fmt == "csv":
            df = spark.read.option("header", True).option("inferSchema", True).csv(path)
        else:
            df = spark.read.parquet(path)
        # file order: partitions in order, rows in order within each
        df = df.withColumn(ORDER, F.monotonically_increasing_id())
    else:
        raise TypeError(f"interactions must be a DataFrame or a path, got {type(source).__name__}")
    for column in ("rating", "weight"):  # pandas NaN arrives as NaN, not null
        if column in df.columns:
            value = F.col(column).cast("double")
            df = df.withColumn(column, F.when(F.isnan(value), None).otherwise(value))
    return df


def _timestamp_seconds(df):
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType, StringType

    kind = df.schema["timestamp"].dataType
    if isinstance(kind, NumericType):
        return F.col("timestamp").cast("double")
    moment = F.to_timestamp("timestamp") if isinstance(kind, StringType) else F.col("timestamp")
    # dates, timestamps with or without time zone (read in the session's, UTC)
    return F.unix_micros(moment.cast("timestamp")).cast("double") / 1e6


def _validate(df, rating_scale: tuple[float, float]) -> None:
    """One pass of checks with the errors of ``build_dataset``."""
    from pyspark.sql import functions as F

    for column in ("user_id", "item_id"):
        if column not in df.columns:
            raise ValueError(f"interactions needs a {column!r} column (got {df.columns})")
    low, high = rating_scale
    checks = {
        "rows": F.count(F.lit(1)),
        "no_user": F.sum(F.col("user_id").isNull().cast("long")),
        "no_item": F.sum(F.col("item_id").isNull().cast("long")),
    }
    if "rating" in df.columns:
        r = F.col("rating")
        bad = r.isNotNull() & ((r < low) | (r > high))
        checks["bad_rating"] = F.sum(bad.cast("long"))
    if "weight" in df.columns:
        w = F.col("weight")
        checks["no_weight"] = F.sum(w.isNull().cast("long"))
        checks["bad_weight"] = F.sum(((w < 0) | (w == float("inf"))).cast("long"))
    if "timestamp" in df.columns:
        checks["no_time"] = F.sum(F.col("timestamp").isNull().cast("long"))
        checks["bad_time"] = F.sum(
            (F.col("timestamp").isNotNull() & _timestamp_seconds(df).isNull()).cast("long")
        )
    found = df.agg(*[v.alias(k) for k, v in checks.items()]).first().asDict()
    found = {k: int(v or 0) for k, v in found.items()}
    messages = {
        "no_user": "{n} interactions rows have no user_id",
        "no_item": "{n} interactions rows have no item_id",
        "bad_rating": f"{{n}} ratings are outside the rating scale {low:g}-{high:g} "
        "(or not numbers)",
        "no_weight": "{n} weight values are missing or not numbers",
        "bad_weight": "weights must be finite and >= 0 ({n} are not)",
        "no_time": "{n} rows have no timestamp",
        "bad_time": "timestamp values must be numbers or dates ({n} are not)",
    }
    if found["rows"] == 0:
        raise ValueError("interactions is empty: at least one (user_id, item_id) row is needed")
    for key, message in messages.items():
        if found.get(key):
            raise ValueError(message.format(n=found[key]))


def spark_dataset(
    spark,
    source: Any,
    items: pd.DataFrame | None = None,
    rating_scale: tuple[float, float] = (1.0, 5.0),
    fmt: str | None = None,
) -> Dataset:
    """Read, check and aggregate an interactions log on Spark; the dataset on the driver.

    Args:
        spark: the Spark session.
        source: pandas DataFrame or path/URI (see :func:`read_interactions`).
        items: optional item metadata (as for ``build_dataset``), on the driver.
        rating_scale: valid (low, high) ratings.
        fmt: file format when ``source`` is a path.

    Returns:
        The dataset, equal to ``build_dataset`` on the same log.

    Raises:
        ValueError: malformed input (the messages of ``build_dataset``).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    low, high = (float(x) for x in rating_scale)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"rating_scale must be (low, high) with low < high, got {rating_scale!r}")
    df = read_interactions(spark, source, fmt)
    _validate(df, (low, high))
    present = [c for c in COLUMNS if c in df.columns]
    has_rating, has_weight = "rating" in present, "weight" in present
    # rows identical in every column count once (the first keeps its place)
    df = df.groupBy(*present).agg(F.min(ORDER).alias(ORDER))
    when = _timestamp_seconds(df) if "timestamp" in present else F.lit(0.0)
    df = df.withColumn("_when", when).cache()

    user_aggs = [F.min(ORDER).alias("first")]
    for name in USER_ATTRIBUTES:
        if name in present:
            value = F.trim(F.col(name).cast("string"))
            keep = F.when(value.isNotNull() & (value != ""), F.col(ORDER))
            user_aggs.append(F.max_by(value, keep).alias(name))
    ranked = Window.orderBy("first")
    users = (
        df.groupBy("user_id").agg(*user_aggs).withColumn("u", F.row_number().over(ranked) - 1)
    ).cache()
    item_rows = (
        df.groupBy("item_id")
        .agg(F.min(ORDER).alias("first"))
        .withColumn("i", F.row_number().over(ranked) - 1)
    ).cache()
    pair_aggs = [
        F.sum(F.col("weight") if has_weight else F.lit(1.0)).alias("weight"),
    ]
    if has_rating:
        latest = F.when(F.col("rating").isNotNull(), F.struct("_when", ORDER))
        pair_aggs.append(F.max_by("rating", latest).alias("rating"))
    pairs = (
        df.groupBy("user_id", "item_id")
        .agg(*pair_aggs)
        .join(users.select("user_id", "u"), "user_id")
        .join(item_rows.select("item_id", "i"), "item_id")
        .drop("user_id", "item_id")
        .toPandas()
    )
    user_frame = users.orderBy("u").toPandas()
    item_ids = item_rows.orderBy("i").select("item_id").toPandas()["item_id"].tolist()
    for frame in (df, users, item_rows):
        frame.unpersist()

    item_ids = with_catalogue(item_ids, items)
    user_map = IdMap(user_frame["user_id"].tolist())
    shape = (len(user_map), len(item_ids))
    rows, cols = pairs["u"].to_numpy(np.int64), pairs["i"].to_numpy(np.int64)
    weights = sp.csr_matrix((pairs["weight"].to_numpy(np.float64), (rows, cols)), shape=shape)
    weights.sort_indices()
    seen = sp.csr_matrix((np.ones(len(pairs), dtype=bool), (rows, cols)), shape=shape)
    ratings = None
    if has_rating and pairs["rating"].notna().any():
        rated = pairs["rating"].notna().to_numpy()
        ratings = sp.csr_matrix(
            (pairs["rating"].to_numpy(np.float64)[rated], (rows[rated], cols[rated])),
            shape=shape,
            dtype=np.float64,
        )
        ratings.sort_indices()
    attributes = {
        name: user_frame[name].fillna("").astype(str).tolist()
        for name in USER_ATTRIBUTES
        if name in user_frame
    }
    return assemble_dataset(
        user_map,
        item_ids,
        weights,
        seen,
        ratings,
        items=items,
        attributes=attributes,
        rating_scale=(low, high),
        purchases=has_weight or not has_rating,
    )
