"""The customer models: transactions, RFM, segments and propensity on small inputs with known
answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.propensity import FEATURES, PropensityModel, evaluate_propensity, reference_scores
from recsys.rfm import rfm_table
from recsys.segments import RfmSegmenter, find_segment, segment_summary
from recsys.transactions import TransactionsError, read_transactions

DATA = Path(__file__).resolve().parents[1] / "data" / "analytics"


def _tx(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


# -- reading -----------------------------------------------------------------------------
def test_read_csv_with_bad_rows_and_line_numbers():
    tx, report = read_transactions(DATA / "transactions.csv")
    assert report.format == "csv" and report.rows == 9
    assert report.bad_total == 3
    assert report.bad == [
        {"line": 8, "reason": "no customer id"},
        {"line": 9, "reason": "invalid date"},
        {"line": 10, "reason": "invalid amount"},
    ]
    assert sorted(tx["customer_id"].unique()) == ["A", "B", "C"]
    assert tx["amount"].sum() == pytest.approx(160.0)


def test_read_cdnow_format():
    tx, report = read_transactions(DATA / "cdnow_sample.txt")
    assert report.format == "cdnow" and report.rows == 6 and report.bad_total == 0
    assert tx.groupby("customer_id")["amount"].sum().round(2).to_dict() == {
        "00001": 11.77,
        "00002": 89.0,
        "00003": 61.06,
    }
    # each line is an order of its own (two on the same day for customer 2)
    assert tx["order_id"].nunique() == 6


def test_read_online_retail_columns_quantity_times_price():
    tx, report = read_transactions(DATA / "retail_sample.csv")
    assert report.bad == [{"line": 6, "reason": "no customer id"}]
    by_order = tx.groupby("order_id")["amount"].sum().round(2).to_dict()
    assert by_order == {"536365": round(6 * 2.55 + 6 * 3.39, 2), "C536379": -27.5,
                        "536367": round(32 * 1.69, 2)}  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("a,b\n1,2\n", "needs a customer and a date column"),
        ("customer_id,date\nA,2026-01-01\n", "needs an amount column"),
        ("customer_id,date,amount\nA,never,x\n", "no usable transaction"),
    ],
)
def test_unusable_transaction_files(tmp_path, content, message):
    path = tmp_path / "t.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TransactionsError, match=message):
        read_transactions(path)


# -- RFM ---------------------------------------------------------------------------------
def test_rfm_known_answers():
    tx, _ = read_transactions(DATA / "transactions.csv")
    rfm = rfm_table(tx)
    assert rfm.attrs["reference_date"] == "2026-02-01"
    assert rfm.loc["A", ["recency_days", "frequency", "monetary"]].tolist() == [7.0, 2, 150.0]
    assert rfm.loc["B", ["recency_days", "frequency", "monetary"]].tolist() == [62.0, 1, 10.0]
    # C's last positive order is 2026-01-30; the refund the next day nets its spend to 0
    assert rfm.loc["C", ["recency_days", "frequency", "monetary"]].tolist() == [2.0, 1, 0.0]
    assert rfm.loc["C", "r_score"] == 5 and rfm.loc["B", "r_score"] == 2
    assert rfm.loc["A", "f_score"] == 5 and rfm.loc["A", "m_score"] == 5
    assert rfm.loc["C", "m_score"] == 2


def test_rfm_scores_are_quintiles():
    rng = np.random.default_rng(0)
    rows = [(f"c{i}", f"o{i}-{j}", pd.Timestamp("2026-01-01") + pd.Timedelta(days=int(rng.integers(0, 300))),
             float(rng.uniform(1, 100))) for i in range(100) for j in range(1 + i % 5)]  # fmt: skip
    rfm = rfm_table(_tx(rows))
    for column in ("r_score", "f_score", "m_score"):
        assert set(rfm[column]) <= {1, 2, 3, 4, 5}
    assert rfm["m_score"].value_counts().to_dict() == {s: 20 for s in range(1, 6)}
    high = rfm[rfm["r_score"] == 5]["recency_days"].max()
    low = rfm[rfm["r_score"] == 1]["recency_days"].min()
    assert high < low


def _two_populations(n: int = 40) -> pd.DataFrame:
    rows = []
    for i in range(n):  # frequent recent big spenders
        for j in range(8):
            rows.append((f"vip{i}", f"v{i}-{j}", f"2026-0{1 + j % 6}-{10 + i % 15}", 200.0 + i))
    for i in range(n):  # one small purchase long ago
        rows.append((f"old{i}", f"o{i}", f"2025-0{1 + i % 6}-0{1 + i % 9}", 5.0 + i % 3))
    return _tx(rows)


def test_segments_are_named_after_their_rfm():
    rfm = rfm_table(_two_populations())
    segmenter = RfmSegmenter(n_segments=2).fit(rfm)
    keys = pd.Series(segmenter.predict(rfm), index=rfm.index)
    vip = set(keys[rfm.index.str.startswith("vip")])
    old = set(keys[rfm.index.str.startswith("old")])
    assert len(vip) == 1 and len(old) == 1 and vip != old
    assert vip <= {"champions", "loyal"} and old <= {"lost", "hibernating"}
    summary = segment_summary(rfm, keys.to_numpy())
    assert [s["customers"] for s in summary] == [40, 40]
    assert summary[0]["key"] in {"champions", "loyal"}  # most revenue first
    assert summary[0]["revenue_share"] > 0.95
    assert summary[0]["name_zh"] in {"冠军客户", "忠诚客户"}
    assert sum(s["share"] for s in summary) == pytest.approx(1.0)


def test_segmenter_contract():
    rfm = rfm_table(_two_populations(10))
    with pytest.raises(ValueError):
        RfmSegmenter(n_segments=9).fit(rfm)
    with pytest.raises(ValueError, match="cannot make"):
        RfmSegmenter(n_segments=4).fit(rfm.head(3))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RfmSegmenter().predict(rfm)
    a = RfmSegmenter(n_segments=3).fit(rfm).predict(rfm)
    b = RfmSegmenter(n_segments=3).fit(rfm).predict(rfm)
    assert (a == b).all() and len(set(a)) == 3


def test_find_segment_by_any_name():
    assert find_segment("at risk") == "at_risk"
    assert find_segment("流失风险") == "at_risk"
    assert find_segment("Champions") == "champions"
    with pytest.raises(ValueError, match="unknown segment"):
        find_segment("whales")


# -- propensity --------------------------------------------------------------------------
def _regulars_and_one_offs() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    start = pd.Timestamp("2025-01-01")
    for i in range(60):  # buy every ~2 weeks all year
        day = int(rng.integers(0, 14))
        while day < 365:
            rows.append((f"r{i}", f"r{i}-{day}", start + pd.Timedelta(days=day), 30.0))
            day += int(rng.integers(7, 21))
    for i in range(60):  # buy once, at a random time
        day = int(rng.integers(0, 365))
        rows.append((f"o{i}", f"o{i}", start + pd.Timedelta(days=day), 30.0))
    return _tx(rows)


def test_propensity_time_split_and_metrics():
    tx = _regulars_and_one_offs()
    figures, model = evaluate_propensity(tx, horizon_days=60)
    end = tx["date"].max().normalize() + pd.Timedelta(days=1)
    assert figures["test_cutoff"] == (end - pd.Timedelta(days=60)).date().isoformat()
    assert figures["train_cutoff"] == (end - pd.Timedelta(days=120)).date().isoformat()
    for block in ("metrics", "baseline"):
        for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            assert 0.0 <= figures[block][name] <= 1.0
    assert figures["metrics"]["roc_auc"] > 0.9  # regulars buy again, one-offs do not
    assert figures["test_customers"] <= 120 and 0 < figures["test_base_rate"] < 1
    scores = reference_scores(tx, model)
    assert (
        scores[scores.index.str.startswith("r")].mean()
        > scores[scores.index.str.startswith("o")].mean()
    )


def test_propensity_forest_and_explicit_cutoff():
    tx = _regulars_and_one_offs()
    figures, model = evaluate_propensity(tx, test_cutoff="2025-11-01", model="forest")
    assert figures["horizon_days"] == (tx["date"].max().normalize() + pd.Timedelta(days=1)
                                       - pd.Timestamp("2025-11-01")).days  # fmt: skip
    assert figures["metrics"]["roc_auc"] > 0.9 and isinstance(model, PropensityModel)


def test_propensity_skipped_without_history():
    tx = _tx([("a", "1", "2026-01-01", 5.0), ("b", "2", "2026-01-01", 5.0)])
    figures, model = evaluate_propensity(tx)
    assert model is None and "not enough history" in figures["skipped"]


def test_propensity_model_contract():
    x = pd.DataFrame({f: np.arange(10, dtype=float) for f in FEATURES})
    with pytest.raises(ValueError, match="one class"):
        PropensityModel().fit(x, [True] * 10)
    with pytest.raises(ValueError, match="model must be"):
        PropensityModel(model="svm").fit(x, [True, False] * 5)
    fitted = PropensityModel().fit(x, [False] * 5 + [True] * 5)
    proba = fitted.predict_proba(x)
    assert proba.shape == (10, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(fitted.predict(x)) == [p >= 0.5 for p in proba[:, 1]]
