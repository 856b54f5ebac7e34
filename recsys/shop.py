"""The recommender on the shop database: build the interactions, train, save, load.

* purchases: one row per order line of a non-cancelled order (weight 1; lines returned, or
  of a returned order without a per-line return, weigh :data:`RETURNED_WEIGHT`);
* reviews: one row per review with its 1-5 rating (weight 0: the purchase already counts);
* items: every product with names, category (and its display names), brand, descriptions,
  stock and price; customers' language and city ride along for cold start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from recsys.base import MODEL_FILE, BaseRecommender
from recsys.recommender import Recommender

logger = logging.getLogger(__name__)

RETURNED_WEIGHT = 0.2
STOCK_REFRESH_SECONDS = 300.0
MODEL_NAME = "recsys"

_cache: dict[str, tuple[float, float, Recommender]] = {}
_cache_lock = threading.Lock()


def model_dir() -> Path:
    """Where the shop recommender is saved (``<models_dir>/recsys``)."""
    from kefu.settings import get_settings

    return get_settings().models_dir / MODEL_NAME


def _check_db(url: str) -> None:
    from kefu.shop.db import DatabaseError, is_initialised

    if not is_initialised(url):
        raise DatabaseError(
            "the shop database is not initialised: run 'kefu db demo' (or 'kefu db import')"
        )


def interactions_from_db(url: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Interactions and item metadata from the shop database.

    Args:
        url: database URL (default: the configured shop database).

    Returns:
        ``(interactions, items)``: interactions with ``user_id``, ``item_id``, ``rating``
        (NaN for purchases), ``weight``, ``timestamp``, ``language``, ``city``; items with
        ``item_id``, names, ``category``, ``category_zh``, ``category_en``, ``brand``,
        descriptions, ``stock``, ``price``.

    Raises:
        kefu.shop.db.DatabaseError: the database is missing or not initialised.
    """
    from kefu.settings import get_settings
    from kefu.shop.db import get_engine
    from kefu.shop.models import Customer, Order, OrderLine, Product, ReturnRequest, Review

    url = url or get_settings().database_url
    _check_db(url)
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
    purchases = lines.assign(weight=np.where(down, RETURNED_WEIGHT, 1.0), rating=np.nan)
    reviews = reviews.assign(weight=0.0, rating=reviews["rating"].astype(float))
    columns = ["user_id", "item_id", "rating", "weight", "timestamp"]
    interactions = pd.concat([purchases[columns], reviews[columns]], ignore_index=True)
    interactions = interactions.merge(customers, on="user_id", how="left")

    items["price"] = items["price"].astype(float)
    labels = _category_labels()
    items["category_zh"] = items["category"].map(lambda c: labels.get(c, {}).get("zh", ""))
    items["category_en"] = items["category"].map(lambda c: labels.get(c, {}).get("en", ""))
    return interactions, items


def _category_labels() -> dict[str, dict[str, str]]:
    try:
        from kefu.shop.demo import category_labels

        return category_labels()
    except (OSError, KeyError, ValueError) as exc:  # no demo catalogue: raw category keys
        logger.warning("category display names unavailable: %s", exc)
        return {}


def data_fingerprint(url: str | None = None) -> str:
    """A digest of what the recommender learns from (row counts, sums, latest dates) and of
    the default model parameters: it changes whenever retraining could change the model."""
    from kefu.settings import get_settings
    from kefu.shop.db import get_engine
    from kefu.shop.models import Customer, Order, OrderLine, Product, ReturnRequest, Review

    url = url or get_settings().database_url
    _check_db(url)
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
        values = [[str(v) for v in conn.execute(q).one()] for q in queries]
    payload = json.dumps(
        {"data": values, "params": Recommender().get_params(), "format": MODEL_FILE},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _saved_fingerprint(directory: Path) -> str | None:
    try:
        document = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        return document.get("metadata", {}).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def train_from_db(url: str | None = None, force: bool = False) -> str:
    """Train the shop recommender and save it, unless the saved one is up to date.

    Args:
        url: database URL (default: the configured shop database).
        force: retrain even when the saved model matches the data.

    Returns:
        One line saying what was done (trained, with figures, or skipped).

    Raises:
        kefu.shop.db.DatabaseError: the database is missing or not initialised.
        ValueError: the database has no orders or reviews to learn from.
    """
    target = model_dir()
    fingerprint = data_fingerprint(url)
    if not force and _saved_fingerprint(target) == fingerprint:
        return f"recommender up to date (data unchanged since it was trained): {target}"
    start = time.perf_counter()
    interactions, items = interactions_from_db(url)
    if interactions.empty:
        raise ValueError("the shop has no orders or reviews yet: nothing to learn from")
    model = Recommender().fit(interactions, items)
    model.save(target, metadata={"fingerprint": fingerprint, "trained_at": time.time()})
    seconds = time.perf_counter() - start
    data = model.dataset_
    ratings = data.ratings.nnz if data.ratings is not None else 0
    return (
        f"trained the recommender on {len(interactions):,} interactions "
        f"({data.n_users:,} customers, {data.n_items:,} products, {ratings:,} ratings) "
        f"in {seconds:.1f} s: {target}"
    )


def _stock(url: str) -> dict[Any, float]:
    from kefu.shop.db import get_engine
    from kefu.shop.models import Product

    with get_engine(url).connect() as conn:
        return {pid: float(stock) for pid, stock in conn.execute(select(Product.id, Product.stock))}


def load_shop_recommender(url: str | None = None) -> Recommender:
    """The trained shop recommender, loaded once and cached (trains first when missing).

    The cached model is reloaded when the saved files change, and its stock levels are
    refreshed from the database every :data:`STOCK_REFRESH_SECONDS`.

    Raises:
        kefu.shop.db.DatabaseError: no model and no database to train one from.
    """
    from kefu.settings import get_settings

    url = url or get_settings().database_url
    directory = model_dir()
    with _cache_lock:
        try:
            stamp = (directory / MODEL_FILE).stat().st_mtime
        except OSError:
            stamp = None
        cached = _cache.get(str(directory))
        if cached is not None and stamp is not None and cached[0] == stamp:
            _, refreshed, model = cached
            if time.time() - refreshed > STOCK_REFRESH_SECONDS:
                _refresh_stock(model, url)
                _cache[str(directory)] = (stamp, time.time(), model)
            return model
        try:
            model = Recommender.load(directory)
        except (FileNotFoundError, ValueError, KeyError) as exc:
            logger.info("no usable recommender at %s (%s): training one", directory, exc)
            logger.info(train_from_db(url, force=True))
            model = Recommender.load(directory)
        _refresh_stock(model, url)
        _cache[str(directory)] = ((directory / MODEL_FILE).stat().st_mtime, time.time(), model)
        return model


def _refresh_stock(model: BaseRecommender, url: str) -> None:
    try:
        model.update_stock(_stock(url))
    except Exception as exc:  # noqa: BLE001 - stale stock beats no recommendations
        logger.warning("could not refresh stock levels: %s", exc)
