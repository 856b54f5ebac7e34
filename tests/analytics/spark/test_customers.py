"""``analyze customers --engine spark``: RFM, segments and propensity equal the local engine's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.customers import CustomersOptions, analyse_customers
from analytics.spark import SparkTables, spark_tables
from recsys.propensity import PandasTables
from recsys.transactions import read_transactions


@pytest.fixture(scope="module")
def transactions(tmp_path_factory) -> Path:
    """Two years of orders of 300 customers: several lines per order at any time of day,
    prices with cents, returns, customers who stop buying, an order on the cutoff day."""
    rng = np.random.default_rng(11)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for c in range(300):
        active = int(rng.integers(60, 730))
        rate = rng.uniform(0.005, 0.05)
        n_orders = max(1, int(rng.poisson(rate * active)))
        for o in range(n_orders):
            when = start + pd.Timedelta(seconds=int(rng.integers(0, active * 86400)))
            for _ in range(int(rng.integers(1, 4))):
                amount = round(float(rng.uniform(1, 120)), 2)
                if rng.random() < 0.05:
                    amount = -amount  # a return
                rows.append((f"C{c:04d}", f"O{c:04d}-{o}", when.isoformat(sep=" "), amount))
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    path = tmp_path_factory.mktemp("tx") / "transactions.csv"
    frame.to_csv(path, index=False)
    return path


def _run(path: Path, out: Path, tables=None, **options) -> dict:
    out.mkdir()
    summary = analyse_customers(out, CustomersOptions(transactions=path, **options), tables=tables)
    summary.pop("seconds")
    return summary


@pytest.mark.parametrize("model", ["logistic", "forest"])
def test_report_equals_the_local_engine(spark, transactions, tmp_path, model):
    local = _run(transactions, tmp_path / "local", model=model)
    remote = _run(transactions, tmp_path / "spark", spark_tables(spark), model=model)
    assert local["rfm"]["customers"] > 250 and local["propensity"].get("metrics")
    assert remote == local
    assert (tmp_path / "spark" / "customers.csv").read_bytes() == (
        tmp_path / "local" / "customers.csv"
    ).read_bytes()


def test_tables_equal_pandas_exactly(spark, transactions):
    tx, _ = read_transactions(transactions)
    local, remote = PandasTables(tx), SparkTables(spark, tx)
    try:
        pd.testing.assert_frame_equal(remote.rfm(), local.rfm(), check_exact=True)
        for cutoff in ("2025-06-01", "2025-06-01 13:30", "2024-01-02", "2023-01-01"):
            pd.testing.assert_frame_equal(
                remote.features(cutoff), local.features(cutoff), check_exact=True
            )
        assert remote.buyers("2025-01-01", "2025-03-01") == local.buyers("2025-01-01", "2025-03-01")
        assert remote.overview() == local.overview()
    finally:
        remote.close()


def test_cli_engine_spark(spark, transactions, tmp_path, capsys):
    from kefu.cli import main

    args = ["analyze", "customers", "--transactions", str(transactions), "--out", str(tmp_path)]
    assert main([*args, "--engine", "spark"]) == 0
    spark_out = capsys.readouterr().out
    assert main(args) == 0
    local_out = capsys.readouterr().out
    assert "customers in 4 segments" in spark_out
    strip = [line for line in spark_out.splitlines() if not line.startswith("report:")]
    assert strip == [line for line in local_out.splitlines() if not line.startswith("report:")]
