"""The columns of each kind of CSV file and how each cell is parsed.

Every parser returns the value or raises :class:`ValueError` with a readable reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from kefu.shop.models import LANGUAGES, ORDER_STATUSES, Customer, Order, OrderLine, Product, Review


def _text(limit: int | None) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if "\x00" in raw:
            raise ValueError("contains a NUL character")
        if limit and len(raw) > limit:
            raise ValueError(f"is {len(raw)} characters long, at most {limit} allowed")
        return raw

    return parse


def _int(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{raw[:40]!r} is not a whole number") from None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"{value} is out of range ({bounds})")
        return value

    return parse


def _decimal(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{raw[:40]!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{raw[:40]!r} must be a number >= 0")
    if value >= Decimal("1e10"):
        raise ValueError(f"{raw[:40]!r} is too large")
    return value.quantize(Decimal("0.01"))


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.replace("/", "-")[:10]) if len(raw) <= 10 else _dt(raw).date()
    except ValueError:
        raise ValueError(f"{raw[:40]!r} is not a date (YYYY-MM-DD)") from None


def _dt(raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.replace("/", "-").replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{raw[:40]!r} is not a date-time (YYYY-MM-DD HH:MM[:SS])") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _choice(values: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in values:
            raise ValueError(f"{raw[:40]!r} is not one of {', '.join(values)}")
        return raw.lower()

    return parse


def _email(raw: str) -> str:
    raw = _text(320)(raw)
    local, _, domain = raw.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in raw):
        raise ValueError(f"{raw[:60]!r} is not an email address")
    return raw


def _length(model: Any, column: str) -> int | None:
    return getattr(model.__table__.c[column].type, "length", None)


@dataclass(frozen=True)
class Column:
    """How to read one CSV column."""

    name: str
    parse: Callable[[str], Any]
    required: bool = True
    empty: Any = None  # the value of an empty optional cell


@dataclass(frozen=True)
class FileSpec:
    """The columns of one kind of file."""

    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _t(model: Any, column: str, name: str | None = None, required: bool = True) -> Column:
    empty = None if model.__table__.c[column].nullable else ""
    return Column(name or column, _text(_length(model, column)), required, empty)


SPECS = {
    "products": FileSpec(
        "products",
        (
            _t(Product, "id"),
            _t(Product, "name_zh"),
            _t(Product, "name_en"),
            _t(Product, "category"),
            _t(Product, "brand"),
            Column("price", _decimal),
            Column("stock", _int(0, 10**9)),
            _t(Product, "description_zh", required=False),
            _t(Product, "description_en", required=False),
            _t(Product, "image", required=False),
            _t(Product, "url", required=False),
        ),
        ("id",),
    ),
    "customers": FileSpec(
        "customers",
        (
            _t(Customer, "id"),
            _t(Customer, "name"),
            Column("email", _email),
            _t(Customer, "phone"),
            Column("language", _choice(LANGUAGES)),
            _t(Customer, "city"),
            Column("signup_date", _date),
        ),
        ("id",),
    ),
    "orders": FileSpec(
        "orders",
        (
            _t(Order, "id", "order_id"),
            _t(Order, "customer_id"),
            Column("status", _choice(ORDER_STATUSES)),
            Column("ordered_at", _dt),
            Column("shipped_at", _dt, False),
            Column("delivered_at", _dt, False),
            Column("expected_delivery", _date, False),
            _t(Order, "carrier", required=False),
            _t(Order, "tracking_number", required=False),
            _t(Order, "shipping_address", required=False),
            Column("line_no", _int(1, 10**6)),
            _t(OrderLine, "product_id"),
            Column("quantity", _int(1, 10**6)),
            Column("unit_price", _decimal),
        ),
        ("order_id", "line_no"),
    ),
    "reviews": FileSpec(
        "reviews",
        (
            _t(Review, "id"),
            _t(Review, "customer_id"),
            _t(Review, "product_id"),
            Column("rating", _int(1, 5)),
            Column("text", _text(20000)),
            Column("language", _choice(LANGUAGES)),
            Column("created_at", _dt),
        ),
        ("id",),
    ),
}
ORDER_FIELDS = (
    "customer_id",
    "status",
    "ordered_at",
    "shipped_at",
    "delivered_at",
    "expected_delivery",
    "carrier",
    "tracking_number",
    "shipping_address",
)
