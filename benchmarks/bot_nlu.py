"""NLU cross-validation of the bot: intent accuracy per language, beside Rasa's own pipeline.

Runs ``rasa test nlu --cross-validation`` on the bot's NLU data (``bot/data/nlu`` plus the
lookup tables generated from the shop database) twice, with ``bot/config.yml`` (kefu's
tokenizer, Naive Bayes intent classifier, sentiment, regex entities) and with the peer,
Rasa's own light pipeline (JiebaTokenizer + char n-gram CountVectorsFeaturizer +
LogisticRegressionClassifier), and reports the intent accuracy of each per language (the
language of each example from :func:`nlp.detect_language`).

Usage: ``python -m benchmarks.bot_nlu [--folds 5]`` (needs the shop database: ``kefu db
demo``). Prints JSON.
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

ROOT = Path(__file__).resolve().parents[1]

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
    proc = subprocess.run(
        cmd, cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError("rasa test nlu failed:\n" + "\n".join(proc.stdout.splitlines()[-30:]))
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
        kefu = _cross_validate(ROOT / "bot" / "config.yml", data, work / "kefu", folds)
        peer = _cross_validate(peer_config, data, work / "peer", folds)
    return {
        "benchmark": "bot NLU intent cross-validation",
        "folds": folds,
        "kefu (bot/config.yml)": kefu,
        "peer (Rasa JiebaTokenizer + CountVectors + LogisticRegression)": peer,
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.folds), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
