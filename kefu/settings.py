"""One settings object, read from the environment.

Every path and URL the app uses comes from here, so that tests and operators can point
kefu at another database or state directory with environment variables alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Paths and URLs of a kefu installation.

    Attributes:
        root: the repository root (where ``bot/``, ``data/`` live).
        var_dir: runtime state (database file, trained models, logs); env ``KEFU_VAR_DIR``.
        database_url: SQLAlchemy URL of the shop database; env ``KEFU_DATABASE_URL``.
        tracker_url: SQLAlchemy URL of Rasa's tracker store; env ``KEFU_TRACKER_URL``.
    """

    root: Path = ROOT
    var_dir: Path = field(default_factory=lambda: _env_path("KEFU_VAR_DIR", ROOT / "var"))
    database_url: str = ""
    tracker_url: str = ""

    def __post_init__(self) -> None:
        if not self.database_url:
            url = os.environ.get("KEFU_DATABASE_URL", "").strip()
            object.__setattr__(self, "database_url", url or f"sqlite:///{self.var_dir / 'shop.db'}")
        if not self.tracker_url:
            url = os.environ.get("KEFU_TRACKER_URL", "").strip()
            object.__setattr__(
                self, "tracker_url", url or f"sqlite:///{self.var_dir / 'tracker.db'}"
            )

    @property
    def data_dir(self) -> Path:
        """Data shipped in the repository (stop words, FAQ, sentiment examples...)."""
        return self.root / "data"

    @property
    def models_dir(self) -> Path:
        """Trained models (built, never committed)."""
        return self.var_dir / "models"

    def ensure_var(self) -> Path:
        """Create the state directory when missing and return it."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return self.var_dir


def get_settings() -> Settings:
    """Settings for the current environment (read anew on each call, cheap)."""
    return Settings()


def redact_url(url: str) -> str:
    """A database URL fit to print or log: the password hidden (``<invalid URL>`` when it
    cannot be parsed)."""
    from sqlalchemy.engine.url import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - whatever the URL, never echo it raw
        return "<invalid URL>"
