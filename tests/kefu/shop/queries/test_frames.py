"""Bulk frames of the shop database: the recommender's interactions, the customers'
transactions (on the demo shop)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select, text

from kefu.shop.db import DatabaseError, get_engine
from kefu.shop.models import Order, OrderLine, Review
from kefu.shop.queries import frames
from kefu.shop.queries.frames import RETURNED_WEIGHT
from recsys.transactions import COLUMNS


@pytest.fixture(scope="module")
def shop_data(demo_url):
    return frames.interactions(demo_url)


def test_interactions_exclude_cancelled_orders_and_down_weight_returns(demo_url, shop_data):
    interactions, items = shop_data
    with get_engine(demo_url).connect() as conn:
        cancelled = set(
            conn.execute(
                select(OrderLine.product_id, Order.customer_id)
                .join(Order, OrderLine.order_id == Order.id)
                .where(Order.status == "cancelled")
            ).all()
        )
        kept = set(
            conn.execute(
                select(OrderLine.product_id, Order.customer_id)
                .join(Order, OrderLine.order_id == Order.id)
                .where(Order.status != "cancelled")
            ).all()
        )
        n_reviews = len(conn.execute(select(Review.id)).all())
    purchases = interactions[interactions["rating"].isna()]
    pairs = set(zip(purchases["item_id"], purchases["user_id"], strict=True))
    assert pairs == kept
    assert cancelled - kept, "the demo has cancelled-only pairs"
    assert not (cancelled - kept) & pairs
    assert set(purchases["weight"]) == {1.0, RETURNED_WEIGHT}
    reviews = interactions[interactions["rating"].notna()]
    assert len(reviews) == n_reviews and (reviews["weight"] == 0).all()
    assert reviews["rating"].between(1, 5).all()
    assert interactions["language"].isin(["zh", "en"]).all()
    assert {"item_id", "name_zh", "name_en", "category_zh", "stock"} <= set(items.columns)
    assert (items.loc[items["category"] == "electronics", "category_zh"] == "数码").all()


def test_reviews_only_pairs_keep_their_rating(shop_data):
    interactions, _ = shop_data
    rated = interactions.dropna(subset=["rating"])
    assert isinstance(rated, pd.DataFrame) and len(rated) > 0


def test_uninitialised_database_is_a_clear_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(DatabaseError, match="kefu db demo"):
        frames.transactions(url)


def test_shop_transactions(demo_url):
    tx = frames.transactions(demo_url)
    assert list(tx.columns) == list(COLUMNS) and tx["order_id"].is_unique
    with get_engine(demo_url).connect() as conn:
        kept = conn.execute(
            text("SELECT COUNT(*) FROM orders WHERE status != 'cancelled'")
        ).scalar()
    assert len(tx) == kept
