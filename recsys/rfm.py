"""RFM: recency, frequency and monetary value of each customer, with 1-5 quintile scores."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from recsys.transactions import TransactionsError

__all__ = ["finish_rfm", "order_totals", "rfm_table"]


def order_totals(tx: pd.DataFrame) -> pd.DataFrame:
    """One row per (customer, order): its date (first line) and net amount."""
    return (
        tx.groupby(["customer_id", "order_id"], sort=False)
        .agg(date=("date", "min"), amount=("amount", "sum"))
        .reset_index()
    )


def _score(values: pd.Series, reverse: bool = False) -> pd.Series:
    """1-5 quintile scores by rank (ties share a score); ``reverse``: low values score 5."""
    pct = values.rank(method="average", pct=True, ascending=not reverse)
    return np.clip(np.ceil(pct * 5), 1, 5).astype(int)


def rfm_table(tx: pd.DataFrame, reference_date: date | datetime | None = None) -> pd.DataFrame:
    """Recency, frequency, monetary value and their 1-5 scores per customer.

    Args:
        tx: transactions (see the module docstring).
        reference_date: "today" (default: the day after the last transaction).

    Returns:
        Indexed by ``customer_id``: ``recency_days``, ``frequency`` (orders with a
        positive amount), ``monetary`` (net spend, at least 0, to a millionth), ``first_days`` (days
        since the first purchase) and the scores ``r_score``, ``f_score``, ``m_score``.
        Customers with no positive order are left out.
    """
    orders = order_totals(tx)
    if reference_date is None:
        ref = pd.Timestamp(orders["date"].max().normalize()) + pd.Timedelta(days=1)
    else:
        ref = pd.Timestamp(reference_date)
    positive = orders[orders["amount"] > 0]
    if positive.empty:
        raise TransactionsError("no order with a positive amount")
    g = positive.groupby("customer_id")
    table = pd.DataFrame(
        {
            "recency_days": (ref - g["date"].max()).dt.total_seconds() / 86400,
            "frequency": g.size(),
            "first_days": (ref - g["date"].min()).dt.total_seconds() / 86400,
        }
    )
    net = orders.groupby("customer_id")["amount"].sum().clip(lower=0)
    table["monetary"] = net.reindex(table.index).fillna(0.0)
    return finish_rfm(table, ref)


def finish_rfm(table: pd.DataFrame, ref: pd.Timestamp) -> pd.DataFrame:
    """Round the days, add the 1-5 scores and name the table (in place; returned).

    Args:
        table: indexed by customer (sorted), with ``recency_days``, ``frequency``,
            ``first_days`` and ``monetary``, however computed (pandas here, Spark SQL in
            ``analytics.spark``).
        ref: the reference date.
    """
    # sums of money to a millionth: the order of summation (pandas, Spark) then never shows
    table["monetary"] = table["monetary"].round(6)
    table["recency_days"] = table["recency_days"].clip(lower=0).round(2)
    table["first_days"] = table["first_days"].clip(lower=0).round(2)
    table["r_score"] = _score(table["recency_days"], reverse=True)
    table["f_score"] = _score(table["frequency"])
    table["m_score"] = _score(table["monetary"])
    table.index.name = "customer_id"
    table.attrs["reference_date"] = ref.date().isoformat()
    return table
