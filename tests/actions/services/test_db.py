"""The shop database as the actions see it."""

from __future__ import annotations

import pytest

from actions.services import db


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("KF10000123", "KF10000123"),
        (" kf-1000 0123 ", "KF10000123"),
        ("KF12", None),
        ("10000123", None),
        ("KF10000123; DROP TABLE orders", None),
        (None, None),
        (12345, None),
        ("K" * 10_000, None),
    ],
)
def test_normalize_order_id(value, expected):
    assert db.normalize_order_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Linda.Liu@Example.com ", "linda.liu@example.com"),
        ("+86 138-1234-5678", "8613812345678"),
        ("not an email@", None),
        ("12", None),
        ("", None),
        (None, None),
        ("x" * 1000 + "@a.com", None),
    ],
)
def test_normalize_contact(value, expected):
    assert db.normalize_contact(value) == expected


def test_order_access_needs_the_owner_or_their_contact(shop_cases):
    case = shop_cases["shipped"]
    assert db.get_order(case.order_id, customer_id=case.customer_id).id == case.order_id
    assert db.get_order(case.order_id, contact=case.email).id == case.order_id
    assert db.get_order(case.order_id, customer_id="C99999") is None
    assert db.get_order(case.order_id, contact="x@y.com") is None
    assert db.get_order(case.order_id) is None
    assert db.get_order("KF99999999", customer_id=case.customer_id) is None


def test_search_escapes_like_wildcards():
    assert db.search_products(terms=["%"]) == []
    assert db.search_products(terms=["_"]) == []
    assert len(db.search_products(limit=100)) == 20


def test_csat_score_range_is_enforced():
    with pytest.raises(ValueError):
        db.store_csat("c", None, "zh", 6)
    with pytest.raises(ValueError):
        db.store_csat("c", None, "zh", 0)


def test_a_missing_database_raises_shop_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(db.ShopUnavailable):
        db.get_customer("C00001")


def test_cancel_is_all_or_nothing(shop_cases):
    case = shop_cases["shipped"]
    with pytest.raises(db.ShopRefusal) as exc:
        db.cancel_order(case.order_id, case.customer_id, None)
    assert exc.value.reason == "not_cancellable"
    assert db.get_order(case.order_id, customer_id=case.customer_id).status == "shipped"
    assert db.refunds_for(case.order_id) == []
