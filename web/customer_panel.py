"""The console's customer panel: who the customer is, as far as they proved it.

A verified (signed-in) customer shows their profile, recent orders with tracking, refunds
and returns, RFM segment, lifetime value and purchase propensity (scored by the customers
report's pipeline, :mod:`analytics.scores`) and personal suggestions from the recommender
that the agent can send as product cards; an anonymous visitor shows nothing
but that they are a visitor (an order they looked up by number and contact shows in the
transcript, where the bot answered it).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from analytics.scores import customer_scores
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)
ORDERS_SHOWN = 5


def _order(order: shop.OrderInfo, refunds: list[shop.RefundInfo], lang: str) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": order.status,
        "ordered_at": order.ordered_at.isoformat(),
        "expected_delivery": order.expected_delivery.isoformat()
        if order.expected_delivery
        else None,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "total": str(order.total),
        "lines": [
            {
                "id": ln.id,
                "product_id": ln.product_id,
                "name": ln.name(lang),
                "quantity": ln.quantity,
                "returned": ln.id in order.returned_line_ids,
            }
            for ln in order.lines
        ],
        "refunds": [
            {"amount": str(r.amount), "status": r.status, "created_at": r.created_at.isoformat()}
            for r in refunds
        ],
        "cancellable": order.status in shop.CANCELLABLE,
        "returnable": shop.return_refusal(order) is None,
    }


def _suggestions(customer_id: str, lang: str) -> list[dict[str, Any]]:
    """Personal suggestions when a trained recommender exists (never trains in a request)."""
    from kefu.recommender import load_shop_recommender, model_dir

    if not (model_dir() / "model.json").exists():
        return []
    try:
        rec = load_shop_recommender()
        recs = rec.recommend(customer_id, n=5, exclude_seen=True, context={"language": lang})
        products = shop.products_by_ids([r.item_id for r in recs])
    except Exception as exc:  # noqa: BLE001 - suggestions are optional in the panel
        logger.warning("no suggestions for the console (%s)", exc)
        return []
    out = []
    for r in recs:
        p = products.get(r.item_id)
        if p is not None:
            reason = r.reason.text(lang) if hasattr(r.reason, "text") else str(r.reason or "")
            out.append({"id": p.id, "name": p.name(lang), "price": str(p.price), "reason": reason})
    return out


def customer_panel(customer_id: str | None, lang: str, url: str) -> dict[str, Any]:
    """The panel of a ticket's customer (blocking: run off the event loop)."""
    if not customer_id:
        return {"verified": False}
    customer = shop.get_customer(customer_id, url=url)
    if customer is None:
        return {"verified": False}
    orders = shop.recent_orders(customer_id, ORDERS_SHOWN, url=url)
    lifetime = sum(
        (o.total for o in orders if o.status not in ("cancelled", "returned")), Decimal(0)
    )
    return {
        "verified": True,
        "profile": {
            "id": customer.id,
            "name": customer.name,
            "language": customer.language,
            "city": getattr(customer, "city", None),
        },
        "orders": [_order(o, shop.refunds_for(o.id, url=url), lang) for o in orders],
        "lifetime_value_recent": str(lifetime),
        **customer_scores(customer_id, url),
        "suggestions": _suggestions(customer_id, lang),
    }
