"""The console's customer panel: who the customer is, as far as they proved it.

A verified (signed-in) customer shows their profile, recent orders with tracking, refunds
and returns, RFM segment, lifetime value and purchase propensity (scored by the customers
report's pipeline, :mod:`analytics.scores`) and personal suggestions from the recommender
that the agent can send as product cards. An anonymous visitor shows what they proved and
nothing more: the orders they looked up in this conversation by number plus the email or
phone on the order (the bot's ``order_id`` and ``order_contact`` slots, checked against
the shop again here: a slot alone proves nothing), without the customer's profile, other
orders or order actions.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from analytics.scores import customer_scores
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)
ORDERS_SHOWN = 5
PROOF_SLOTS = ("order_id", "order_contact")


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


def proof_attempts(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (order number, contact) pairs the bot held together in the conversation, latest
    first: candidates for a proof, to be checked against the shop."""
    slots: dict[str, Any] = {}
    pairs: list[tuple[str, str]] = []
    for event in events:
        kind = event.get("event") if isinstance(event, dict) else None
        if kind in ("restart", "reset_slots"):
            slots = {}
        elif kind == "slot" and event.get("name") in PROOF_SLOTS:
            slots[event["name"]] = event.get("value")
            order_id, contact = (slots.get(name) for name in PROOF_SLOTS)
            if isinstance(order_id, str) and order_id and isinstance(contact, str) and contact:
                if (order_id, contact) in pairs:
                    pairs.remove((order_id, contact))
                pairs.append((order_id, contact))
    return pairs[::-1]


def _proved(attempts: list[tuple[str, str]], lang: str, url: str) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for order_id, contact in attempts:
        order = shop.get_order_for_contact(order_id, contact, url=url)
        if order is None or any(o["id"] == order.id for o in shown):
            continue
        # the console acts on a verified customer's orders only (web.agent_api)
        shown.append(
            {
                **_order(order, shop.refunds_for(order.id, url=url), lang),
                "cancellable": False,
                "returnable": False,
            }
        )
        if len(shown) == ORDERS_SHOWN:
            break
    return shown


def customer_panel(
    customer_id: str | None, lang: str, url: str, proofs: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """The panel of a ticket's customer (blocking: run off the event loop).

    Args:
        customer_id: the verified customer of the ticket, ``None`` for a visitor.
        proofs: a visitor's :func:`proof_attempts`.
    """
    customer = shop.get_customer(customer_id, url=url) if customer_id else None
    if customer is None:
        proved = _proved(proofs or [], lang, url)
        return {"verified": False, "proved_orders": proved} if proved else {"verified": False}
    assert customer_id is not None
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
