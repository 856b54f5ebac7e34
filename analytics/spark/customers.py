"""``kefu analyze customers --engine spark``: RFM and the propensity features with Spark SQL.

:class:`SparkTables` offers what :class:`recsys.propensity.PandasTables` offers (the RFM
table, the propensity features as of a cutoff, the buyers of a period, an overview) with
the aggregation over the transactions done in Spark SQL; the driver receives one row per
customer and finishes it with the local engine's own code (:func:`recsys.rfm.finish_rfm`,
:func:`recsys.propensity.features_from_rfm`), so segments, propensity models and the report
are those of the local engine. Times are whole microseconds since the epoch and the day
arithmetic is the same floating-point arithmetic as pandas', so the figures are equal.
"""

from __future__ import annotations

import pandas as pd

from recsys.propensity import features_from_rfm
from recsys.rfm import finish_rfm
from recsys.transactions import TransactionsError

__all__ = ["SparkTables", "spark_tables"]


def _micros(moment) -> int:
    return int(pd.Timestamp(moment).value // 1000)


def _days(ref_us: int, column: str):
    """``(ref - column).total_seconds() / 86400`` as pandas computes it (ns / 1e9 / 86400)."""
    from pyspark.sql import functions as F

    return ((F.lit(ref_us) - F.col(column)) * 1000).cast("double") / 1e9 / 86400


class SparkTables:
    """The transactions' aggregates for the customers report, computed on Spark.

    Args:
        spark: the Spark session.
        tx: transactions (``customer_id``, ``order_id``, ``date``, ``amount``), validated
            by :func:`recsys.transactions.read_transactions` or the shop's query.
    """

    def __init__(self, spark, tx: pd.DataFrame) -> None:
        self.spark = spark
        frame = pd.DataFrame(
            {
                "customer_id": tx["customer_id"].astype(str),
                "order_id": tx["order_id"].astype(str),
                "t": tx["date"].to_numpy("datetime64[us]").astype("int64"),
                "amount": tx["amount"].astype(float),
            }
        )
        self._id_type = tx["customer_id"].dtype
        self._ids = None if tx["customer_id"].dtype == object else tx["customer_id"]
        self.lines = spark.createDataFrame(
            frame, schema="customer_id string, order_id string, t long, amount double"
        ).cache()
        self._span: tuple[pd.Timestamp, pd.Timestamp] | None = None

    # -- SQL ---------------------------------------------------------------------------
    @staticmethod
    def _orders(lines):
        """One row per (customer, order): its first time and net amount."""
        from pyspark.sql import functions as F

        return lines.groupBy("customer_id", "order_id").agg(
            F.min("t").alias("t"), F.sum("amount").alias("amount")
        )

    def _rfm(self, lines, ref_us: int, extra: bool = False) -> pd.DataFrame:
        from pyspark.sql import functions as F

        orders = self._orders(lines)
        positive = orders.filter(F.col("amount") > 0)
        aggs = [
            F.max("t").alias("last"),
            F.min("t").alias("first"),
            F.count(F.lit(1)).alias("frequency"),
        ]
        if extra:  # positive orders in the 30 and 90 days before the cutoff
            age = _days(ref_us, "t")
            aggs += [
                F.sum((age <= 30).cast("long")).alias("last30"),
                F.sum((age <= 90).cast("long")).alias("last90"),
            ]
        net = orders.groupBy("customer_id").agg(F.sum("amount").alias("net"))
        table = (
            positive.groupBy("customer_id")
            .agg(*aggs)
            .join(net, "customer_id", "left")
            .select(
                "customer_id",
                _days(ref_us, "last").alias("recency_days"),
                "frequency",
                _days(ref_us, "first").alias("first_days"),
                F.when(F.col("net") > 0, F.col("net")).otherwise(F.lit(0.0)).alias("monetary"),
                *(["last30", "last90"] if extra else []),
            )
            .toPandas()
        )
        if table.empty:
            raise TransactionsError("no order with a positive amount")
        table["customer_id"] = self._restore_ids(table["customer_id"])
        table = table.set_index("customer_id").sort_index()
        table["frequency"] = table["frequency"].astype("int64")
        return table

    def _restore_ids(self, ids: pd.Series) -> pd.Series:
        """Customer ids in their input type (numbers stay numbers, so the order is equal)."""
        if self._ids is None:
            return ids
        return ids.astype(self._id_type)

    # -- the PandasTables interface ---------------------------------------------------
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last transaction time."""
        if self._span is None:
            from pyspark.sql import functions as F

            row = self.lines.agg(F.min("t").alias("a"), F.max("t").alias("b")).first()
            if row is None or row["a"] is None:
                raise TransactionsError("no transactions")
            self._span = (pd.Timestamp(row["a"], unit="us"), pd.Timestamp(row["b"], unit="us"))
        return self._span

    def rfm(self) -> pd.DataFrame:
        """:func:`recsys.rfm.rfm_table` of all the transactions."""
        ref = self.span()[1].normalize() + pd.Timedelta(days=1)
        return finish_rfm(self._rfm(self.lines, _micros(ref)), ref)

    def features(self, cutoff) -> pd.DataFrame:
        """:func:`recsys.propensity.propensity_features` as of ``cutoff``."""
        from pyspark.sql import functions as F

        from recsys.propensity import FEATURES

        cutoff = pd.Timestamp(cutoff)
        cut = _micros(cutoff)
        past = self.lines.filter(F.col("t") < cut)
        if past.isEmpty():
            return pd.DataFrame(columns=list(FEATURES))
        table = self._rfm(past, cut, extra=True)
        last30 = table.pop("last30")
        last90 = table.pop("last90")
        rfm = finish_rfm(table, cutoff)
        return features_from_rfm(rfm, last30[last30 > 0], last90[last90 > 0])

    def buyers(self, start, end) -> set:
        """Customers with a positive order in ``[start, end)``."""
        from pyspark.sql import functions as F

        window = self.lines.filter((F.col("t") >= _micros(start)) & (F.col("t") < _micros(end)))
        rows = (
            self._orders(window)
            .filter(F.col("amount") > 0)
            .select("customer_id")
            .distinct()
            .toPandas()
        )
        return set(self._restore_ids(rows["customer_id"]))

    def overview(self) -> dict:
        """Orders (distinct customer and order), revenue, first and last day."""
        from pyspark.sql import functions as F

        row = self.lines.agg(
            F.count_distinct("customer_id", "order_id").alias("orders"),
            F.sum("amount").alias("revenue"),
        ).first()
        first, last = self.span()
        return {
            "orders": int(row["orders"]),
            "revenue": round(float(row["revenue"]), 2),
            "first_date": first.date().isoformat(),
            "last_date": last.date().isoformat(),
        }

    def close(self) -> None:
        """Release the cached transactions."""
        self.lines.unpersist()


def spark_tables(spark):
    """A factory for :func:`analytics.customers.analyse_customers`'s ``tables``."""

    def make(tx: pd.DataFrame) -> SparkTables:
        return SparkTables(spark, tx)

    return make
