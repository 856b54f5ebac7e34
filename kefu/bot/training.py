"""Fingerprinted training: ``rasa train`` runs only when something the model depends on changed.

The fingerprint covers the bot (``bot/``), the NLP code (``nlp/``), the shipped data files
(``data/``), the lookup tables and the Rasa version; when it matches the one stored next to
the last model, :func:`train_bot` returns that model in well under a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
from pathlib import Path

from kefu.bot.lookups import generate_lookups
from kefu.bot.project import MODEL_NAME, BotBuildError, config_path, rasa_executable
from kefu.settings import get_settings

logger = logging.getLogger(__name__)

FINGERPRINT_FILE = "fingerprint.json"
# shipped inputs of the model: the fingerprint covers these trees (relative to the root)
FINGERPRINT_TREES = ("bot", "nlp", "data")
FINGERPRINT_SUFFIXES = (".py", ".yml", ".yaml", ".json", ".txt", ".csv", ".tsv", ".npz")
FINGERPRINT_SKIP_DIRS = ("__pycache__", "tests", "models", ".rasa", "faq", "demo")
TRAIN_TIMEOUT = 900
# Extra `rasa train` options. Its data check costs about a third of kefu's training time
# but tells someone who edited the bot's data what is wrong before it trains, so it stays
# (`rasa data validate --fail-on-warnings`, run by the tests, is stricter still).
TRAIN_OPTIONS: tuple[str, ...] = ()


def fingerprint(lookups: Path | None = None) -> str:
    """Hash of everything the trained model depends on (sources, data, lookups, rasa)."""
    root = get_settings().root
    digest = hashlib.sha256()
    for tree in FINGERPRINT_TREES:
        base = root / tree
        if not base.exists():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or path.suffix not in FINGERPRINT_SUFFIXES:
                continue
            if any(part in FINGERPRINT_SKIP_DIRS for part in rel.parts[1:-1]):
                continue
            digest.update(str(rel).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    if lookups is not None and lookups.exists():
        digest.update(b"lookups")
        digest.update(hashlib.sha256(lookups.read_bytes()).digest())
    try:
        from importlib.metadata import version

        digest.update(version("rasa").encode())
    except Exception:  # noqa: BLE001 - version unknown: the sources still count
        pass
    return digest.hexdigest()


def default_model_dir() -> Path:
    """Where trained bot models go (``var/models/bot``)."""
    return get_settings().models_dir / "bot"


def current_model(out_dir: Path | None = None) -> Path | None:
    """The model of the last successful :func:`train_bot` in ``out_dir``, if any."""
    out = Path(out_dir) if out_dir else default_model_dir()
    model = out / f"{MODEL_NAME}.tar.gz"
    return model if model.is_file() and (out / FINGERPRINT_FILE).is_file() else None


def train_bot(force: bool = False, out_dir: Path | None = None, url: str | None = None) -> Path:
    """Train the bot when its inputs changed; return the model archive.

    Args:
        force: train even when nothing changed.
        out_dir: where the model goes (default ``var/models/bot``).
        url: shop database for the lookup tables (default: the configured one).

    Returns:
        Path of ``kefu.tar.gz`` in ``out_dir``.

    Raises:
        BotBuildError: no shop database, or ``rasa train`` failed (its output is included).
    """
    out = Path(out_dir) if out_dir else default_model_dir()
    lookups = generate_lookups(url)
    stamp = fingerprint(lookups)
    model = out / f"{MODEL_NAME}.tar.gz"
    marker = out / FINGERPRINT_FILE
    if not force and model.is_file() and marker.is_file():
        try:
            if json.loads(marker.read_text()).get("fingerprint") == stamp:
                return model
        except (OSError, ValueError):
            pass
    out.mkdir(parents=True, exist_ok=True)
    root = get_settings().root
    with tempfile.TemporaryDirectory(dir=out, prefix=".train-") as work:
        cmd = [
            rasa_executable(),
            "train",
            "--config",
            str(config_path()),
            "--domain",
            str(root / "bot" / "domain"),
            "--data",
            str(root / "bot" / "data"),
            str(lookups),
            "--out",
            work,
            "--fixed-model-name",
            MODEL_NAME,
            *TRAIN_OPTIONS,
        ]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
        logger.info("training the bot: %s", " ".join(cmd))
        proc = subprocess.run(
            cmd,
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TRAIN_TIMEOUT,
        )
        trained = Path(work) / f"{MODEL_NAME}.tar.gz"
        if proc.returncode != 0 or not trained.is_file():
            tail = "\n".join(proc.stdout.splitlines()[-40:])
            raise BotBuildError(f"rasa train failed (exit {proc.returncode}):\n{tail}")
        os.replace(trained, model)
    # written whole or not at all: a reader never sees half a marker
    partial = marker.with_name(f".{marker.name}.{os.getpid()}")
    partial.write_text(json.dumps({"fingerprint": stamp, "model": model.name}))
    partial.replace(marker)
    return model
