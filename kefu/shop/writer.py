"""Bulk writes of whole tables, in one transaction, on any database SQLAlchemy speaks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection

from kefu.shop.models import Base

TABLE_ORDER = ("customers", "products", "orders", "order_lines", "returns", "refunds", "reviews")
BATCH = 2000


def write_tables(
    conn: Connection,
    tables: dict[str, list[dict[str, Any]]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Insert rows table by table (parents first) on an open transaction.

    Args:
        conn: a connection inside ``engine.begin()``: the caller owns the transaction.
        tables: rows per table name (only tables in :data:`TABLE_ORDER`).
        progress: called with the number of rows written after each batch.

    Returns:
        Rows written per table.
    """
    unknown = set(tables) - set(TABLE_ORDER)
    if unknown:
        raise ValueError(f"unknown tables: {sorted(unknown)}")
    written = {}
    for name in TABLE_ORDER:
        rows = tables.get(name) or []
        table = Base.metadata.tables[name]
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            conn.execute(table.insert(), batch)
            if progress:
                progress(len(batch))
        written[name] = len(rows)
    sync_sequences(conn, [n for n in TABLE_ORDER if tables.get(n)])
    return written


def sync_sequences(conn: Connection, names: Iterable[str]) -> None:
    """After explicit ids were inserted, move PostgreSQL's serial sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for name in names:
        table = Base.metadata.tables[name]
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
            continue
        top = conn.execute(select(func.max(pk[0]))).scalar()
        if top is not None:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                {"t": name, "c": pk[0].name, "v": int(top)},
            )


def count_rows(conn: Connection) -> dict[str, int]:
    """Rows per shop table present (a database at an older revision lacks the newer ones)."""
    present = set(inspect(conn).get_table_names())
    return {
        name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in Base.metadata.tables.items()
        if name in present
    }


def empty_tables(conn: Connection) -> None:
    """Delete every row of every shop table on an open transaction (ids restart at 1)."""
    tables = list(reversed(Base.metadata.sorted_tables))  # children first
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        return
    for table in tables:
        conn.execute(table.delete())
