"""The recommender's Spark batch engine (needs pyspark and Java 17: ``make spark-deps``).

Trains the same :class:`~recsys.Recommender` as the local engine, from a log Spark reads
(Parquet/CSV at any URI, or a pandas frame), and writes the same model files. Importing this
package does not import pyspark; the functions do.
"""

from recsys.spark.als import ALS_DEFAULTS, factor_neighbours
from recsys.spark.session import (
    INSTALL_HINT,
    SparkUnavailableError,
    check_spark,
    spark_problem,
    spark_session,
)
from recsys.spark.trainer import MODELS, fit_on_spark

__all__ = [
    "ALS_DEFAULTS",
    "INSTALL_HINT",
    "MODELS",
    "SparkUnavailableError",
    "check_spark",
    "factor_neighbours",
    "fit_on_spark",
    "spark_problem",
    "spark_session",
]
