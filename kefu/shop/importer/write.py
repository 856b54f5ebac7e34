"""The importer: check every file first, then write everything in one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from kefu.shop.db import get_engine, upgrade_db
from kefu.shop.importer.read import Problems, ShopImportError
from kefu.shop.importer.validate import check_files
from kefu.shop.models import Customer, Order, Product, Review
from kefu.shop.writer import write_tables


def _existing_ids(conn: Connection, model: Any) -> set[str]:
    if not inspect(conn).has_table(model.__tablename__):
        return set()
    return set(conn.execute(select(model.id)).scalars())


def import_csv(
    products: Path | None = None,
    customers: Path | None = None,
    orders: Path | None = None,
    reviews: Path | None = None,
    url: str | None = None,
) -> dict[str, int]:
    """Check and import a shop's CSV files in one transaction.

    Args:
        products: products file, or None.
        customers: customers file, or None.
        orders: orders file (one row per order line), or None.
        reviews: reviews file, or None.
        url: database URL (default: the configured shop database).

    Returns:
        Rows written per table.

    Raises:
        ShopImportError: anything wrong with the files; nothing was written.
    """
    given = {"products": products, "customers": customers, "orders": orders, "reviews": reviews}
    paths = {k: Path(v) for k, v in given.items() if v is not None}
    if not paths:
        raise ShopImportError(
            ["no file given: pass --products, --customers, --orders or --reviews"]
        )
    errors = Problems()
    engine = get_engine(url)
    with engine.connect() as conn:
        known = {
            "customers": _existing_ids(conn, Customer),
            "products": _existing_ids(conn, Product),
            "orders": _existing_ids(conn, Order),
            "reviews": _existing_ids(conn, Review),
        }
    tables = check_files(paths, known, errors)
    if errors.total:
        raise ShopImportError(errors.errors, errors.total)
    # the schema comes from the migrations (a no-op when already current), never create_all
    upgrade_db(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            return write_tables(conn, tables)
    except Exception as exc:  # a constraint the checks above did not foresee
        raise ShopImportError(
            [
                f"the database refused the data: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0][:300]}"
            ]
        ) from exc
