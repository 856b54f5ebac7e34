"""``kefu analyze texts`` on online_shopping_10_cats/test.csv (12,554 Chinese reviews).

End to end (a ``kefu`` subprocess: start-up, model loading, analysis on every core,
report): texts per second and peak memory of the process tree; sentiment accuracy of the
per-text output against the labels (1 positive, 0 negative; a "neutral" answer counts as
wrong). Beside it, SnowNLP's ``sentiments`` (>= 0.5 positive) on the first
``SNOWNLP_SAMPLE`` reviews, with our accuracy on the same reviews. Target: 2,000 reviews
per second. Prints JSON; ``python -m benchmarks.analytics_texts``.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import time

from benchmarks.analytics_common import DATASETS, report_dir, run_kefu
from nlp.tokenize import default_tokenizer

DATA = DATASETS / "online_shopping_10_cats" / "test.csv"
SNOWNLP_SAMPLE = int(os.environ.get("KEFU_BENCH_SNOWNLP_SAMPLE", "1000"))
TARGET = 2000


def _labels() -> list[str]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        return [
            ("positive" if r["label"] == "1" else "negative", r["text"]) for r in csv.DictReader(fh)
        ]


def _snownlp(texts: list[str]) -> tuple[list[str], float]:
    from snownlp import SnowNLP

    started = time.perf_counter()
    labels = ["positive" if SnowNLP(t).sentiments >= 0.5 else "negative" for t in texts]
    return labels, time.perf_counter() - started


def _accuracy(predicted: list[str], truth: list[str]) -> float:
    return round(sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth), 4)


def run() -> dict:
    if not DATA.is_file():
        return {"skipped": f"{DATA} not found (benchmark data lives in ../shared/datasets)"}
    from kefu.nlp_models import load_sentiment_model

    load_sentiment_model()  # train it first when missing: not part of the timing
    truth = _labels()
    with tempfile.TemporaryDirectory() as tmp:
        result = run_kefu(
            ["analyze", "texts", str(DATA), "--category-column", "cat", "--out", tmp, "--quiet"]
        )
        if result["returncode"] != 0:
            raise RuntimeError(result["stderr"])
        directory = report_dir(result["stdout"])
        summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
        with (directory / "texts.csv").open(encoding="utf-8", newline="") as fh:
            predicted = [r["sentiment"] for r in csv.DictReader(fh)]
    if len(predicted) != len(truth):
        raise RuntimeError(f"{len(predicted)} per-text rows for {len(truth)} reviews")
    labels = [label for label, _ in truth]
    n = SNOWNLP_SAMPLE
    snow_labels, snow_seconds = _snownlp([text for _, text in truth[:n]])
    texts = summary["texts"]
    return {
        "dataset": "online_shopping_10_cats/test.csv",
        "command": result["command"].replace(tmp, "TMP"),
        "texts": texts,
        "workers": summary["input"]["workers"],
        "end_to_end_seconds": result["seconds"],
        "end_to_end_texts_per_second": round(texts / result["seconds"], 1),
        # CPU of the kefu process and its workers: over the 2 cores of an idle machine the
        # wall time would be about half of this plus the serial start-up and report parts.
        "end_to_end_cpu_seconds": result["cpu_seconds"],
        "analysis_seconds": summary["input"]["seconds"],
        "analysis_texts_per_second": summary["input"]["texts_per_second"],
        "peak_memory_pss_mb": result["peak_pss_mb"],
        "peak_memory_rss_sum_mb": result["peak_rss_mb"],
        "accuracy": _accuracy(predicted, labels),
        "neutral_share": round(predicted.count("neutral") / len(predicted), 4),
        "target_texts_per_second": TARGET,
        "meets_target": texts / result["seconds"] >= TARGET,
        "load_average": round(os.getloadavg()[0], 2),
        "segmenter": default_tokenizer().backend_name,  # rjieba, or jieba without it
        "snownlp": {
            "sample": n,
            "seconds": round(snow_seconds, 2),
            "ms_per_review": round(1000 * snow_seconds / n, 2),
            "texts_per_second": round(n / snow_seconds, 1),
            "accuracy": _accuracy(snow_labels, labels[:n]),
            "kefu_accuracy_same_sample": _accuracy(predicted[:n], labels[:n]),
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
