"""Purchase propensity: who buys in the next period, evaluated on a time split against a
recency-only baseline."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from recsys.rfm import order_totals, rfm_table

__all__ = [
    "FEATURES",
    "PandasTables",
    "PropensityModel",
    "buyers_between",
    "default_horizon",
    "evaluate_propensity",
    "features_from_rfm",
    "propensity_features",
    "reference_scores",
]

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


def propensity_features(tx: pd.DataFrame, cutoff: datetime | date) -> pd.DataFrame:
    """Features per customer from the orders before ``cutoff`` (see :data:`FEATURES`)."""
    cutoff = pd.Timestamp(cutoff)
    past = tx[tx["date"] < cutoff]
    if past.empty:
        return pd.DataFrame(columns=list(FEATURES))
    rfm = rfm_table(past, reference_date=cutoff)
    orders = order_totals(past)
    orders = orders[orders["amount"] > 0]
    age = (cutoff - orders["date"]).dt.total_seconds() / 86400
    last30 = orders[age <= 30].groupby("customer_id").size()
    last90 = orders[age <= 90].groupby("customer_id").size()
    return features_from_rfm(rfm, last30, last90)


def features_from_rfm(rfm: pd.DataFrame, last30: pd.Series, last90: pd.Series) -> pd.DataFrame:
    """The :data:`FEATURES` from the RFM table as of the cutoff and each customer's
    positive orders in the 30 and 90 days before it (customers without any left out)."""
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
    orders = order_totals(window)
    return set(orders.loc[orders["amount"] > 0, "customer_id"])


class PandasTables:
    """What the propensity evaluation reads from the transactions, computed with pandas.

    Another engine (Spark SQL in ``analytics.spark``) offers the same four methods.
    """

    def __init__(self, tx: pd.DataFrame) -> None:
        self.tx = tx

    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last transaction time."""
        return self.tx["date"].min(), self.tx["date"].max()

    def rfm(self) -> pd.DataFrame:
        """:func:`recsys.rfm.rfm_table` of all the transactions."""
        return rfm_table(self.tx)

    def features(self, cutoff) -> pd.DataFrame:
        """:func:`propensity_features` as of ``cutoff``."""
        return propensity_features(self.tx, cutoff)

    def buyers(self, start, end) -> set:
        """:func:`buyers_between`."""
        return buyers_between(self.tx, start, end)

    def overview(self) -> dict:
        """Orders (distinct customer and order), revenue, first and last day."""
        tx = self.tx
        return {
            "orders": int(tx.groupby(["customer_id", "order_id"]).ngroups),
            "revenue": round(float(tx["amount"].sum()), 2),
            "first_date": tx["date"].min().date().isoformat(),
            "last_date": tx["date"].max().date().isoformat(),
        }


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
    tx: pd.DataFrame | None,
    *,
    tables=None,
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
        tx: transactions (``None`` with ``tables``).
        tables: where the features and buyers come from (default: :class:`PandasTables`
            of ``tx``).
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
    tables = tables or PandasTables(tx)
    first, last = tables.span()
    end = last.normalize() + pd.Timedelta(days=1)
    start = first.normalize()
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
    x_train = tables.features(train_cutoff)
    y_train = x_train.index.isin(list(tables.buyers(train_cutoff, cutoff)))
    x_test = tables.features(cutoff)
    y_test = x_test.index.isin(list(tables.buyers(cutoff, cutoff + pd.Timedelta(days=horizon))))
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


def reference_scores(tx: pd.DataFrame | None, model: PropensityModel, tables=None) -> pd.Series:
    """Each customer's probability of buying in the next period, as of the end of the data
    (``tables``: see :func:`evaluate_propensity`)."""
    tables = tables or PandasTables(tx)
    end = tables.span()[1].normalize() + pd.Timedelta(days=1)
    x = tables.features(end)
    return pd.Series(model.predict_proba(x)[:, 1], index=x.index, name="propensity")


def default_horizon(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """90 days, or a quarter of the span of the data when that is shorter."""
    return max(1, min(90, (end - start).days // 4))
