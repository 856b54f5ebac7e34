"""A customer's data across kefu's two databases: the shop and Rasa's tracker store.

``kefu export-data``, ``kefu forget`` and ``kefu purge`` call these. The tracker store is
read with plain SQL on Rasa's ``events`` table (``sender_id``, ``type_name``,
``timestamp``, ``data``), so this works without loading Rasa.

Erasure order: the shop and the tracker store may be different databases, with no
transaction across both. :func:`forget` reads the customer's conversation ids from the
shop, erases the conversations from the tracker store (one transaction), then the shop
(one transaction). If the tracker store fails, nothing has changed anywhere; if the shop
fails after it, the conversations are gone and the shop is untouched: running
``kefu forget`` again finishes the job (every step is idempotent).
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from kefu.settings import get_settings
from kefu.shop.queries import privacy as shop_privacy

CUSTOMER_SLOT = "customer_id"
VISIBLE_EVENTS = ("user", "bot")


def _engine(url: str | None) -> sa.engine.Engine:
    return sa.create_engine(url or get_settings().tracker_url)


def _events(engine: sa.engine.Engine) -> sa.Table | None:
    """Rasa's ``events`` table, or ``None`` when the tracker store has none yet."""
    if not sa.inspect(engine).has_table("events"):
        return None
    return sa.Table("events", sa.MetaData(), autoload_with=engine)


def tracker_conversations(customer_id: str, *, url: str | None = None) -> set[str]:
    """Conversations (sender ids) in which the ``customer_id`` slot was set to this customer."""
    engine = _engine(url)
    try:
        table = _events(engine)
        if table is None:
            return set()
        query = sa.select(table.c.sender_id, table.c.data).where(
            table.c.type_name == "slot",
            table.c.data.contains(json.dumps(customer_id), autoescape=True),
        )
        with engine.connect() as conn:
            found = set()
            for sender_id, data in conn.execute(query):
                event = json.loads(data)
                if event.get("name") == CUSTOMER_SLOT and event.get("value") == customer_id:
                    found.add(sender_id)
            return found
    finally:
        engine.dispose()


def delete_conversations(sender_ids: Collection[str], *, url: str | None = None) -> int:
    """Delete every event of these conversations, in one transaction; returns the rows."""
    if not sender_ids:
        return 0
    engine = _engine(url)
    try:
        table = _events(engine)
        if table is None:
            return 0
        with engine.begin() as conn:
            return int(
                conn.execute(table.delete().where(table.c.sender_id.in_(sender_ids))).rowcount
            )
    finally:
        engine.dispose()


def visible_messages(
    sender_ids: Iterable[str], *, url: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """What was said in each conversation: ``[{"from": "customer"|"bot", "text", "time"}]``."""
    engine = _engine(url)
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        table = _events(engine)
        ids = sorted(set(sender_ids))
        if table is None or not ids:
            return out
        query = (
            sa.select(table.c.sender_id, table.c.type_name, table.c.data)
            .where(table.c.sender_id.in_(ids), table.c.type_name.in_(VISIBLE_EVENTS))
            .order_by(table.c.id)
        )
        with engine.connect() as conn:
            for sender_id, type_name, data in conn.execute(query):
                event = json.loads(data)
                if not event.get("text"):
                    continue
                out.setdefault(sender_id, []).append(
                    {
                        "from": "customer" if type_name == "user" else "bot",
                        "text": event["text"],
                        "time": event.get("timestamp"),
                    }
                )
        return out
    finally:
        engine.dispose()


def old_conversations(before: float, *, url: str | None = None) -> set[str]:
    """Conversations whose latest event is older than ``before`` (a Unix time)."""
    engine = _engine(url)
    try:
        table = _events(engine)
        if table is None:
            return set()
        query = (
            sa.select(table.c.sender_id)
            .group_by(table.c.sender_id)
            .having(sa.func.max(table.c.timestamp) < before)
        )
        with engine.connect() as conn:
            return set(conn.scalars(query))
    finally:
        engine.dispose()


def export_data(
    customer_id: str, *, shop_url: str | None = None, tracker_url: str | None = None
) -> dict[str, Any] | None:
    """Everything kefu holds about a customer (``None`` when the shop does not know them)."""
    data = shop_privacy.export_customer(customer_id, url=shop_url)
    if data is None:
        return None
    ids = tracker_conversations(customer_id, url=tracker_url)
    ids |= shop_privacy.customer_conversations(customer_id, url=shop_url)
    messages = visible_messages(ids, url=tracker_url)
    data["conversations"] = [
        {"id": sender_id, "messages": messages[sender_id]} for sender_id in sorted(messages)
    ]
    return {"customer_id": customer_id, **data}


@dataclass
class Forgotten:
    """What :func:`forget` erased."""

    conversations: set[str] = field(default_factory=set)
    events: int = 0
    shop: dict[str, int] = field(default_factory=dict)


def forget(
    customer_id: str, *, shop_url: str | None = None, tracker_url: str | None = None
) -> Forgotten | None:
    """Erase a customer: their conversations from the tracker store, then their personal
    data from the shop (see the module docstring for the order). ``None``: unknown id."""
    if not shop_privacy.customer_exists(customer_id, url=shop_url):
        return None
    ids = tracker_conversations(customer_id, url=tracker_url)
    ids |= shop_privacy.customer_conversations(customer_id, url=shop_url)
    events = delete_conversations(ids, url=tracker_url)
    shop = shop_privacy.forget_customer(customer_id, ids, url=shop_url)
    return Forgotten(ids, events, shop)


def purge(
    days: int,
    *,
    now: float | None = None,
    shop_url: str | None = None,
    tracker_url: str | None = None,
) -> tuple[int, int, int]:
    """Delete conversations older than ``days`` and empty their tickets' transcripts.

    Returns:
        (conversations deleted, events deleted, transcripts emptied).
    """
    from datetime import datetime

    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    cutoff = (time.time() if now is None else now) - days * 86400
    ids = old_conversations(cutoff, url=tracker_url)
    events = delete_conversations(ids, url=tracker_url)
    emptied = shop_privacy.expire_transcripts(datetime.fromtimestamp(cutoff), ids, url=shop_url)
    return len(ids), events, emptied


__all__ = ["Forgotten", "export_data", "forget", "purge", "tracker_conversations"]
