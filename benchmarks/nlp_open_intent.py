"""Open intent benchmark: ``NaiveBayesIntentClassifier(open_set=True)`` on BANKING77 with
the protocol of the open intent classification literature (Shu et al. 2017, DOC; Lin and
Xu 2019; Zhang et al. AAAI 2021, ADB).

For each known-intent ratio (25 %, 50 %, 75 %) and each of 10 seeds, that share of the 77
intents is drawn at random; the model is trained on the training examples of the known
intents only (no out-of-scope example); every test message of another intent is labelled
open. Scores over the known intents plus the open class: accuracy and macro-F1, and the
open class's F1, mean and standard deviation over the seeds. Beside it, in the same run,
the plain MSP baseline: the same fitted model's calibrated posteriors with the usual fixed
threshold 0.5. ``--tune`` reprints the choice of ``open_quantile`` on another data set
(SMP-ECDT by domain, same protocol, 3 seeds), never on BANKING77; ``--sweep`` shows the
BANKING77 figures for other quantiles (sensitivity only).

Data: ``../shared/datasets/`` relative to the repository root, or ``KEFU_DATASETS``; a
missing data set is reported as skipped.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from benchmarks.nlp_intent import DATASETS, Timer, read_split
from nlp.intent import OPEN_LABEL, NaiveBayesIntentClassifier

RATIOS = (0.25, 0.5, 0.75)
SEEDS = tuple(range(10))
MSP_THRESHOLD = 0.5

# Zhang, Xu and Lin, "Deep Open Intent Classification with Adaptive Decision Boundary",
# AAAI 2021, Table 2 (BERT-base; BANKING; accuracy, macro-F1 over known + open, in %).
PUBLISHED = {
    "0.25": {"bert_msp": None, "bert_adb": {"accuracy": 78.85, "macro_f1": 71.62}},
    "0.5": {"bert_msp": None, "bert_adb": None},
    "0.75": {
        "bert_msp": {"accuracy": 75.89, "macro_f1": 83.60},
        "bert_adb": {"accuracy": 81.08, "macro_f1": 85.96},
    },
}


def known_intents(labels: list[str], ratio: float, seed: int) -> list[str]:
    """The known intents of one run: ``round(ratio * n)`` drawn at random by ``seed``."""
    intents = sorted(set(labels))
    rng = np.random.RandomState(seed)
    return sorted(rng.choice(intents, int(round(ratio * len(intents))), replace=False))


def open_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Accuracy, macro-F1 over known + open, open-class F1, known macro-F1 (in %)."""
    known = sorted(set(y_true) - {OPEN_LABEL})
    return {
        "accuracy": 100 * float(accuracy_score(y_true, y_pred)),
        "macro_f1": 100 * float(f1_score(y_true, y_pred, average="macro")),
        "open_f1": 100 * float(f1_score(y_true == OPEN_LABEL, y_pred == OPEN_LABEL)),
        "known_f1": 100 * float(f1_score(y_true, y_pred, labels=known, average="macro")),
    }


def msp_baseline(model: NaiveBayesIntentClassifier, texts: list[str]) -> np.ndarray:
    """The same fitted model as a closed-set classifier, rejecting below 0.5 (MSP)."""
    closed = copy.copy(model)
    closed.open_set = False  # same arrays; the open class has probability 0
    proba = closed.predict_proba(texts)
    predicted = closed.classes_[proba.argmax(axis=1)]
    return np.where(proba.max(axis=1) >= MSP_THRESHOLD, predicted, OPEN_LABEL)


def one_run(train, test, ratio: float, seed: int, **params) -> dict:
    """Fit on the known intents of one draw; scores of the open model and of MSP."""
    known = known_intents(train[1], ratio, seed)
    keep = np.isin(train[1], known)
    texts = [t for t, k in zip(train[0], keep, strict=True) if k]
    labels = np.asarray(train[1])[keep]
    y_true = np.where(np.isin(test[1], known), test[1], OPEN_LABEL)
    with Timer() as timer:
        model = NaiveBayesIntentClassifier(open_set=True, **params).fit(texts, labels)
    return {
        "open_set": open_scores(y_true, model.predict(test[0])),
        "msp_0.5": open_scores(y_true, msp_baseline(model, test[0])),
        "fit_cpu_seconds": timer.cpu,
        "train_size": len(texts),
    }


def summarise(runs: list[dict]) -> dict:
    """Mean and standard deviation over seeds, rounded."""
    out: dict = {}
    for method in ("open_set", "msp_0.5"):
        out[method] = {}
        for metric in runs[0][method]:
            values = np.array([r[method][metric] for r in runs])
            out[method][metric] = round(float(values.mean()), 2)
            out[method][f"{metric}_std"] = round(float(values.std()), 2)
    out["fit_cpu_seconds_mean"] = round(float(np.mean([r["fit_cpu_seconds"] for r in runs])), 2)
    out["train_size_mean"] = round(float(np.mean([r["train_size"] for r in runs])))
    return out


def run(seeds: tuple[int, ...] = SEEDS) -> dict:
    """The open intent protocol on BANKING77; return the figures."""
    train = read_split("banking77", "train", "text", "category")
    test = read_split("banking77", "test", "text", "category")
    results: dict = {"benchmark": "nlp_open_intent", "datasets_dir": str(DATASETS)}
    if train is None or test is None:
        results["skipped"] = f"data set missing: {DATASETS / 'banking77'}"
        return results
    params = NaiveBayesIntentClassifier(open_set=True).get_params()
    results.update(
        {
            "dataset": "banking77",
            "seeds": list(seeds),
            "msp_threshold": MSP_THRESHOLD,
            "open_quantile": params["open_quantile"],
            "ratios": {},
        }
    )
    for ratio in RATIOS:
        runs = [one_run(train, test, ratio, seed) for seed in seeds]
        results["ratios"][str(ratio)] = {
            **summarise(runs),
            "published_bert": PUBLISHED[str(ratio)],
        }
        print(ratio, json.dumps(results["ratios"][str(ratio)]), file=sys.stderr, flush=True)
    return results


TUNING_QUANTILES = (0.05, 0.1, 0.15, 0.2, 0.3)


def tune(folder: str = "smp_ecdt_zh_intent", label_col: str = "domain", seeds=(0, 1, 2)) -> dict:
    """Scores by ``open_quantile`` on SMP-ECDT by domain (same protocol): how the default
    was chosen, never on BANKING77. ``--sweep`` runs it on BANKING77's test set, to show
    how sensitive the figures are (not to choose)."""
    train = read_split(folder, "train", "text", label_col)
    test = read_split(folder, "test", "text", label_col)
    if train is None or test is None:
        return {"skipped": f"data set missing: {DATASETS / folder}"}
    out: dict = {}
    for ratio in RATIOS:
        for quantile in TUNING_QUANTILES:
            runs = [one_run(train, test, ratio, s, open_quantile=quantile) for s in seeds]
            summary = summarise(runs)["open_set"]
            out[f"{ratio} q={quantile}"] = {k: summary[k] for k in ("accuracy", "macro_f1")}
            print(ratio, quantile, out[f"{ratio} q={quantile}"], file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="open_quantile on SMP-ECDT")
    parser.add_argument("--sweep", action="store_true", help="open_quantile on BANKING77")
    args = parser.parse_args()
    if args.sweep:
        result = tune("banking77", "category", SEEDS)
    else:
        result = tune() if args.tune else run()
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
