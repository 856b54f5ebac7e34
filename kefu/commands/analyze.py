"""``kefu analyze texts|conversations|customers``: analytics reports.

Each writes one report directory (``report.html``, ``summary.json`` and per-row CSV files)
under ``var/reports/`` (or ``--out``) and prints its path.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from kefu.settings import get_settings


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _engine_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help=f"local: this machine; spark: {what} on Spark (needs make spark-deps)",
    )
    p.add_argument("--master", help="Spark master URL (default local[2]; with --engine spark)")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``kefu analyze``."""
    analyze = subparsers.add_parser("analyze", help="text, conversation and customer analytics")
    sub = analyze.add_subparsers(title="analyses", metavar="ANALYSIS", required=True)

    p = sub.add_parser(
        "texts",
        help="sentiment, keywords, themes and trends of reviews, posts or chat logs",
        description="Analyse a CSV/TSV, JSONL or Excel file of texts (Chinese, English or "
        "mixed) and write an HTML report with a JSON summary and per-text results.",
    )
    p.add_argument(
        "file",
        metavar="FILE_OR_URI",
        help="CSV, TSV, JSONL or Excel (.xlsx) file; with --engine spark also any URI Spark "
        "reads (hdfs://, s3a://, file://...)",
    )
    p.add_argument("--text-column", help="column holding the text (default: found by name)")
    for field in ("date", "category", "product", "channel", "rating", "customer"):
        p.add_argument(f"--{field}-column", help=f"column holding the {field} (optional)")
    p.add_argument(
        "--intents", action="store_true", help="chat logs: add the bot's intent of each message"
    )
    p.add_argument(
        "--sentiment-model",
        type=Path,
        metavar="DIR",
        help="a saved SvmSentimentClassifier (default: the shipped model)",
    )
    p.add_argument("--keyword-method", choices=("tfidf", "textrank"), default="tfidf")
    p.add_argument("--themes", type=_positive, default=6, help="most complaint themes (6)")
    p.add_argument("--trend", choices=("auto", "day", "week", "month"), default="auto")
    p.add_argument("--encoding", help="input encoding (default: UTF-8 or GB18030, detected)")
    p.add_argument("--sheet", help="Excel sheet (default: the first)")
    p.add_argument("--workers", type=_positive, help="worker processes (default: CPU cores)")
    p.add_argument("--chunk-size", type=_positive, default=500, help="texts per chunk (500)")
    p.add_argument("--limit", type=_positive, help="analyse only the first N rows")
    p.add_argument("--out", type=Path, help="directory for the report (default var/reports)")
    p.add_argument(
        "--no-redact",
        dest="redact",
        action="store_false",
        help="show raw text in the report and exports (default: phones, e-mails, IDs, "
        "cards and addresses masked)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _engine_options(p, "the per-text models run as pandas UDFs")
    p.add_argument(
        "--batch-rows",
        type=_positive,
        help="with --engine spark: texts sent to Spark per job (50000)",
    )
    p.set_defaults(func=cmd_texts)

    p = sub.add_parser(
        "conversations",
        help="the bot's containment, fallback, hand-off, CSAT, intents and sentiment",
        description="Analyse the bot's conversations from Rasa's SQL tracker store "
        "(KEFU_TRACKER_URL) and the shop database (tickets, CSAT).",
    )
    p.add_argument("--tracker-url", help="tracker store URL (default: KEFU_TRACKER_URL)")
    p.add_argument("--no-shop", action="store_true", help="leave out tickets and CSAT")
    p.add_argument(
        "--sentiment",
        action="store_true",
        help="score messages whose parse data has no sentiment with the model",
    )
    p.add_argument("--out", type=Path, help="directory for the report (default var/reports)")
    p.add_argument(
        "--no-redact",
        dest="redact",
        action="store_false",
        help="show raw text in the report and exports (default: phones, e-mails, IDs, "
        "cards and addresses masked)",
    )
    p.set_defaults(func=cmd_conversations)

    p = sub.add_parser(
        "customers",
        help="RFM segments, purchase propensity and campaign exports",
        description="RFM scores and k-means segments, a purchase-propensity model "
        "evaluated on a time split, and a campaign export for one segment.",
    )
    p.add_argument(
        "--transactions",
        type=Path,
        help="transactions file (CSV or CDNOW); default: the shop database",
    )
    p.add_argument("--segments", type=_positive, default=4, help="k-means segments (4)")
    p.add_argument("--model", choices=("logistic", "forest"), default="logistic")
    p.add_argument(
        "--test-cutoff",
        type=date.fromisoformat,
        help="start of the propensity test period (YYYY-MM-DD)",
    )
    p.add_argument("--horizon-days", type=_positive, help="length of the test period")
    p.add_argument("--segment", help="segment to export (e.g. at_risk, champions, 流失风险)")
    p.add_argument("--campaign-out", type=Path, help="campaign CSV file (needs --segment)")
    p.add_argument("--products", type=_positive, default=3, help="suggestions per customer")
    p.add_argument("--out", type=Path, help="directory for the report (default var/reports)")
    _engine_options(p, "RFM and the propensity features in Spark SQL")
    p.set_defaults(func=cmd_customers)


def _fail(exc: Exception | str):
    from kefu.cli import CommandError

    return CommandError(str(exc))


def _spark(args: argparse.Namespace, app_name: str):
    """The Spark session of ``--engine spark`` (``None`` for the local engine)."""
    if args.engine != "spark":
        if args.master or getattr(args, "batch_rows", None):
            flag = "--master" if args.master else "--batch-rows"
            raise _fail(f"{flag} needs --engine spark")
        return None
    from recsys.spark import SparkUnavailableError, spark_session

    try:
        return spark_session(args.master or "local[2]", app_name=app_name)
    except SparkUnavailableError as exc:
        raise _fail(exc) from exc


@contextmanager
def _texts_input(source: str, spark) -> Iterator[Path]:
    """The local file to analyse: a path as given; with the Spark engine, a URI is read by
    the session's filesystem layer (``hdfs:``, ``s3a:``, ``file:``...) into a temporary
    copy, so the driver's reader (rows, line numbers, bad rows) is the local engine's."""
    from recsys.spark import SparkPathError, copy_to_local, local_path, uri_scheme

    scheme = uri_scheme(source)
    if scheme is None:
        yield Path(source)
        return
    if spark is None:
        path = local_path(source)
        if path is None:
            raise _fail(
                f"{source}: the local engine reads local files (a path or a file:// URI); "
                f"read {scheme}: URIs with --engine spark"
            )
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="kefu-texts-") as tmp:
        try:
            path = copy_to_local(spark, source, Path(tmp))
        except SparkPathError as exc:
            raise _fail(exc) from exc
        yield path


def cmd_texts(args: argparse.Namespace) -> int:
    from analytics import ColumnSpec, InputError, run_texts
    from analytics.texts import TextsOptions

    options = TextsOptions(
        columns=ColumnSpec(
            text=args.text_column,
            date=args.date_column,
            category=args.category_column,
            product=args.product_column,
            channel=args.channel_column,
            rating=args.rating_column,
            customer=args.customer_column,
        ),
        intents=args.intents,
        keyword_method=args.keyword_method,
        themes=args.themes,
        trend_freq=args.trend,
        encoding=args.encoding,
        sheet=args.sheet,
        workers=args.workers,
        chunk_size=args.chunk_size,
        limit=args.limit,
        progress=not args.quiet,
        redact=args.redact,
    )
    model = None
    if args.sentiment_model is not None:
        from nlp import SvmSentimentClassifier

        try:
            model = SvmSentimentClassifier.load(args.sentiment_model)
        except (OSError, ValueError) as exc:
            raise _fail(f"--sentiment-model {args.sentiment_model}: {exc}") from exc
    spark = _spark(args, "kefu-analyze-texts")
    mapper = None
    if spark is not None:
        from analytics.spark import BATCH_ROWS, SparkMapper

        mapper = SparkMapper(spark, args.batch_rows or BATCH_ROWS)
    try:
        with _texts_input(args.file, spark) as path:
            directory, summary = run_texts(
                path, options, args.out, sentiment_model=model, mapper=mapper
            )
    except (InputError, OSError) as exc:
        raise _fail(exc) from exc
    bad = summary["bad_rows"]
    print(
        f"{summary['texts']:,} texts analysed, {bad['total']:,} bad rows "
        f"({bad['skipped']:,} skipped); negative share "
        f"{summary['sentiment']['negative_share'] or 0:.1%}"
    )
    print(f"report: {directory / 'report.html'}")
    return 0


def cmd_conversations(args: argparse.Namespace) -> int:
    from analytics import run_conversations
    from analytics.trackers import TrackerError

    settings = get_settings()
    model = None
    if args.sentiment:
        from kefu.nlp_models import load_sentiment_model

        model = load_sentiment_model()
    try:
        directory, summary = run_conversations(
            args.tracker_url or settings.tracker_url,
            None if args.no_shop else settings.database_url,
            args.out,
            sentiment_model=model,
            redact=args.redact,
        )
    except TrackerError as exc:
        raise _fail(exc) from exc
    o = summary["overall"]
    print(
        f"{o['conversations']:,} conversations, {o['user_messages']:,} user messages; "
        f"containment {_pct(o['containment_rate'])}, fallback {_pct(o['fallback_rate'])}, "
        f"hand-off {_pct(o['handoff_rate'])}"
    )
    print(
        f"{o['form_fallback_messages']:,} messages not understood inside a form, "
        f"{o['unanswered_messages']:,} without any reply"
    )
    print(f"report: {directory / 'report.html'}")
    return 0


def cmd_customers(args: argparse.Namespace) -> int:
    from analytics import run_customers
    from analytics.customers import CustomersOptions
    from kefu.shop.db import DatabaseError

    options = CustomersOptions(
        transactions=args.transactions,
        segments=args.segments,
        model=args.model,
        test_cutoff=args.test_cutoff,
        horizon_days=args.horizon_days,
        segment=args.segment,
        campaign_out=args.campaign_out,
        products=args.products,
    )
    spark = _spark(args, "kefu-analyze-customers")
    tables = None
    if spark is not None:
        from analytics.spark import spark_tables

        tables = spark_tables(spark)
    try:
        directory, summary = run_customers(options, args.out, tables=tables)
    except (ValueError, DatabaseError, OSError) as exc:
        raise _fail(exc) from exc
    print(f"{summary['rfm']['customers']:,} customers in {summary['segments']['k']} segments:")
    for s in summary["segments"]["segments"]:
        print(
            f"  {s['name']:<20} {s['name_zh']:<6} {s['customers']:>7,}  "
            f"revenue {s['revenue_share']:.1%}"
        )
    prop = summary["propensity"]
    if prop.get("metrics"):
        print(
            f"propensity ROC AUC {prop['metrics']['roc_auc']} "
            f"(recency-only baseline {prop['baseline']['roc_auc']})"
        )
    elif prop.get("skipped"):
        print(f"propensity: {prop['skipped']}")
    if summary.get("campaign"):
        c = summary["campaign"]
        print(f"campaign: {c['customers']:,} customers of {c['segment']} -> {c['file']}")
    print(f"report: {directory / 'report.html'}")
    return 0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
