"""CSV export of the shop: products, customers, orders (one row per line) and reviews."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kefu.shop.db import get_engine
from kefu.shop.importer.columns import ORDER_FIELDS, SPECS
from kefu.shop.models import Customer, Order, OrderLine, Product, Review


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return str(value)


def export_csv(out_dir: Path, url: str | None = None) -> dict[str, Path]:
    """Write the shop's products, customers, orders (one row per line) and reviews as CSV.

    Returns:
        The path written per kind.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    engine = get_engine(url)
    written = {}
    with engine.connect() as conn:
        queries = {
            "products": select(
                *[Product.__table__.c[c.name] for c in SPECS["products"].columns]
            ).order_by(Product.id),
            "customers": select(Customer.__table__).order_by(Customer.id),
            "orders": select(
                Order.id.label("order_id"),
                *[Order.__table__.c[f] for f in ORDER_FIELDS],
                OrderLine.line_no,
                OrderLine.product_id,
                OrderLine.quantity,
                OrderLine.unit_price,
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .order_by(Order.id, OrderLine.line_no),
            "reviews": select(Review.__table__).order_by(Review.id),
        }
        for kind, query in queries.items():
            path = out_dir / f"{kind}.csv"
            columns = [c.name for c in SPECS[kind].columns]
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                for row in conn.execute(query).mappings():
                    writer.writerow([_cell(row[c]) for c in columns])
            written[kind] = path
    return written
