"""Reading the events of Rasa's SQL tracker store, for the reports.

The ``events`` table of ``SQLTrackerStore`` (``id, sender_id, type_name, timestamp,
intent_name, action_name, data``), SQLite or PostgreSQL through the same URL, streamed in
sender order. :mod:`analytics.trackers` turns the rows into conversations.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from kefu.settings import redact_url

__all__ = ["TrackerError", "tracker_events"]


class TrackerError(RuntimeError):
    """The tracker store cannot be read (bad URL, unreachable, no ``events`` table)."""


def tracker_events(url: str, chunk: int = 5_000, since: float | None = None) -> Iterator[tuple]:
    """``(sender_id, type_name, timestamp, intent_name, action_name, data)`` rows, ordered
    by sender and id, streamed (``since``: only events at or after that epoch second).

    Raises:
        TrackerError: bad URL, missing driver, no store or no ``events`` table, or a
            database error while reading.
    """
    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            if not Path(parsed.database).is_file():
                raise TrackerError(
                    f"no tracker store at {parsed.database} (has the bot run with the SQL "
                    "tracker store yet? set KEFU_TRACKER_URL or --tracker-url)"
                )
        engine = sa.create_engine(url, future=True)
    except TrackerError:
        raise
    except Exception as exc:  # noqa: BLE001 - bad URL, missing driver
        raise TrackerError(f"cannot open the tracker store {redact_url(url)}: {exc}") from exc
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("events"):
                raise TrackerError(
                    "the tracker store has no 'events' table (has the bot run with the SQL "
                    "tracker store yet?)"
                )
            events = sa.table(
                "events",
                sa.column("id"),
                sa.column("sender_id"),
                sa.column("type_name"),
                sa.column("timestamp"),
                sa.column("intent_name"),
                sa.column("action_name"),
                sa.column("data"),
            )
            query = sa.select(
                events.c.sender_id,
                events.c.type_name,
                events.c.timestamp,
                events.c.intent_name,
                events.c.action_name,
                events.c.data,
            ).order_by(events.c.sender_id, events.c.id)
            if since is not None:
                query = query.where(events.c.timestamp >= since)
            result = conn.execution_options(stream_results=True, yield_per=chunk).execute(query)
            yield from result
    except sa.exc.SQLAlchemyError as exc:
        raise TrackerError(f"cannot read the tracker store: {str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()
