"""Sentiment benchmark: kefu's calibrated linear SVM beside SnowNLP's ``sentiments`` on
online_shopping_10_cats (Chinese product reviews) and uci_sentiment_sentences (English).

Trained on each data set's train split, scored on its test split (labels 1 -> positive,
0 -> negative). Accuracy is that of the top class of ``predict_proba``; the share of
texts the default ``neutral_threshold`` would call neutral is reported beside it.
SnowNLP (``SnowNLP(text).sentiments >= 0.5``, its bundled model) is slow, so it runs on a
seeded sample of the test texts, and our model is scored on the same sample too. SnowNLP
is Chinese-only, so it is not run on the English set. The defaults were tuned on a
validation split carved from train (``--tune``). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

import numpy as np
from sklearn.model_selection import train_test_split

from benchmarks.nlp_intent import DATASETS, Timer, fit_times, read_split, scores
from nlp.sentiment import SvmSentimentClassifier
from nlp.tokenize import default_tokenizer

SNOWNLP_SAMPLE = 2000
TASKS = (
    ("online_shopping_10_cats", "online_shopping_10_cats", "zh"),
    ("uci_sentiment_sentences", "uci_sentiment_sentences", "en"),
)
LABELS = {"1": "positive", "0": "negative"}


def load(folder: str, split: str):
    data = read_split(folder, split, "text", "label")
    if data is None:
        return None
    texts, labels = data
    return texts, [LABELS[label] for label in labels]


def top_class(model: SvmSentimentClassifier, texts: list[str]) -> np.ndarray:
    return model.classes_[model.predict_proba(texts).argmax(axis=1)]


def run_svm(train, test) -> tuple[dict, SvmSentimentClassifier]:
    with Timer() as fit_timer:
        model = SvmSentimentClassifier().fit(*train)
    top_class(model, test[0][:1])
    with Timer() as timer:
        predicted = top_class(model, test[0])
    with_neutral = model.predict(test[0])
    neutral = with_neutral == model.neutral_label
    decided = ~neutral
    return {
        **scores(test[1], predicted),
        **fit_times(fit_timer),
        "us_per_text": round(timer.wall / len(test[0]) * 1e6, 1),
        "cpu_us_per_text": round(timer.cpu / len(test[0]) * 1e6, 1),
        "neutral_share_at_default_threshold": round(float(neutral.mean()), 4),
        "accuracy_on_non_neutral": round(
            float((with_neutral[decided] == np.asarray(test[1])[decided]).mean()), 4
        ),
    }, model


def run_snownlp(model: SvmSentimentClassifier, test) -> dict:
    try:
        from snownlp import SnowNLP
    except ImportError:
        return {"skipped": "snownlp is not installed"}
    indices = sorted(
        random.Random(42).sample(range(len(test[0])), min(SNOWNLP_SAMPLE, len(test[0])))
    )
    texts = [test[0][i] for i in indices]
    truth = [test[1][i] for i in indices]
    _ = SnowNLP("预热").sentiments  # loads its model outside the timing
    with Timer() as timer:
        predicted = ["positive" if SnowNLP(t).sentiments >= 0.5 else "negative" for t in texts]
    return {
        "sample_size": len(texts),
        "sample": f"seeded random sample (seed 42) of {len(texts)} test texts: SnowNLP is slow",
        "snownlp": {
            **scores(truth, predicted),
            "us_per_text": round(timer.wall / len(texts) * 1e6, 1),
            "cpu_us_per_text": round(timer.cpu / len(texts) * 1e6, 1),
        },
        "kefu_svm_on_same_sample": scores(truth, top_class(model, texts)),
    }


def run() -> dict:
    """Run every sentiment task; return the figures."""
    results: dict = {"benchmark": "nlp_sentiment", "datasets_dir": str(DATASETS), "tasks": {}}
    for name, folder, lang in TASKS:
        train, test = load(folder, "train"), load(folder, "test")
        if train is None or test is None:
            results["tasks"][name] = {"skipped": f"data set missing: {DATASETS / folder}"}
            continue
        svm, model = run_svm(train, test)
        results["tasks"][name] = {
            "train_size": len(train[0]),
            "test_size": len(test[0]),
            "kefu_svm": svm,
            "snownlp": run_snownlp(model, test)
            if lang == "zh"
            else {"skipped": "SnowNLP's sentiment model is Chinese-only"},
        }
    results["segmenter"] = default_tokenizer().backend_name  # rjieba, or jieba without it
    results["load_average"] = round(os.getloadavg()[0], 2)
    results["params"] = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in SvmSentimentClassifier().get_params().items()
    }
    return results


TUNING_GRID = (
    {},
    {"C": 0.25},
    {"C": 1.0},
    {"char_ngram_range": (1, 4)},
    {"char_ngram_range": (2, 4)},
    {"word_ngram_range": (1, 3)},
)


def tune() -> dict:
    """Validation accuracy of a small grid around the defaults (80/20 split of train)."""
    out = {}
    for name, folder, _ in TASKS:
        train = load(folder, "train")
        if train is None:
            continue
        x_tr, x_va, y_tr, y_va = train_test_split(
            *train, test_size=0.2, random_state=0, stratify=train[1]
        )
        out[name] = []
        for params in TUNING_GRID:
            model = SvmSentimentClassifier(**params).fit(x_tr, y_tr)
            accuracy = float((top_class(model, x_va) == np.asarray(y_va)).mean())
            out[name].append({"params": params or "defaults", "val_accuracy": round(accuracy, 4)})
            print(name, params or "defaults", round(accuracy, 4), file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="print the validation search")
    args = parser.parse_args()
    print(json.dumps(tune() if args.tune else run(), indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
