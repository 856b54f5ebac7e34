"""kefu's tracker store: Rasa's SQL tracker store, tuned for one message at a time.

``bot/endpoints.yml`` names :class:`KefuTrackerStore`; it takes the same settings as
Rasa's ``type: SQL`` store (``url`` is any SQLAlchemy URL: SQLite under ``var/`` by
default, PostgreSQL with ``postgresql://...``) and writes the same ``events`` table, so a
database written by one can be read by the other. Every event is committed to the
database before the reply goes out, as with Rasa's store. What differs:

* Rasa's store rebuilds the tracker from all the events of the session on every message
  (a query, a JSON parse and a replay of each event) and counts the stored events again
  before each save. This one keeps the trackers it saved last in memory (bounded LRU)
  with the id of their last stored event. :meth:`KefuTrackerStore.retrieve` hands a kept
  tracker out only when one indexed query shows nobody else wrote to the conversation
  since (another server on the same database, the HTTP API), and takes it out of the
  cache: a message that fails before its save leaves nothing half-done behind, the next
  retrieve reads the database. :meth:`KefuTrackerStore.save` writes only the events
  added since. The HTTP API's reads of a whole conversation (``GET .../tracker``, what
  the site reads after each message) are served from the same kept tracker, after the
  same one-query check, when it holds every event; Rasa's store rebuilds the tracker of
  every session from the database for each of them.
* SQLite runs in WAL mode with ``synchronous=NORMAL`` on pooled connections (one fsync
  per checkpoint instead of several per message; a committed message survives a crash
  of the server, an OS crash may lose the last ones), instead of a new connection and a
  rollback journal per transaction.
* A server database (PostgreSQL...) gets a small pool per process (``KEFU_SQL_POOL_SIZE``
  + ``KEFU_SQL_MAX_OVERFLOW``, default 5 + 10, instead of Rasa's 50 + 100: N Rasa processes
  stay under PostgreSQL's 100 connections) whose connections are checked before use
  (``pool_pre_ping``): after a database restart the next message works, no stale
  connection fails it (rasa#4284).
* Errors are not hidden: with :mod:`kefu.rasa_faults` installed (the Rasa launcher does)
  Rasa does not wrap this store in its ``FailSafeTrackerStore``, so a database that cannot
  be read or written fails the message (503) instead of starting the conversation over
  or keeping it in memory only. Nothing is kept from a message whose save failed.
* Several replicas booting at once on a new PostgreSQL database do not race on creating
  the ``events`` table: :func:`kefu.tracker_schema.create_tracker_tables` creates it under
  an advisory lock before Rasa's own set-up looks.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import (
    ACTION_LISTEN_NAME,
    ACTION_SESSION_START_NAME,
    SESSION_START_METADATA_SLOT,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from kefu.settings import get_settings
from kefu.tracker_schema import create_tracker_tables

logger = logging.getLogger(__name__)

# metadata keys never written to the database: the site's signed customer token would
# replay from a copy of the tracker store (see :func:`without_secrets`)
SECRET_KEYS = frozenset({"customer_token"})
DEFAULT_CACHE_SIZE = 1000
# trackers handed out and not saved yet that are remembered (at least; or cache_size)
MIN_HANDED_OUT = 100
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
)


def _tune_sqlite(engine: sa.engine.Engine) -> sa.engine.Engine:
    """An engine on the same SQLite file, with pooled, WAL-mode connections."""
    url = engine.url
    engine.dispose()
    tuned = sa.create_engine(
        url,
        poolclass=sa.pool.QueuePool,
        pool_size=2,
        max_overflow=8,
        connect_args={"check_same_thread": False},
    )

    @sa.event.listens_for(tuned, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return tuned


def without_secrets(data: Any) -> Any:
    """``data`` (an event as a dict) without the :data:`SECRET_KEYS`, at any depth.

    The customer token rides in the metadata of every signed-in message (and in the
    ``session_started_metadata`` slot); the actions read it from the tracker in memory,
    nothing needs it once the message is handled.
    """
    if isinstance(data, dict):
        return {k: without_secrets(v) for k, v in data.items() if k not in SECRET_KEYS}
    if isinstance(data, list):
        return [without_secrets(v) for v in data]
    return data


def _server_pool(engine: sa.engine.Engine) -> sa.engine.Engine:
    """An engine on the same server database: kefu's pool sizes, connections pinged."""
    url = engine.url
    engine.dispose()
    settings = get_settings()
    return sa.create_engine(
        url,
        pool_size=settings.sql_pool_size,
        max_overflow=settings.sql_max_overflow,
        pool_pre_ping=True,
        pool_timeout=10,
    )


def _one_session(tracker: DialogueStateTracker) -> bool:
    """Whether ``tracker`` holds one session only.

    Before its ``session_started`` a conversation's first session has only the start's
    bookkeeping (``action_session_start``, the ``session_started_metadata`` slot), which
    the first message's turn sees too: such a tracker is kept whole. After a new session
    starts, the database gives back the events from that session on: a tracker holding
    several is not kept, the next message reads its latest session.
    """
    events = list(tracker.events)
    starts = [n for n, event in enumerate(events) if isinstance(event, SessionStarted)]
    if not starts:
        return True
    if len(starts) > 1:
        return False
    return all(_bookkeeping(event) for event in events[: starts[0]])


def _bookkeeping(event: Any) -> bool:
    """An event a session start writes before its ``session_started``."""
    if isinstance(event, ActionExecuted):
        return event.action_name in (ACTION_SESSION_START_NAME, ACTION_LISTEN_NAME)
    return isinstance(event, SlotSet) and event.key == SESSION_START_METADATA_SLOT


@dataclass
class _Kept:
    """A tracker as it was saved: its events up to ``stored`` are in the database."""

    tracker: DialogueStateTracker
    stored: int  # len(tracker.events) when it was saved or loaded
    last_id: int | None  # id of the conversation's last row in the events table
    whole: bool = False  # the events are every row of the conversation (all its sessions)


class KefuTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with a write-through tracker cache and tuned SQLite.

    Args:
        cache_size: trackers kept in memory (``0`` turns the cache off).
        *args, **kwargs: those of ``SQLTrackerStore`` (``host`` may be a full URL).
    """

    engine: sa.engine.Engine

    def __init__(self, *args: Any, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        host = kwargs.get("host")
        if isinstance(host, str) and "://" in host and not host.startswith("sqlite"):
            # replicas booting together: one creates the tables, the others wait for it
            create_tracker_tables(host)
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            if self.engine.url.database not in (None, "", ":memory:"):
                self.engine = _tune_sqlite(self.engine)
        else:
            self.engine = _server_pool(self.engine)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        table = self.SQLEvent.__table__
        # built once: an ORM query costs more to build than to run
        self._last_id_query = sa.select(sa.func.max(table.c.id)).where(
            table.c.sender_id == sa.bindparam("sender_id")
        )
        self._extent_query = sa.select(sa.func.max(table.c.id), sa.func.count()).where(
            table.c.sender_id == sa.bindparam("sender_id")
        )
        self._sessions_query = sa.select(sa.func.count()).where(
            table.c.sender_id == sa.bindparam("sender_id"),
            table.c.type_name == SessionStarted.type_name,
        )
        self.cache_size = max(0, int(cache_size))
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._out: dict[str, _Kept] = {}  # handed out by retrieve, not saved yet

    @property
    def domain(self) -> Domain:
        """The domain trackers are built with."""
        return self._domain

    @domain.setter
    def domain(self, domain: Domain | None) -> None:
        # a new model (Agent.load_model) may bring other slots: rebuild every tracker
        self._domain = domain or Domain.empty()
        self._kept.clear()
        self._out.clear()

    def _hand_out(self, sender_id: str, kept: _Kept) -> None:
        """Remember what ``retrieve`` handed out until its save; bounded, for retrieves
        that are never saved (a failed message, the API's /predict)."""
        self._out.pop(sender_id, None)
        self._out[sender_id] = kept
        while len(self._out) > max(self.cache_size, MIN_HANDED_OUT):
            self._out.pop(next(iter(self._out)))

    # --- reading ------------------------------------------------------------------------

    def _last_id(self, session: Any, sender_id: str) -> int | None:
        return session.execute(self._last_id_query, {"sender_id": sender_id}).scalar()

    def _extent(self, session: Any, sender_id: str) -> tuple[int | None, int]:
        """The id of the conversation's last row and its number of rows."""
        last_id, count = session.execute(self._extent_query, {"sender_id": sender_id}).one()
        return last_id, int(count)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the latest session: the kept one when still current, else loaded."""
        kept = self._kept.pop(sender_id, None)
        if kept is not None and self._current(sender_id, kept):
            self._hand_out(sender_id, kept)
            return kept.tracker
        return await self._load(sender_id)

    def _current(self, sender_id: str, kept: _Kept) -> bool:
        """Whether ``kept`` is as stored and nobody wrote to the conversation since (one
        indexed query)."""
        if len(kept.tracker.events) != kept.stored:
            return False
        with self.session_scope() as session:
            return bool(self._last_id(session, sender_id) == kept.last_id)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """Every event of every session (the HTTP API's tracker reads): the kept tracker
        when it is current and holds them all, else read from the database.

        The tracker handed back stays kept (the API only reads it). A kept tracker holds
        only the latest session once a conversation has several: that one is read.
        """
        kept = self._kept.get(conversation_id)
        if kept is not None and kept.whole and self._current(conversation_id, kept):
            return kept.tracker
        return await super().retrieve_full_tracker(conversation_id)

    async def _load(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session's events; every event while the conversation has one session
        only (its start's bookkeeping too, as a kept tracker has it)."""
        with self.session_scope() as session:
            sessions = session.execute(self._sessions_query, {"sender_id": sender_id}).scalar()
            rows = self._event_query(session, sender_id, bool((sessions or 0) <= 1)).all()
            last_id, count = self._extent(session, sender_id) if rows else (None, 0)
        if not rows or not self.domain:
            self._out.pop(sender_id, None)
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(row.data) for row in rows], self.domain.slots
        )
        kept = _Kept(tracker, len(tracker.events), last_id, whole=count == len(rows))
        self._hand_out(sender_id, kept)
        return tracker

    # --- writing ------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events of ``tracker`` that are not stored yet; keep the tracker."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        out = self._out.pop(sender_id, None)
        with self.session_scope() as session:
            if out is not None and out.tracker is tracker and len(tracker.events) >= out.stored:
                new_events = list(tracker.events)[out.stored :]
            else:  # a tracker this store did not hand out: count what is stored, as Rasa does
                new_events = list(self._additional_events(session, tracker))
            if new_events:
                # one multi-row INSERT (Core): the ORM's unit of work cost more than the SQL
                session.execute(
                    self.SQLEvent.__table__.insert(),
                    [self._row(sender_id, event) for event in new_events],
                )
            last_id, count = self._extent(session, sender_id)
            session.commit()
        if _one_session(tracker):
            whole = count == len(tracker.events)
            self._keep(sender_id, _Kept(tracker, len(tracker.events), last_id, whole))
        logger.debug("Tracker with sender_id '%s' stored to database", sender_id)

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        """The columns of ``event``, as ``SQLTrackerStore.save`` fills them."""
        data = without_secrets(event.as_dict())
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _keep(self, sender_id: str, kept: _Kept) -> None:
        if self.cache_size == 0:
            return
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.cache_size:
            self._kept.popitem(last=False)


__all__ = ["KefuTrackerStore"]
