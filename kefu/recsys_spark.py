"""``kefu train --engine spark``: train the shop recommender on Spark and save it where the
app loads it (the files are those of the local engine, so serving does not change).

From the shop database, the interactions are read by the local loading code and handed to
Spark as a Parquet snapshot under ``var/spark/`` (no JDBC driver needed); from a log, Spark
reads the Parquet/CSV path or URI itself (``file:``, ``hdfs:``, ``s3a:``...). With a cluster
master, give a log at a URI the executors can read.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from recsys.storage import MODEL_FILE

SNAPSHOT = "interactions.parquet"


def _saved_metadata(directory: Path) -> dict:
    try:
        document = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        return dict(document.get("metadata") or {})
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def export_snapshot(interactions, target: Path) -> Path:
    """Write the interactions to a Parquet file atomically (a partial file never stays)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        # microseconds: Spark reads those as timestamps (nanoseconds only as numbers)
        interactions.to_parquet(
            partial, index=False, coerce_timestamps="us", allow_truncated_timestamps=True
        )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def train_on_spark(
    master: str | None = None,
    interactions: str | None = None,
    model: str = "similarity",
    url: str | None = None,
    force: bool = False,
) -> str:
    """Train the shop recommender on Spark and save it; one line saying what was done.

    Args:
        master: Spark master URL (default ``local[2]``).
        interactions: Parquet/CSV log path or URI; default: the shop database.
        model: ``"similarity"`` (the local engine's tables) or ``"als"`` (MLlib ALS).
        url: shop database URL (default: the configured one).
        force: retrain even when the saved model was trained on Spark from the same data.

    Raises:
        recsys.spark.SparkUnavailableError: pyspark or Java is missing.
        kefu.shop.db.DatabaseError: no log given and the database is not initialised.
        ValueError: malformed interactions.
    """
    from kefu.recommender import data_fingerprint, model_dir
    from kefu.settings import get_settings
    from kefu.shop.db import is_initialised
    from kefu.shop.queries.frames import interactions as interactions_from_db
    from recsys.spark import check_spark, fit_on_spark, spark_session

    check_spark()
    settings = get_settings()
    url = url or settings.database_url
    engine = f"spark-{model}"
    target = model_dir()
    has_db = is_initialised(url)
    fingerprint = data_fingerprint(url) if has_db else None
    items = None
    if interactions is None:
        if not force:
            saved = _saved_metadata(target)
            if saved.get("fingerprint") == fingerprint and saved.get("engine") == engine:
                return f"recommender up to date (trained on Spark from the same data): {target}"
        frame, items = interactions_from_db(url)  # raises when the database is missing
        if frame.empty:
            raise ValueError("the shop has no orders or reviews yet: nothing to learn from")
        source = str(export_snapshot(frame, settings.ensure_var() / "spark" / SNAPSHOT))
    else:
        source = interactions
        if has_db:  # names, categories, stock and prices of the shop's products
            _, items = interactions_from_db(url)
    start = time.perf_counter()
    spark = spark_session(master or "local[2]", app_name="kefu-train")
    fitted = fit_on_spark(spark, source, items, model=model)
    metadata = {
        "engine": engine,
        "source": "shop database" if interactions is None else interactions,
        "trained_at": time.time(),
        "spark_seconds": {k: round(v, 2) for k, v in fitted.timings_.items()},
    }
    if fingerprint is not None:
        # the shop's data as of now: `kefu recommend` keeps this model until the data changes
        metadata["fingerprint"] = fingerprint
    fitted.save(target, metadata=metadata)
    seconds = time.perf_counter() - start
    data = fitted.dataset_
    ratings = data.ratings.nnz if data.ratings is not None else 0
    return (
        f"trained the recommender on Spark ({model}, {spark.sparkContext.master}) "
        f"from {metadata['source']} ({data.n_users:,} customers, {data.n_items:,} products, "
        f"{data.seen.nnz:,} customer-product pairs, {ratings:,} ratings) "
        f"in {seconds:.1f} s: {target}"
    )
