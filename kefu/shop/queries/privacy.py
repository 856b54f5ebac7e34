"""A customer's data in the shop database: export it, erase it, expire old transcripts.

Used by ``kefu export-data``, ``kefu forget`` and ``kefu purge`` (:mod:`kefu.privacy` adds
the tracker store). Tables that later revisions add (the agent console's
``ticket_notes``) and optional columns (a CSAT ``comment``) are found with an inspector:
the code covers them when they exist and runs on any schema revision.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kefu.shop.db import session_scope
from kefu.shop.models import (
    Csat,
    Customer,
    Order,
    OrderLine,
    Refund,
    ReturnRequest,
    Review,
    Ticket,
)
from kefu.shop.queries.common import guarded

ERASED_NAME = ""
# the e-mail column is unique and required: an address at a reserved domain (RFC 2606)
ERASED_EMAIL = "erased-{id}@erased.invalid"
NOTE_TABLES = ("ticket_notes",)  # rows tied to a ticket by ``ticket_id``
FREE_TEXT_COLUMNS = {"csat": ("comment",)}  # blanked when the column exists


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # Decimal


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: _jsonable(getattr(obj, c.key)) for c in sa.inspect(obj).mapper.column_attrs}


def _tables(session: Session) -> dict[str, sa.Table]:
    """The optional tables present in this database (reflected)."""
    names = set(sa.inspect(session.connection()).get_table_names())
    meta = sa.MetaData()
    wanted = [n for n in (*NOTE_TABLES, *FREE_TEXT_COLUMNS) if n in names]
    meta.reflect(bind=session.connection(), only=wanted)
    return dict(meta.tables)


def _conversations(session: Session, customer_id: str) -> set[str]:
    found: set[str] = set()
    for model in (Ticket, Csat):
        found |= set(
            session.scalars(
                sa.select(model.conversation_id).where(model.customer_id == customer_id)
            )
        )
    return found


@guarded
def customer_exists(customer_id: str, *, url: str | None = None) -> bool:
    """Whether the shop has a customer with this id."""
    with session_scope(url) as s:
        return s.get(Customer, customer_id) is not None


@guarded
def customer_conversations(customer_id: str, *, url: str | None = None) -> set[str]:
    """Ids of the conversations the shop ties to the customer (tickets, CSAT)."""
    with session_scope(url) as s:
        return _conversations(s, customer_id)


@guarded
def export_customer(customer_id: str, *, url: str | None = None) -> dict[str, Any] | None:
    """Everything the shop holds about a customer, as JSON-ready data (``None``: unknown).

    Keys: ``profile``, ``orders`` (each with ``lines``, ``returns``, ``refunds``),
    ``reviews``, ``tickets`` (with their notes when the table exists), ``csat``.
    """
    with session_scope(url) as s:
        customer = s.get(Customer, customer_id)
        if customer is None:
            return None
        orders = []
        for order in s.scalars(
            sa.select(Order).where(Order.customer_id == customer_id).order_by(Order.ordered_at)
        ):
            item = _row(order)
            item["lines"] = [
                _row(line)
                for line in s.scalars(
                    sa.select(OrderLine)
                    .where(OrderLine.order_id == order.id)
                    .order_by(OrderLine.line_no)
                )
            ]
            item["returns"] = [
                _row(r)
                for r in s.scalars(
                    sa.select(ReturnRequest).where(ReturnRequest.order_id == order.id)
                )
            ]
            item["refunds"] = [
                _row(r) for r in s.scalars(sa.select(Refund).where(Refund.order_id == order.id))
            ]
            orders.append(item)
        tables = _tables(s)
        tickets = []
        for ticket in s.scalars(sa.select(Ticket).where(Ticket.customer_id == customer_id)):
            item = _row(ticket)
            try:
                item["transcript"] = json.loads(ticket.transcript)
            except ValueError:
                pass
            for name in NOTE_TABLES:
                table = tables.get(name)
                if table is not None and "ticket_id" in table.c:
                    rows = s.execute(sa.select(table).where(table.c.ticket_id == ticket.id))
                    item[name] = [
                        {k: _jsonable(v) for k, v in row._mapping.items()} for row in rows
                    ]
            tickets.append(item)
        csat_table = tables.get("csat")
        csat = (
            [
                {k: _jsonable(v) for k, v in row._mapping.items()}
                for row in s.execute(
                    sa.select(csat_table).where(csat_table.c.customer_id == customer_id)
                )
            ]
            if csat_table is not None
            else []
        )
        return {
            "profile": _row(customer),
            "orders": orders,
            "reviews": [
                _row(r)
                for r in s.scalars(sa.select(Review).where(Review.customer_id == customer_id))
            ],
            "tickets": tickets,
            "csat": csat,
        }


@guarded
def forget_customer(
    customer_id: str,
    conversation_ids: Collection[str] = (),
    *,
    url: str | None = None,
) -> dict[str, int]:
    """Erase a customer's personal data from the shop, in one transaction.

    Deleted: their tickets (and the tickets of ``conversation_ids``), the notes on them,
    their CSAT rows' free text (the scores stay, unlinked). Blanked: their reviews' text,
    their name, e-mail (a reserved placeholder: the column is unique), phone and city, and
    the shipping address of their orders (the orders, lines, returns and refunds stay for
    the accounts). Idempotent: a second run changes nothing.

    Returns:
        Rows changed per table (empty when the customer does not exist).
    """
    counts: dict[str, int] = {}
    with session_scope(url) as s:
        customer = s.get(Customer, customer_id)
        if customer is None:
            return counts
        tables = _tables(s)
        ticket_filter = Ticket.customer_id == customer_id
        if conversation_ids:
            ticket_filter = sa.or_(ticket_filter, Ticket.conversation_id.in_(conversation_ids))
        ticket_ids = list(s.scalars(sa.select(Ticket.id).where(ticket_filter)))
        for name in NOTE_TABLES:
            table = tables.get(name)
            if table is not None and "ticket_id" in table.c and ticket_ids:
                counts[name] = s.execute(
                    table.delete().where(table.c.ticket_id.in_(ticket_ids))
                ).rowcount
        counts["tickets"] = (
            s.execute(sa.delete(Ticket).where(Ticket.id.in_(ticket_ids))).rowcount
            if ticket_ids
            else 0
        )
        csat_table = tables.get("csat")
        if csat_table is not None:
            values: dict[str, Any] = {"customer_id": None}
            values.update({c: "" for c in FREE_TEXT_COLUMNS["csat"] if c in csat_table.c})
            counts["csat"] = s.execute(
                csat_table.update().where(csat_table.c.customer_id == customer_id).values(**values)
            ).rowcount
        counts["reviews"] = s.execute(
            sa.update(Review).where(Review.customer_id == customer_id).values(text="")
        ).rowcount
        counts["orders"] = s.execute(
            sa.update(Order).where(Order.customer_id == customer_id).values(shipping_address="")
        ).rowcount
        customer.name = ERASED_NAME
        customer.email = ERASED_EMAIL.format(id=customer_id)
        customer.phone = ""
        customer.city = ""
        counts["customers"] = 1
    return counts


@guarded
def expire_transcripts(
    before: datetime,
    conversation_ids: Collection[str] = (),
    *,
    url: str | None = None,
) -> int:
    """Empty the transcripts of tickets made before ``before`` or belonging to
    ``conversation_ids`` (the conversations ``kefu purge`` deleted); returns how many."""
    with session_scope(url) as s:
        where = Ticket.created_at < before
        if conversation_ids:
            where = sa.or_(where, Ticket.conversation_id.in_(conversation_ids))
        return int(
            s.execute(
                sa.update(Ticket).where(where, Ticket.transcript != "[]").values(transcript="[]")
            ).rowcount
        )


__all__ = [
    "customer_conversations",
    "customer_exists",
    "expire_transcripts",
    "export_customer",
    "forget_customer",
]
