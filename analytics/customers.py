"""``kefu analyze customers``: RFM segments, purchase propensity and campaign lists,
from the shop database or a transactions file (models in :mod:`recsys.rfm`,
:mod:`recsys.segments`, :mod:`recsys.propensity`)."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from analytics.campaigns import CAMPAIGN_COLUMNS, campaign_rows
from kefu.shop.queries import frames
from recsys.propensity import PandasTables, evaluate_propensity, reference_scores
from recsys.segments import RfmSegmenter, find_segment, segment_summary
from recsys.transactions import read_transactions

__all__ = ["CustomersOptions", "analyse_customers", "score_customers"]


@dataclass
class CustomersOptions:
    """Options of a customers analysis.

    Attributes:
        transactions: a transactions file; ``None`` for the shop database.
        database_url: the shop database (default: the configured one).
        segments: number of k-means segments.
        model: propensity model, ``logistic`` or ``forest``.
        test_cutoff: start of the propensity test period (default: the horizon before
            the end of the data).
        horizon_days: length of the propensity test period.
        segment: a segment to export as a campaign (key, English or Chinese name).
        campaign_out: where to write the campaign CSV (default: in the report directory).
        products: suggestions per customer in the campaign.
    """

    transactions: Path | None = None
    database_url: str | None = None
    segments: int = 4
    model: str = "logistic"
    test_cutoff: date | None = None
    horizon_days: int | None = None
    segment: str | None = None
    campaign_out: Path | None = None
    products: int = 3


def score_customers(
    tx: pd.DataFrame | None, options: CustomersOptions, tables=None
) -> tuple[pd.DataFrame, RfmSegmenter, dict]:
    """RFM per customer with its ``segment`` key and (when a model could be fitted) its
    purchase ``propensity``; the fitted segmenter and the propensity evaluation.

    The report and the console's customer panel (:mod:`analytics.scores`) both use it.
    ``tables`` computes the per-customer tables (default: pandas on ``tx``; the Spark
    engine passes its own).
    """
    tables = tables if tables is not None else PandasTables(tx)
    rfm = tables.rfm()
    segmenter = RfmSegmenter(n_segments=min(options.segments, max(1, len(rfm)))).fit(rfm)
    rfm["segment"] = segmenter.predict(rfm)
    propensity, model = evaluate_propensity(
        None,
        tables=tables,
        test_cutoff=options.test_cutoff,
        horizon_days=options.horizon_days,
        model=options.model,
    )
    if model is not None:
        rfm["propensity"] = reference_scores(None, model, tables=tables).reindex(rfm.index)
    return rfm, segmenter, propensity


def analyse_customers(
    out_dir: Path, options: CustomersOptions, recommender=None, tables=None
) -> dict:
    """Compute every figure of the customers report; write ``customers.csv`` (and the
    campaign CSV) into ``out_dir``.

    ``tables`` turns the transactions into the RFM table, the propensity features and the
    buyers of a period (default :class:`recsys.propensity.PandasTables`; the Spark engine
    passes :class:`analytics.spark.SparkTables`); segments, models and the report are the
    same code whatever computes them.

    Raises:
        recsys.transactions.TransactionsError: when the transactions are unusable.
        ValueError: on a bad option (unknown segment, campaign without the shop database).
    """
    started = time.perf_counter()
    campaign_key = find_segment(options.segment) if options.segment else None
    if options.campaign_out is not None and campaign_key is None:
        raise ValueError("--campaign-out needs --segment")
    if campaign_key is not None and options.transactions is not None:
        raise ValueError(
            "a campaign needs the shop database (customers, products and the recommender); "
            "leave out --transactions"
        )
    load: dict = {}
    if options.transactions is not None:
        tx, report = read_transactions(options.transactions)
        source = f"{Path(options.transactions).name} ({report.format})"
        load = {
            "rows": report.rows,
            "bad_rows": report.bad_total,
            "bad_listed": report.bad,
        }
    else:
        tx = frames.transactions(options.database_url)
        source = "shop database"
    tables = (tables or PandasTables)(tx)
    rfm, segmenter, propensity = score_customers(tx, options, tables)
    overview = tables.overview()
    columns = [c for c in rfm.columns]
    rfm.to_csv(out_dir / "customers.csv", columns=columns, float_format="%.4g")
    summary: dict = {
        "source": source,
        "load": load,
        "rfm": {
            "customers": int(len(rfm)),
            "orders": overview["orders"],
            "revenue": overview["revenue"],
            "reference_date": rfm.attrs.get("reference_date"),
            "first_date": overview["first_date"],
            "last_date": overview["last_date"],
            "recency_days_median": round(float(rfm["recency_days"].median()), 1),
            "frequency_mean": round(float(rfm["frequency"].mean()), 3),
            "monetary_mean": round(float(rfm["monetary"].mean()), 2),
        },
        "segments": {
            "method": "k-means on standardised log1p(recency, frequency, monetary)",
            "k": len(segmenter.segment_keys_),
            "segments": segment_summary(rfm, rfm["segment"].to_numpy()),
        },
        "propensity": propensity,
    }
    if campaign_key is not None:
        members = rfm[rfm["segment"] == campaign_key]
        rows = campaign_rows(
            members,
            campaign_key,
            url=options.database_url,
            recommender=recommender,
            n_products=options.products,
        )
        target = options.campaign_out or out_dir / f"campaign-{campaign_key}.csv"
        _write_csv(target, rows)
        summary["campaign"] = {
            "segment": campaign_key,
            "customers": len(rows),
            "file": str(target),
            "preview": rows[:10],
        }
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def _write_csv(path: Path, rows: list[dict]) -> None:
    """Write the campaign rows atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(CAMPAIGN_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
