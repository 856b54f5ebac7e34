"""Bulk reads of the shop database as pandas frames, for training and analytics.

The recommender's training data (:func:`interactions`, :func:`data_counts`,
:func:`stock_levels`), the customers report (:func:`transactions`,
:func:`customer_contacts`, :func:`product_names`) and the conversations report
(:func:`tickets_and_csat`) read the shop here and nowhere else; the libraries get frames.

* purchases: one row per order line of a non-cancelled order (weight 1; lines returned, or
  of a returned order without a per-line return, weigh ``returned_weight``);
* reviews: one row per review with its 1-5 rating (weight 0: the purchase already counts);
* items: every product with names, category (and its display names), brand, descriptions,
  stock and price; customers' language and city ride along for cold start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from kefu.settings import get_settings
from kefu.shop.db import DatabaseError, get_engine, is_initialised
from kefu.shop.models import (
    Csat,
    Customer,
    Order,
    OrderLine,
    Product,
    Refund,
    ReturnRequest,
    Review,
    Ticket,
)
from recsys.transactions import TransactionsError, validate_transactions

__all__ = [
    "RETURNED_WEIGHT",
    "customer_contacts",
    "data_counts",
    "interactions",
    "product_names",
    "require_initialised",
    "stock_levels",
    "tickets_and_csat",
    "transactions",
]

logger = logging.getLogger(__name__)

RETURNED_WEIGHT = 0.2
_BATCH = 500


def require_initialised(url: str | None = None) -> str:
    """The URL (default: the configured shop database), checked to hold the shop tables.

    Raises:
        kefu.shop.db.DatabaseError: the database is missing or not initialised.
    """
    url = url or get_settings().database_url
    if not is_initialised(url):
        raise DatabaseError(
            "the shop database is not initialised: run 'kefu db demo' (or 'kefu db import')"
        )
    return url


# -- the recommender's training data ------------------------------------------------------
def interactions(
    url: str | None = None, *, returned_weight: float = RETURNED_WEIGHT
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Interactions and item metadata from the shop database.

    Args:
        url: database URL (default: the configured shop database).
        returned_weight: the weight of a purchase that was returned.

    Returns:
        ``(interactions, items)``: interactions with ``user_id``, ``item_id``, ``rating``
        (NaN for purchases), ``weight``, ``timestamp``, ``language``, ``city``; items with
        ``item_id``, names, ``category``, ``category_zh``, ``category_en``, ``brand``,
        descriptions, ``stock``, ``price``.

    Raises:
        kefu.shop.db.DatabaseError: the database is missing or not initialised.
    """
    url = require_initialised(url)
    with get_engine(url).connect() as conn:
        lines = pd.DataFrame(
            conn.execute(
                select(
                    OrderLine.id,
                    Order.id,
                    Order.customer_id,
                    OrderLine.product_id,
                    Order.status,
                    Order.ordered_at,
                )
                .join(Order, OrderLine.order_id == Order.id)
                .where(Order.status != "cancelled")
            ).all(),
            columns=["line_id", "order_id", "user_id", "item_id", "status", "timestamp"],
        )
        returns = pd.DataFrame(
            conn.execute(select(ReturnRequest.order_id, ReturnRequest.order_line_id)).all(),
            columns=["order_id", "line_id"],
        )
        rejected = {
            row[0]
            for row in conn.execute(
                select(ReturnRequest.order_line_id).where(ReturnRequest.status == "rejected")
            )
        }
        reviews = pd.DataFrame(
            conn.execute(
                select(Review.customer_id, Review.product_id, Review.rating, Review.created_at)
            ).all(),
            columns=["user_id", "item_id", "rating", "timestamp"],
        )
        customers = pd.DataFrame(
            conn.execute(select(Customer.id, Customer.language, Customer.city)).all(),
            columns=["user_id", "language", "city"],
        )
        items = pd.DataFrame(
            conn.execute(
                select(
                    Product.id,
                    Product.name_zh,
                    Product.name_en,
                    Product.category,
                    Product.brand,
                    Product.description_zh,
                    Product.description_en,
                    Product.stock,
                    Product.price,
                )
            ).all(),
            columns=[
                "item_id",
                "name_zh",
                "name_en",
                "category",
                "brand",
                "description_zh",
                "description_en",
                "stock",
                "price",
            ],
        )

    returned_lines = set(returns["line_id"].dropna().astype(int)) - rejected
    orders_with_line_returns = set(returns["order_id"].dropna())
    down = lines["line_id"].isin(returned_lines) | (
        (lines["status"] == "returned") & ~lines["order_id"].isin(orders_with_line_returns)
    )
    purchases = lines.assign(weight=np.where(down, returned_weight, 1.0), rating=np.nan)
    reviews = reviews.assign(weight=0.0, rating=reviews["rating"].astype(float))
    columns = ["user_id", "item_id", "rating", "weight", "timestamp"]
    frame = pd.concat([purchases[columns], reviews[columns]], ignore_index=True)
    frame = frame.merge(customers, on="user_id", how="left")

    items["price"] = items["price"].astype(float)
    labels = _category_labels()
    items["category_zh"] = items["category"].map(lambda c: labels.get(c, {}).get("zh", ""))
    items["category_en"] = items["category"].map(lambda c: labels.get(c, {}).get("en", ""))
    return frame, items


def _category_labels() -> dict[str, dict[str, str]]:
    from kefu.shop.demo import category_labels

    try:
        return category_labels()
    except (OSError, KeyError, ValueError) as exc:  # no demo catalogue: raw category keys
        logger.warning("category display names unavailable: %s", exc)
        return {}


def data_counts(url: str | None = None) -> list[list[str]]:
    """Row counts, sums and latest dates of what the recommender learns from: they change
    whenever retraining could change the model.

    Raises:
        kefu.shop.db.DatabaseError: the database is missing or not initialised.
    """
    url = require_initialised(url)
    queries = [
        select(func.count(), func.max(Order.ordered_at), func.max(Order.id)).select_from(Order),
        select(func.count(Order.id)).where(Order.status == "cancelled"),
        select(func.count(Order.id)).where(Order.status == "returned"),
        select(func.count(), func.sum(OrderLine.quantity), func.max(OrderLine.id)),
        select(func.count(), func.sum(Review.rating), func.max(Review.created_at)),
        select(func.count(), func.sum(Product.stock), func.max(Product.id)),
        select(func.count(), func.max(ReturnRequest.id)),
        select(func.count(), func.max(Customer.id)),
    ]
    with get_engine(url).connect() as conn:
        return [[str(v) for v in conn.execute(q).one()] for q in queries]


def stock_levels(url: str | None = None) -> dict[Any, float]:
    """Each product's stock, by product id."""
    with get_engine(url).connect() as conn:
        return {pid: float(stock) for pid, stock in conn.execute(select(Product.id, Product.stock))}


# -- customers -----------------------------------------------------------------------------
def transactions(url: str | None = None) -> pd.DataFrame:
    """One row per order of the shop database (cancelled orders left out; returned
    orders count with their refunds subtracted), as :mod:`recsys.transactions` describes.

    Raises:
        kefu.shop.db.DatabaseError: the database is missing or not initialised.
        recsys.transactions.TransactionsError: the shop has no orders.
    """
    url = require_initialised(url)
    refunds = (
        select(Refund.order_id, func.sum(Refund.amount).label("refunded"))
        .group_by(Refund.order_id)
        .subquery()
    )
    query = (
        select(Order.customer_id, Order.id, Order.ordered_at, Order.total, refunds.c.refunded)
        .outerjoin(refunds, refunds.c.order_id == Order.id)
        .where(Order.status != "cancelled")
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(query).all()
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "total", "refunded"])
    if tx.empty:
        raise TransactionsError("the shop database has no orders")
    tx["amount"] = tx["total"].astype(float) - tx["refunded"].fillna(0).astype(float)
    tx["date"] = pd.to_datetime(tx["date"])
    return validate_transactions(tx)


def customer_contacts(url: str | None, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """``{customer_id: (name, email, language)}`` of the customers with these ids."""
    wanted = [str(i) for i in ids]
    people: dict[str, tuple[str, str, str]] = {}
    with get_engine(url).connect() as conn:
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            for row in conn.execute(
                select(Customer.id, Customer.name, Customer.email, Customer.language).where(
                    Customer.id.in_(batch)
                )
            ):
                people[row.id] = (row.name, row.email, row.language)
    return people


def product_names(url: str | None = None) -> dict[Any, dict[str, str]]:
    """``{product_id: {"zh": name, "en": name}}`` of every product."""
    with get_engine(url).connect() as conn:
        return {
            row.id: {"zh": row.name_zh, "en": row.name_en}
            for row in conn.execute(select(Product.id, Product.name_zh, Product.name_en))
        }


# -- support -------------------------------------------------------------------------------
def tickets_and_csat(
    url: str | None,
) -> tuple[list[tuple[str, datetime | None]], list[tuple[str | None, Any]]] | None:
    """The tickets' ``(conversation_id, created_at)`` and the CSAT ``(language, score)``
    rows, or ``None`` when there is no initialised shop database at ``url``."""
    if not url or not is_initialised(url):
        return None
    with get_engine(url).connect() as conn:
        tickets = [
            (conversation_id, created_at)
            for conversation_id, created_at in conn.execute(
                select(Ticket.conversation_id, Ticket.created_at)
            )
        ]
        csat = [
            (language, score) for language, score in conn.execute(select(Csat.language, Csat.score))
        ]
    return tickets, csat


def handoff_rows(url: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """Every ticket (queue times, reason, who resolved it) and every CSAT score with its
    agent (``None``: bot only), or ``None`` without an initialised shop database."""
    from kefu.shop.models import Staff

    if not url or not is_initialised(url):
        return None
    with get_engine(url).connect() as conn:
        names = dict(conn.execute(select(Staff.id, Staff.name)).all())
        tickets = [
            dict(row._mapping)
            for row in conn.execute(
                select(
                    Ticket.conversation_id,
                    Ticket.status,
                    Ticket.escalation_reason,
                    Ticket.created_at,
                    Ticket.waiting_since,
                    Ticket.first_reply_at,
                    Ticket.resolved_at,
                    Ticket.resolved_by,
                )
            )
        ]
        scores = [
            {"score": score, "agent": names.get(agent_id) if agent_id else None}
            for score, agent_id in conn.execute(select(Csat.score, Csat.agent_id))
        ]
    for t in tickets:
        t["resolved_by"] = names.get(t["resolved_by"]) if t["resolved_by"] else None
    return tickets, scores
