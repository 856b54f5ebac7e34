"""``kefu analyze texts``: per-text language, sentiment, intent and keywords, and the
aggregates of the texts report.

The input is streamed in chunks; each chunk is analysed by a pool of worker processes
(forked after the models are loaded, so they share them: :mod:`analytics.text_pool`) or
by another engine, with a bounded number of chunks in flight, so memory stays flat however
large the file. Per-text results are written to
``texts.csv`` as they come; the aggregates are counters (:mod:`analytics.aggregates`).
"""

from __future__ import annotations

import csv
import itertools
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from analytics.aggregates import TextAggregates
from analytics.readers import BadRow, ColumnSpec, Record, TextFileReader
from analytics.text_pool import load_models, map_chunks

__all__ = ["TEXT_COLUMNS", "ChunkMapper", "TextsOptions", "TextsResult", "analyse_texts"]


# Texts whose English words give the keyword extractor its document frequencies.
IDF_SAMPLE = 500

TEXT_COLUMNS = (
    "line",
    "language",
    "sentiment",
    "confidence",
    "intent",
    "intent_confidence",
    "keywords",
    "date",
    "category",
    "product",
    "channel",
    "rating",
    "customer",
    "text",
)


@dataclass
class TextsOptions:
    """Options of a texts analysis.

    Attributes:
        columns: which input column holds the text, date, category...
        intents: add the bot's intent to each text (for chat logs).
        chunk_size: texts per chunk sent to a worker.
        workers: worker processes (default: the number of CPU cores; 1 = no pool).
        keywords_per_text: keywords kept per text.
        keyword_method: ``"tfidf"`` or ``"textrank"``.
        themes: the most complaint themes.
        spike_z: z-score above which a period's negative share is flagged.
        trend_freq: ``auto``, ``day``, ``week`` or ``month``.
        encoding: input encoding (default: detected).
        sheet: Excel sheet.
        progress: show a progress bar on stderr.
        limit: analyse at most this many rows (``None``: all).
        redact: mask personal data (phones, e-mails, IDs, cards, addresses; see
            :mod:`nlp.redact`) in what the report shows and ``texts.csv`` holds: the
            text, the customer column, example texts and keywords. The analysis itself
            reads the raw text. ``False`` (``kefu analyze texts --no-redact``) for an
            operator who needs the raw text.
    """

    columns: ColumnSpec = field(default_factory=ColumnSpec)
    intents: bool = False
    chunk_size: int = 500  # small enough that the last chunks keep both cores busy
    workers: int | None = None
    keywords_per_text: int = 5
    keyword_method: Literal["tfidf", "textrank"] = "tfidf"
    themes: int = 6
    spike_z: float = 3.0
    trend_freq: str = "auto"
    encoding: str | None = None
    sheet: str | None = None
    progress: bool = True
    limit: int | None = None
    redact: bool = True


@dataclass
class TextsResult:
    """What :func:`analyse_texts` produced: the summary and where the per-text rows are."""

    summary: dict
    texts_csv: Path
    bad_rows_csv: Path
    seconds: float


class ChunkMapper(Protocol):
    """Analyses chunks of records in order: the local process pool or another engine
    (:mod:`analytics.spark.texts`). Called with the chunks, the worker count and the fitted
    models; yields each chunk with one :func:`analytics.text_pool.analyse_with` tuple per record."""

    def __call__(
        self, chunks: Iterator[list[Record]], workers: int, models: dict
    ) -> Iterator[tuple[list[Record], list[tuple]]]: ...


def _chunks(
    items: Iterable[Record | BadRow], size: int, on_bad, limit: int | None
) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    taken = 0
    for item in items:
        if isinstance(item, BadRow):
            on_bad(item)
            continue
        if limit is not None and taken >= limit:
            break
        chunk.append(item)
        taken += 1
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def analyse_texts(
    path: str | Path,
    out_dir: Path,
    options: TextsOptions | None = None,
    *,
    sentiment_model=None,
    intent_model=None,
    mapper: ChunkMapper | None = None,
) -> TextsResult:
    """Analyse a text file; write ``texts.csv`` and ``bad_rows.csv`` into ``out_dir``.

    Args:
        path: a CSV/TSV, JSONL or Excel file.
        out_dir: an existing directory for the per-text outputs.
        options: see :class:`TextsOptions`.
        sentiment_model, intent_model: fitted models to use instead of the shipped ones.
        mapper: what analyses the chunks (default: this machine's process pool; the Spark
            engine passes its own). Reading, bad rows, aggregates and outputs are the same
            whatever the mapper.

    Returns:
        The summary (every figure of the report) and the output paths.

    Raises:
        analytics.readers.InputError: when the file cannot be analysed at all.
    """
    from tqdm import tqdm

    options = options or TextsOptions()
    if options.chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    if options.trend_freq not in ("auto", "day", "week", "month"):
        raise ValueError(f"trend_freq must be auto, day, week or month, got {options.trend_freq!r}")
    started = time.perf_counter()
    reader = TextFileReader(path, options.columns, encoding=options.encoding, sheet=options.sheet)
    items = iter(reader)
    # Read the header (and find the columns) before loading models: fail fast.
    head: list = []
    for item in items:
        head.append(item)
        break
    aggregates = TextAggregates()
    models = load_models(options, sentiment_model, intent_model)
    workers = options.workers or os.cpu_count() or 1
    texts_csv = out_dir / "texts.csv"
    bad_csv = out_dir / "bad_rows.csv"
    with (
        texts_csv.open("w", encoding="utf-8", newline="") as out,
        bad_csv.open("w", encoding="utf-8", newline="") as bad_out,
        tqdm(desc="analysing texts", unit=" texts", disable=not options.progress) as bar,
    ):
        writer = csv.writer(out)
        writer.writerow(TEXT_COLUMNS)
        bad_writer = csv.writer(bad_out)
        bad_writer.writerow(("line", "reason", "skipped"))

        def on_bad(bad: BadRow) -> None:
            aggregates.add_bad(bad)
            bad_writer.writerow((bad.line, bad.reason, "yes" if bad.skipped else "no"))

        stream = _chunks(itertools.chain(head, items), options.chunk_size, on_bad, options.limit)
        first = next(stream, None)
        # English keyword weights: document frequencies of the first texts (Chinese words
        # use jieba's IDF table).
        models["keywords"].fit([r.text for r in (first or [])[:IDF_SAMPLE]])
        models["tokens"].clear()
        stream = itertools.chain([first] if first else [], stream)
        for chunk, results in (mapper or map_chunks)(stream, workers, models):
            rows = []
            for record, (lang, label, conf, intent, iconf, keywords) in zip(
                chunk, results, strict=True
            ):
                if options.redact:
                    record, keywords = _redacted(record, keywords)
                aggregates.add(record, lang, label, conf, keywords, intent)
                rows.append(
                    (
                        record.line,
                        lang,
                        label,
                        _cell(conf),
                        _cell(intent),
                        _cell(iconf),
                        " ".join(keywords),
                        record.date.isoformat() if record.date else "",
                        _cell(record.category),
                        _cell(record.product),
                        _cell(record.channel),
                        _cell(record.rating),
                        _cell(record.customer),
                        record.text,
                    )
                )
            writer.writerows(rows)
            bar.update(len(chunk))
    summary = aggregates.summary(
        n_themes=options.themes, spike_z=options.spike_z, trend_freq=options.trend_freq
    )
    seconds = time.perf_counter() - started
    summary["input"] = {
        "file": Path(path).name,
        "format": reader.format,
        "encoding": reader.encoding,
        "rows": reader.rows,
        "columns": reader.found_columns,
        "analysed": aggregates.n,
        "workers": workers,
        "engine": getattr(mapper, "engine", "local"),
        "seconds": round(seconds, 3),
        "texts_per_second": round(aggregates.n / seconds, 1) if seconds else None,
    }
    return TextsResult(summary, texts_csv, bad_csv, seconds)


def _redacted(record: Record, keywords: list[str]) -> tuple[Record, list[str]]:
    """``record`` with its text and customer masked, and the keywords that hold no
    personal data (a keyword the redaction would change is dropped)."""
    from nlp.redact import redact

    customer = redact(record.customer) if record.customer else record.customer
    shown = [k for k in keywords if redact(k) == k]
    return record._replace(text=redact(record.text), customer=customer), shown
