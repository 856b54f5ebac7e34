"""Orders in every state for the demo accounts listed on the site's login page.

A visitor who logs in as one of them can try every flow on day one: cancel a paid order,
ask about a late parcel, return an item delivered a few days ago, check a refund. The
orders are dated relative to the demo's reference date, drawn with their own random
generator so the rest of the shop does not change with them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

# the login page lists the first customers (by id) of each language who have orders
ACCOUNTS_PER_LANGUAGE = 3
# (status, days before the reference date it was ordered, number of lines)
SHOWCASE = (
    ("paid", 0, 1),
    ("late", 9, 1),
    ("delivered", 6, 2),
    ("refunded", 24, 1),
)
LINES = sum(n for _, _, n in SHOWCASE)


def showcase_customers(customers: list[dict[str, Any]]) -> list[int]:
    """Indexes of the demo accounts: the first customers of each language."""
    chosen: list[int] = []
    for lang in ("zh", "en"):
        chosen += [i for i, c in enumerate(customers) if c["language"] == lang][
            :ACCOUNTS_PER_LANGUAGE
        ]
    return sorted(chosen)


def showcase_orders(
    seed: int,
    ref: datetime,
    customers: list[dict[str, Any]],
    addresses: list[str],
    products: list[dict[str, Any]],
    first_number: int,
    first_line_id: int,
    carriers: list[list[str]],
) -> dict[str, list[dict[str, Any]]]:
    """Orders, lines, returns and refunds of the showcase, numbered after the others.

    Args:
        seed: the demo's seed (the showcase draws from its own generator).
        ref: midnight of the reference date.
        customers: the customer rows.
        addresses: shipping address of each customer.
        products: the product rows.
        first_number: number of the first showcase order (``KF<number>``).
        first_line_id: id of the first showcase order line.
        carriers: ``[code, zh, en]`` of each carrier.
    """
    rng = np.random.default_rng(seed + 1)
    out: dict[str, list[dict[str, Any]]] = {
        "orders": [],
        "order_lines": [],
        "returns": [],
        "refunds": [],
    }
    number, line_id = first_number, first_line_id
    in_stock = [i for i, p in enumerate(products) if p["stock"] > 0]
    for c in showcase_customers(customers):
        for kind, days, n_lines in SHOWCASE:
            when = ref - timedelta(days=days, hours=float(rng.uniform(2, 9)))
            oid = f"KF{number}"
            number += 1
            items = rng.choice(len(in_stock), size=n_lines, replace=False)
            lines = []
            for line_no, it in enumerate(items, start=1):
                product = products[in_stock[int(it)]]
                line_id += 1
                lines.append(
                    {
                        "id": line_id,
                        "order_id": oid,
                        "line_no": line_no,
                        "product_id": product["id"],
                        "quantity": 1,
                        "unit_price": product["price"],
                    }
                )
            total = sum((ln["unit_price"] for ln in lines), Decimal("0"))
            order: dict[str, Any] = {
                "id": oid,
                "customer_id": customers[c]["id"],
                "status": "paid",
                "ordered_at": when.replace(microsecond=0),
                "shipped_at": None,
                "delivered_at": None,
                "expected_delivery": None,
                "carrier": None,
                "tracking_number": None,
                "shipping_address": addresses[c],
                "total": total,
            }
            if kind != "paid":
                code = carriers[int(rng.integers(len(carriers)))][0]
                shipped = when + timedelta(hours=20)
                order.update(
                    shipped_at=shipped.replace(microsecond=0),
                    carrier=code,
                    tracking_number=f"{code}{int(rng.integers(10**11, 10**12))}",
                    # a late parcel: expected three days before the reference date
                    expected_delivery=(ref - timedelta(days=3)).date()
                    if kind == "late"
                    else (shipped + timedelta(days=3)).date(),
                    status="shipped" if kind == "late" else "delivered",
                )
                if kind != "late":
                    order["delivered_at"] = (shipped + timedelta(days=2)).replace(microsecond=0)
            if kind == "refunded":
                order["status"] = "returned"
                back = order["delivered_at"] + timedelta(days=3)
                rid = int(first_number + len(out["returns"]))
                out["returns"].append(
                    {
                        "id": rid,
                        "order_id": oid,
                        "order_line_id": lines[0]["id"],
                        "reason": "尺码不合适"
                        if customers[c]["language"] == "zh"
                        else "wrong size",
                        "status": "refunded",
                        "created_at": back,
                    }
                )
                out["refunds"].append(
                    {
                        "order_id": oid,
                        "return_id": rid,
                        "amount": lines[0]["unit_price"],
                        "status": "completed",
                        "created_at": back,
                        "completed_at": back + timedelta(days=3),
                    }
                )
            out["orders"].append(order)
            out["order_lines"] += lines
    return out


def reference_midnight(ref: Any) -> datetime:
    """Midnight at the start of the reference date."""
    return datetime.combine(ref, time(0))
