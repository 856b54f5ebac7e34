"""Orders: order numbers, access checks, all-or-nothing cancellation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from kefu.shop import queries as shop


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
    assert shop.normalize_order_id(value) == expected


def test_order_access_needs_the_owner_or_their_contact(session_shop, shop_cases):
    case = shop_cases["shipped"]
    assert shop.get_order(case.order_id, customer_id=case.customer_id).id == case.order_id
    assert shop.get_order(case.order_id, contact=case.email).id == case.order_id
    assert shop.get_order(case.order_id, contact=case.email.upper()).id == case.order_id
    assert shop.get_order(case.order_id, customer_id="C99999") is None
    assert shop.get_order(case.order_id, contact="x@y.com") is None
    assert shop.get_order(case.order_id) is None
    assert shop.get_order("KF99999999", customer_id=case.customer_id) is None


def test_cancel_is_all_or_nothing(session_shop, shop_cases):
    case = shop_cases["shipped"]
    with pytest.raises(shop.ShopRefusal) as exc:
        shop.cancel_order(case.order_id, case.customer_id, None)
    assert exc.value.reason == "not_cancellable"
    assert shop.get_order(case.order_id, customer_id=case.customer_id).status == "shipped"
    assert shop.refunds_for(case.order_id) == []


def test_cancel_without_access_is_not_found(session_shop, shop_cases):
    case = shop_cases["paid"]
    with pytest.raises(shop.ShopRefusal) as exc:
        shop.cancel_order(case.order_id, "C99999", "nobody@example.com")
    assert exc.value.reason == "not_found"
    assert shop.get_order(case.order_id, customer_id=case.customer_id).status == "paid"


def test_return_window_comes_from_the_settings(session_shop, shop_cases, monkeypatch):
    order = shop.get_order(
        shop_cases["delivered"].order_id, customer_id=shop_cases["delivered"].customer_id
    )
    delivered = datetime.combine(date(2026, 1, 1), datetime.min.time())
    order = replace(order, delivered_at=delivered, returned_line_ids=frozenset())
    monkeypatch.setenv("KEFU_RETURN_WINDOW_DAYS", "10")
    assert shop.return_window_days() == 10
    assert shop.return_refusal(order, today=date(2026, 1, 11)) is None
    reason, values = shop.return_refusal(order, today=date(2026, 1, 12))
    assert reason == "window_closed" and values == {"deadline": "2026-01-11", "days": 10}
    for bad in ("0", "abc", "99999", ""):
        monkeypatch.setenv("KEFU_RETURN_WINDOW_DAYS", bad)
        assert shop.return_window_days() == 30
    assert shop.return_refusal(order, today=date(2026, 1, 1) + timedelta(days=31))[0] == (
        "window_closed"
    )
