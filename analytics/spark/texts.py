"""``kefu analyze texts --engine spark``: the per-text analysis (language, sentiment, intent,
keywords) as a pandas UDF on Spark, with the models broadcast to the executors.

Only the analysis moves: the rows are read, the keyword weights fitted, bad rows reported,
the aggregates counted and ``texts.csv`` written by :func:`analytics.texts.analyse_texts`
on the driver, the same code as the local engine, in the same order; so on the same file
both engines produce the same per-text output and the same report. The driver streams the
records to Spark in batches of ``batch_rows`` and reads the results back in order, so its
memory stays bounded by a batch whatever the size of the file.
"""

from __future__ import annotations

import io
import pickle
import uuid
from collections.abc import Iterator

import pandas as pd

from analytics.readers import Record
from analytics.tokens import SharedTokens

__all__ = ["BATCH_ROWS", "SparkMapper", "portable_models"]

#: records sent to Spark per job: large enough that the job start-up (about 0.1-0.3 s)
#: stays small beside the analysis, small enough that a batch fits the driver's memory
BATCH_ROWS = 50_000

RESULT_SCHEMA = (
    "language string, sentiment string, confidence double, intent string, "
    "intent_confidence double, keywords array<string>"
)

# the executors' models, unpickled once per Python worker (keyed by broadcast id)
_LOADED: dict[str, dict] = {}
_TOKENS: SharedTokens | None = None


def _executor_tokens() -> SharedTokens:
    """The worker's shared tokenizer (the shipped dictionary, loaded on first use)."""
    global _TOKENS
    if _TOKENS is None:
        from nlp.tokenize import default_tokenizer

        _TOKENS = SharedTokens(default_tokenizer())
    return _TOKENS


def _rebuilt_lazily() -> None:
    return None


class _Pickler(pickle.Pickler):
    """Pickles the driver's tokenizer as "the worker's own": jieba's dictionary is not
    shipped, every worker loads the same shipped one. The keyword extractor's TextRank
    engine (jieba's, holding a tokenizer and a lock) is left out: the extractor builds it
    again on first use."""

    def reducer_override(self, obj):
        if isinstance(obj, SharedTokens):
            return _executor_tokens, ()
        if type(obj).__module__.startswith("jieba.") and type(obj).__name__ == "TextRank":
            return _rebuilt_lazily, ()
        return NotImplemented


def portable_models(models: dict) -> bytes:
    """The fitted models of :func:`analytics.text_pool.load_models` as bytes for a broadcast.

    Raises:
        ValueError: a model holds something that cannot be sent to the executors (say, a
            custom tokenizer that is not the shipped one).
    """
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(models)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise ValueError(f"the models cannot be sent to Spark: {exc}") from exc
    return buffer.getvalue()


def _models(key: str, broadcast) -> dict:
    models = _LOADED.get(key)
    if models is None:
        _LOADED.clear()  # one analysis at a time per worker
        models = _LOADED[key] = pickle.loads(broadcast.value)  # noqa: S301 - ours
    return models


def _analysis_udf(broadcast):
    from pyspark.sql.functions import pandas_udf

    key = uuid.uuid4().hex

    @pandas_udf(RESULT_SCHEMA)
    def analyse(texts: pd.Series) -> pd.DataFrame:
        from analytics.text_pool import analyse_with

        rows = analyse_with(_models(key, broadcast), texts.tolist())
        return pd.DataFrame(
            rows,
            columns=[
                "language",
                "sentiment",
                "confidence",
                "intent",
                "intent_confidence",
                "keywords",
            ],
        )

    return analyse


def _batches(chunks: Iterator[list[Record]], rows: int) -> Iterator[list[list[Record]]]:
    batch: list[list[Record]] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if size >= rows:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _optional(value):
    return None if value is None or (isinstance(value, float) and value != value) else value


class SparkMapper:
    """Analyses the chunks of :func:`analytics.texts.analyse_texts` on Spark.

    Args:
        spark: the Spark session.
        batch_rows: records per Spark job.

    Attributes:
        engine: ``spark`` and the master, as the summary names it.
        jobs_: Spark jobs run (one per batch).
    """

    def __init__(self, spark, batch_rows: int = BATCH_ROWS) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be positive")
        self.spark = spark
        self.batch_rows = batch_rows
        self.engine = f"spark ({spark.sparkContext.master})"
        self.jobs_ = 0

    def __call__(
        self, chunks: Iterator[list[Record]], workers: int, models: dict
    ) -> Iterator[tuple[list[Record], list[tuple]]]:
        """Yield each chunk with its results, in order (``workers`` is Spark's business)."""
        broadcast = self.spark.sparkContext.broadcast(portable_models(models))
        analyse = _analysis_udf(broadcast)
        parallelism = max(1, self.spark.sparkContext.defaultParallelism)
        try:
            for batch in _batches(chunks, self.batch_rows):
                texts = [r.text for chunk in batch for r in chunk]
                frame = pd.DataFrame({"i": range(len(texts)), "text": texts})
                df = self.spark.createDataFrame(frame, schema="i long, text string")
                if df.rdd.getNumPartitions() < parallelism:
                    df = df.repartition(parallelism, "i")
                out = (
                    df.select("i", analyse("text").alias("r"))
                    .select("i", "r.*")
                    .toPandas()
                    .sort_values("i")
                )
                self.jobs_ += 1
                if len(out) != len(texts):  # never silently lose a text
                    raise RuntimeError(f"Spark returned {len(out)} results for {len(texts)} texts")
                results = [
                    (
                        lang,
                        label,
                        float(conf),
                        _optional(intent),
                        _optional(iconf),
                        [] if keywords is None else [str(k) for k in keywords],
                    )
                    for lang, label, conf, intent, iconf, keywords in zip(
                        out["language"],
                        out["sentiment"],
                        out["confidence"],
                        out["intent"],
                        out["intent_confidence"],
                        out["keywords"],
                        strict=True,
                    )
                ]
                start = 0
                for chunk in batch:
                    yield chunk, results[start : start + len(chunk)]
                    start += len(chunk)
        finally:
            broadcast.unpersist()
