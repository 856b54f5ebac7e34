"""Parsing the fields of a text file's rows: dates, ratings, short text fields."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

__all__ = ["clean_field", "parse_date", "parse_rating"]

_DATE_FORMATS = ("%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y年%m月%d日", "%Y%m%d")
_EXCEL_EPOCH = datetime(1899, 12, 30)


@lru_cache(maxsize=65_536)
def _parse_date_str(raw: str) -> date:
    value = raw.strip()
    if not value:
        raise ValueError("empty")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" T", "T"))
        return parsed.date()
    except ValueError:
        pass
    head = value[:10] if len(value) > 10 and value[10] in " T" else value
    try:
        return date.fromisoformat(head)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d{9,10}(\.\d+)?", value):  # Unix seconds
        return datetime.utcfromtimestamp(float(value)).date()
    if re.fullmatch(r"\d{12,13}", value):  # Unix milliseconds
        return datetime.utcfromtimestamp(int(value) / 1000).date()
    raise ValueError(f"unrecognised date {value[:40]!r}")


def parse_date(value: Any) -> date:
    """A date from an ISO string (date or date-time), ``YYYY/MM/DD``, ``YYYY年MM月DD日``,
    ``YYYYMMDD``, Unix seconds or milliseconds, or a date/datetime object.

    Raises:
        ValueError: when the value is not a plausible date (years 1970-2100).
    """
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:  # an Excel serial day number
            result = (_EXCEL_EPOCH + timedelta(days=float(value))).date()
        else:
            result = _parse_date_str(str(int(value)))
    elif isinstance(value, str):
        result = _parse_date_str(value)
    else:
        raise ValueError(f"unrecognised date {value!r:.40}")
    if not 1970 <= result.year <= 2100:
        raise ValueError(f"date out of range: {result.isoformat()}")
    return result


def parse_rating(value: Any) -> float:
    """A rating: a finite number from 0 to 10 (``"4"``, ``"4.5"``, ``"4星"``).

    Raises:
        ValueError: for anything else.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip().removesuffix("星").removesuffix("分").strip()
        number = float(text)
    if not 0 <= number <= 10:  # also rejects NaN
        raise ValueError(f"rating out of range: {value!r:.20}")
    return number


def clean_field(value: Any) -> str | None:
    """A short text field stripped and cut to 500 characters; ``None`` when empty."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    return text[:500] if text else None
