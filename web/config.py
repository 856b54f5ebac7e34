"""Configuration of the web site, read from the environment (see :mod:`kefu.settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kefu.settings import DEFAULT_RASA_URL, get_settings

__all__ = ["DEFAULT_RASA_URL", "WebConfig"]


@dataclass(frozen=True)
class WebConfig:
    """What the site needs to know.

    Attributes:
        rasa_url: base URL of the Rasa server (REST channel and, with a token, its HTTP
            API); env ``KEFU_RASA_URL``. The browser never talks to it: the site proxies.
        rasa_token: the ``--auth-token`` of Rasa's HTTP API, used to read a conversation's
            history; env ``KEFU_RASA_TOKEN``. Empty: history is not restored.
        database_url: the shop database; env ``KEFU_DATABASE_URL``.
        var_dir: runtime state (passwords, reports); env ``KEFU_VAR_DIR``.
        reports_dir: analytics reports (``<name>/report.html`` + ``summary.json``).
        rasa_timeout: seconds to wait for the bot's reply; env ``KEFU_RASA_TIMEOUT``.
        secure_cookies: mark cookies ``Secure`` (behind HTTPS); env ``KEFU_SECURE_COOKIES=1``.
        max_message_chars: longest chat message accepted.
        channel_secret: the secret the Rasa channel requires (:func:`kefu.identity.channel_secret`).
        proxies_count: trusted reverse proxies in front (``X-Forwarded-*``); env
            ``KEFU_PROXIES_COUNT``. Cookies are ``Secure`` whenever the request is HTTPS.
        chat_rate: chat messages per minute and session (four times that per address);
            env ``KEFU_CHAT_RATE``.
        redis_url: Redis for the socket rooms of several site processes; env
            ``KEFU_REDIS_URL`` (empty: one process).
        announce_secret: what the action server sends to announce a new ticket
            (:mod:`web.internal`); env ``KEFU_ANNOUNCE_SECRET`` (empty: every announce refused).
    """

    rasa_url: str = DEFAULT_RASA_URL
    rasa_token: str = ""
    database_url: str = ""
    var_dir: Path = field(default_factory=lambda: get_settings().var_dir)
    reports_dir: Path | None = None
    rasa_timeout: float = 30.0
    secure_cookies: bool = False
    max_message_chars: int = 2000
    channel_secret: str = ""
    proxies_count: int = 0
    chat_rate: int = 30
    redis_url: str = ""
    announce_secret: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", get_settings().database_url)
        if self.reports_dir is None:
            object.__setattr__(self, "reports_dir", self.var_dir / "reports")
        object.__setattr__(self, "rasa_url", self.rasa_url.rstrip("/"))
        if not self.rasa_url.startswith(("http://", "https://")):
            raise ValueError(f"the Rasa URL must start with http:// or https://: {self.rasa_url!r}")

    @classmethod
    def from_env(cls, **overrides: object) -> WebConfig:
        """Settings from the environment (:mod:`kefu.settings`), then ``overrides``."""
        settings = get_settings()
        values: dict[str, object] = {
            "rasa_url": settings.rasa_url,
            "rasa_token": settings.rasa_token,
            "rasa_timeout": settings.rasa_timeout,
            "secure_cookies": settings.secure_cookies,
            "database_url": settings.database_url,
            "var_dir": settings.var_dir,
            "proxies_count": settings.proxies_count,
            "chat_rate": settings.chat_rate,
            "redis_url": settings.redis_url,
            "announce_secret": settings.announce_secret,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if not values.get("channel_secret"):
            from kefu.identity import channel_secret

            values["channel_secret"] = channel_secret()
        return cls(**values)  # type: ignore[arg-type]
