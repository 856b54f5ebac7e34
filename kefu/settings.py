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
DEFAULT_ACTION_ENDPOINT = "http://127.0.0.1:5055/webhook"
DEFAULT_SITE_URL = "http://127.0.0.1:8000"  # where `kefu run` starts the site
DEFAULT_RETURN_WINDOW_DAYS = 30
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_ACTION_TIMEOUT = 30.0
DEFAULT_LOCK_LIFETIME = 60.0
# seconds of a turn besides its action call (NLU, policies, tracker store)
TURN_MARGIN = 10.0
DEFAULT_SHOP_TZ = "UTC"
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


def _env_int(name: str, default: int, low: int, high: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _env_days(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 3650 else default


def _env_retention(name: str) -> int | None:
    raw = _env(name)
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= 36500:
        raise ValueError(f"{name} must be a number of days (1 to 36500), got {raw!r}")
    return int(raw)


def _env_count(name: str, default: int, top: int) -> int:
    raw = _env(name)
    return int(raw) if raw.isdigit() and 0 < int(raw) <= top else default


# the deploy examples' stand-in for a secret (deploy/systemd, deploy/kubernetes): a copy
# left unfilled must not run with a secret everyone knows
PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme", "change_me"})


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
        channel_secret: the secret the site sends the Rasa channel (header
            ``X-Kefu-Channel-Secret``); env ``KEFU_CHANNEL_SECRET`` (empty: generated once
            into ``var/channel.key``, see :mod:`kefu.identity`).
        action_token: the token the Rasa server sends the action server; env
            ``KEFU_ACTION_TOKEN`` (empty: generated once into ``var/action.key``).
        proxies_count: reverse proxies in front of the site whose ``X-Forwarded-For`` and
            ``X-Forwarded-Proto`` are trusted; env ``KEFU_PROXIES_COUNT`` (default 0: none).
        allowed_hosts: ``Host`` names the Rasa channel and the action server answer (the
            loopback names always; more from env ``KEFU_ALLOWED_HOSTS``, comma-separated),
            so that a web page cannot reach them through DNS rebinding.
        chat_rate: chat messages allowed per minute and browser session (an address gets
            four times as many); env ``KEFU_CHAT_RATE`` (1 to 100000, default 30). A load
            test from one machine needs it raised on the site for the test (every simulated
            customer shares one address: ``python -m loadtest.run`` sets 100000 on the
            ``kefu run`` it starts); it is never off.
        retention_days: days conversations are kept (``kefu purge`` deletes older ones);
            env ``KEFU_RETENTION_DAYS`` (1 to 36500; empty: kept until deleted; another
            value raises :class:`ValueError`).
        redis_url: Redis for the conversation locks shared by several Rasa processes; env
            ``KEFU_REDIS_URL`` (empty: one Rasa process, locks in memory).
        sql_pool_size: connections each process keeps open to a server tracker store
            (PostgreSQL...); env ``KEFU_SQL_POOL_SIZE`` (1 to 100, default 5).
        sql_max_overflow: connections opened beyond the pool under load; env
            ``KEFU_SQL_MAX_OVERFLOW`` (0 to 100, default 10). N Rasa processes hold at
            most N * (pool + overflow) connections: keep it under the server's limit.
        action_timeout: seconds Rasa waits for one action call; env
            ``KEFU_ACTION_TIMEOUT`` (default 30).
        lock_lifetime: seconds a conversation's lock lives (Rasa's
            ``TICKET_LOCK_LIFETIME``); env ``KEFU_LOCK_LIFETIME`` (default 60). It must
            outlast the longest action call: see :meth:`lock_problem`.
        shop_tz: the shop's time zone for calendar dates (return windows, "today"); env
            ``KEFU_SHOP_TZ``, an IANA name (default ``UTC``). Stored times are always UTC
            (:mod:`kefu.clock`).
        staff_email: e-mail of the first admin created from ``KEFU_STAFF_PASSWORD``; env
            ``KEFU_STAFF_EMAIL`` (default ``admin@localhost``).
        support_hours: when agents answer, e.g. ``mon-fri 09:00-18:00; sat 10:00-16:00``;
            env ``KEFU_SUPPORT_HOURS`` (empty: no fixed hours, agents on duty decide).
        support_tz: the time zone of ``support_hours``; env ``KEFU_SUPPORT_TZ``
            (default ``Asia/Shanghai``).
        agent_max_open: open conversations auto-assigned to one agent at most; env
            ``KEFU_AGENT_MAX_OPEN`` (1 to 100; anything else means 5).
        action_endpoint: the action server's webhook that ``kefu rasa`` gives Rasa; env
            ``KEFU_ACTION_ENDPOINT`` (default ``http://127.0.0.1:5055/webhook``).
        stage_log: the site logs the time of each stage of its hot paths (logger
            ``web.stages``, for the hand-off benchmark); env ``KEFU_STAGE_LOG=1``.
        site_url: base URL of the site, where the action server announces a new hand-off
            ticket (``POST /internal/tickets/{id}/announce``); env ``KEFU_SITE_URL``
            (default ``http://127.0.0.1:8000``, as ``kefu run`` starts the site).
        announce_secret: the secret of that internal door, shared by the site and the
            action server; env ``KEFU_ANNOUNCE_SECRET`` (``kefu run`` makes one per run;
            empty: the action server announces nothing and the site refuses every
            announce; at least 16 characters, else :class:`ValueError`).
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
    retention_days: int | None = field(
        default_factory=lambda: _env_retention("KEFU_RETENTION_DAYS")
    )

    channel_secret: str = field(default_factory=lambda: _env("KEFU_CHANNEL_SECRET"))
    action_token: str = field(default_factory=lambda: _env("KEFU_ACTION_TOKEN"))
    proxies_count: int = field(default_factory=lambda: _env_int("KEFU_PROXIES_COUNT", 0, 0, 10))
    allowed_hosts: tuple[str, ...] = field(
        default_factory=lambda: LOOPBACK_HOSTS
        + tuple(h.strip().lower() for h in _env("KEFU_ALLOWED_HOSTS").split(",") if h.strip())
    )
    chat_rate: int = field(default_factory=lambda: _env_int("KEFU_CHAT_RATE", 30, 1, 100_000))

    redis_url: str = field(default_factory=lambda: _env("KEFU_REDIS_URL"))
    sql_pool_size: int = field(default_factory=lambda: _env_int("KEFU_SQL_POOL_SIZE", 5, 1, 100))
    sql_max_overflow: int = field(
        default_factory=lambda: _env_int("KEFU_SQL_MAX_OVERFLOW", 10, 0, 100)
    )
    action_timeout: float = field(
        default_factory=lambda: _env_seconds("KEFU_ACTION_TIMEOUT", DEFAULT_ACTION_TIMEOUT)
    )
    lock_lifetime: float = field(
        default_factory=lambda: _env_seconds("KEFU_LOCK_LIFETIME", DEFAULT_LOCK_LIFETIME)
    )
    shop_tz: str = field(default_factory=lambda: _env("KEFU_SHOP_TZ") or DEFAULT_SHOP_TZ)
    staff_email: str = field(
        default_factory=lambda: (_env("KEFU_STAFF_EMAIL") or "admin@localhost").lower()
    )
    support_hours: str = field(default_factory=lambda: _env("KEFU_SUPPORT_HOURS"))
    support_tz: str = field(default_factory=lambda: _env("KEFU_SUPPORT_TZ") or DEFAULT_SUPPORT_TZ)
    agent_max_open: int = field(
        default_factory=lambda: _env_count("KEFU_AGENT_MAX_OPEN", DEFAULT_AGENT_MAX_OPEN, 100)
    )
    action_endpoint: str = field(
        default_factory=lambda: _env("KEFU_ACTION_ENDPOINT") or DEFAULT_ACTION_ENDPOINT
    )
    stage_log: bool = field(default_factory=lambda: _env("KEFU_STAGE_LOG") == "1")
    site_url: str = field(
        default_factory=lambda: (_env("KEFU_SITE_URL") or DEFAULT_SITE_URL).rstrip("/")
    )
    announce_secret: str = field(default_factory=lambda: _env("KEFU_ANNOUNCE_SECRET"))

    def __post_init__(self) -> None:
        for name, value in (
            ("KEFU_TOKEN_SECRET", self.token_secret),
            ("KEFU_CHANNEL_SECRET", self.channel_secret),
            ("KEFU_ACTION_TOKEN", self.action_token),
            ("KEFU_RASA_TOKEN", self.rasa_token),
            ("KEFU_ANNOUNCE_SECRET", self.announce_secret),
            ("KEFU_STAFF_PASSWORD", self.staff_password),
            ("KEFU_DEMO_PASSWORD", self.demo_password),
        ):
            if value.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"{name} is still the example's placeholder {value!r}: set a secret of "
                    "your own (e.g. `openssl rand -hex 32`)"
                )
        if self.announce_secret and len(self.announce_secret) < 16:
            raise ValueError("KEFU_ANNOUNCE_SECRET must be at least 16 characters")
        if not self.site_url.startswith(("http://", "https://")):
            raise ValueError(
                f"KEFU_SITE_URL must start with http:// or https://: {self.site_url!r}"
            )
        if not self.database_url:
            url = _env("KEFU_DATABASE_URL")
            object.__setattr__(self, "database_url", url or f"sqlite:///{self.var_dir / 'shop.db'}")
        if not self.tracker_url:
            url = _env("KEFU_TRACKER_URL")
            object.__setattr__(
                self, "tracker_url", url or f"sqlite:///{self.var_dir / 'tracker.db'}"
            )

    def lock_problem(self) -> str | None:
        """Why the lock lifetime and the action timeout do not fit together, or ``None``.

        A conversation's lock must outlast the longest action call plus the rest of the
        turn (:data:`TURN_MARGIN` seconds), or the customer's next message would run
        while the action is still working.
        """
        if self.lock_lifetime < self.action_timeout + TURN_MARGIN:
            return (
                f"KEFU_LOCK_LIFETIME ({self.lock_lifetime:g} s) must be at least "
                f"KEFU_ACTION_TIMEOUT ({self.action_timeout:g} s) + {TURN_MARGIN:g} s: "
                "raise the lock lifetime or lower the action timeout"
            )
        return None

    @property
    def data_dir(self) -> Path:
        """Data shipped in the repository (stop words, FAQ, sentiment examples...)."""
        return self.root / "data"

    @property
    def models_dir(self) -> Path:
        """Trained models (built, never committed)."""
        return self.var_dir / "models"

    def ensure_var(self) -> Path:
        """Create the state directory (mode 0700) when missing and return it.

        Sets the process umask to 077 (:func:`private_umask`) first, so the databases,
        their WAL/SHM files, secrets and logs made afterwards are 0600; a directory kefu
        owns that others can read is closed (0700), and the files in it made before
        this rule (``*.db``, ``*-wal``, ``*-shm``, ``*.key``, passwords) are made 0600.
        """
        private_umask()
        self.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        _close(self.var_dir, 0o700)
        for path in self.var_dir.iterdir():
            if path.is_file() and (path.suffix in PRIVATE_SUFFIXES or path.name in PRIVATE_NAMES):
                _close(path, 0o600)
        return self.var_dir


PRIVATE_SUFFIXES = frozenset({".db", ".db-wal", ".db-shm", ".db-journal", ".key", ".sqlite"})
PRIVATE_NAMES = frozenset({"staff_password", "demo_password", "secret.key"})


def private_umask() -> int:
    """Make files this process creates from now on private (umask 077); returns the old one.

    Children inherit it: ``kefu run`` sets it before it starts the servers.
    """
    return os.umask(0o077)


def _close(path: Path, mode: int) -> None:
    """``chmod mode`` when ``path`` is ours and others may read it (never raises)."""
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            path.chmod(mode)
    except OSError:
        pass


# every variable Settings reads (a test checks this list against the code above)
ENV_NAMES = (
    "KEFU_ACTION_ENDPOINT", "KEFU_ACTION_TIMEOUT", "KEFU_ACTION_TOKEN", "KEFU_AGENT_MAX_OPEN",
    "KEFU_ALLOWED_HOSTS", "KEFU_ANNOUNCE_SECRET", "KEFU_CHANNEL_SECRET", "KEFU_CHAT_RATE",
    "KEFU_DATABASE_URL", "KEFU_DEMO_PASSWORD", "KEFU_LOCK_LIFETIME", "KEFU_PROXIES_COUNT",
    "KEFU_RASA_TIMEOUT", "KEFU_RASA_TOKEN", "KEFU_RASA_URL", "KEFU_REDIS_URL",
    "KEFU_RETENTION_DAYS", "KEFU_RETURN_WINDOW_DAYS", "KEFU_SECURE_COOKIES", "KEFU_SHOP_TZ",
    "KEFU_SITE_URL", "KEFU_SQL_MAX_OVERFLOW", "KEFU_SQL_POOL_SIZE", "KEFU_STAFF_EMAIL",
    "KEFU_STAFF_PASSWORD", "KEFU_STAGE_LOG", "KEFU_SUPPORT_HOURS", "KEFU_SUPPORT_TZ",
    "KEFU_TOKEN_SECRET", "KEFU_TRACKER_URL", "KEFU_VAR_DIR",
)  # fmt: skip

_last: tuple[tuple[str | None, ...], Settings] | None = None


def _environment_key() -> tuple[str | None, ...] | None:
    """What :class:`Settings` depends on: its variables, ``HOME`` (``~`` in paths) and the
    working directory (relative paths); ``None`` when the directory is gone."""
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    return (cwd, os.environ.get("HOME"), *map(os.environ.get, ENV_NAMES))


def get_settings() -> Settings:
    """Settings for the current environment.

    Built again whenever one of :data:`ENV_NAMES`, ``HOME`` or the working directory
    changed since the last call, else the last one is returned: a message's hot paths
    (the channel's host check, the action-call timeout...) call this several times, and
    building a :class:`Settings` reads 31 variables and resolves a path on disk.
    """
    global _last
    key = _environment_key()
    last = _last
    if key is not None and last is not None and last[0] == key:
        return last[1]
    settings = Settings()
    _last = (key, settings) if key is not None else None
    return settings


def reset_settings() -> None:
    """Forget the last :func:`get_settings` (for tests that change what it cannot see,
    such as a symlink under ``KEFU_VAR_DIR``)."""
    global _last
    _last = None


def redact_url(url: str) -> str:
    """A database URL fit to print or log: the password hidden (``<invalid URL>`` when it
    cannot be parsed)."""
    from sqlalchemy.engine.url import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - whatever the URL, never echo it raw
        return "<invalid URL>"


def host_allowed(host_header: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a request's ``Host`` header (``name``, ``name:port``, ``[::1]:port``)
    names one of ``allowed`` (a defence against DNS rebinding)."""
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):
        name = host[1 : host.find("]")] if "]" in host else ""
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in allowed
