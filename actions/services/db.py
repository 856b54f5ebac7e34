"""The shop database as the actions see it: small read models and all-or-nothing writes.

Every function opens its own transaction through :func:`kefu.shop.session_scope` on the
configured shop database (``KEFU_DATABASE_URL``) and returns plain dataclasses, so actions
never hold a session. Database failures surface as :class:`ShopUnavailable`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from kefu.settings import get_settings
from kefu.shop import session_scope
from kefu.shop.models import (
    Csat,
    Customer,
    Order,
    OrderLine,
    Product,
    Refund,
    ReturnRequest,
    Ticket,
)

ORDER_ID_RE = re.compile(r"^KF\d{6,12}$")
CANCELLABLE = ("paid",)
DEFAULT_RETURN_WINDOW_DAYS = 30
MAX_TEXT = 500
MAX_TRANSCRIPT_CHARS = 200_000


class ShopUnavailable(RuntimeError):
    """The shop database cannot be reached or is not initialised."""


def return_window_days() -> int:
    """Days after delivery during which a return is accepted (env ``KEFU_RETURN_WINDOW_DAYS``)."""
    raw = os.environ.get("KEFU_RETURN_WINDOW_DAYS", "").strip()
    if raw.isdigit() and 0 < int(raw) <= 3650:
        return int(raw)
    return DEFAULT_RETURN_WINDOW_DAYS


def _url() -> str:
    return get_settings().database_url


def normalize_order_id(value: object) -> str | None:
    """``" kf10000123 "`` -> ``"KF10000123"``; ``None`` when it is not an order number."""
    if not isinstance(value, str):
        return None
    candidate = re.sub(r"[\s\-]", "", value).upper()[:32]
    return candidate if ORDER_ID_RE.match(candidate) else None


def normalize_contact(value: object) -> str | None:
    """An email in lower case, or a phone number as its digits; ``None`` for anything else."""
    if not isinstance(value, str) or not value.strip() or len(value) > 320:
        return None
    text = value.strip()
    if "@" in text:
        email = text.lower()
        return email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else None
    digits = re.sub(r"\D", "", text)
    return digits if 6 <= len(digits) <= 20 else None


def _phone_matches(given: str, stored: str) -> bool:
    stored_digits = re.sub(r"\D", "", stored or "")
    if not stored_digits or not given:
        return False
    # "+86 138..." and "138..." name the same phone: compare the national part
    shorter, longer = sorted((given, stored_digits), key=len)
    return len(shorter) >= 7 and longer.endswith(shorter)


@dataclass(frozen=True)
class CustomerInfo:
    """A customer, as far as the bot needs to know."""

    id: str
    name: str
    language: str
    city: str


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


@dataclass(frozen=True)
class ProductInfo:
    """A product of the catalogue."""

    id: str
    name_zh: str
    name_en: str
    category: str
    brand: str
    price: Decimal
    stock: int
    image: str
    url: str

    def name(self, language: str) -> str:
        """The product name in ``language``."""
        return self.name_zh if language == "zh" else self.name_en


def _guard(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise ShopUnavailable(f"shop database error: {exc.__class__.__name__}") from exc

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


@_guard
def get_customer(customer_id: str) -> CustomerInfo | None:
    """The customer ``customer_id``, or ``None``."""
    if not isinstance(customer_id, str) or not customer_id or len(customer_id) > 64:
        return None
    with session_scope(_url()) as s:
        c = s.get(Customer, customer_id)
        return CustomerInfo(c.id, c.name, c.language, c.city) if c else None


def _order_info(s: Any, order: Order) -> OrderInfo:
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


@_guard
def get_order_for_customer(order_id: str, customer_id: str | None) -> OrderInfo | None:
    """The order when it belongs to ``customer_id``; ``None`` otherwise (or when missing)."""
    order_id = normalize_order_id(order_id)
    if order_id is None or not customer_id:
        return None
    with session_scope(_url()) as s:
        order = s.get(Order, order_id)
        if order is None or order.customer_id != customer_id:
            return None
        return _order_info(s, order)


@_guard
def get_order_for_contact(order_id: str, contact: str | None) -> OrderInfo | None:
    """The order when ``contact`` is the email or phone of its customer; ``None`` otherwise."""
    order_id = normalize_order_id(order_id)
    given = normalize_contact(contact)
    if order_id is None or given is None:
        return None
    with session_scope(_url()) as s:
        row = s.execute(
            select(Order, Customer)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.id == order_id)
        ).first()
        if row is None:
            return None
        order, customer = row
        if "@" in given:
            ok = given == (customer.email or "").strip().lower()
        else:
            ok = _phone_matches(given, customer.phone)
        return _order_info(s, order) if ok else None


def get_order(
    order_id: str, *, customer_id: str | None = None, contact: str | None = None
) -> OrderInfo | None:
    """The order if the caller proved access to it (verified customer or matching contact)."""
    if customer_id:
        order = get_order_for_customer(order_id, customer_id)
        if order is not None:
            return order
    if contact:
        return get_order_for_contact(order_id, contact)
    return None


@_guard
def recent_orders(customer_id: str, n: int = 5) -> list[OrderInfo]:
    """The ``n`` latest orders of ``customer_id`` (newest first)."""
    if not customer_id:
        return []
    n = max(1, min(int(n), 20))
    with session_scope(_url()) as s:
        orders = s.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.ordered_at.desc(), Order.id.desc())
            .limit(n)
        ).all()
        return [_order_info(s, o) for o in orders]


def return_refusal(order: OrderInfo, today: date | None = None) -> tuple[str, dict] | None:
    """Why ``order`` cannot be returned (reason key and values), or ``None`` when it can."""
    today = today or date.today()
    if order.status in ("paid", "shipped"):
        return "not_delivered", {}
    if order.status == "cancelled":
        return "cancelled", {}
    if order.status == "returned" or (
        order.lines and all(ln.id in order.returned_line_ids for ln in order.lines)
    ):
        return "already_returned", {}
    delivered = (order.delivered_at.date() if order.delivered_at else None) or today
    deadline = date.fromordinal(delivered.toordinal() + return_window_days())
    if today > deadline:
        return "window_closed", {"deadline": deadline.isoformat(), "days": return_window_days()}
    return None


class ShopRefusal(Exception):
    """A write the shop's rules do not allow; ``reason`` names the rule."""

    def __init__(self, reason: str, **values: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


@_guard
def cancel_order(order_id: str, customer_id: str | None, contact: str | None) -> RefundInfo:
    """Cancel a paid order and open its refund, in one transaction.

    Raises:
        ShopRefusal: ``not_found`` (no access), ``not_cancellable`` (wrong status).
    """
    with session_scope(_url()) as s:
        order = _checked_order(s, order_id, customer_id, contact)
        if order.status not in CANCELLABLE:
            raise ShopRefusal("not_cancellable", status=order.status)
        now = datetime.now().replace(microsecond=0)
        order.status = "cancelled"
        refund = Refund(order_id=order.id, amount=order.total, status="pending", created_at=now)
        s.add(refund)
        s.flush()
        return RefundInfo(refund.id, Decimal(refund.amount), refund.status, now, None)


def _checked_order(s: Any, order_id: str, customer_id: str | None, contact: str | None) -> Order:
    order_id = normalize_order_id(order_id)
    order = s.get(Order, order_id) if order_id else None
    if order is None:
        raise ShopRefusal("not_found")
    if customer_id and order.customer_id == customer_id:
        return order
    given = normalize_contact(contact)
    if given:
        customer = s.get(Customer, order.customer_id)
        if "@" in given and given == (customer.email or "").lower():
            return order
        if "@" not in given and _phone_matches(given, customer.phone):
            return order
    raise ShopRefusal("not_found")


@_guard
def create_return(
    order_id: str, line_id: int, reason: str, customer_id: str | None, contact: str | None
) -> int:
    """Create a return request for one line of a delivered order; returns its id.

    Raises:
        ShopRefusal: ``not_found``, ``not_delivered``, ``cancelled``, ``already_returned``,
            ``window_closed`` or ``no_such_item``.
    """
    reason = (reason or "").strip()[:MAX_TEXT]
    if not reason:
        raise ShopRefusal("no_reason")
    with session_scope(_url()) as s:
        order = _checked_order(s, order_id, customer_id, contact)
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
            created_at=datetime.now().replace(microsecond=0),
        )
        s.add(request)
        s.flush()
        return int(request.id)


@_guard
def refunds_for(order_id: str) -> list[RefundInfo]:
    """Refunds of an order (the caller has checked access), oldest first."""
    with session_scope(_url()) as s:
        rows = s.scalars(
            select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
        ).all()
        return [
            RefundInfo(r.id, Decimal(r.amount), r.status, r.created_at, r.completed_at)
            for r in rows
        ]


@_guard
def create_ticket(
    conversation_id: str,
    customer_id: str | None,
    language: str,
    reason: str,
    transcript: list[dict[str, Any]],
) -> int:
    """Write a hand-off ticket with the transcript so far; returns its id."""
    payload = json.dumps(transcript, ensure_ascii=False)
    while len(payload) > MAX_TRANSCRIPT_CHARS and transcript:
        transcript = transcript[1:]  # keep the latest turns of a very long conversation
        payload = json.dumps(transcript, ensure_ascii=False)
    with session_scope(_url()) as s:
        ticket = Ticket(
            conversation_id=conversation_id[:255],
            customer_id=customer_id,
            language=language if language in ("zh", "en") else "zh",
            reason=(reason or "")[:200],
            transcript=payload,
            status="open",
            created_at=datetime.now().replace(microsecond=0),
        )
        s.add(ticket)
        s.flush()
        return int(ticket.id)


@_guard
def store_csat(conversation_id: str, customer_id: str | None, language: str, score: int) -> int:
    """Store a 1-5 satisfaction score for a conversation; returns the row id."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"score must be an integer from 1 to 5, got {score!r}")
    with session_scope(_url()) as s:
        row = Csat(
            conversation_id=conversation_id[:255],
            customer_id=customer_id,
            language=language if language in ("zh", "en") else "zh",
            score=score,
            created_at=datetime.now().replace(microsecond=0),
        )
        s.add(row)
        s.flush()
        return int(row.id)


def _product_info(p: Product) -> ProductInfo:
    return ProductInfo(
        p.id, p.name_zh, p.name_en, p.category, p.brand, Decimal(p.price), p.stock, p.image, p.url
    )


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@_guard
def search_products(
    *,
    terms: list[str] | None = None,
    brands: list[str] | None = None,
    category: str | None = None,
    min_price: float | None = None,
    max_price: float | None = None,
    limit: int = 5,
) -> list[ProductInfo]:
    """Products matching every given filter, in stock first, then by sales.

    Args:
        terms: product words (any language); a product matches when its name contains one.
        brands: brand names (any language); matched on the brand and the name prefix.
        category: category key (``electronics``...).
        min_price: lowest price.
        max_price: highest price.
        limit: at most this many products (1-20).
    """
    limit = max(1, min(int(limit), 20))
    # units sold, counted per candidate product through the product_id index (a GROUP BY
    # over every order line cost 3-7 ms per search on the demo shop, growing with sales)
    sales = (
        select(func.count(OrderLine.id))
        .where(OrderLine.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    query = select(Product)
    terms = [t.strip()[:100] for t in terms or [] if isinstance(t, str) and t.strip()]
    brands = [b.strip()[:100] for b in brands or [] if isinstance(b, str) and b.strip()]
    if terms:
        query = query.where(
            or_(
                *[
                    cond
                    for t in terms
                    for cond in (
                        Product.name_zh.like(_like(t), escape="\\"),
                        Product.name_en.ilike(_like(t), escape="\\"),
                    )
                ]
            )
        )
    if brands:
        query = query.where(
            or_(
                *[
                    cond
                    for b in brands
                    for cond in (
                        func.lower(Product.brand) == b.lower(),
                        Product.name_zh.like(f"{b} %"),
                        Product.name_en.ilike(f"{b} %"),
                    )
                ]
            )
        )
    if category:
        query = query.where(Product.category == category)
    if min_price is not None:
        query = query.where(Product.price >= min_price)
    if max_price is not None:
        query = query.where(Product.price <= max_price)
    query = query.order_by((Product.stock > 0).desc(), sales.desc(), Product.id).limit(limit)
    with session_scope(_url()) as s:
        return [_product_info(p) for p in s.scalars(query).all()]


@_guard
def products_by_ids(ids: list[str]) -> dict[str, ProductInfo]:
    """Products by id (missing ids are left out)."""
    ids = [i for i in ids if isinstance(i, str)][:100]
    if not ids:
        return {}
    with session_scope(_url()) as s:
        rows = s.scalars(select(Product).where(Product.id.in_(ids))).all()
        return {p.id: _product_info(p) for p in rows}


@_guard
def categories() -> list[str]:
    """Category keys present in the catalogue."""
    with session_scope(_url()) as s:
        return sorted(s.scalars(select(Product.category).distinct()).all())
