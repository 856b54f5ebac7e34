"""Deterministic generator of a realistic demo shop.

Customers have latent tastes (a concentrated preference over categories and affinities
for some brands), so purchases carry real collaborative signal; review ratings follow the
customer's affinity and the product's hidden quality, and review texts are composed from
bilingual phrase banks (``data/demo/reviews.json``) so that their sentiment agrees with the
rating most of the time without one template per rating.

The same ``seed`` and ``reference_date`` always give the same shop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from kefu.clock import today_in
from kefu.settings import get_settings
from kefu.shop.demo_catalog import load_vocab, make_customers, make_products, pick
from kefu.shop.demo_reviews import make_reviews
from kefu.shop.demo_showcase import LINES as SHOWCASE_LINES
from kefu.shop.demo_showcase import showcase_customers, showcase_orders

RETURN_REASONS = {
    "zh": ["尺码不合适", "质量问题", "与描述不符", "不想要了", "收到时已损坏"],
    "en": [
        "wrong size",
        "quality problem",
        "not as described",
        "changed my mind",
        "arrived damaged",
    ],
}


@dataclass
class ShopData:
    """Rows of every demo table (dicts keyed by column name), plus the latent tastes."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    category_preferences: dict[str, dict[str, float]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Number of rows per table."""
        return {name: len(rows) for name, rows in self.tables.items()}


def category_labels(data_dir: Path | None = None) -> dict[str, dict[str, str]]:
    """Display names of the demo categories: ``{"electronics": {"zh": "数码", "en": ...}}``."""
    catalog, _ = load_vocab(str(data_dir or get_settings().data_dir))
    return {key: {"zh": c["zh"], "en": c["en"]} for key, c in catalog["categories"].items()}


def generate(
    seed: int = 42,
    reference_date: date | None = None,
    customers: int = 2000,
    order_lines: int = 20000,
    reviews: int = 5000,
    data_dir: Path | None = None,
) -> ShopData:
    """Generate the demo shop in memory.

    Args:
        seed: random seed; the same seed and reference date give the same data.
        reference_date: "today" of the shop (orders are dated before it); default today.
        customers: number of customers (at least 10).
        order_lines: number of order lines (at least ``customers``).
        reviews: number of reviews (at most about a third of the order lines).
        data_dir: where ``demo/catalog.json`` and ``demo/reviews.json`` live.

    Returns:
        The rows of every table.
    """
    if customers < 10:
        raise ValueError(f"customers must be at least 10, got {customers}")
    if order_lines < customers:
        raise ValueError(f"order_lines ({order_lines}) must be at least customers ({customers})")
    if reviews < 0 or reviews > order_lines // 3:
        raise ValueError(f"reviews must be between 0 and order_lines // 3, got {reviews}")
    ref = reference_date or today_in()
    catalog, review_bank = load_vocab(str(data_dir or get_settings().data_dir))
    rng = np.random.default_rng(seed)

    products, quality, popularity = make_products(rng, catalog)
    cats = sorted(catalog["categories"])
    cat_index = np.array([cats.index(p["category"]) for p in products])
    brands = sorted({p["brand"] for p in products})
    brand_index = np.array([brands.index(p["brand"]) for p in products])
    custs, addresses = make_customers(rng, catalog, customers, ref)

    # latent tastes: concentrated category preferences and a few strong brand affinities
    cat_pref = rng.dirichlet(np.full(len(cats), 0.25), size=customers)
    brand_aff = rng.normal(0, 0.35, size=(customers, len(brands)))
    loved = rng.integers(len(brands), size=(customers, 2))
    np.put_along_axis(brand_aff, loved, rng.uniform(1.0, 2.0, size=loved.shape), axis=1)

    activity = rng.lognormal(0, 0.9, customers)
    activity[rng.random(customers) < 0.05] = 0  # signed up, never bought: cold start
    # the demo accounts' showcase orders (every state, recent) come out of the same budget
    n_showcase = SHOWCASE_LINES * len(showcase_customers(custs))
    counts = rng.multinomial(order_lines - n_showcase, activity / activity.sum())

    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    returns: list[dict[str, Any]] = []
    refunds: list[dict[str, Any]] = []
    pending: list[tuple[datetime, int, list[int]]] = []
    affinities: dict[tuple[int, int], float] = {}
    for c, cust in enumerate(custs):
        k = int(counts[c])
        if not k:
            continue
        logits = (
            np.log(cat_pref[c][cat_index] + 1e-4) + brand_aff[c][brand_index] + 0.5 * popularity
        )
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        items = rng.choice(len(products), size=k, p=probs)
        for it in items:
            affinities[(c, int(it))] = float(logits[it] - np.log(1.0 / len(cats)))
        start = datetime.combine(cust["signup_date"], time(9))
        span = max((datetime.combine(ref, time(0)) - start).total_seconds(), 3600)
        i = 0
        while i < k:
            size = min(k - i, int(rng.choice([1, 1, 1, 2, 2, 3])))
            when = start + timedelta(seconds=float(rng.uniform(0, span)))
            pending.append((when, c, [int(x) for x in items[i : i + size]]))
            i += size

    pending.sort(key=lambda p: (p[0], p[1]))
    line_id = 0
    ref_dt = datetime.combine(ref, time(0))
    for number, (when, c, order_items) in enumerate(pending, start=10000001):
        cust = custs[c]
        age = (ref_dt - when).total_seconds() / 86400
        roll = rng.random()
        if age < 1:
            status = "paid" if roll < 0.9 else "cancelled"
        elif age < 5:
            status = "shipped" if roll < 0.93 else "cancelled"
        else:
            status = "delivered" if roll < 0.9 else ("cancelled" if roll < 0.95 else "returned")
        shipped = delivered = expected = carrier = tracking = None
        if status in ("shipped", "delivered", "returned"):
            shipped = when + timedelta(hours=float(rng.uniform(4, 48)))
            expected = (shipped + timedelta(days=int(rng.integers(2, 6)))).date()
            code, _zh, _en = pick(rng, catalog["carriers"])
            carrier = code
            tracking = f"{code}{int(rng.integers(10**11, 10**12))}"
            if status != "shipped":
                delivered = shipped + timedelta(hours=float(rng.uniform(20, 120)))
        oid = f"KF{number}"
        total = Decimal("0")
        first_line = None
        for line_no, it in enumerate(order_items, start=1):
            line_id += 1
            qty = int(rng.choice([1, 1, 1, 1, 2, 3]))
            price = products[it]["price"]
            total += price * qty
            lines.append(
                {
                    "id": line_id,
                    "order_id": oid,
                    "line_no": line_no,
                    "product_id": products[it]["id"],
                    "quantity": qty,
                    "unit_price": price,
                    "_c": c,
                    "_it": it,
                    "_status": status,
                    "_delivered": delivered,
                }
            )
            first_line = first_line or line_id
        orders.append(
            {
                "id": oid,
                "customer_id": cust["id"],
                "status": status,
                "ordered_at": when.replace(microsecond=0),
                "shipped_at": shipped.replace(microsecond=0) if shipped else None,
                "delivered_at": delivered.replace(microsecond=0) if delivered else None,
                "expected_delivery": expected,
                "carrier": carrier,
                "tracking_number": tracking,
                "shipping_address": addresses[c],
                "total": total,
            }
        )
        if status == "returned":
            rid = len(returns) + 1
            assert delivered is not None  # a returned order was delivered first
            back = delivered + timedelta(days=int(rng.integers(1, 7)))
            returns.append(
                {
                    "id": rid,
                    "order_id": oid,
                    "order_line_id": first_line,
                    "reason": pick(rng, RETURN_REASONS[cust["language"]]),
                    "status": "refunded",
                    "created_at": back.replace(microsecond=0),
                }
            )
            amount = next(ln for ln in lines if ln["id"] == first_line)
            refunds.append(
                {
                    "id": len(refunds) + 1,
                    "order_id": oid,
                    "return_id": rid,
                    "amount": amount["unit_price"] * amount["quantity"],
                    "status": "completed" if (ref_dt - back).days > 5 else "processing",
                    "created_at": back.replace(microsecond=0),
                    "completed_at": (back + timedelta(days=3)).replace(microsecond=0)
                    if (ref_dt - back).days > 5
                    else None,
                }
            )
        elif status == "cancelled":
            done = when + timedelta(hours=2)
            refunds.append(
                {
                    "id": len(refunds) + 1,
                    "order_id": oid,
                    "return_id": None,
                    "amount": total,
                    "status": "completed" if age > 3 else "pending",
                    "created_at": done.replace(microsecond=0),
                    "completed_at": (done + timedelta(days=2)).replace(microsecond=0)
                    if age > 3
                    else None,
                }
            )

    review_rows = make_reviews(
        rng, review_bank, custs, products, quality, lines, affinities, reviews, ref
    )
    extra = showcase_orders(
        seed,
        ref_dt,
        custs,
        addresses,
        products,
        10000001 + len(pending),
        line_id,
        catalog["carriers"],
    )
    return_ids = {}
    for row in extra["returns"]:
        return_ids[row["id"]] = len(returns) + 1
        returns.append({**row, "id": len(returns) + 1})
    for row in extra["refunds"]:
        refunds.append({**row, "id": len(refunds) + 1, "return_id": return_ids[row["return_id"]]})
    orders += extra["orders"]
    lines += extra["order_lines"]
    clean = [{k: v for k, v in row.items() if not k.startswith("_")} for row in custs]
    data = ShopData(
        tables={
            "customers": clean,
            "products": [{k: v for k, v in p.items() if not k.startswith("_")} for p in products],
            "orders": orders,
            "order_lines": [{k: v for k, v in ln.items() if not k.startswith("_")} for ln in lines],
            "returns": returns,
            "refunds": refunds,
            "reviews": review_rows,
        },
        category_preferences={
            cust["id"]: dict(zip(cats, map(float, cat_pref[c]), strict=False))
            for c, cust in enumerate(custs)
        },
    )
    return data


def build_demo(
    url: str | None = None,
    seed: int = 42,
    reference_date: date | None = None,
    progress: bool = True,
    **sizes: int,
) -> dict[str, int]:
    """Replace every row of the shop database with demo data, in one transaction.

    The schema is first brought up to date (:func:`kefu.shop.db.upgrade_db`).

    Args:
        url: database URL (default: the configured shop database).
        seed: random seed.
        reference_date: the shop's "today" (default: today).
        progress: show a progress bar on stderr.
        **sizes: ``customers``, ``order_lines``, ``reviews`` passed to :func:`generate`.

    Returns:
        Rows written per table.
    """
    from tqdm import tqdm

    from kefu.shop.db import get_engine, upgrade_db
    from kefu.shop.writer import empty_tables, write_tables

    data = generate(
        seed=seed,
        reference_date=reference_date,
        customers=sizes.get("customers", 2000),
        order_lines=sizes.get("order_lines", 20000),
        reviews=sizes.get("reviews", 5000),
    )
    upgrade_db(url)  # the schema comes from the migrations, never from create_all
    engine = get_engine(url)
    total = sum(data.counts().values())
    with tqdm(total=total, desc="demo shop", unit="row", disable=not progress) as bar:
        with engine.begin() as conn:
            empty_tables(conn)
            return write_tables(conn, data.tables, progress=bar.update)
