"""SQLAlchemy models of the shop: customers, products, orders, reviews, tickets, CSAT.

Only portable column types are used so the same models run on SQLite and PostgreSQL.
Ids of customers, products and orders are strings, as shops' own exports use many
formats (numbers, ``C00042``, ``KF10000001``...).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from nlp.text import LANGUAGES

Base: Any = declarative_base()  # SQLAlchemy 1.4 declarative base: untyped without its plugin

ORDER_STATUSES = ("paid", "shipped", "delivered", "cancelled", "returned")
RETURN_STATUSES = ("requested", "approved", "rejected", "refunded")
REFUND_STATUSES = ("pending", "processing", "completed")
TICKET_STATUSES = ("pending", "open", "snoozed", "resolved")
ESCALATION_REASONS = ("asked", "negative_sentiment", "fallbacks")
STAFF_ROLES = ("agent", "admin")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Customer(Base):
    """A shop customer."""

    __tablename__ = "customers"
    id = Column(String(64), primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(320), nullable=False, unique=True)
    phone = Column(String(32), nullable=False)
    language = Column(String(2), nullable=False)
    city = Column(String(100), nullable=False)
    signup_date = Column(Date, nullable=False)
    __table_args__ = (CheckConstraint(_in("language", LANGUAGES), name="ck_customer_language"),)

    orders = relationship("Order", back_populates="customer")


class Product(Base):
    """A product of the catalogue, named and described in both languages."""

    __tablename__ = "products"
    id = Column(String(64), primary_key=True)
    name_zh = Column(String(200), nullable=False)
    name_en = Column(String(200), nullable=False)
    category = Column(String(100), nullable=False, index=True)
    brand = Column(String(100), nullable=False, index=True)
    price = Column(Numeric(10, 2), nullable=False)
    stock = Column(Integer, nullable=False)
    description_zh = Column(Text, nullable=False, default="")
    description_en = Column(Text, nullable=False, default="")
    image = Column(String(500), nullable=False, default="")
    url = Column(String(500), nullable=False, default="")
    __table_args__ = (
        CheckConstraint("price >= 0", name="ck_product_price"),
        CheckConstraint("stock >= 0", name="ck_product_stock"),
    )


class Order(Base):
    """An order; its products are in :class:`OrderLine`."""

    __tablename__ = "orders"
    id = Column(String(64), primary_key=True)
    customer_id = Column(String(64), ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(String(16), nullable=False)
    ordered_at = Column(DateTime, nullable=False)
    shipped_at = Column(DateTime)
    delivered_at = Column(DateTime)
    expected_delivery = Column(Date)
    carrier = Column(String(64))
    tracking_number = Column(String(64))
    shipping_address = Column(String(500), nullable=False, default="")
    total = Column(Numeric(12, 2), nullable=False, default=0)
    __table_args__ = (CheckConstraint(_in("status", ORDER_STATUSES), name="ck_order_status"),)

    customer = relationship("Customer", back_populates="orders")
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.line_no")


class OrderLine(Base):
    """One product line of an order."""

    __tablename__ = "order_lines"
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_id = Column(String(64), ForeignKey("orders.id"), nullable=False, index=True)
    line_no = Column(Integer, nullable=False)
    product_id = Column(String(64), ForeignKey("products.id"), nullable=False, index=True)
    quantity = Column(Integer, nullable=False)
    unit_price = Column(Numeric(10, 2), nullable=False)
    __table_args__ = (
        UniqueConstraint("order_id", "line_no", name="uq_order_line"),
        CheckConstraint("quantity > 0", name="ck_line_quantity"),
    )

    order = relationship("Order", back_populates="lines")
    product = relationship("Product")


class Review(Base):
    """A product review with a 1-5 rating, written in Chinese or English."""

    __tablename__ = "reviews"
    id = Column(String(64), primary_key=True)
    customer_id = Column(String(64), ForeignKey("customers.id"), nullable=False, index=True)
    product_id = Column(String(64), ForeignKey("products.id"), nullable=False, index=True)
    rating = Column(Integer, nullable=False)
    text = Column(Text, nullable=False)
    language = Column(String(2), nullable=False)
    created_at = Column(DateTime, nullable=False)
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_review_rating"),
        CheckConstraint(_in("language", LANGUAGES), name="ck_review_language"),
    )


class ReturnRequest(Base):
    """A customer's request to return one order line."""

    __tablename__ = "returns"
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_id = Column(String(64), ForeignKey("orders.id"), nullable=False, index=True)
    order_line_id = Column(Integer, ForeignKey("order_lines.id"), nullable=False)
    reason = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="requested")
    created_at = Column(DateTime, nullable=False)
    __table_args__ = (
        CheckConstraint(_in("status", RETURN_STATUSES), name="ck_return_status"),
        Index("uq_return_line", "order_line_id", unique=True),  # one return per order line
    )


class Refund(Base):
    """Money going back to a customer for a cancelled order or an accepted return."""

    __tablename__ = "refunds"
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_id = Column(String(64), ForeignKey("orders.id"), nullable=False, index=True)
    return_id = Column(Integer, ForeignKey("returns.id"))
    amount = Column(Numeric(12, 2), nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    created_at = Column(DateTime, nullable=False)
    completed_at = Column(DateTime)
    __table_args__ = (
        CheckConstraint(_in("status", REFUND_STATUSES), name="ck_refund_status"),
        Index("uq_refund_return", "return_id", unique=True),  # one refund per return
        # one cancellation refund per order (a refund without a return is a cancellation)
        Index(
            "uq_refund_cancellation",
            "order_id",
            unique=True,
            sqlite_where=text("return_id IS NULL"),
            postgresql_where=text("return_id IS NULL"),
        ),
    )


class Staff(Base):
    """A staff account (agent or admin) of the agent console and the reports."""

    __tablename__ = "staff"
    id = Column(Integer, primary_key=True, autoincrement=True)
    email = Column(String(320), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    role = Column(String(16), nullable=False, default="agent")
    password_hash = Column(String(500), nullable=False)
    active = Column(Boolean, nullable=False, default=True, server_default=text("true"))
    on_duty = Column(Boolean, nullable=False, default=False, server_default=false())
    session_epoch = Column(Integer, nullable=False, default=0, server_default="0")
    created_at = Column(DateTime, nullable=False)
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="ck_staff_role"),)


class Ticket(Base):
    """A hand-off to a human agent: its place in the queue and the transcript at hand-off.

    At most one unresolved ticket per conversation (a partial unique index).
    """

    __tablename__ = "tickets"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    customer_id = Column(String(64), ForeignKey("customers.id"))
    language = Column(String(2), nullable=False, default="zh")
    reason = Column(String(200), nullable=False, default="")
    transcript = Column(Text, nullable=False, default="[]")
    status = Column(String(16), nullable=False, default="pending")
    created_at = Column(DateTime, nullable=False)
    assignee_id = Column(Integer, ForeignKey("staff.id"), index=True)
    snoozed_until = Column(DateTime)
    waiting_since = Column(DateTime)
    first_reply_at = Column(DateTime)
    resolved_at = Column(DateTime)
    resolved_by = Column(Integer, ForeignKey("staff.id"))
    escalation_reason = Column(String(32))
    last_customer_message_at = Column(DateTime)
    unread_for_agent = Column(Integer, nullable=False, default=0, server_default="0")
    __table_args__ = (
        CheckConstraint(_in("status", TICKET_STATUSES), name="ck_ticket_status"),
        Index(
            "uq_ticket_unresolved",
            "conversation_id",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
            sqlite_where=text("status <> 'resolved'"),
        ),
    )


class TicketNote(Base):
    """A private note of an agent on a ticket (never shown to the customer)."""

    __tablename__ = "ticket_notes"
    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    staff_id = Column(Integer, ForeignKey("staff.id"), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)


class CannedReply(Base):
    """A reply agents insert with ``/shortcut``, in both languages."""

    __tablename__ = "canned_replies"
    id = Column(Integer, primary_key=True, autoincrement=True)
    shortcut = Column(String(50), nullable=False, unique=True)
    text_zh = Column(Text, nullable=False)
    text_en = Column(Text, nullable=False)
    created_by = Column(Integer, ForeignKey("staff.id"))


class Csat(Base):
    """A customer-satisfaction score (1-5); ``agent_id`` is null for bot-only conversations."""

    __tablename__ = "csat"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    customer_id = Column(String(64), ForeignKey("customers.id"))
    language = Column(String(2), nullable=False, default="zh")
    score = Column(Integer, nullable=False)
    created_at = Column(DateTime, nullable=False)
    agent_id = Column(Integer, ForeignKey("staff.id"))
    ticket_id = Column(Integer, ForeignKey("tickets.id"))
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="ck_csat_score"),)


class LookupFailure(Base):
    """One failed order lookup (wrong contact), counted per browser session and per client.

    ``key`` is a keyed hash (``session:...``, ``ip:...``, ``conversation:...``), never the
    raw address or session id; rows older than the lock window are pruned as new ones come.
    """

    __tablename__ = "lookup_failures"
    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(80), nullable=False, index=True)
    failed_at = Column(DateTime, nullable=False, index=True)


class SiteSession(Base):
    """A signed-in session of the site: the cookie is valid only while its row exists."""

    __tablename__ = "site_sessions"
    id = Column(String(64), primary_key=True)
    customer_id = Column(String(64), nullable=True, index=True)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)


class ActionEffect(Base):
    """A side effect the bot performed for one customer message (an idempotency key).

    Written in the same transaction as the effect; a repeat of the same request (same
    conversation, message and action, e.g. a retry after a timeout) finds it and returns
    ``outcome`` (JSON) instead of doing the effect again. See :mod:`kefu.shop.queries.effects`.
    """

    __tablename__ = "action_effects"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False)
    message_id = Column(String(255), nullable=False)
    action = Column(String(64), nullable=False)
    outcome = Column(Text, nullable=False, default="{}")
    created_at = Column(DateTime, nullable=False)
    __table_args__ = (
        UniqueConstraint("conversation_id", "message_id", "action", name="uq_action_effect"),
    )


class SupportSetting(Base):
    """A setting of the support desk changed by an admin in the console (``opening_hours``,
    ``support_tz``); it overrides the environment's default while its row exists."""

    __tablename__ = "support_settings"
    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    updated_by = Column(Integer, ForeignKey("staff.id"))
