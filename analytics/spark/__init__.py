"""The analytics on Spark (``kefu analyze texts|customers --engine spark``; needs pyspark
and Java 17: ``make spark-deps``).

The Spark engine does the heavy part on the cluster (the per-text models as a pandas UDF,
the aggregation of the transactions in Spark SQL) and hands the driver what the local
engine's own code turns into the same outputs and report. Importing this package does not
import pyspark.
"""

from analytics.spark.customers import SparkTables, spark_tables
from analytics.spark.texts import BATCH_ROWS, SparkMapper, portable_models

__all__ = ["BATCH_ROWS", "SparkMapper", "SparkTables", "portable_models", "spark_tables"]
