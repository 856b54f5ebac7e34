"""One settings object, read from the environment.

Every path and URL the app uses comes from here, so that tests and operators can point
kefu at another database or state directory with environment variables alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
DEFAULT_RETURN_WINDOW_DAYS = 30
DEFAULT_SUPPORT_TZ = "Asia/Shanghai"
DEFAULT_AGENT_MAX_OPEN = 5


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def _env_path(name: str, default: Path) -> Path:
    value = _env(name)
    return Path(value).expanduser().resolve() if value else default


def _env_seconds(name: str, default: float) -> float:
    raw = _env(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not 0 < value <= 600:
        raise ValueError(f"{name} must be between 0 and 600 seconds, got {raw!r}")
    return value


def _env_days(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 3650 else default


def _env_count(name: str, default: int, top: int) -> int:
    raw = _env(name)
    return int(raw) if raw.isdigit() and 0 < int(raw) <= top else default


@dataclass(frozen=True)
class Settings:
    """Paths and URLs of a kefu installation.

    Attributes:
        root: the repository root (where ``bot/``, ``data/`` live).
        var_dir: runtime state (database file, trained models, logs); env ``KEFU_VAR_DIR``.
        database_url: SQLAlchemy URL of the shop database; env ``KEFU_DATABASE_URL``.
        tracker_url: SQLAlchemy URL of Rasa's tracker store; env ``KEFU_TRACKER_URL``.
        token_secret: the secret that signs customer tokens; env ``KEFU_TOKEN_SECRET``
            (empty: generated once into ``var/secret.key``, see :mod:`kefu.identity`).
        demo_password: the demo customers' password; env ``KEFU_DEMO_PASSWORD`` (empty:
            generated once into ``var/``, see :mod:`web.credentials`).
        staff_password: the password of the analytics pages; env ``KEFU_STAFF_PASSWORD``.
        rasa_url: base URL of the Rasa server the site talks to; env ``KEFU_RASA_URL``.
        rasa_token: the ``--auth-token`` of Rasa's HTTP API; env ``KEFU_RASA_TOKEN``.
        rasa_timeout: seconds the site waits for the bot's reply; env ``KEFU_RASA_TIMEOUT``
            (0 to 600; another value raises :class:`ValueError`).
        secure_cookies: mark the site's cookies ``Secure``; env ``KEFU_SECURE_COOKIES``
            (``1``, ``true`` or ``yes``).
        return_window_days: days after delivery during which a return is accepted; env
            ``KEFU_RETURN_WINDOW_DAYS`` (1 to 3650; anything else means 30).
        staff_email: e-mail of the first admin created from ``KEFU_STAFF_PASSWORD``; env
            ``KEFU_STAFF_EMAIL`` (default ``admin@localhost``).
        support_hours: when agents answer, e.g. ``mon-fri 09:00-18:00; sat 10:00-16:00``;
            env ``KEFU_SUPPORT_HOURS`` (empty: no fixed hours, agents on duty decide).
        support_tz: the time zone of ``support_hours``; env ``KEFU_SUPPORT_TZ``
            (default ``Asia/Shanghai``).
        agent_max_open: open conversations auto-assigned to one agent at most; env
            ``KEFU_AGENT_MAX_OPEN`` (1 to 100; anything else means 5).
        redis_url: Redis shared by several site processes (socket rooms); env
            ``KEFU_REDIS_URL`` (empty: one process).
    """

    root: Path = ROOT
    var_dir: Path = field(default_factory=lambda: _env_path("KEFU_VAR_DIR", ROOT / "var"))
    database_url: str = ""
    tracker_url: str = ""
    token_secret: str = field(default_factory=lambda: _env("KEFU_TOKEN_SECRET"))
    demo_password: str = field(default_factory=lambda: _env("KEFU_DEMO_PASSWORD"))
    staff_password: str = field(default_factory=lambda: _env("KEFU_STAFF_PASSWORD"))
    rasa_url: str = field(default_factory=lambda: _env("KEFU_RASA_URL") or DEFAULT_RASA_URL)
    rasa_token: str = field(default_factory=lambda: _env("KEFU_RASA_TOKEN"))
    rasa_timeout: float = field(default_factory=lambda: _env_seconds("KEFU_RASA_TIMEOUT", 30.0))
    secure_cookies: bool = field(
        default_factory=lambda: os.environ.get("KEFU_SECURE_COOKIES", "") in ("1", "true", "yes")
    )
    return_window_days: int = field(
        default_factory=lambda: _env_days("KEFU_RETURN_WINDOW_DAYS", DEFAULT_RETURN_WINDOW_DAYS)
    )
    staff_email: str = field(
        default_factory=lambda: (_env("KEFU_STAFF_EMAIL") or "admin@localhost").lower()
    )
    support_hours: str = field(default_factory=lambda: _env("KEFU_SUPPORT_HOURS"))
    support_tz: str = field(default_factory=lambda: _env("KEFU_SUPPORT_TZ") or DEFAULT_SUPPORT_TZ)
    agent_max_open: int = field(
        default_factory=lambda: _env_count("KEFU_AGENT_MAX_OPEN", DEFAULT_AGENT_MAX_OPEN, 100)
    )
    redis_url: str = field(default_factory=lambda: _env("KEFU_REDIS_URL"))

    def __post_init__(self) -> None:
        if not self.database_url:
            url = _env("KEFU_DATABASE_URL")
            object.__setattr__(self, "database_url", url or f"sqlite:///{self.var_dir / 'shop.db'}")
        if not self.tracker_url:
            url = _env("KEFU_TRACKER_URL")
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
