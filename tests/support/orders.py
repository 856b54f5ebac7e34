"""Orders made for one test in the session's shop, for tests that change an order.

The session's demo shop (:mod:`tests.support.servers`) is shared by the whole suite, and
``shop_cases`` names its orders for tests that only read them. A test that cancels an
order or files a return takes one of these instead: its id is new, so the other tests
still find ``shop_cases`` as the demo built it, whatever order they run in.

Fixtures:
    new_paid_order: a paid order of one line (cancel tests use it up).
    new_delivered_order: an order of two lines delivered yesterday (return tests use it up).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest

from kefu.clock import utcnow
from tests.support.servers import ShopCase


def _new_order(url: str, template: ShopCase, status: str, lines: int) -> ShopCase:
    """An order of ``template``'s customer with ``lines`` lines of products in stock."""
    from sqlalchemy import select

    from kefu.shop import session_scope
    from kefu.shop.models import Order, OrderLine, Product

    now = utcnow()
    with session_scope(url) as s:
        while True:
            order_id = f"KF9{secrets.randbelow(10**9):09d}"
            if s.get(Order, order_id) is None:
                break
        products = s.scalars(
            select(Product).where(Product.stock > 0).order_by(Product.id).limit(lines)
        ).all()
        assert len(products) == lines, "the demo shop has too few products in stock"
        delivered = status == "delivered"
        s.add(
            Order(
                id=order_id,
                customer_id=template.customer_id,
                status=status,
                ordered_at=now - timedelta(days=3) if delivered else now,
                shipped_at=now - timedelta(days=2) if delivered else None,
                delivered_at=now - timedelta(days=1) if delivered else None,
                shipping_address="test address",
                total=sum((Decimal(p.price) for p in products), Decimal(0)),
            )
        )
        s.flush()
        for line_no, product in enumerate(products, start=1):
            s.add(
                OrderLine(
                    order_id=order_id,
                    line_no=line_no,
                    product_id=product.id,
                    quantity=1,
                    unit_price=product.price,
                )
            )
    return ShopCase(
        order_id, template.customer_id, template.email, template.phone, template.language, status
    )


@pytest.fixture
def new_paid_order(bot_env: dict[str, str], shop_cases: dict[str, ShopCase]) -> ShopCase:
    """A paid order of one line, of the customer of the shop's newest paid order."""
    return _new_order(bot_env["KEFU_DATABASE_URL"], shop_cases["paid"], "paid", 1)


@pytest.fixture
def new_delivered_order(bot_env: dict[str, str], shop_cases: dict[str, ShopCase]) -> ShopCase:
    """An order of two lines delivered yesterday (inside the return window), of the
    customer of ``shop_cases["delivered_multi"]``."""
    template = shop_cases["delivered_multi"]
    return _new_order(bot_env["KEFU_DATABASE_URL"], template, "delivered", 2)
