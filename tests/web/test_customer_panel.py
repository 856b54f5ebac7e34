"""The console's customer panel for an anonymous visitor: what they proved, nothing more.

A real demo shop (SQLite); the conversation's events are what Rasa's tracker holds after
the bot's order form (slot events for ``order_id`` and ``order_contact``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from web.customer_panel import customer_panel, proof_attempts


@pytest.fixture(scope="module")
def shop_url(tmp_path_factory) -> str:
    from kefu.shop.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('panel-shop') / 'shop.db'}"
    build_demo(url, customers=30, order_lines=200, reviews=0, progress=False)
    return url


def _customers(url: str) -> list[dict[str, Any]]:
    """Two customers with at least two orders each: id, email, phone, orders (newest first)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.id, c.email, c.phone, o.id FROM customers c JOIN orders o"
                " ON o.customer_id = c.id ORDER BY c.id, o.ordered_at DESC, o.id DESC"
            )
        ).all()
    engine.dispose()
    found: dict[str, dict[str, Any]] = {}
    for cid, email, phone, order_id in rows:
        found.setdefault(cid, {"id": cid, "email": email, "phone": phone, "orders": []})
        found[cid]["orders"].append(order_id)
    both = [c for c in found.values() if len(c["orders"]) >= 2 and c["email"]]
    assert len(both) >= 2, "the demo shop has too few customers with two orders"
    return both[:2]


def _slot(name: str, value: object) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value, "timestamp": 1.0}


def test_a_visitor_panel_shows_the_order_they_proved_and_nothing_more(shop_url):
    owner, stranger = _customers(shop_url)
    proved, other_own = owner["orders"][0], owner["orders"][1]
    events = [
        {"event": "user", "text": f"where is my order {proved}", "metadata": {}},
        _slot("order_id", proved),
        # a wrong contact first: proves nothing
        _slot("order_contact", stranger["email"]),
        _slot("order_contact", None),
        _slot("order_contact", owner["email"]),
        {"event": "bot", "text": "shipped"},
        # the stranger's order with the owner's contact: the bot refused it, so does the panel
        _slot("order_id", stranger["orders"][0]),
        {"event": "bot", "text": "not found"},
    ]
    panel = customer_panel(None, "en", shop_url, proof_attempts(events))
    assert set(panel) == {"verified", "proved_orders"}
    assert panel["verified"] is False
    assert [o["id"] for o in panel["proved_orders"]] == [proved]
    order = panel["proved_orders"][0]
    assert order["status"] and order["lines"] and "total" in order
    assert order["cancellable"] is False and order["returnable"] is False  # no console actions
    shown = json.dumps(panel, ensure_ascii=False)
    for private in (owner["id"], owner["email"], stranger["id"], stranger["email"], other_own):
        assert private not in shown
    assert not any(o in shown for o in stranger["orders"])


def test_a_slot_alone_proves_nothing(shop_url):
    owner, stranger = _customers(shop_url)
    # an order number with somebody else's contact, and a contact with no order number
    events = [
        _slot("order_contact", owner["email"]),
        _slot("order_id", stranger["orders"][0]),
        {"event": "restart"},
        _slot("order_id", owner["orders"][0]),
    ]
    assert proof_attempts(events) == [(stranger["orders"][0], owner["email"])]
    assert customer_panel(None, "en", shop_url, proof_attempts(events)) == {"verified": False}
    assert customer_panel(None, "en", shop_url) == {"verified": False}


def test_the_latest_proof_comes_first_and_each_order_once(shop_url):
    owner, _ = _customers(shop_url)
    first, second = owner["orders"][:2]
    events = [
        _slot("order_id", first),
        _slot("order_contact", owner["email"]),
        _slot("order_id", second),
        _slot("order_id", first),
    ]
    panel = customer_panel(None, "zh", shop_url, proof_attempts(events))
    assert [o["id"] for o in panel["proved_orders"]] == [first, second]
