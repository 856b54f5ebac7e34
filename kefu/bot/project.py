"""Where the Rasa project and its generated inputs live, and the ``rasa`` executable."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from kefu.settings import get_settings

MODEL_NAME = "kefu"


class BotBuildError(RuntimeError):
    """The bot cannot be built (no shop database, rasa failed...)."""


def bot_dir() -> Path:
    """The Rasa project directory (``bot/``)."""
    return get_settings().root / "bot"


def lookups_path() -> Path:
    """Where :func:`kefu.bot.lookups.generate_lookups` writes (``var/bot/lookups.yml``)."""
    return get_settings().var_dir / "bot" / "lookups.yml"


def rasa_executable() -> str:
    """The ``rasa`` command of this environment.

    Raises:
        BotBuildError: when Rasa is not installed.
    """
    candidate = Path(sys.executable).with_name("rasa")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("rasa")
    if not found:
        raise BotBuildError("the 'rasa' command is not installed in this environment")
    return found


_rasa_executable = rasa_executable  # the name benchmarks and tests used before the split
