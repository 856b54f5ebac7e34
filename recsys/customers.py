"""Who the customers are: RFM scores, k-means segments with readable names, purchase
propensity, and campaign lists.

Transactions are a DataFrame with one row per order (or order line): ``customer_id``,
``order_id``, ``date`` (datetime64) and ``amount`` (money; negative for refunds and
cancellations). They come from the shop database (:func:`shop_transactions`) or a file
(:func:`read_transactions`: CSV with usual column names, including the UCI Online Retail
export, or the CDNOW master file).

* :func:`rfm_table`: recency (days since the last purchase), frequency (orders),
  monetary (net spend) and their 1-5 quintile scores.
* :class:`RfmSegmenter`: k-means on standardised log R, F, M; each cluster is named
  after the nearest prototype of ``data/analytics/segments.json`` (one-to-one), e.g.
  champions, loyal, at risk, lost.
* :class:`PropensityModel` and :func:`evaluate_propensity`: who buys in the next period,
  evaluated on a time split against a recency-only baseline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from kefu.settings import get_settings

__all__ = [
    "PropensityModel",
    "RfmSegmenter",
    "TransactionsError",
    "evaluate_propensity",
    "propensity_features",
    "read_transactions",
    "rfm_table",
    "segment_prototypes",
    "shop_transactions",
]

COLUMNS = ("customer_id", "order_id", "date", "amount")
FEATURES = (
    "recency_days",
    "log_frequency",
    "log_monetary",
    "log_avg_order",
    "tenure_days",
    "orders_last_30",
    "orders_last_90",
    "days_between_orders",
)
_CANDIDATES = {
    "customer_id": ("customer_id", "customerid", "customer", "user_id", "userid", "client_id"),
    "order_id": ("order_id", "orderid", "invoiceno", "invoice_no", "invoice", "order"),
    "date": (
        "date",
        "invoicedate",
        "invoice_date",
        "order_date",
        "ordered_at",
        "created_at",
        "timestamp",
    ),
    "amount": ("amount", "total", "revenue", "sales", "dollar_amount", "value"),
    "quantity": ("quantity", "qty", "number_of_cds"),
    "unit_price": ("unitprice", "unit_price", "price"),
}
_CDNOW_LINE = re.compile(r"^\s*\S+\s+\d{8}\s+-?\d+\s+-?[\d.]+\s*$")
MAX_BAD_LISTED = 200


class TransactionsError(ValueError):
    """The transactions cannot be used (missing file or columns, no valid row)."""


@dataclass
class LoadReport:
    """What reading a transactions file found: rows, bad rows (line numbers), format."""

    source: str
    format: str
    rows: int = 0
    bad_total: int = 0
    bad: list[dict] = field(default_factory=list)


# -- loading -----------------------------------------------------------------------------
def _validate(tx: pd.DataFrame) -> pd.DataFrame:
    if tx.empty:
        raise TransactionsError("no transactions")
    tx = tx.loc[:, list(COLUMNS)].copy()
    tx["customer_id"] = tx["customer_id"].astype(str)
    tx["order_id"] = tx["order_id"].astype(str)
    tx["amount"] = tx["amount"].astype(float)
    return tx.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)


def shop_transactions(url: str | None = None) -> pd.DataFrame:
    """One row per order of the shop database (cancelled orders left out; returned
    orders count with their refunds subtracted)."""
    from sqlalchemy import func, select

    from kefu.shop.db import DatabaseError, get_engine, is_initialised
    from kefu.shop.models import Order, Refund

    if not is_initialised(url):
        raise DatabaseError(
            "the shop database is not initialised: run 'kefu db demo' or 'kefu db import'"
        )
    refunds = (
        select(Refund.order_id, func.sum(Refund.amount).label("refunded"))
        .group_by(Refund.order_id)
        .subquery()
    )
    query = (
        select(Order.customer_id, Order.id, Order.ordered_at, Order.total, refunds.c.refunded)
        .outerjoin(refunds, refunds.c.order_id == Order.id)
        .where(Order.status != "cancelled")
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(query).all()
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "total", "refunded"])
    if tx.empty:
        raise TransactionsError("the shop database has no orders")
    tx["amount"] = tx["total"].astype(float) - tx["refunded"].fillna(0).astype(float)
    tx["date"] = pd.to_datetime(tx["date"])
    return _validate(tx)


def _pick(columns: list[str], name: str) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    for candidate in _CANDIDATES[name]:
        if candidate in lowered:
            return lowered[candidate]
    return None


def _bad(report: LoadReport, lines: pd.Series, reason: str) -> None:
    report.bad_total += len(lines)
    for line in lines.tolist()[: max(0, MAX_BAD_LISTED - len(report.bad))]:
        report.bad.append({"line": int(line), "reason": reason})


def read_transactions(path: str | Path, columns: dict[str, str] | None = None):
    """Read a transactions file.

    Formats: a CDNOW master file (``customer_id YYYYMMDD quantity amount``, whitespace
    separated, no header) or a CSV with a header whose columns are found by name
    (``customer_id``/``CustomerID``, ``order_id``/``InvoiceNo``, ``date``/``InvoiceDate``,
    and ``amount``, or ``Quantity`` times ``UnitPrice``). Without an order column each
    customer's day is one order.

    Args:
        path: the file.
        columns: explicit names, e.g. ``{"customer_id": "client", "amount": "paid"}``.

    Returns:
        ``(transactions, LoadReport)``; rows without a customer, with an invalid date or
        amount are left out and listed in the report with their line numbers.

    Raises:
        TransactionsError: when the file is missing, unreadable or has no usable row.
    """
    path = Path(path)
    if not path.is_file():
        raise TransactionsError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(4096).decode("utf-8", errors="replace")
    first = head.splitlines()[0] if head.strip() else ""
    if not first:
        raise TransactionsError(f"{path}: the file is empty")
    if _CDNOW_LINE.match(first):
        raw = pd.read_csv(
            path,
            sep=r"\s+",
            header=None,
            names=["customer_id", "date", "quantity", "amount"],
            dtype=str,
            engine="c",
        )
        report = LoadReport(str(path), "cdnow", rows=len(raw))
        raw["order_id"] = raw["customer_id"] + "-" + raw["date"] + "-" + raw.index.astype(str)
        raw["_line"] = raw.index + 1
        dates = pd.to_datetime(raw["date"], format="%Y%m%d", errors="coerce")
        amounts = pd.to_numeric(raw["amount"], errors="coerce")
        return _finish(raw, raw["customer_id"], raw["order_id"], dates, amounts, report)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TransactionsError(f"{path}: not a readable CSV file ({exc})") from None
    report = LoadReport(str(path), "csv", rows=len(raw))
    names = dict(columns or {})
    cols = list(raw.columns)
    for key in ("customer_id", "order_id", "date", "amount", "quantity", "unit_price"):
        if key not in names:
            found = _pick(cols, key)
            if found is not None:
                names[key] = found
        elif names[key] not in cols:
            raise TransactionsError(f"{path}: no column {names[key]!r} (columns: {cols})")
    if "customer_id" not in names or "date" not in names:
        raise TransactionsError(
            f"{path}: needs a customer and a date column (found columns: {cols[:20]})"
        )
    if "amount" in names:
        amounts = pd.to_numeric(raw[names["amount"]].str.strip(), errors="coerce")
    elif "quantity" in names and "unit_price" in names:
        amounts = pd.to_numeric(raw[names["quantity"]], errors="coerce") * pd.to_numeric(
            raw[names["unit_price"]], errors="coerce"
        )
    else:
        raise TransactionsError(f"{path}: needs an amount column, or quantity and unit price")
    raw["_line"] = raw.index + 2
    customers = raw[names["customer_id"]].str.strip()
    dates = pd.to_datetime(raw[names["date"]].str.strip(), errors="coerce")
    if "order_id" in names:
        orders = raw[names["order_id"]].str.strip()
    else:
        orders = customers + "@" + dates.dt.strftime("%Y-%m-%d")
    return _finish(raw, customers, orders, dates, amounts, report)


def _finish(raw, customers, orders, dates, amounts, report: LoadReport):
    no_customer = customers.isna() | (customers.astype(str).str.strip() == "")
    _bad(report, raw.loc[no_customer, "_line"], "no customer id")
    bad_date = ~no_customer & dates.isna()
    _bad(report, raw.loc[bad_date, "_line"], "invalid date")
    bad_amount = ~no_customer & ~bad_date & ~np.isfinite(amounts.astype(float))
    _bad(report, raw.loc[bad_amount, "_line"], "invalid amount")
    keep = ~(no_customer | bad_date | bad_amount)
    tx = pd.DataFrame(
        {
            "customer_id": customers[keep].astype(str),
            "order_id": orders[keep].astype(str),
            "date": dates[keep],
            "amount": amounts[keep].astype(float),
        }
    )
    if tx.empty:
        raise TransactionsError(
            f"{report.source}: no usable transaction ({report.bad_total} bad rows)"
        )
    return _validate(tx), report


# -- RFM ---------------------------------------------------------------------------------
def _orders(tx: pd.DataFrame) -> pd.DataFrame:
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
        positive amount), ``monetary`` (net spend, at least 0), ``first_days`` (days
        since the first purchase) and the scores ``r_score``, ``f_score``, ``m_score``.
        Customers with no positive order are left out.
    """
    orders = _orders(tx)
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
    table["recency_days"] = table["recency_days"].clip(lower=0).round(2)
    table["first_days"] = table["first_days"].clip(lower=0).round(2)
    table["r_score"] = _score(table["recency_days"], reverse=True)
    table["f_score"] = _score(table["frequency"])
    table["m_score"] = _score(table["monetary"])
    table.index.name = "customer_id"
    table.attrs["reference_date"] = ref.date().isoformat()
    return table


@lru_cache(maxsize=1)
def _prototype_file() -> tuple:
    path = get_settings().data_dir / "analytics" / "segments.json"
    return tuple(json.loads(path.read_text(encoding="utf-8"))["prototypes"])


def segment_prototypes() -> list[dict]:
    """The named segment prototypes (``data/analytics/segments.json``)."""
    return [dict(p) for p in _prototype_file()]


class RfmSegmenter:
    """k-means customer segments on RFM, named after the nearest prototypes.

    Args:
        n_segments: number of clusters (at most the number of prototypes, 8).
        random_state: seed of k-means.

    Attributes:
        mean_, scale_: standardisation of ``log1p`` recency, frequency, monetary.
        kmeans_: the fitted :class:`sklearn.cluster.KMeans`.
        segment_keys_: the prototype key of each cluster (``"champions"``...).
        centre_scores_: mean R, F, M scores of each cluster, shape (n_segments, 3).
    """

    def __init__(self, *, n_segments: int = 4, random_state: int = 0) -> None:
        self.n_segments = n_segments
        self.random_state = random_state

    @staticmethod
    def _features(rfm: pd.DataFrame) -> np.ndarray:
        missing = {"recency_days", "frequency", "monetary"} - set(rfm.columns)
        if missing:
            raise ValueError(f"the RFM table lacks {sorted(missing)}")
        return np.log1p(
            rfm[["recency_days", "frequency", "monetary"]].to_numpy(dtype=float).clip(min=0)
        )

    def fit(self, rfm: pd.DataFrame) -> RfmSegmenter:
        """Cluster the customers of an :func:`rfm_table` and name the clusters."""
        from scipy.optimize import linear_sum_assignment
        from sklearn.cluster import KMeans

        prototypes = segment_prototypes()
        if not 1 <= self.n_segments <= len(prototypes):
            raise ValueError(f"n_segments must be between 1 and {len(prototypes)}")
        if len(rfm) < self.n_segments:
            raise ValueError(f"{len(rfm)} customers cannot make {self.n_segments} segments")
        x = self._features(rfm)
        self.mean_ = x.mean(axis=0)
        self.scale_ = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        z = (x - self.mean_) / self.scale_
        distinct = len(np.unique(z.round(6), axis=0))
        k = min(self.n_segments, distinct)
        self.kmeans_ = KMeans(n_clusters=k, n_init=10, random_state=self.random_state).fit(z)
        labels = self.kmeans_.labels_
        scores = rfm[["r_score", "f_score", "m_score"]].to_numpy(dtype=float)
        self.centre_scores_ = np.array([scores[labels == c].mean(axis=0) for c in range(k)])
        proto = np.array([[p["r"], p["f"], p["m"]] for p in prototypes])
        cost = ((self.centre_scores_[:, None, :] - proto[None, :, :]) ** 2).sum(axis=2)
        rows, cols = linear_sum_assignment(cost)
        keys = [""] * k
        for r, c in zip(rows, cols, strict=True):
            keys[r] = prototypes[c]["key"]
        self.segment_keys_ = keys
        return self

    def predict(self, rfm: pd.DataFrame) -> np.ndarray:
        """The segment key of each customer (array of strings)."""
        check_is_fitted(self, "kmeans_")
        z = (self._features(rfm) - self.mean_) / self.scale_
        return np.array(self.segment_keys_, dtype=object)[self.kmeans_.predict(z)]


def segment_summary(rfm: pd.DataFrame, segments: np.ndarray) -> list[dict]:
    """Size, value and mean RFM of each segment, largest revenue first."""
    by_key = {p["key"]: p for p in segment_prototypes()}
    frame = rfm.assign(segment=segments)
    revenue = float(frame["monetary"].sum()) or 1.0
    rows = []
    for key, group in frame.groupby("segment", sort=False):
        proto = by_key.get(key, {})
        rows.append(
            {
                "key": key,
                "name": proto.get("en", key),
                "name_zh": proto.get("zh", key),
                "description": f"{proto.get('description_zh', '')} / {proto.get('description_en', '')}",
                "customers": int(len(group)),
                "share": round(len(group) / len(frame), 4),
                "revenue": round(float(group["monetary"].sum()), 2),
                "revenue_share": round(float(group["monetary"].sum()) / revenue, 4),
                "recency_mean": round(float(group["recency_days"].mean()), 1),
                "frequency_mean": round(float(group["frequency"].mean()), 2),
                "monetary_mean": round(float(group["monetary"].mean()), 2),
                "r_score": round(float(group["r_score"].mean()), 2),
                "f_score": round(float(group["f_score"].mean()), 2),
                "m_score": round(float(group["m_score"].mean()), 2),
            }
        )
    rows.sort(key=lambda r: (-r["revenue"], r["key"]))
    return rows


def find_segment(name: str) -> str:
    """The prototype key of a segment named by key, English or Chinese name."""
    wanted = name.strip().lower().replace("-", "_").replace(" ", "_")
    for proto in segment_prototypes():
        names = {proto["key"], proto["en"].lower().replace(" ", "_"), proto["zh"]}
        if wanted in names or name.strip() in names:
            return proto["key"]
    known = ", ".join(f"{p['key']} ({p['zh']})" for p in segment_prototypes())
    raise ValueError(f"unknown segment {name!r}; segments: {known}")


# -- propensity --------------------------------------------------------------------------
def propensity_features(tx: pd.DataFrame, cutoff: datetime | date) -> pd.DataFrame:
    """Features per customer from the orders before ``cutoff`` (see :data:`FEATURES`)."""
    cutoff = pd.Timestamp(cutoff)
    past = tx[tx["date"] < cutoff]
    if past.empty:
        return pd.DataFrame(columns=list(FEATURES))
    rfm = rfm_table(past, reference_date=cutoff)
    orders = _orders(past)
    orders = orders[orders["amount"] > 0]
    age = (cutoff - orders["date"]).dt.total_seconds() / 86400
    last30 = orders[age <= 30].groupby("customer_id").size()
    last90 = orders[age <= 90].groupby("customer_id").size()
    features = pd.DataFrame(index=rfm.index)
    features["recency_days"] = rfm["recency_days"]
    features["log_frequency"] = np.log1p(rfm["frequency"])
    features["log_monetary"] = np.log1p(rfm["monetary"])
    features["log_avg_order"] = np.log1p(rfm["monetary"] / rfm["frequency"])
    features["tenure_days"] = rfm["first_days"]
    features["orders_last_30"] = last30.reindex(rfm.index).fillna(0)
    features["orders_last_90"] = last90.reindex(rfm.index).fillna(0)
    features["days_between_orders"] = rfm["first_days"] / rfm["frequency"]
    return features.astype(float)


def buyers_between(tx: pd.DataFrame, start, end) -> set[str]:
    """Customers with a positive order in ``[start, end)``."""
    window = tx[(tx["date"] >= pd.Timestamp(start)) & (tx["date"] < pd.Timestamp(end))]
    orders = _orders(window)
    return set(orders.loc[orders["amount"] > 0, "customer_id"])


class PropensityModel:
    """Probability that a customer buys in the next period.

    Args:
        model: ``"logistic"`` (standardised logistic regression) or ``"forest"``
            (random forest).
        features: the feature columns used (default all of :data:`FEATURES`).
        random_state: seed.

    Attributes:
        estimator_: the fitted scikit-learn pipeline.
        classes_: ``[False, True]``.
    """

    def __init__(
        self,
        *,
        model: str = "logistic",
        features: tuple[str, ...] | None = None,
        random_state: int = 0,
    ) -> None:
        self.model = model
        self.features = features
        self.random_state = random_state

    def _columns(self) -> list[str]:
        return list(self.features or FEATURES)

    def fit(self, x: pd.DataFrame, y) -> PropensityModel:
        """Fit on features (:func:`propensity_features`) and bought-or-not labels."""
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        y = np.asarray(y, dtype=bool)
        if len(y) != len(x) or len(y) == 0:
            raise ValueError("x and y must be non-empty and of the same length")
        if y.all() or not y.any():
            raise ValueError("the labels hold one class only: nobody (or everybody) bought")
        if self.model == "logistic":
            estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, C=1.0))
        elif self.model == "forest":
            estimator = RandomForestClassifier(
                n_estimators=200, min_samples_leaf=10, n_jobs=1, random_state=self.random_state
            )
        else:
            raise ValueError(f"model must be 'logistic' or 'forest', got {self.model!r}")
        self.estimator_ = estimator.fit(x[self._columns()].to_numpy(), y)
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Shape (n, 2): probabilities of not buying and buying."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(x[self._columns()].to_numpy())

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Whether each customer is predicted to buy (probability >= 0.5)."""
        return self.predict_proba(x)[:, 1] >= 0.5


def _metrics(y: np.ndarray, proba: np.ndarray) -> dict:
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    pred = proba >= 0.5
    return {
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "precision": round(float(precision_score(y, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y, pred, zero_division=0)), 4),
        "f1": round(float(f1_score(y, pred, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(y, proba)), 4) if 0 < y.sum() < len(y) else None,
    }


def evaluate_propensity(
    tx: pd.DataFrame,
    *,
    test_cutoff: date | datetime | None = None,
    horizon_days: int | None = None,
    model: str = "logistic",
    random_state: int = 0,
) -> tuple[dict, PropensityModel | None]:
    """Fit and evaluate a propensity model on a time split.

    Train: features as of ``train_cutoff = test_cutoff - h`` and who bought in
    ``[train_cutoff, test_cutoff)``; test: features as of ``test_cutoff`` and who bought in
    ``[test_cutoff, test_cutoff + horizon)``. ``h`` is the horizon, shortened to half the
    history before ``test_cutoff`` when that is shorter. The baseline is the same model on
    recency alone.

    Args:
        tx: transactions.
        test_cutoff: start of the test period (default: ``horizon_days`` before the day
            after the last transaction).
        horizon_days: length of the test period (default: to the end of the data when
            ``test_cutoff`` is given, else 90 days).
        model: ``"logistic"`` or ``"forest"``.

    Returns:
        ``(figures, model)``; ``model`` is refitted on the test period to score customers
        as of the end of the data (``None`` when the split is impossible, with the reason
        in ``figures["skipped"]``).
    """
    end = tx["date"].max().normalize() + pd.Timedelta(days=1)
    start = tx["date"].min().normalize()
    if test_cutoff is None:
        horizon = int(horizon_days or default_horizon(start, end))
        cutoff = end - pd.Timedelta(days=horizon)
    else:
        cutoff = pd.Timestamp(test_cutoff)
        horizon = int(horizon_days or max(1, (end - cutoff).days))
    history = (cutoff - start).days
    train_h = min(horizon, history // 2)
    figures: dict = {
        "model": model,
        "horizon_days": horizon,
        "test_cutoff": cutoff.date().isoformat(),
    }
    if train_h < 1 or cutoff >= end:
        figures["skipped"] = (
            f"not enough history for a time split ({history} days before the test cutoff)"
        )
        return figures, None
    train_cutoff = cutoff - pd.Timedelta(days=train_h)
    x_train = propensity_features(tx, train_cutoff)
    y_train = x_train.index.isin(list(buyers_between(tx, train_cutoff, cutoff)))
    x_test = propensity_features(tx, cutoff)
    y_test = x_test.index.isin(
        list(buyers_between(tx, cutoff, cutoff + pd.Timedelta(days=horizon)))
    )
    figures.update(
        {
            "train_cutoff": train_cutoff.date().isoformat(),
            "train_horizon_days": train_h,
            "train_customers": int(len(x_train)),
            "train_base_rate": round(float(y_train.mean()), 4) if len(y_train) else None,
            "test_customers": int(len(x_test)),
            "test_base_rate": round(float(y_test.mean()), 4) if len(y_test) else None,
        }
    )
    try:
        fitted = PropensityModel(model=model, random_state=random_state).fit(x_train, y_train)
        baseline = PropensityModel(
            model="logistic", features=("recency_days",), random_state=random_state
        ).fit(x_train, y_train)
    except ValueError as exc:
        figures["skipped"] = f"cannot fit the propensity model: {exc}"
        return figures, None
    figures["metrics"] = _metrics(y_test, fitted.predict_proba(x_test)[:, 1])
    figures["baseline"] = _metrics(y_test, baseline.predict_proba(x_test)[:, 1])
    figures["baseline"]["description"] = "logistic regression on recency only"
    try:
        final = PropensityModel(model=model, random_state=random_state).fit(x_test, y_test)
    except ValueError:
        final = fitted
    return figures, final


def reference_scores(tx: pd.DataFrame, model: PropensityModel) -> pd.Series:
    """Each customer's probability of buying in the next period, as of the end of the data."""
    end = tx["date"].max().normalize() + pd.Timedelta(days=1)
    x = propensity_features(tx, end)
    return pd.Series(model.predict_proba(x)[:, 1], index=x.index, name="propensity")


def default_horizon(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """90 days, or a quarter of the span of the data when that is shorter."""
    return max(1, min(90, (end - start).days // 4))


# -- campaign ----------------------------------------------------------------------------
CAMPAIGN_COLUMNS = (
    "customer_id",
    "name",
    "email",
    "language",
    "segment",
    "segment_name",
    "recency_days",
    "frequency",
    "monetary",
    "propensity",
    "product_ids",
    "products",
    "reasons",
    "message",
)


def campaign_rows(
    customers: pd.DataFrame,
    segment: str,
    *,
    url: str | None = None,
    recommender=None,
    n_products: int = 3,
) -> list[dict]:
    """One campaign row per customer of ``customers``, with personalised suggestions.

    Args:
        customers: indexed by ``customer_id`` with ``recency_days``, ``frequency``,
            ``monetary`` and optionally ``propensity`` (the segment's members).
        segment: the segment's key (its message template is used).
        url: the shop database (customers' names, e-mails, languages; product names).
        recommender: a fitted recommender with ``recommend(user_id, n=...)`` (default
            :func:`recsys.shop.load_shop_recommender`).
        n_products: suggestions per customer.

    Returns:
        Rows with :data:`CAMPAIGN_COLUMNS`, ordered by descending propensity, then id.
    """
    from sqlalchemy import select

    from kefu.shop.db import get_engine
    from kefu.shop.models import Customer, Product

    proto = {p["key"]: p for p in segment_prototypes()}.get(segment)
    if proto is None:
        raise ValueError(f"unknown segment {segment!r}")
    if recommender is None:
        from recsys.shop import load_shop_recommender

        recommender = load_shop_recommender()
    ids = [str(i) for i in customers.index]
    engine = get_engine(url)
    people: dict[str, tuple] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            for row in conn.execute(
                select(Customer.id, Customer.name, Customer.email, Customer.language).where(
                    Customer.id.in_(batch)
                )
            ):
                people[row.id] = (row.name, row.email, row.language)
        names = {
            row.id: {"zh": row.name_zh, "en": row.name_en}
            for row in conn.execute(select(Product.id, Product.name_zh, Product.name_en))
        }
    frame = customers.copy()
    if "propensity" not in frame:
        frame["propensity"] = np.nan
    frame = frame.assign(_id=frame.index.astype(str)).sort_values(
        ["propensity", "_id"], ascending=[False, True], na_position="last"
    )
    rows = []
    for cid, rec in frame.iterrows():
        cid = str(cid)
        name, email, language = people.get(cid, ("", "", "zh"))
        language = language if language in ("zh", "en") else "zh"
        suggestions = recommender.recommend(cid, n=n_products)
        titles = [names.get(str(s.item_id), {}).get(language, str(s.item_id)) for s in suggestions]
        joiner = "、" if language == "zh" else ", "
        message = proto[f"message_{language}"].format(
            name=name or cid, products=joiner.join(titles) if titles else proto[language]
        )
        rows.append(
            {
                "customer_id": cid,
                "name": name,
                "email": email,
                "language": language,
                "segment": segment,
                "segment_name": proto[language],
                "recency_days": round(float(rec["recency_days"]), 1),
                "frequency": int(rec["frequency"]),
                "monetary": round(float(rec["monetary"]), 2),
                "propensity": None
                if pd.isna(rec["propensity"])
                else round(float(rec["propensity"]), 4),
                "product_ids": " ".join(str(s.item_id) for s in suggestions),
                "products": joiner.join(titles),
                "reasons": " | ".join(dict.fromkeys(s.reason.text(language) for s in suggestions)),
                "message": message,
            }
        )
    return rows
