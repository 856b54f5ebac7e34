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
from recsys.spark.uris import (
    SparkPathError,
    check_readable,
    copy_to_local,
    local_path,
    uri_scheme,
)

__all__ = [
    "ALS_DEFAULTS",
    "INSTALL_HINT",
    "MODELS",
    "SparkPathError",
    "SparkUnavailableError",
    "check_readable",
    "check_spark",
    "copy_to_local",
    "factor_neighbours",
    "fit_on_spark",
    "local_path",
    "spark_problem",
    "spark_session",
    "uri_scheme",
]
