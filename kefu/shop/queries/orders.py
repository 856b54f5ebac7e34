"""Orders and what happens to them: access checks, cancellations, returns and refunds.

An order is private: it is read only by its verified customer or by someone who gives the
email or phone number of its customer. Writes are all-or-nothing; a write the shop's rules
do not allow raises :class:`ShopRefusal` and leaves no trace.

Writes are safe with several workers: a cancellation is a conditional ``UPDATE ... WHERE
status = 'paid'`` whose row count decides, and unique indexes allow one return per order
line and one cancellation refund per order. Given an :class:`EffectKey`, a write is done
at most once per customer message (:func:`kefu.shop.queries.effects.once`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.clock import local_date, today_in, utcnow
from kefu.settings import get_settings
from kefu.shop.db import session_scope
from kefu.shop.models import Customer, Order, OrderLine, Product, Refund, ReturnRequest
from kefu.shop.queries.common import guarded, invalidates, memoized
from kefu.shop.queries.customers import contact_matches
from kefu.shop.queries.effects import EffectKey, once

ORDER_ID_RE = re.compile(r"^KF\d{6,12}$")
CANCELLABLE = ("paid",)
MAX_RETURN_REASON_CHARS = 500


class ShopRefusal(Exception):
    """A write the shop's rules do not allow; ``reason`` names the rule."""

    def __init__(self, reason: str, **values: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class LineInfo:
    """One line of an order."""

    id: int
    line_no: int
    product_id: str
    name_zh: str
    name_en: str
    quantity: int
    unit_price: Decimal

    def name(self, language: str) -> str:
        """The product name in ``language``."""
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class OrderInfo:
    """An order with its lines (private: only for its verified owner)."""

    id: str
    customer_id: str
    status: str
    ordered_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    expected_delivery: date | None
    carrier: str | None
    tracking_number: str | None
    total: Decimal
    lines: tuple[LineInfo, ...] = field(default_factory=tuple)
    returned_line_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class RefundInfo:
    """A refund of an order."""

    id: int
    amount: Decimal
    status: str
    created_at: datetime
    completed_at: datetime | None


def normalize_order_id(value: object) -> str | None:
    """``" kf10000123 "`` -> ``"KF10000123"``; ``None`` when it is not an order number."""
    if not isinstance(value, str):
        return None
    candidate = re.sub(r"[\s\-]", "", value).upper()[:32]
    return candidate if ORDER_ID_RE.match(candidate) else None


def return_window_days() -> int:
    """Days after delivery during which a return is accepted (env ``KEFU_RETURN_WINDOW_DAYS``)."""
    return get_settings().return_window_days


def _order_info(s: Session, order: Order) -> OrderInfo:
    rows = s.execute(
        select(OrderLine, Product)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.line_no)
    ).all()
    lines = tuple(
        LineInfo(ln.id, ln.line_no, p.id, p.name_zh, p.name_en, ln.quantity, Decimal(ln.unit_price))
        for ln, p in rows
    )
    returned = s.scalars(
        select(ReturnRequest.order_line_id).where(ReturnRequest.order_id == order.id)
    ).all()
    return OrderInfo(
        id=order.id,
        customer_id=order.customer_id,
        status=order.status,
        ordered_at=order.ordered_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        expected_delivery=order.expected_delivery,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        total=Decimal(order.total),
        lines=lines,
        returned_line_ids=frozenset(returned),
    )


def _accessible(s: Session, order_id: object, customer_id: str | None, contact: object) -> Order:
    """The order if the caller proved access to it; :class:`ShopRefusal` ``not_found`` if not."""
    normalized = normalize_order_id(order_id)
    order = s.get(Order, normalized) if normalized else None
    if order is None:
        raise ShopRefusal("not_found")
    if customer_id and order.customer_id == customer_id:
        return order
    if contact is not None:
        customer = s.get(Customer, order.customer_id)
        if customer is not None and contact_matches(contact, customer):
            return order
    raise ShopRefusal("not_found")


@memoized
@guarded
def get_order_for_customer(
    order_id: str, customer_id: str | None, *, url: str | None = None
) -> OrderInfo | None:
    """The order when it belongs to ``customer_id``; ``None`` otherwise (or when missing)."""
    if normalize_order_id(order_id) is None or not customer_id:
        return None
    with session_scope(url) as s:
        try:
            return _order_info(s, _accessible(s, order_id, customer_id, None))
        except ShopRefusal:
            return None


@memoized
@guarded
def get_order_for_contact(
    order_id: str, contact: str | None, *, url: str | None = None
) -> OrderInfo | None:
    """The order when ``contact`` is the email or phone of its customer; ``None`` otherwise."""
    if normalize_order_id(order_id) is None or not contact:
        return None
    with session_scope(url) as s:
        try:
            return _order_info(s, _accessible(s, order_id, None, contact))
        except ShopRefusal:
            return None


def get_order(
    order_id: str,
    *,
    customer_id: str | None = None,
    contact: str | None = None,
    url: str | None = None,
) -> OrderInfo | None:
    """The order if the caller proved access to it (verified customer or matching contact)."""
    if customer_id:
        order = get_order_for_customer(order_id, customer_id, url=url)
        if order is not None:
            return order
    if contact:
        return get_order_for_contact(order_id, contact, url=url)
    return None


@memoized
@guarded
def recent_orders(customer_id: str, n: int = 5, *, url: str | None = None) -> list[OrderInfo]:
    """The ``n`` latest orders of ``customer_id`` (newest first)."""
    if not customer_id:
        return []
    n = max(1, min(int(n), 20))
    with session_scope(url) as s:
        orders = s.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.ordered_at.desc(), Order.id.desc())
            .limit(n)
        ).all()
        return [_order_info(s, o) for o in orders]


@guarded
def return_refusal(order: OrderInfo, today: date | None = None) -> tuple[str, dict] | None:
    """Why ``order`` cannot be returned (reason key and values), or ``None`` when it can."""
    today = today or today_in()
    if order.status in ("paid", "shipped"):
        return "not_delivered", {}
    if order.status == "cancelled":
        return "cancelled", {}
    if order.status == "returned" or (
        order.lines and all(ln.id in order.returned_line_ids for ln in order.lines)
    ):
        return "already_returned", {}
    days = return_window_days()
    delivered = local_date(order.delivered_at) if order.delivered_at else today
    deadline = date.fromordinal(delivered.toordinal() + days)
    if today > deadline:
        return "window_closed", {"deadline": deadline.isoformat(), "days": days}
    return None


def _refund_outcome(refund: Refund) -> dict[str, Any]:
    return {
        "id": int(refund.id),
        "amount": str(refund.amount),
        "status": refund.status,
        "created_at": refund.created_at.isoformat(),
    }


@invalidates
@guarded
def cancel_order(
    order_id: str,
    customer_id: str | None,
    contact: str | None,
    *,
    key: EffectKey | None = None,
    url: str | None = None,
) -> RefundInfo:
    """Cancel a paid order and open its refund, in one transaction.

    Only one of several concurrent cancellations wins (conditional update); a repeat of
    the same request (same ``key``) returns the refund the first one opened.

    Raises:
        ShopRefusal: ``not_found`` (no access), ``not_cancellable`` (wrong status, e.g.
            already cancelled by another request).
    """

    def effect(s: Session) -> dict[str, Any]:
        order = _accessible(s, order_id, customer_id, contact)
        changed = s.execute(
            update(Order)
            .where(Order.id == order.id, Order.status.in_(CANCELLABLE))
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            status = s.scalar(select(Order.status).where(Order.id == order.id))
            raise ShopRefusal("not_cancellable", status=status)
        refund = Refund(
            order_id=order.id, amount=order.total, status="pending", created_at=utcnow()
        )
        s.add(refund)
        try:
            s.flush()
        except IntegrityError as exc:  # uq_refund_cancellation: refunded already
            raise ShopRefusal("not_cancellable", status="cancelled") from exc
        return _refund_outcome(refund)

    outcome = once(key, effect, url=url).outcome
    return RefundInfo(
        int(outcome["id"]),
        Decimal(outcome["amount"]),
        str(outcome["status"]),
        datetime.fromisoformat(outcome["created_at"]),
        None,
    )


@invalidates
@guarded
def create_return(
    order_id: str,
    line_id: int,
    reason: str,
    customer_id: str | None,
    contact: str | None,
    *,
    key: EffectKey | None = None,
    url: str | None = None,
) -> int:
    """Create a return request for one line of a delivered order; returns its id.

    One return per order line, whatever the concurrency (unique index); a repeat of the
    same request (same ``key``) returns the id of the return the first one created.

    Raises:
        ShopRefusal: ``no_reason``, ``not_found``, ``not_delivered``, ``cancelled``,
            ``already_returned``, ``window_closed`` or ``no_such_item``.
    """
    reason = (reason or "").strip()[:MAX_RETURN_REASON_CHARS]
    if not reason:
        raise ShopRefusal("no_reason")

    def effect(s: Session) -> dict[str, Any]:
        order = _accessible(s, order_id, customer_id, contact)
        info = _order_info(s, order)
        refusal = return_refusal(info)
        if refusal:
            raise ShopRefusal(refusal[0], **refusal[1])
        if line_id not in {ln.id for ln in info.lines}:
            raise ShopRefusal("no_such_item")
        if line_id in info.returned_line_ids:
            raise ShopRefusal("already_returned")
        request = ReturnRequest(
            order_id=order.id,
            order_line_id=line_id,
            reason=reason,
            status="requested",
            created_at=utcnow(),
        )
        s.add(request)
        try:
            s.flush()
        except IntegrityError as exc:  # uq_return_line: a concurrent request won
            raise ShopRefusal("already_returned") from exc
        return {"id": int(request.id)}

    return int(once(key, effect, url=url).outcome["id"])


@memoized
@guarded
def refunds_for(order_id: str, *, url: str | None = None) -> list[RefundInfo]:
    """Refunds of an order (the caller has checked access), oldest first."""
    with session_scope(url) as s:
        rows = s.scalars(
            select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
        ).all()
        return [
            RefundInfo(r.id, Decimal(r.amount), r.status, r.created_at, r.completed_at)
            for r in rows
        ]
