"""Opening hours of the human agents: ``mon-fri 09:00-18:00; sat 10:00-16:00`` in a time zone.

The specification comes from the settings (``KEFU_SUPPORT_HOURS``, ``KEFU_SUPPORT_TZ``),
unless an admin changed it in the console (``support_settings`` in the shop database);
an empty specification means no fixed hours: agents answer whenever one is on duty.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.settings import get_settings
from kefu.shop.queries.desk import desk_settings

logger = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^\s*(?P<d1>[a-z]{3})(?:\s*-\s*(?P<d2>[a-z]{3}))?\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})\s*$"
)


@dataclass(frozen=True)
class Span:
    """Agents answer on ``day`` (0 = Monday) from ``start`` to ``end``."""

    day: int
    start: time
    end: time


@dataclass(frozen=True)
class OpeningHours:
    """The weekly hours in a time zone; no spans means always open."""

    spans: tuple[Span, ...]
    tz: ZoneInfo
    text: str = ""

    def is_open(self, at: datetime | None = None) -> bool:
        """Whether ``at`` (default now; naive means UTC) falls in the hours."""
        if not self.spans:
            return True
        at = at or datetime.now(self.tz)
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo("UTC"))
        local = at.astimezone(self.tz)
        moment = local.time()
        return any(s.day == local.weekday() and s.start <= moment < s.end for s in self.spans)


def parse_hours(spec: str, tz: str = "Asia/Shanghai") -> OpeningHours:
    """Parse ``mon-fri 09:00-18:00; sat 10:00-16:00`` (days ``mon``..``sun``).

    Raises:
        ValueError: an unknown day, time or time zone, or a span that ends before it starts.
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc
    spans: list[Span] = []
    for part in (p for p in (spec or "").lower().split(";") if p.strip()):
        match = _PART.match(part)
        if not match or match["d1"] not in DAYS or (match["d2"] or "mon") not in DAYS:
            raise ValueError(f"opening hours must look like 'mon-fri 09:00-18:00', got {part!r}")
        first = DAYS.index(match["d1"])
        last = DAYS.index(match["d2"]) if match["d2"] else first
        try:
            start = time(int(match["h1"]), int(match["m1"]))
            end = (
                time(23, 59, 59)
                if (match["h2"], match["m2"]) == ("24", "00")
                else time(int(match["h2"]), int(match["m2"]))
            )
        except ValueError as exc:
            raise ValueError(f"bad time in opening hours {part!r}") from exc
        if end <= start:
            raise ValueError(f"opening hours end before they start: {part!r}")
        days = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        spans.extend(Span(d, start, end) for d in days)
    return OpeningHours(tuple(spans), zone, (spec or "").strip())


def hours_spec(*, url: str | None = None) -> tuple[str, str]:
    """``(specification, time zone)`` in force: an admin's, else the environment's."""
    settings = get_settings()
    try:
        stored = desk_settings(url=url)
    except Exception as exc:  # noqa: BLE001 - a database without the table: the defaults
        logger.warning("opening hours from the environment (%s)", str(exc).splitlines()[0])
        stored = {}
    return (
        stored.get("opening_hours", settings.support_hours),
        stored.get("support_tz", settings.support_tz),
    )


def opening_hours(*, url: str | None = None) -> OpeningHours:
    """The hours in force (see :func:`hours_spec`)."""
    spec, tz = hours_spec(url=url)
    try:
        return parse_hours(spec, tz)
    except ValueError:
        # stored values are checked when saved; a bad environment value must not stop chat
        logger.exception("unusable opening hours %r in %r: treated as always open", spec, tz)
        return parse_hours("", "UTC")
