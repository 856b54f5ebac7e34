"""The one clock: UTC for everything stored, the shop's time zone for calendar dates.

Every timestamp kefu writes to a database is naive UTC (the shop schema's ``DateTime``
columns carry no zone; the importer, the bot and the analytics all read them as UTC).
Calendar questions ("is the return window still open today?") are asked in the shop's
own time zone, env ``KEFU_SHOP_TZ`` (an IANA name such as ``Asia/Shanghai``; default
``UTC``). Nothing here depends on the host's ``TZ``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.settings import get_settings

__all__ = ["from_epoch", "local_date", "shop_zone", "to_epoch", "today_in", "utcnow", "zone"]


def utcnow() -> datetime:
    """The current time as naive UTC, to the second: what the databases store."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``.

    Raises:
        ValueError: ``name`` is not a known time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Asia/Shanghai' or 'UTC'"
        ) from exc


def shop_zone() -> ZoneInfo:
    """The shop's time zone (env ``KEFU_SHOP_TZ``, default UTC)."""
    return zone(get_settings().shop_tz)


def today_in(tz: str | ZoneInfo | None = None) -> date:
    """Today's date in ``tz`` (default: the shop's time zone), whatever the host's zone."""
    tzinfo = shop_zone() if tz is None else (zone(tz) if isinstance(tz, str) else tz)
    return datetime.now(timezone.utc).astimezone(tzinfo).date()


def local_date(stored: datetime, tz: str | ZoneInfo | None = None) -> date:
    """The calendar date in ``tz`` (default: the shop's) of a stored naive-UTC time."""
    tzinfo = shop_zone() if tz is None else (zone(tz) if isinstance(tz, str) else tz)
    aware = stored if stored.tzinfo else stored.replace(tzinfo=timezone.utc)
    return aware.astimezone(tzinfo).date()


def to_epoch(stored: datetime) -> float:
    """Seconds since the epoch of a stored time (naive means UTC), as Rasa's events use."""
    aware = stored if stored.tzinfo else stored.replace(tzinfo=timezone.utc)
    return aware.timestamp()


def from_epoch(seconds: float) -> datetime:
    """A Rasa event timestamp (epoch seconds) as stored naive UTC."""
    return datetime.fromtimestamp(float(seconds), timezone.utc).replace(tzinfo=None)
