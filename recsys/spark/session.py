"""Starting a Spark session for the recommender, and a clear error when Spark cannot run.

pyspark bundles every jar it needs (MLlib included), so nothing is downloaded at run time;
it needs a Java runtime (17) on ``PATH`` or in ``JAVA_HOME``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from typing import Any

INSTALL_HINT = "install with make spark-deps (Java 17 and the spark extra: pip install '.[spark]')"

#: settings for a small single-machine session; a cluster master keeps its own defaults
LOCAL_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}


#: settings for every master: dates in UTC; pandas' nanosecond Parquet timestamps read as
#: numbers (only their order matters: which rating of a pair is the latest)
COMMON_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.parquet.nanosAsLong": "true",
}


class SparkUnavailableError(RuntimeError):
    """pyspark or a Java runtime is missing."""


def spark_problem() -> str | None:
    """Why Spark cannot run here (``None`` when pyspark and Java are both present)."""
    if importlib.util.find_spec("pyspark") is None:
        return f"pyspark is not installed: {INSTALL_HINT}"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and os.path.isfile(os.path.join(java_home, "bin", "java"))):
        if shutil.which("java") is None:
            return f"no Java runtime (java not on PATH, JAVA_HOME unset): {INSTALL_HINT}"
    return None


def check_spark() -> None:
    """Raise :class:`SparkUnavailableError` when pyspark or Java is missing."""
    problem = spark_problem()
    if problem:
        raise SparkUnavailableError(problem)


def spark_session(
    master: str = "local[2]",
    app_name: str = "kefu-recsys",
    config: dict[str, Any] | None = None,
):
    """A Spark session (the active one when it exists, with ``config`` applied on top).

    Args:
        master: Spark master URL (``local[N]``, ``spark://host:7077``, ``yarn``...).
        app_name: application name shown by the cluster manager.
        config: extra Spark settings; with a ``local`` master the small-machine defaults
            of :data:`LOCAL_CONFIG` apply first.

    Returns:
        ``pyspark.sql.SparkSession``.

    Raises:
        SparkUnavailableError: pyspark or Java is missing.
    """
    check_spark()
    from pyspark.sql import SparkSession

    # workers must run this interpreter (pyspark refuses a different minor version)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    settings = dict(COMMON_CONFIG)
    if master.startswith("local"):
        settings.update(LOCAL_CONFIG)
    settings.update(config or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
