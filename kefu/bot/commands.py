"""How the bot runs: the environment ``bot/endpoints.yml`` reads and the server command lines."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from kefu.bot.project import bot_dir, config_path, rasa_executable
from kefu.identity import action_token
from kefu.settings import get_settings

# Rasa's own RedisLockStore is not safe across processes (rasa#9213): kefu's is
LOCK_STORE = "kefu.lockstore.AtomicRedisLockStore"


def _redis_parts(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"KEFU_REDIS_URL must look like redis://host:6379/0, got {url!r}")
    db = (parts.path or "/1").lstrip("/") or "1"
    if not db.isdigit():
        raise ValueError(f"KEFU_REDIS_URL database must be a number, got {db!r}")
    return {
        "KEFU_LOCK_STORE": LOCK_STORE,
        "KEFU_REDIS_HOST": parts.hostname,
        "KEFU_REDIS_PORT": str(parts.port or 6379),
        "KEFU_REDIS_DB": db,
        "KEFU_REDIS_PASSWORD": parts.password or "",
    }


def rasa_env(
    action_url: str = "http://127.0.0.1:5055/webhook", base: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment for ``rasa run``/``rasa shell`` with ``bot/endpoints.yml``.

    Args:
        action_url: the action server's webhook URL.
        base: environment to extend (default: ``os.environ``).

    Raises:
        ValueError: when ``KEFU_REDIS_URL`` is malformed.
    """
    env = dict(os.environ if base is None else base)
    settings = get_settings()
    env["KEFU_ACTION_ENDPOINT"] = action_url
    # the action server's token reaches Rasa through the environment (endpoints.yml)
    env.setdefault("KEFU_ACTION_TOKEN", action_token())
    env["KEFU_TRACKER_URL"] = settings.tracker_url
    env.setdefault("KEFU_VAR_DIR", str(settings.var_dir))
    env.setdefault("KEFU_DATABASE_URL", settings.database_url)
    redis_url = env.get("KEFU_REDIS_URL", "").strip()
    if redis_url:
        env.update(_redis_parts(redis_url))
    else:
        env.update(
            {
                "KEFU_LOCK_STORE": "in_memory",
                "KEFU_REDIS_HOST": "",
                "KEFU_REDIS_PORT": "6379",
                "KEFU_REDIS_DB": "1",
                "KEFU_REDIS_PASSWORD": "",
            }
        )
    # the conversation lock outlives the longest action call (checked by `kefu run`)
    env["TICKET_LOCK_LIFETIME"] = str(int(settings.lock_lifetime))
    env["KEFU_ACTION_TIMEOUT"] = f"{settings.action_timeout:g}"
    # Rasa 3.6's own switch: action calls (tracker + domain) go deflated, so that the action
    # server keeps a 64 kB limit on the wire (actions/server.py)
    env["COMPRESS_ACTION_SERVER_REQUEST"] = "true"
    env["KEFU_LOCK_LIFETIME"] = f"{settings.lock_lifetime:g}"
    if settings.tracker_url.startswith("sqlite:///"):
        Path(settings.tracker_url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def actions_command(port: int = 5055, host: str = "127.0.0.1") -> list[str]:
    """Command line of the action server: rasa_sdk behind kefu's action-call checks."""
    return [sys.executable, "-m", "actions.server", "--host", host, "--port", str(port)]


def rasa_launcher() -> list[str]:
    """Start of a command line that runs Rasa with kefu's start-up rules first
    (:mod:`kefu.rasa_main`: private files, redacted logs, Rasa version check, kefu's
    fixes, the API token from the environment)."""
    return [sys.executable, "-m", "kefu.rasa_main"]


def server_command(model: Path, port: int = 5005, *, cors: str | None = None) -> list[str]:
    """Command line of the Rasa server (kefu's channel, endpoints from the environment) on
    loopback, started through :mod:`kefu.rasa_main`: redacted logs, private files,
    and the HTTP API token from env ``KEFU_RASA_TOKEN``, never on the command line.
    ``cors`` is for tests only: ``kefu run`` never passes it (sanic-cors matches origins
    with an unanchored regex)."""
    bot = bot_dir()
    cmd = [
        *rasa_launcher(),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(bot / "endpoints.yml"),
        "--credentials",
        str(bot / "credentials.yml"),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
    ]
    if cors:
        cmd += ["--cors", cors]
    return cmd


def validate_command(lookups: Path) -> list[str]:
    """Command line of ``rasa data validate --fail-on-warnings`` on the bot and its lookups."""
    bot = bot_dir()
    return [
        rasa_executable(),
        "data",
        "validate",
        "--fail-on-warnings",
        "--config",
        str(config_path()),
        "--domain",
        str(bot / "domain"),
        "--data",
        str(bot / "data"),
        str(lookups),
    ]


def rasa_test_command(model: Path, out_dir: Path) -> list[str]:
    """Command line of the end-to-end story test (``bot/tests``), failing on any error."""
    return [
        rasa_executable(),
        "test",
        "core",
        "--e2e",
        "--stories",
        str(bot_dir() / "tests"),
        "--model",
        str(model),
        "--fail-on-prediction-errors",
        "--no-plot",
        "--out",
        str(out_dir),
    ]


def shell_command(model: Path) -> list[str]:
    """Command line of ``rasa shell`` (an anonymous visitor: no token)."""
    bot = bot_dir()
    return [
        *rasa_launcher(),
        "shell",
        "--model",
        str(model),
        "--endpoints",
        str(bot / "endpoints.yml"),
    ]
