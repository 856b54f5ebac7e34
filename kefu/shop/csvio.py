"""CSV export of the shop and an all-or-nothing importer of a shop's own CSV exports.

Files (UTF-8, header row, one row per record; orders have one row per order line, the
order's own columns repeated on each of its lines, as shop platforms export them):

- products: id, name_zh, name_en, category, brand, price, stock [, description_zh,
  description_en, image, url]
- customers: id, name, email, phone, language (zh/en), city, signup_date
- orders: order_id, customer_id, status, ordered_at [, shipped_at, delivered_at,
  expected_delivery, carrier, tracking_number, shipping_address], line_no, product_id,
  quantity, unit_price
- reviews: id, customer_id, product_id, rating (1-5), text, language (zh/en), created_at

The importer checks every row before writing anything: a bad value, a duplicate id, an
unknown customer or product is reported as ``file:line: what is wrong`` and nothing is
written. Valid files are written in one transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select

from kefu.shop.db import get_engine
from kefu.shop.models import (
    LANGUAGES,
    ORDER_STATUSES,
    Base,
    Customer,
    Order,
    OrderLine,
    Product,
    Review,
)
from kefu.shop.writer import write_tables

MAX_ERRORS = 50
csv.field_size_limit(10 * 1024 * 1024)


class ShopImportError(ValueError):
    """The files cannot be imported; ``errors`` lists each problem as ``file:line: msg``."""

    def __init__(self, errors: list[str], total: int | None = None) -> None:
        self.errors = errors
        self.total = total if total is not None else len(errors)
        more = f"\n... and {self.total - len(errors)} more" if self.total > len(errors) else ""
        super().__init__(
            f"{self.total} problem(s) found, nothing was imported:\n" + "\n".join(errors) + more
        )


# ---- value parsers: each returns the value or raises ValueError with a readable reason


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


def _length(model: type, column: str) -> int | None:
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


def _t(model: type, column: str, name: str | None = None, required: bool = True) -> Column:
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


@dataclass
class _Collector:
    errors: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, where: str, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{where}: {message}")


class _BadLine(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _decoded_lines(handle, counter: list[int]) -> Iterator[str]:
    """Lines of a binary file decoded one by one, so a bad byte is pinned to its line."""
    for raw in handle:
        counter[0] += 1
        if counter[0] == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _BadLine(counter[0], "is not valid UTF-8 text; stopping here") from None
        if "\x00" in line:
            raise _BadLine(counter[0], "contains a NUL character; stopping here")
        yield line


def _read(path: Path, spec: FileSpec, errors: _Collector) -> Iterator[tuple[int, dict]]:
    """Yield (line number, parsed row) for each good row; record the bad ones."""
    name = path.name
    try:
        handle = path.open("rb")
    except OSError as exc:
        errors.add(name, f"cannot be read ({exc.strerror or exc})")
        return
    counter = [0]
    with handle:
        reader = csv.DictReader(_decoded_lines(handle, counter))
        try:
            header = reader.fieldnames
            if not header:
                errors.add(
                    name, f"is empty: a header row with {', '.join(spec.required)} is needed"
                )
                return
            missing = [c for c in spec.required if c not in header]
            if missing:
                errors.add(f"{name}:1", f"missing column(s) {', '.join(missing)} for {spec.kind}")
                return
            line = 1
            for raw in reader:
                line_start, line = line + 1, counter[0]
                if None in raw:
                    errors.add(f"{name}:{line_start}", "has more fields than the header")
                    continue
                row, ok = {}, True
                for col in spec.columns:
                    value = (raw.get(col.name) or "").strip()
                    if not value:
                        if col.required:
                            errors.add(f"{name}:{line_start}", f"column {col.name!r} is empty")
                            ok = False
                        row[col.name] = col.empty
                        continue
                    try:
                        row[col.name] = col.parse(value)
                    except ValueError as exc:
                        errors.add(f"{name}:{line_start}", f"column {col.name!r}: {exc}")
                        ok = False
                if ok:
                    yield line_start, row
        except _BadLine as exc:
            errors.add(f"{name}:{exc.line}", str(exc))
        except csv.Error as exc:
            errors.add(f"{name}:{counter[0]}", f"malformed CSV ({exc}); stopping here")


def _existing_ids(conn, model: type) -> set[str]:
    if not inspect(conn).has_table(model.__tablename__):
        return set()
    return set(conn.execute(select(model.id)).scalars())


def import_csv(
    products: Path | None = None,
    customers: Path | None = None,
    orders: Path | None = None,
    reviews: Path | None = None,
    url: str | None = None,
) -> dict[str, int]:
    """Check and import a shop's CSV files in one transaction.

    Args:
        products: products file, or None.
        customers: customers file, or None.
        orders: orders file (one row per order line), or None.
        reviews: reviews file, or None.
        url: database URL (default: the configured shop database).

    Returns:
        Rows written per table.

    Raises:
        ShopImportError: anything wrong with the files; nothing was written.
    """
    paths = {"products": products, "customers": customers, "orders": orders, "reviews": reviews}
    paths = {k: Path(v) for k, v in paths.items() if v is not None}
    if not paths:
        raise ShopImportError(
            ["no file given: pass --products, --customers, --orders or --reviews"]
        )
    errors = _Collector()
    engine = get_engine(url)
    with engine.connect() as conn:
        known = {
            "customers": _existing_ids(conn, Customer),
            "products": _existing_ids(conn, Product),
            "orders": _existing_ids(conn, Order),
            "reviews": _existing_ids(conn, Review),
        }
    tables: dict[str, list[dict]] = {}
    new_ids: dict[str, dict[str, int]] = {}
    for kind in ("products", "customers"):
        if kind not in paths:
            continue
        rows, seen = [], {}
        for line, row in _read(paths[kind], SPECS[kind], errors):
            where = f"{paths[kind].name}:{line}"
            if row["id"] in seen:
                errors.add(where, f"duplicate id {row['id']!r} (first on line {seen[row['id']]})")
            elif row["id"] in known[kind]:
                errors.add(where, f"id {row['id']!r} already exists in the database")
            else:
                seen[row["id"]] = line
                rows.append(row)
        tables[kind], new_ids[kind] = rows, seen
    if "customers" in tables:
        emails: dict[str, int] = {}
        for row in tables["customers"]:
            line = new_ids["customers"][row["id"]]
            key = row["email"].lower()
            if key in emails:
                errors.add(
                    f"{paths['customers'].name}:{line}",
                    f"duplicate email {row['email']!r} (first on line {emails[key]})",
                )
            emails[key] = line
    customer_ids = known["customers"] | set(new_ids.get("customers", {}))
    product_ids = known["products"] | set(new_ids.get("products", {}))

    if "orders" in paths:
        name = paths["orders"].name
        orders_out: dict[str, dict] = {}
        lines_out, first_line, seen_lines = [], {}, {}
        for line, row in _read(paths["orders"], SPECS["orders"], errors):
            where, oid = f"{name}:{line}", row["order_id"]
            if oid in known["orders"]:
                errors.add(where, f"order {oid!r} already exists in the database")
                continue
            if row["customer_id"] not in customer_ids:
                errors.add(where, f"unknown customer_id {row['customer_id']!r}")
                continue
            if row["product_id"] not in product_ids:
                errors.add(where, f"unknown product_id {row['product_id']!r}")
                continue
            key = (oid, row["line_no"])
            if key in seen_lines:
                errors.add(
                    where,
                    f"duplicate line {row['line_no']} of order {oid!r} "
                    f"(first on line {seen_lines[key]})",
                )
                continue
            seen_lines[key] = line
            order = {"id": oid, **{f: row[f] for f in ORDER_FIELDS}}
            order["shipping_address"] = order["shipping_address"] or ""
            if oid in orders_out:
                diff = [f for f in ORDER_FIELDS if orders_out[oid][f] != order[f]]
                if diff:
                    errors.add(
                        where,
                        f"order {oid!r} has {', '.join(diff)} different from "
                        f"line {first_line[oid]}",
                    )
                    continue
            else:
                order["total"] = Decimal("0")
                orders_out[oid], first_line[oid] = order, line
            orders_out[oid]["total"] += row["unit_price"] * row["quantity"]
            lines_out.append(
                {k: row[k] for k in ("line_no", "product_id", "quantity", "unit_price")}
                | {"order_id": oid}
            )
        tables["orders"], tables["order_lines"] = list(orders_out.values()), lines_out

    if "reviews" in paths:
        name = paths["reviews"].name
        rows, seen = [], {}
        for line, row in _read(paths["reviews"], SPECS["reviews"], errors):
            where = f"{name}:{line}"
            if row["id"] in seen:
                errors.add(where, f"duplicate id {row['id']!r} (first on line {seen[row['id']]})")
            elif row["id"] in known["reviews"]:
                errors.add(where, f"id {row['id']!r} already exists in the database")
            elif row["customer_id"] not in customer_ids:
                errors.add(where, f"unknown customer_id {row['customer_id']!r}")
            elif row["product_id"] not in product_ids:
                errors.add(where, f"unknown product_id {row['product_id']!r}")
            else:
                seen[row["id"]] = line
                rows.append(row)
        tables["reviews"] = rows

    if errors.total:
        raise ShopImportError(errors.errors, errors.total)
    try:
        with engine.begin() as conn:
            Base.metadata.create_all(conn)
            return write_tables(conn, tables)
    except Exception as exc:  # a constraint the checks above did not foresee
        raise ShopImportError(
            [
                f"the database refused the data: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0][:300]}"
            ]
        ) from exc


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return str(value)


def export_csv(out_dir: Path, url: str | None = None) -> dict[str, Path]:
    """Write the shop's products, customers, orders (one row per line) and reviews as CSV.

    Returns:
        The path written per kind.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    engine = get_engine(url)
    written = {}
    with engine.connect() as conn:
        queries = {
            "products": select(
                *[Product.__table__.c[c.name] for c in SPECS["products"].columns]
            ).order_by(Product.id),
            "customers": select(Customer.__table__).order_by(Customer.id),
            "orders": select(
                Order.id.label("order_id"),
                *[Order.__table__.c[f] for f in ORDER_FIELDS],
                OrderLine.line_no,
                OrderLine.product_id,
                OrderLine.quantity,
                OrderLine.unit_price,
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .order_by(Order.id, OrderLine.line_no),
            "reviews": select(Review.__table__).order_by(Review.id),
        }
        for kind, query in queries.items():
            path = out_dir / f"{kind}.csv"
            columns = [c.name for c in SPECS[kind].columns]
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                for row in conn.execute(query).mappings():
                    writer.writerow([_cell(row[c]) for c in columns])
            written[kind] = path
    return written
