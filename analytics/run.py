"""Run an analysis end to end: compute, render, and write its report directory.

Each function returns the directory of the finished report (``report.html``,
``summary.json`` and the per-row CSV files); nothing is left behind when it fails.
"""

from __future__ import annotations

from pathlib import Path

from analytics import pages
from analytics.report import label, report_directory, write_summary

__all__ = ["run_conversations", "run_customers", "run_texts"]


def run_texts(
    path: str | Path,
    options=None,
    out_dir: Path | None = None,
    *,
    sentiment_model=None,
    intent_model=None,
    mapper=None,
) -> tuple[Path, dict]:
    """Analyse a text file (see :func:`analytics.texts.analyse_texts`; ``mapper``: the
    engine that analyses the chunks, e.g. :func:`analytics.spark.spark_mapper`).

    Returns:
        ``(report directory, summary)``.
    """
    from analytics.texts import TextsOptions, analyse_texts

    options = options or TextsOptions()
    title = label("title_texts")
    with report_directory("texts", out_dir) as target:
        result = analyse_texts(
            path,
            target.path,
            options,
            sentiment_model=sentiment_model,
            intent_model=intent_model,
            mapper=mapper,
        )
        html = pages.texts_page(result.summary, title, target.created_at)
        write_summary(target, title, result.summary, html)
    return target.final, result.summary


def run_conversations(
    tracker_url: str,
    shop_url: str | None = None,
    out_dir: Path | None = None,
    *,
    sentiment_model=None,
    redact: bool = True,
) -> tuple[Path, dict]:
    """Analyse the bot's conversations (see
    :func:`analytics.conversations.analyse_conversations`; ``redact``: personal data
    masked in the messages the report lists)."""
    from analytics.conversations import analyse_conversations

    title = label("title_conversations")
    with report_directory("conversations", out_dir) as target:
        summary = analyse_conversations(
            tracker_url, shop_url, sentiment_model=sentiment_model, redact=redact
        )
        html = pages.conversations_page(summary, title, target.created_at)
        write_summary(target, title, summary, html)
    return target.final, summary


def run_customers(
    options, out_dir: Path | None = None, recommender=None, tables=None
) -> tuple[Path, dict]:
    """Analyse the customers (see :func:`analytics.customers.analyse_customers`;
    ``tables``: the engine, e.g. :class:`analytics.spark.SparkTables`)."""
    from analytics.customers import analyse_customers

    title = label("title_customers")
    with report_directory("customers", out_dir) as target:
        summary = analyse_customers(target.path, options, recommender=recommender, tables=tables)
        if summary.get("campaign") and options.campaign_out is None:
            summary["campaign"]["file"] = str(target.final / Path(summary["campaign"]["file"]).name)
        html = pages.customers_page(summary, title, target.created_at)
        write_summary(target, title, summary, html)
    return target.final, summary
