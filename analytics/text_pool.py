"""The per-text models of ``kefu analyze texts`` and the local engine that runs them.

:func:`load_models` loads the sentiment model, the keyword extractor and (for chat logs)
the intent model once, before the worker processes fork, so the workers share them;
:func:`map_chunks` analyses chunks of records in a forked pool with a bounded number of
chunks in flight; :func:`analyse_with` is the per-text analysis itself (the Spark engine,
:mod:`analytics.spark.texts`, runs it too).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import threading
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.aggregates import sentiment_name
from analytics.readers import MAX_TEXT_CHARS, Record
from analytics.tokens import SharedTokens, share_tokenizer

if TYPE_CHECKING:
    from analytics.texts import TextsOptions

__all__ = ["CHUNK_TIMEOUT", "analyse_chunk", "analyse_with", "load_models", "map_chunks"]

logger = logging.getLogger(__name__)

# A chunk not analysed within this many seconds means a lost worker: fail, never hang.
CHUNK_TIMEOUT = 900

# The models of this process (set by map_chunks before the pool forks; the workers inherit them).
_MODELS: dict = {}


def load_models(options: TextsOptions, sentiment_model=None, intent_model=None) -> dict:
    """Load the sentiment model, the keyword extractor and (for chat logs) the intent model.

    Loaded once per process before the workers fork, which then share them.

    Args:
        options: the analysis options.
        sentiment_model: a fitted sentiment classifier (default: the shipped model).
        intent_model: a fitted intent classifier for ``options.intents`` (default: the
            bot's, trained from its NLU data).
    """
    from kefu.nlp_models import load_sentiment_model
    from nlp.keywords import KeywordExtractor
    from nlp.tokenize import default_tokenizer

    # the keyword extractor's prepare() loads the tokenizer's dictionaries before forking
    tokenizer = SharedTokens(default_tokenizer())
    models: dict[str, Any] = {
        "sentiment": sentiment_model if sentiment_model is not None else load_sentiment_model(),
        "keywords": KeywordExtractor(
            method=options.keyword_method, top_k=options.keywords_per_text, tokenizer=tokenizer
        ).prepare(),
        "intent": None,
        "tokens": tokenizer,
    }
    share_tokenizer(models["sentiment"], tokenizer)
    models["sentiment_names"] = [sentiment_name(c) for c in models["sentiment"].classes_]
    if options.intents:
        from kefu.nlp_models import load_intent_model

        models["intent"] = intent_model if intent_model is not None else load_intent_model()
        share_tokenizer(models["intent"], tokenizer)
    return models


def analyse_chunk(texts: list[str]) -> list[tuple]:
    """Analyse texts with the process's models.

    Returns:
        One ``(language, sentiment, confidence, intent, intent_confidence, keywords)``
        tuple per text; ``intent`` and ``intent_confidence`` are ``None`` without an intent
        model.
    """
    return analyse_with(_MODELS, texts)


def analyse_with(models: dict, texts: list[str]) -> list[tuple]:
    """Analyse texts with ``models`` (see :func:`load_models`); see :func:`analyse_chunk`."""
    texts = [t[:MAX_TEXT_CHARS] for t in texts]
    try:
        return _analyse(models, texts)
    finally:
        models["tokens"].clear()


def _analyse(models: dict, texts: list[str]) -> list[tuple]:
    from nlp.language import detect_language

    # Identical texts (common in chat logs: "你好", "thanks") are analysed once.
    unique = list(dict.fromkeys(texts))
    proba = np.asarray(models["sentiment"].predict_proba(unique))
    best = proba.argmax(axis=1)
    names = models["sentiment_names"]
    intents: list = [None] * len(unique)
    intent_conf: list = [None] * len(unique)
    if models["intent"] is not None:
        iproba = np.asarray(models["intent"].predict_proba(unique))
        ibest = iproba.argmax(axis=1)
        classes = list(models["intent"].classes_)
        intents = [str(classes[i]) for i in ibest]
        intent_conf = [float(iproba[r, i]) for r, i in enumerate(ibest)]
    extractor = models["keywords"]
    results = {}
    for row, text in enumerate(unique):
        keywords = [w for w, _ in extractor.extract(text)]
        results[text] = (
            detect_language(text),
            names[best[row]],
            float(proba[row, best[row]]),
            intents[row],
            intent_conf[row],
            keywords,
        )
    return [results[text] for text in texts]


def map_chunks(
    chunks: Iterator[list[Record]], workers: int, models: dict | None = None
) -> Iterator[tuple[list[Record], list[tuple]]]:
    """Analyse chunks in order; in a forked pool when there is more than one chunk.

    Args:
        chunks: lists of records.
        workers: worker processes (1: analyse in this process).
        models: the models of :func:`load_models`; they become this process's before the
            pool forks (default: the models already installed).
    """
    global _MODELS
    if models is not None:
        _MODELS = models
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None or workers <= 1:
        yield first, analyse_chunk([r.text for r in first])
        if second is not None:
            yield second, analyse_chunk([r.text for r in second])
            for chunk in chunks:
                yield chunk, analyse_chunk([r.text for r in chunk])
        return
    context = multiprocessing.get_context("fork")
    # Keep the collector off the models' pages so the forked workers share them longer.
    gc.collect()
    gc.freeze()
    try:
        yield from _pooled(context, workers, first, second, chunks)
    finally:
        gc.unfreeze()


def _prepare_report() -> None:
    try:
        from analytics import charts

        charts.prepare()
    except Exception:  # the report will say what is wrong when it renders
        logger.debug("could not prepare the report's charts", exc_info=True)


def _pooled(context, workers: int, first, second, chunks) -> Iterator:
    with context.Pool(workers) as pool:
        # The parent mostly waits for the workers: meanwhile (after forking, never before)
        # it imports what the report will need.
        warm_up = threading.Thread(target=_prepare_report, name="prepare-report", daemon=True)
        warm_up.start()
        pending: deque = deque()

        def submit(chunk: list[Record]) -> None:
            pending.append((chunk, pool.apply_async(analyse_chunk, ([r.text for r in chunk],))))

        submit(first)
        submit(second)
        for chunk in chunks:
            submit(chunk)
            while len(pending) > 2 * workers:
                done, result = pending.popleft()
                yield done, result.get(timeout=CHUNK_TIMEOUT)
        while pending:
            done, result = pending.popleft()
            yield done, result.get(timeout=CHUNK_TIMEOUT)
        warm_up.join()
