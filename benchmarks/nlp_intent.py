"""Intent benchmark: kefu's Naive Bayes beside LinearSVC on the same features (and Rasa's
DIETClassifier when it can be trained here), on BANKING77 (English, 77 intents) and
SMP-ECDT (Chinese, by intent and by domain).

Trained on each data set's train split, scored on its test split; the defaults of
``NaiveBayesIntentClassifier`` were tuned on a validation split carved from train
(``python -m benchmarks.nlp_intent --tune`` reprints that search). Prints JSON.

Data: ``../shared/datasets/`` relative to the repository root (never copied into it);
a missing data set is reported as skipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from nlp.features import TextVectorizer
from nlp.intent import NaiveBayesIntentClassifier

ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("KEFU_DATASETS", ROOT.parent / "shared" / "datasets"))

# (name, folder, text column, label column, language)
TASKS = (
    ("banking77", "banking77", "text", "category", "en"),
    ("smp_ecdt_intent", "smp_ecdt_zh_intent", "text", "intent", "zh"),
    ("smp_ecdt_domain", "smp_ecdt_zh_intent", "text", "domain", "zh"),
)

# DIETClassifier is trained only when its measured cost fits this budget (seconds).
DIET_BUDGET_SECONDS = float(os.environ.get("KEFU_BENCH_DIET_BUDGET", "300"))
DIET_DEFAULT_EPOCHS = 300  # DIETClassifier's default "epochs"


def _diet_project(directory: Path, train, lang: str, epochs: int | None) -> None:
    """A Rasa NLU project: the training utterances and a default DIET pipeline."""
    import yaml

    by_label: dict[str, list[str]] = {}
    for text, label in zip(*train, strict=False):
        by_label.setdefault(label, []).append(text.replace("\n", " "))
    nlu = {
        "version": "3.1",
        "nlu": [
            {"intent": label, "examples": "".join(f"- {t}\n" for t in texts)}
            for label, texts in sorted(by_label.items())
        ],
    }
    (directory / "nlu.yml").write_text(yaml.safe_dump(nlu, allow_unicode=True), encoding="utf-8")
    tokenizer = "WhitespaceTokenizer" if lang == "en" else "JiebaTokenizer"
    diet = {"name": "DIETClassifier"}
    if epochs is not None:
        diet["epochs"] = epochs
    config = {
        "recipe": "default.v1",
        "language": lang,
        "assistant_id": "kefu-benchmark",
        "pipeline": [
            {"name": tokenizer},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1,
             "max_ngram": 4},
            diet,
        ],
    }  # fmt: skip
    (directory / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")


def _rasa_train_nlu(directory: Path) -> float:
    rasa = Path(sys.executable).with_name("rasa")
    start = time.perf_counter()
    done = subprocess.run(
        [str(rasa), "train", "nlu", "--config", "config.yml", "--nlu", "nlu.yml",
         "--out", "models", "--fixed-model-name", "nlu"],
        cwd=directory, capture_output=True, text=True, timeout=3600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
    return time.perf_counter() - start


def run_diet(train, test, lang: str) -> dict:
    """Rasa's DIETClassifier, default config, when its measured cost fits the budget.

    Two short runs (1 and 3 epochs) measure the fixed cost and the cost per epoch; the
    full default run (300 epochs) is trained and scored only when its estimate fits
    ``DIET_BUDGET_SECONDS`` (env ``KEFU_BENCH_DIET_BUDGET``).
    """
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_dir = Path(tmp)
            _diet_project(tmp_dir, train, lang, epochs=1)
            one = _rasa_train_nlu(tmp_dir)
            _diet_project(tmp_dir, train, lang, epochs=3)
            three = _rasa_train_nlu(tmp_dir)
            per_epoch = max((three - one) / 2, 0.0)
            estimate = one - per_epoch + DIET_DEFAULT_EPOCHS * per_epoch
            measured = {
                "seconds_1_epoch_run": round(one, 1),
                "seconds_3_epoch_run": round(three, 1),
                "seconds_per_epoch": round(per_epoch, 2),
                "estimated_fit_seconds_default_config": round(estimate),
            }
            if estimate > DIET_BUDGET_SECONDS:
                return {
                    "skipped": (
                        f"default config ({DIET_DEFAULT_EPOCHS} epochs) would take about "
                        f"{estimate / 60:.0f} min on this machine (measured below), over the "
                        f"{DIET_BUDGET_SECONDS / 60:.0f}-min budget (KEFU_BENCH_DIET_BUDGET)"
                    ),
                    **measured,
                }
            _diet_project(tmp_dir, train, lang, epochs=None)
            fit_seconds = _rasa_train_nlu(tmp_dir)
            return {**_score_rasa_model(tmp_dir / "models" / "nlu.tar.gz", test),
                    "fit_seconds": round(fit_seconds, 1), **measured}  # fmt: skip
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        return {"skipped": f"rasa train failed: {str(exc)[-500:]}"}


def _score_rasa_model(model_path: Path, test) -> dict:
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))

    async def parse_all():
        return [await agent.parse_message(text) for text in test[0]]

    start = time.perf_counter()
    parsed = asyncio.run(parse_all())
    us = (time.perf_counter() - start) / len(test[0]) * 1e6
    predicted = [p["intent"]["name"] for p in parsed]
    return {**scores(test[1], predicted), "us_per_utterance": round(us, 1)}


def read_split(folder: str, split: str, text_col: str, label_col: str):
    """Texts and labels of ``<datasets>/<folder>/<split>.csv``; None when missing."""
    path = DATASETS / folder / f"{split}.csv"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r[text_col] for r in rows], [r[label_col] for r in rows]


class Timer:
    """Wall-clock and CPU seconds of a block. On a shared machine the wall clock is
    inflated by other jobs; this process's CPU time is not (the work is single-threaded)."""

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def timed_predict(predict, texts: list[str]) -> tuple[np.ndarray, dict]:
    """Predictions and the wall/CPU microseconds per text (after a warm-up call)."""
    predict(texts[:1])
    with Timer() as timer:
        predicted = predict(texts)
    return np.asarray(predicted), {
        "us_per_utterance": round(timer.wall / len(texts) * 1e6, 1),
        "cpu_us_per_utterance": round(timer.cpu / len(texts) * 1e6, 1),
    }


def fit_times(timer: Timer) -> dict:
    return {"fit_seconds": round(timer.wall, 2), "fit_cpu_seconds": round(timer.cpu, 2)}


def scores(y_true, y_pred) -> dict:
    """Accuracy and macro-F1, rounded."""
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro")), 4),
    }


def run_naive_bayes(train, test) -> dict:
    with Timer() as timer:
        model = NaiveBayesIntentClassifier().fit(*train)
    predicted, speed = timed_predict(model.predict, test[0])
    proba = model.predict_proba(test[0])
    return {
        **scores(test[1], predicted),
        **fit_times(timer),
        **speed,
        "mean_confidence": round(float(proba.max(axis=1).mean()), 4),
    }


def run_linear_svc(train, test) -> dict:
    """scikit-learn's LinearSVC (default C) on the NB model's default features."""
    nb = NaiveBayesIntentClassifier()
    with Timer() as timer:
        vectorizer = TextVectorizer(
            word_ngram_range=nb.word_ngram_range,
            char_ngram_range=nb.char_ngram_range,
            char_weight=nb.char_weight,
            min_df=nb.min_df,
            max_chars=nb.max_chars,
            segment_cjk=nb.segment_cjk,
        )
        svc = LinearSVC().fit(vectorizer.fit_transform(train[0]), np.asarray(train[1]))
    predicted, speed = timed_predict(lambda t: svc.predict(vectorizer.transform(t)), test[0])
    return {**scores(test[1], predicted), **fit_times(timer), **speed}


DIET_NOT_RUN = (
    "not trained by default: Rasa's DIETClassifier default config (300 epochs) takes far "
    "more than a few minutes on this 2-core CPU; measured figures are in "
    "benchmarks/RESULTS-nlp.md; `python -m benchmarks.nlp_intent --diet` measures it again "
    "(and trains it when the estimate fits KEFU_BENCH_DIET_BUDGET seconds, default 300)"
)


def run(with_diet: bool | None = None) -> dict:
    """Run every intent task; return the figures.

    Args:
        with_diet: measure (and, within budget, train) Rasa's DIETClassifier; default
            from env ``KEFU_BENCH_DIET=1``. Measuring costs several minutes per data set.
    """
    if with_diet is None:
        with_diet = os.environ.get("KEFU_BENCH_DIET") == "1"
    results: dict = {"benchmark": "nlp_intent", "datasets_dir": str(DATASETS), "tasks": {}}
    diet_skipped: dict[str, dict] = {}  # over budget on a data set: say so once per set
    for name, folder, text_col, label_col, lang in TASKS:
        train = read_split(folder, "train", text_col, label_col)
        test = read_split(folder, "test", text_col, label_col)
        if train is None or test is None:
            results["tasks"][name] = {"skipped": f"data set missing: {DATASETS / folder}"}
            continue
        if not with_diet:
            diet = {"skipped": DIET_NOT_RUN}
        elif folder in diet_skipped:
            diet = diet_skipped[folder]
        else:
            diet = run_diet(train, test, lang)
            if "skipped" in diet:
                diet_skipped[folder] = diet
        results["tasks"][name] = {
            "train_size": len(train[0]),
            "test_size": len(test[0]),
            "n_labels": len(set(train[1])),
            "kefu_naive_bayes": run_naive_bayes(train, test),
            "linear_svc_same_features": run_linear_svc(train, test),
            "rasa_diet_classifier": diet,
        }
    results["params"] = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in NaiveBayesIntentClassifier().get_params().items()
    }
    return results


TUNING_GRID = (
    {},
    {"alpha": 0.01},
    {"alpha": 0.04},
    {"feature_fraction": 0.25},
    {"feature_fraction": 0.55},
    {"feature_fraction": 1.0},
    {"char_ngram_range": (2, 5)},
    {"char_weight": 0.7},
    {"word_ngram_range": (1, 3)},
)


def tune() -> dict:
    """Validation accuracy of a small grid around the defaults (80/20 split of train)."""
    out = {}
    for name, folder, text_col, label_col, _ in TASKS:
        train = read_split(folder, "train", text_col, label_col)
        if train is None:
            continue
        x_tr, x_va, y_tr, y_va = train_test_split(
            *train, test_size=0.2, random_state=0, stratify=train[1]
        )
        out[name] = []
        for params in TUNING_GRID:
            model = NaiveBayesIntentClassifier(**params).fit(x_tr, y_tr)
            accuracy = accuracy_score(y_va, model.predict(x_va))
            out[name].append({"params": params or "defaults", "val_accuracy": round(accuracy, 4)})
            print(name, params or "defaults", round(accuracy, 4), file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="print the validation search")
    parser.add_argument(
        "--diet", action="store_true", help="measure Rasa's DIETClassifier (slow: minutes)"
    )
    args = parser.parse_args()
    result = tune() if args.tune else run(with_diet=args.diet or None)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
