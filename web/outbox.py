"""The site's writes to a handed-off conversation's tracker, off the push path.

An agent reply, or a customer message while an agent has the conversation, is given its
message id, written to a local journal (SQLite, committed before anything else happens:
it survives a crash or restart of the site), pushed to the sockets at once, and only then written to the tracker through
Rasa's HTTP API by one writer task per conversation, in the order the ids were given.
Consecutive agent replies go to Rasa in one append. The tracker stays the source of
truth: a reader drains the conversation's outbox first (or, when Rasa is slow, sees the
journal's events after the tracker's).

Ids: ``"<conversation>:<n>"`` with ``n`` a lower bound of the event's index in the
tracker (the number of events the site last saw, plus the events it appended since),
kept in the event's ``metadata.kefu_id`` (see :mod:`web.transcript`). Nothing is written
twice: each event carries its id, and after a failed or uncertain write (a timeout, a
restart of the site) the writer reads the tracker and skips what is already there.
One site process gives ids for a conversation (sticky sessions when there are several).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web.chat import ChatError, RasaClient
from web.transcript import ID_KEY

logger = logging.getLogger(__name__)

MAX_SLOTS = 64
DRAIN_S = 5.0
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
Understood = Callable[[str, list[dict[str, Any]], list["Item"]], Awaitable[None]]


@dataclass
class Item:
    """One event on its way to the tracker."""

    conversation_id: str
    kind: str  # "bot": appended as an event; "user": sent through the channel
    message_id: str
    n: int
    event: dict[str, Any]
    seq: int = 0
    durable: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Journal:
    """A local SQLite file of the events not yet in the tracker (one per site process)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for slot in range(MAX_SLOTS):
            lock = open(directory / f"journal-{slot}.lock", "a")  # noqa: SIM115 - held open
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            self._lock_file = lock
            self.path = directory / f"journal-{slot}.sqlite3"
            break
        else:
            raise RuntimeError(f"every outbox journal slot in {directory} is taken")
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # a commit is in the OS before the push: it survives a crash or restart of the site
        # (a power cut may lose the last ones: FULL costs an fsync per commit)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " conversation_id TEXT NOT NULL, kind TEXT NOT NULL, message_id TEXT NOT NULL,"
            " n INTEGER NOT NULL, event TEXT NOT NULL, created REAL NOT NULL)"
        )
        self._mutex = threading.Lock()

    def add(self, items: list[Item]) -> list[int]:
        """Store ``items`` in one transaction; their sequence numbers."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seqs = [
                    self._db.execute(
                        "INSERT INTO outbox (conversation_id, kind, message_id, n, event, created)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            i.conversation_id,
                            i.kind,
                            i.message_id,
                            i.n,
                            json.dumps(i.event, ensure_ascii=False),
                            time.time(),
                        ),
                    ).lastrowid
                    or 0
                    for i in items
                ]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return seqs

    def done(self, seqs: list[int]) -> None:
        """Forget events the tracker has."""
        with self._mutex:
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    def pending(self) -> list[tuple[int, str, str, str, int, dict[str, Any]]]:
        """Every stored event, oldest first: ``(seq, conversation, kind, id, n, event)``."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT seq, conversation_id, kind, message_id, n, event FROM outbox ORDER BY seq"
            ).fetchall()
        return [(s, c, k, m, n, json.loads(e)) for s, c, k, m, n, e in rows]

    def close(self) -> None:
        """Close the file and give the slot back."""
        with self._mutex:
            self._db.close()
        self._lock_file.close()


class Outbox:
    """Per conversation: ids, the queue of events for the tracker, and its writer task."""

    def __init__(self, rasa: RasaClient, directory: Path, understood: Understood | None = None):
        self.rasa = rasa
        self.directory = directory
        self.understood = understood
        self.journal: Journal | None = None
        self._lower: dict[str, int] = {}  # no event the site has not seen yet is below this
        self._last: dict[str, int] = {}  # the last id given
        self._queues: dict[str, list[Item]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._idle: dict[str, asyncio.Event] = {}
        self._to_store: list[Item] = []
        self._storer: asyncio.Task[None] | None = None
        # the journal's own thread: a commit (the push waits for it) never queues behind
        # the shop database's calls in the loop's default executor
        self._io = ThreadPoolExecutor(1, thread_name_prefix="outbox-journal")

    async def start(self) -> None:
        """Open the journal and send on what a previous run left in it."""
        loop = asyncio.get_running_loop()
        self.journal = await loop.run_in_executor(self._io, Journal, self.directory)
        left = await loop.run_in_executor(self._io, self.journal.pending)
        for seq, conv, kind, message_id, n, event in left:
            item = Item(conv, kind, message_id, n, event, seq)
            item.durable.set_result(None)
            self._queues.setdefault(conv, []).append(item)
            self._last[conv] = max(self._last.get(conv, -1), n)
        for conv in self._queues:
            self._kick(conv, recovering=True)
        if left:
            logger.info("outbox: %d events from the last run go to the tracker", len(left))

    async def close(self, timeout: float = 10.0) -> None:
        """Let the writers finish (up to ``timeout``); what is left stays in the journal."""
        try:
            await asyncio.wait_for(self._drain_all(), timeout)
        except asyncio.TimeoutError:
            logger.warning("outbox: events left in the journal for the next start")
        for task in self._writers.values():
            task.cancel()
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self._io.shutdown(wait=False)

    async def _drain_all(self) -> None:
        for conv in list(self._queues):
            await self.drain(conv)

    def saw(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """The tracker had ``events`` (read just now): later events come after them."""
        lower = self._lower.get(conversation_id, 0)
        self._lower[conversation_id] = max(lower, len(events))

    async def submit(self, conversation_id: str, kind: str, event: dict[str, Any]) -> Item:
        """Give ``event`` its id and store it durably; it goes to the tracker soon after.

        Raises:
            ChatError: no HTTP API token, or Rasa unreachable when the site has never
                seen this conversation.
        """
        if not self.rasa.token:
            raise ChatError("the site has no token for Rasa's HTTP API", 503, "no_api")
        if conversation_id not in self._lower:
            self.saw(conversation_id, await self.rasa.events(conversation_id))
        n = max(self._lower[conversation_id], self._last.get(conversation_id, -1) + 1)
        self._last[conversation_id] = n
        self._lower[conversation_id] = n + 1
        message_id = f"{conversation_id}:{n}"
        metadata = {**(event.get("metadata") or {}), ID_KEY: message_id}
        item = Item(conversation_id, kind, message_id, n, {**event, "metadata": metadata})
        queue = self._queues.setdefault(conversation_id, [])
        queue.append(item)
        self._store(item)
        try:
            await item.durable
        except Exception:
            queue.remove(item)
            raise
        self._kick(conversation_id)
        return item

    def pending(self, conversation_id: str) -> list[dict[str, Any]]:
        """The events of the conversation not yet written to the tracker, in order."""
        return [i.event for i in self._queues.get(conversation_id, []) if i.durable.done()]

    async def drain(self, conversation_id: str, timeout: float | None = None) -> bool:
        """Wait until the conversation's events are in the tracker; whether they are."""
        idle = self._idle.get(conversation_id)
        if idle is None or not self._queues.get(conversation_id):
            return True
        try:
            await asyncio.wait_for(idle.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def read(self, conversation_id: str, wait: float = DRAIN_S) -> list[dict[str, Any]]:
        """The conversation's events for a reader: the tracker's, once the outbox has written
        what it holds (waiting up to ``wait`` seconds; after that its events follow)."""
        await self.drain(conversation_id, wait)
        events = await self.rasa.events(conversation_id)
        self.saw(conversation_id, events)
        return self.merged(conversation_id, events)

    def merged(self, conversation_id: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``events`` followed by the journal's events the tracker does not have yet."""
        if not self._queues.get(conversation_id):
            return events
        present = _ids(events)
        return events + [e for e in self.pending(conversation_id) if _id(e) not in present]

    # -- storing ---------------------------------------------------------------------

    def _store(self, item: Item) -> None:
        """Group commit: every event submitted while the last commit ran goes in the next."""
        self._to_store.append(item)
        if self._storer is None or self._storer.done():
            self._storer = asyncio.get_running_loop().create_task(self._store_all())

    async def _store_all(self) -> None:
        loop = asyncio.get_running_loop()
        while self._to_store:
            batch, self._to_store = self._to_store, []
            try:
                assert self.journal is not None, "Outbox.start() was not called"
                seqs = await loop.run_in_executor(self._io, self.journal.add, batch)
            except Exception as exc:  # noqa: BLE001 - every waiting request gets it
                logger.exception("outbox: could not store %d events", len(batch))
                for item in batch:
                    item.durable.set_exception(exc)
                continue
            for item, seq in zip(batch, seqs, strict=True):
                item.seq = seq
                item.durable.set_result(None)

    # -- writing to the tracker ------------------------------------------------------

    def _kick(self, conversation_id: str, recovering: bool = False) -> None:
        self._idle.setdefault(conversation_id, asyncio.Event()).clear()
        task = self._writers.get(conversation_id)
        if task is None or task.done():
            self._writers[conversation_id] = asyncio.get_running_loop().create_task(
                self._write(conversation_id, recovering)
            )

    async def _write(self, conv: str, uncertain: bool) -> None:
        queue = self._queues[conv]
        failures = 0
        parsed: list[Item] = []
        try:
            while queue:
                head = queue[0]
                if not head.durable.done():
                    await asyncio.wait([head.durable])
                    continue
                try:
                    if uncertain:  # skip what an earlier (failed or interrupted) try wrote
                        events = await self.rasa.events(conv)
                        self.saw(conv, events)
                        present = _ids(events)
                        await self._forget(conv, [i for i in queue if i.message_id in present])
                        uncertain = False
                        continue
                    batch = [head]
                    if head.kind == "bot":
                        for item in queue[1:]:
                            if item.kind != "bot" or not item.durable.done():
                                break
                            batch.append(item)
                        await self.rasa.append(conv, [i.event for i in batch])
                    else:
                        event = head.event
                        await self.rasa.send(conv, event["text"], event.get("metadata") or {})
                except ChatError as exc:
                    failures += 1
                    wait = RETRY_S[min(failures, len(RETRY_S)) - 1]
                    logger.warning("outbox: %s in %s; again in %.1f s", exc, conv, wait)
                    await asyncio.sleep(wait)
                    uncertain = True
                    continue
                failures = 0
                await self._forget(conv, batch)
                parsed += [i for i in batch if i.kind == "user"]
                if parsed and (not queue or queue[0].kind != "user"):
                    await self._understood(conv, parsed)
                    parsed = []
        except Exception:  # noqa: BLE001 - the journal keeps the events for the next start
            logger.exception("outbox: writer of %s stopped", conv)
        finally:
            if not queue:
                self._idle[conv].set()

    async def _forget(self, conv: str, items: list[Item]) -> None:
        if not items:
            return
        queue = self._queues[conv]
        for item in items:
            queue.remove(item)
        assert self.journal is not None
        await asyncio.get_running_loop().run_in_executor(
            self._io, self.journal.done, [i.seq for i in items]
        )

    async def _understood(self, conv: str, items: list[Item]) -> None:
        """Tell whoever listens what the bot understood of the customer messages sent.

        One message (the usual case) is the tracker's latest message, read without the
        events; several, or a latest message that is not the one sent, read them all.
        """
        if self.understood is None:
            return
        try:
            if len(items) == 1:
                latest = await self.rasa.latest_message(conv)
                if latest is not None and _id(latest) == items[0].message_id:
                    event = {"event": "user", **latest, "parse_data": latest}
                    await self.understood(conv, [event], items)
                    return
            events = await self.rasa.events(conv)
        except ChatError:
            return  # the console shows it when the conversation is next opened
        self.saw(conv, events)
        await self.understood(conv, events, items)


def _id(event: dict[str, Any]) -> Any:
    metadata = event.get("metadata")
    return metadata.get(ID_KEY) if isinstance(metadata, dict) else None


def _ids(events: list[dict[str, Any]]) -> set[str]:
    return {i for i in (_id(e) for e in events if isinstance(e, dict)) if isinstance(i, str)}
