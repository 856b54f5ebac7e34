"""Support-desk settings admins change from the console (``support_settings``), and the
desk's figures of a day (hand-offs and CSAT since a time) for the live overview.

A stored value overrides the environment's default (``KEFU_SUPPORT_HOURS``...); deleting
it brings the default back. Values are plain text; the caller validates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from kefu.shop.db import session_scope
from kefu.shop.models import Csat, SupportSetting, Ticket
from kefu.shop.queries.support import now

KEYS = ("opening_hours", "support_tz")


def desk_settings(*, url: str | None = None) -> dict[str, str]:
    """Every stored setting, ``{key: value}`` (keys absent: the environment's default)."""
    with session_scope(url) as s:
        rows = s.execute(select(SupportSetting.key, SupportSetting.value)).all()
    return {k: v for k, v in rows}


def save_desk_settings(
    values: dict[str, str | None], staff_id: int | None, *, url: str | None = None
) -> dict[str, str]:
    """Store (or, for ``None``, delete) settings in one transaction; the settings after.

    Raises:
        ValueError: an unknown key.
    """
    unknown = set(values) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}")
    at = now()
    with session_scope(url) as s:
        for key, value in values.items():
            row = s.get(SupportSetting, key)
            if value is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(SupportSetting(key=key, value=value, updated_at=at, updated_by=staff_id))
            else:
                row.value, row.updated_at, row.updated_by = value, at, staff_id
    return desk_settings(url=url)


def desk_since(at: datetime, *, url: str | None = None) -> dict[str, Any]:
    """Since ``at`` (naive UTC): the conversations handed off, and the CSAT scores
    (``csat_average`` is ``None`` without a score)."""
    with session_scope(url) as s:
        handed_off = set(
            s.scalars(select(Ticket.conversation_id).where(Ticket.created_at >= at)).all()
        )
        count, average = s.execute(
            select(func.count(), func.avg(Csat.score)).where(Csat.created_at >= at)
        ).one()
    return {
        "handed_off": handed_off,
        "csat_responses": int(count or 0),
        "csat_average": round(float(average), 2) if average is not None else None,
    }
