"""``kefu rasa ...``: Rasa's own commands, run in ``bot/`` with kefu's paths added.

Plain ``rasa train`` in ``bot/`` finds no domain (kefu's domain is the directory
``bot/domain/``, Rasa looks for ``domain.yml``) and no lookup tables (they are generated
from the shop database under ``var/bot/``). ``kefu rasa ARGS`` runs ``rasa ARGS`` from
``bot/`` and adds what Rasa cannot find by itself, only where the caller did not give it:

* ``--config``, ``--domain``, ``--data`` (with the lookup tables) to ``train``,
  ``data validate`` and ``interactive``; trained models go to ``var/models/rasa``;
* ``--endpoints`` (action server, tracker and lock stores from kefu's settings) and the
  newest model to ``shell``, ``interactive``, ``run`` and ``test``;
* ``--stories bot/tests`` and an output directory under ``var/`` to ``test``;
* ``--actions actions`` to ``run actions``.

Everything else (``--help``, ``--debug``, other commands) goes to Rasa unchanged. Rasa
runs through kefu's launcher (:mod:`kefu.rasa_main`), as in ``kefu run``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kefu.bot.commands import rasa_env
from kefu.bot.lookups import generate_lookups
from kefu.bot.project import BotBuildError, bot_dir, config_path, rasa_executable
from kefu.bot.training import current_model
from kefu.settings import get_settings

TRAINING = {"train", "interactive", "data validate"}
WITH_ENDPOINTS = {"shell", "interactive", "run", "test"}
WITH_MODEL = {"shell", "interactive", "run", "test"}


def dev_models_dir() -> Path:
    """Where ``kefu rasa train`` puts models (``var/models/rasa``)."""
    return get_settings().models_dir / "rasa"


def _command(args: Sequence[str]) -> str:
    """The Rasa command: ``"data validate"``, ``"run actions"``, ``"train"``, ``"shell"``..."""
    words = [a for a in args[:2] if not a.startswith("-")]
    if len(words) == 2 and f"{words[0]} {words[1]}" in {"data validate", "run actions"}:
        return f"{words[0]} {words[1]}"
    return words[0] if words else ""


def _given(args: Sequence[str], *flags: str) -> bool:
    return any(a in flags or any(a.startswith(f + "=") for f in flags) for a in args)


def newest_model() -> Path | None:
    """The newest model of ``kefu rasa train`` or ``kefu train``, if any."""
    candidates: list[Path] = (
        sorted(dev_models_dir().glob("*.tar.gz")) if dev_models_dir().is_dir() else []
    )
    kefu_model = current_model()
    if kefu_model is not None:
        candidates.append(kefu_model)
    if not candidates:
        return None
    return max(candidates, key=lambda p: p.stat().st_mtime_ns)


def rasa_argv(args: Sequence[str], lookups: Path | None = None) -> list[str]:
    """The full ``rasa`` command line for ``kefu rasa ARGS``.

    Args:
        args: what followed ``kefu rasa``.
        lookups: the lookup tables (generated from the shop when needed and not given).

    Raises:
        BotBuildError: a command that trains needs the shop database for its lookups.
    """
    args = list(args)
    command = _command(args)
    bot = bot_dir()
    extra: list[str] = []
    if command in TRAINING and "--help" not in args and "-h" not in args:
        if not _given(args, "-c", "--config"):
            extra += ["--config", str(config_path())]
        if not _given(args, "-d", "--domain"):
            extra += ["--domain", str(bot / "domain")]
        if not _given(args, "--data"):
            extra += ["--data", str(bot / "data"), str(lookups or generate_lookups())]
        if command in ("train", "interactive") and not _given(args, "--out"):
            extra += ["--out", str(dev_models_dir())]
    if command in WITH_ENDPOINTS and not _given(args, "--endpoints"):
        extra += ["--endpoints", str(bot / "endpoints.yml")]
    if command in WITH_MODEL and not _given(args, "-m", "--model") and "--help" not in args:
        model = newest_model()
        if model is not None:
            extra += ["--model", str(model)]
    if command == "test" and "--help" not in args:
        if not _given(args, "-s", "--stories") and "nlu" not in args[1:2]:
            extra += ["--stories", str(bot / "tests")]
        if not _given(args, "--out"):
            extra += ["--out", str(get_settings().var_dir / "rasa-results")]
    if command == "run actions" and not _given(args, "--actions"):
        extra += ["--actions", "actions"]
    # through kefu's launcher, like every Rasa process kefu starts (private files,
    # redacted logs, the version and lock checks, the fixes of kefu.rasa_patches)
    return [*launcher(), *args, *extra]


def launcher() -> list[str]:
    """The command that runs ``rasa`` through :mod:`kefu.rasa_main`.

    Raises:
        BotBuildError: when Rasa is not installed.
    """
    rasa_executable()  # the same clear error when Rasa is missing
    return [sys.executable, "-m", "kefu.rasa_main"]


def rasa_process_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of ``kefu rasa``: endpoints from kefu's settings, kefu importable."""
    settings = get_settings()
    env = rasa_env(settings.action_endpoint, base=base)
    root = str(settings.root)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = root + (os.pathsep + path if path else "")
    return env


__all__ = ["BotBuildError", "dev_models_dir", "newest_model", "rasa_argv", "rasa_process_env"]
