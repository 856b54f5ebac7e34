"""NLU cross-validation of the bot: intent accuracy per language, beside Rasa's own pipeline.

Runs ``rasa test nlu --cross-validation`` on the bot's NLU data (``bot/data/nlu`` plus the
lookup tables generated from the shop database) twice, with ``bot/config.yml`` (kefu's
tokenizer, Naive Bayes intent classifier, sentiment, regex entities) and with the peer,
Rasa's own light pipeline (JiebaTokenizer + char n-gram CountVectorsFeaturizer +
LogisticRegressionClassifier), and reports the intent accuracy of each per language (the
language of each example from :func:`nlp.detect_language`). Then each pipeline is trained
on all the data and tested on the held-out messages of ``tests/data/nlu/heldout_{zh,en}.yml``,
written for this project apart from the training data, by an author who never saw it.

Usage: ``python -m benchmarks.bot_nlu [--folds 5]`` (needs the shop database: ``kefu db
demo``). Prints JSON.

``--direct`` runs instead a fast check without Rasa's test loop: a stratified k-fold
cross-validation per language of the intent model that ``bot/config.yml`` configures (its
lexicon plus the generated lookup tables), over three shuffles, beside the same model
without lexicon and shape features (the model of the previous revision), and the
held-out accuracy of each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from kefu.bot.project import config_path

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = ROOT / "tests" / "data" / "nlu"

PEER_CONFIG = {
    "recipe": "default.v1",
    "language": "zh",
    "assistant_id": "kefu-peer",
    "pipeline": [
        {"name": "JiebaTokenizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "CountVectorsFeaturizer"},
        {"name": "LogisticRegressionClassifier"},
        {
            "name": "RegexEntityExtractor",
            "use_lookup_tables": True,
            "use_regexes": True,
            "use_word_boundaries": False,
        },
        {"name": "EntitySynonymMapper"},
    ],
    "policies": [],
}


def _data_dir(work: Path) -> Path:
    from kefu.bot import generate_lookups

    data = work / "nlu"
    data.mkdir()
    for path in sorted((ROOT / "bot" / "data" / "nlu").glob("*.yml")):
        shutil.copy(path, data / path.name)
    shutil.copy(generate_lookups(), data / "lookups.yml")
    return data


def _cross_validate(config: Path, data: Path, out: Path, folds: int) -> dict:
    from kefu.bot import _rasa_executable
    from nlp import detect_language

    cmd = [
        _rasa_executable(),
        "test",
        "nlu",
        "--nlu",
        str(data),
        "--config",
        str(config),
        "--cross-validation",
        "--folds",
        str(folds),
        "--successes",
        "--no-plot",
        "--out",
        str(out),
    ]
    started = time.perf_counter()
    _run_rasa(cmd, out.parent, "rasa test nlu")
    seconds = time.perf_counter() - started
    right, total = Counter(), Counter()
    for name, ok in (("intent_successes.json", True), ("intent_errors.json", False)):
        path = out / name
        items = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        for item in items:
            lang = detect_language(item["text"])
            total[lang] += 1
            right[lang] += ok
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    return {
        "accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "accuracy_zh": round(right["zh"] / total["zh"], 4) if total["zh"] else None,
        "accuracy_en": round(right["en"] / total["en"], 4) if total["en"] else None,
        "examples_zh": total["zh"],
        "examples_en": total["en"],
        "seconds": round(seconds, 1),
    }


def _held_out(config: Path, data: Path, out: Path) -> dict:
    """Train on all of ``data`` with ``config``, then intent accuracy per language on the
    held-out messages of ``tests/data/nlu/`` (written apart from the training data)."""
    from kefu.bot import _rasa_executable

    out.mkdir()
    started = time.perf_counter()
    train = [_rasa_executable(), "train", "nlu", "--config", str(config), "--nlu", str(data),
             "--out", str(out), "--fixed-model-name", "model"]  # fmt: skip
    _run_rasa(train, out.parent, "rasa train nlu")
    result: dict = {}
    for lang in ("zh", "en"):
        report_dir = out / f"heldout-{lang}"
        test = [_rasa_executable(), "test", "nlu", "--model", str(out / "model.tar.gz"),
                "--nlu", str(HELD_OUT / f"heldout_{lang}.yml"), "--no-plot",
                "--out", str(report_dir)]  # fmt: skip
        _run_rasa(test, out.parent, "rasa test nlu")
        report = json.loads((report_dir / "intent_report.json").read_text(encoding="utf-8"))
        result[f"accuracy_{lang}"] = round(report["accuracy"], 4)
        result[f"examples_{lang}"] = report["weighted avg"]["support"]
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _run_rasa(cmd: list[str], cwd: Path, what: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed:\n" + "\n".join(proc.stdout.splitlines()[-30:]))


def run(folds: int = 5) -> dict:
    """Cross-validate kefu's NLU pipeline and the peer; return their figures."""
    from kefu.settings import get_settings
    from kefu.shop.db import is_initialised

    if not is_initialised(get_settings().database_url):
        return {"skipped": "no shop database (run 'kefu db demo'): lookups are built from it"}
    with tempfile.TemporaryDirectory(prefix="kefu-nlu-cv-") as tmp:
        work = Path(tmp)
        data = _data_dir(work)
        peer_config = work / "peer.yml"
        peer_config.write_text(yaml.safe_dump(PEER_CONFIG), encoding="utf-8")
        kefu_config = config_path()  # bot/config.yml with the shipped sentiment paths
        kefu = _cross_validate(kefu_config, data, work / "kefu", folds)
        peer = _cross_validate(peer_config, data, work / "peer", folds)
        kefu_held_out = _held_out(kefu_config, data, work / "kefu-held-out")
        peer_held_out = _held_out(peer_config, data, work / "peer-held-out")
    kefu["held_out"], peer["held_out"] = kefu_held_out, peer_held_out
    return {
        "benchmark": "bot NLU intent cross-validation, and accuracy on held-out messages",
        "folds": folds,
        "kefu (bot/config.yml)": kefu,
        "peer (Rasa JiebaTokenizer + CountVectors + LogisticRegression)": peer,
    }


def _direct_scores(make_model, texts, labels, folds: int, seeds) -> dict:
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    X = np.array(texts, dtype=object)
    y = np.array(labels)
    accuracies = []
    for seed in seeds:
        pred = np.empty_like(y)
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
            model = make_model().fit(list(X[train]), list(y[train]))
            pred[test] = model.predict(list(X[test]))
        accuracies.append(round(float((pred == y).mean()), 4))
    return {"accuracy": round(float(np.mean(accuracies)), 4), "by_seed": accuracies}


def run_direct(folds: int = 5, seeds: tuple[int, ...] = (0, 1, 2)) -> dict:
    """Stratified k-fold intent accuracy per language of the configured model (fast)."""
    import logging

    import numpy as np
    from rasa.shared.nlu.training_data.loading import load_data

    from kefu.bot import generate_lookups
    from kefu.settings import get_settings
    from kefu.shop.db import is_initialised
    from nlp.intent import NaiveBayesIntentClassifier
    from nlp.rasa_components.intent_classifier import KefuIntentClassifier

    if not is_initialised(get_settings().database_url):
        return {"skipped": "no shop database (run 'kefu db demo'): lookups are built from it"}
    logging.getLogger("rasa").setLevel(logging.ERROR)
    config = next(
        {k: v for k, v in item.items() if k != "name"}
        for item in yaml.safe_load((ROOT / "bot" / "config.yml").read_text("utf-8"))["pipeline"]
        if item["name"].endswith("KefuIntentClassifier")
    )
    component = KefuIntentClassifier({**KefuIntentClassifier.get_default_config(), **config},
                                     "direct", None, None)  # fmt: skip
    lexicon = component._lexicon(load_data(str(generate_lookups())))
    base = component._new_model().get_params()
    configured = {**base, "lexicon": lexicon}
    previous = {**base, "lexicon": None, "shape_features": False}
    out: dict = {"benchmark": "bot NLU intent, direct stratified k-fold", "folds": folds,
                 "seeds": list(seeds), "lexicon": repr(lexicon)}  # fmt: skip
    for lang in ("zh", "en"):
        examples = load_data(str(ROOT / "bot" / "data" / "nlu" / f"{lang}.yml")).intent_examples
        texts = [m.get("text") for m in examples]
        labels = [m.get("intent") for m in examples]
        started, cpu = time.perf_counter(), time.process_time()
        row = {"examples": len(texts)}
        held = load_data(str(HELD_OUT / f"heldout_{lang}.yml")).intent_examples
        held_texts = [m.get("text") for m in held]
        held_labels = np.array([m.get("intent") for m in held])
        for name, params in (("configured", configured), ("no lexicon/shape", previous)):
            row[name] = _direct_scores(
                lambda p=params: NaiveBayesIntentClassifier(**p), texts, labels, folds, seeds
            )
            model = NaiveBayesIntentClassifier(**params).fit(texts, labels)
            accuracy = (model.predict(held_texts) == held_labels).mean()
            row[name]["held_out_accuracy"] = round(float(accuracy), 4)
        row["held_out_examples"] = len(held_texts)
        row["seconds"] = round(time.perf_counter() - started, 1)
        row["cpu_seconds"] = round(time.process_time() - cpu, 1)
        out[lang] = row
    return out


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--direct", action="store_true", help="fast k-fold of the intent model alone, no Rasa"
    )
    args = parser.parse_args()
    result = run_direct(args.folds) if args.direct else run(args.folds)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
