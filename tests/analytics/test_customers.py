"""The customers report on the demo shop and on files: campaign rows, the report, the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.campaigns import CAMPAIGN_COLUMNS, campaign_rows
from kefu.shop.queries import frames
from recsys import PopularityRecommender
from recsys.rfm import rfm_table
from recsys.segments import RfmSegmenter, segment_prototypes

DATA = Path(__file__).resolve().parents[1] / "data" / "analytics"


@pytest.fixture(scope="module")
def popularity(demo_url):
    interactions, items = frames.interactions(demo_url)
    return PopularityRecommender().fit(interactions, items)


def test_campaign_rows_in_each_customers_language(demo_url, popularity):
    tx = frames.transactions(demo_url)
    rfm = rfm_table(tx)
    rfm["segment"] = RfmSegmenter(n_segments=4).fit(rfm).predict(rfm)
    key = rfm["segment"].value_counts().index[0]
    members = rfm[rfm["segment"] == key].head(30)
    rows = campaign_rows(members, key, url=demo_url, recommender=popularity, n_products=2)
    assert len(rows) == 30 and list(rows[0]) == list(CAMPAIGN_COLUMNS)
    proto = {p["key"]: p for p in segment_prototypes()}[key]
    for row in rows:
        assert row["segment"] == key and row["language"] in ("zh", "en")
        assert len(row["product_ids"].split()) == 2
        assert row["segment_name"] == proto[row["language"]]
        first_product = row["products"].split("、" if row["language"] == "zh" else ", ")[0]
        assert first_product in row["message"] and row["name"] in row["message"]
    languages = {r["language"] for r in rows}
    assert languages == {"zh", "en"} or len(rows) < 10


def test_customers_report_with_campaign(demo_url, popularity, tmp_path):
    from analytics import run_customers
    from analytics.customers import CustomersOptions

    rfm = rfm_table(frames.transactions(demo_url))
    segments = pd.Series(RfmSegmenter(n_segments=4).fit(rfm).predict(rfm), index=rfm.index)
    smallest = segments.value_counts().index[-1]
    options = CustomersOptions(database_url=demo_url, segment=smallest)
    directory, summary = run_customers(options, tmp_path, recommender=popularity)
    on_disk = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["kind"] == "customers"
    assert on_disk["rfm"]["customers"] == sum(
        s["customers"] for s in on_disk["segments"]["segments"]
    )
    assert on_disk["propensity"]["metrics"]["roc_auc"] is not None
    campaign = summary["campaign"]
    assert campaign["segment"] == smallest
    path = Path(campaign["file"])
    assert path.parent == directory and path.is_file()
    with path.open(encoding="utf-8-sig") as fh:
        exported = list(csv.DictReader(fh))
    assert len(exported) == campaign["customers"] == (segments == smallest).sum()
    assert {r["customer_id"] for r in exported} == set(segments[segments == smallest].index)
    with (directory / "customers.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == summary["rfm"]["customers"]
    assert {"segment", "propensity", "r_score"} <= set(rows[0])


def test_cli_customers(tmp_path, capsys):
    from kefu.cli import main

    assert main(["analyze", "customers", "--transactions", str(DATA / "cdnow_sample.txt"),
                 "--segments", "2", "--out", str(tmp_path)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "3 customers in 2 segments" in out and "report:" in out
    assert main(["analyze", "customers", "--transactions", str(DATA / "cdnow_sample.txt"),
                 "--segment", "lost", "--out", str(tmp_path)]) == 1  # fmt: skip
    assert "needs the shop database" in capsys.readouterr().err
    assert main(["analyze", "customers", "--transactions", "/nonexistent.csv",
                 "--out", str(tmp_path)]) == 1  # fmt: skip
    assert "no such file" in capsys.readouterr().err
    assert main(["analyze", "customers", "--segment", "whales", "--out", str(tmp_path)]) == 1
    assert "unknown segment" in capsys.readouterr().err
