"""Checks across rows, files and the database: duplicates, unknown references, order totals.

:func:`check_files` reads every given file, records each problem and returns the rows per
table ready to write. It writes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from kefu.shop.importer.columns import ORDER_FIELDS, SPECS
from kefu.shop.importer.read import Problems, read_rows

Rows = list[dict]


def _entities(
    path: Path, kind: str, known: set[str], errors: Problems
) -> tuple[Rows, dict[str, int]]:
    """Products or customers: new, unique ids; returns the rows and the line of each id."""
    rows: Rows = []
    seen: dict[str, int] = {}
    for line, row in read_rows(path, SPECS[kind], errors):
        where = f"{path.name}:{line}"
        if row["id"] in seen:
            errors.add(where, f"duplicate id {row['id']!r} (first on line {seen[row['id']]})")
        elif row["id"] in known:
            errors.add(where, f"id {row['id']!r} already exists in the database")
        else:
            seen[row["id"]] = line
            rows.append(row)
    return rows, seen


def _unique_emails(path: Path, rows: Rows, lines: dict[str, int], errors: Problems) -> None:
    emails: dict[str, int] = {}
    for row in rows:
        line = lines[row["id"]]
        key = row["email"].lower()
        if key in emails:
            errors.add(
                f"{path.name}:{line}",
                f"duplicate email {row['email']!r} (first on line {emails[key]})",
            )
        emails[key] = line


def _orders(
    path: Path,
    known: set[str],
    customer_ids: set[str],
    product_ids: set[str],
    errors: Problems,
) -> tuple[Rows, Rows]:
    """Orders and their lines from the one-row-per-line file; totals summed from the lines."""
    orders_out: dict[str, dict] = {}
    lines_out: Rows = []
    first_line: dict[str, int] = {}
    seen_lines: dict[tuple[str, int], int] = {}
    for line, row in read_rows(path, SPECS["orders"], errors):
        where, oid = f"{path.name}:{line}", row["order_id"]
        if oid in known:
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
                    f"order {oid!r} has {', '.join(diff)} different from line {first_line[oid]}",
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
    return list(orders_out.values()), lines_out


def _reviews(
    path: Path,
    known: set[str],
    customer_ids: set[str],
    product_ids: set[str],
    errors: Problems,
) -> Rows:
    rows: Rows = []
    seen: dict[str, int] = {}
    for line, row in read_rows(path, SPECS["reviews"], errors):
        where = f"{path.name}:{line}"
        if row["id"] in seen:
            errors.add(where, f"duplicate id {row['id']!r} (first on line {seen[row['id']]})")
        elif row["id"] in known:
            errors.add(where, f"id {row['id']!r} already exists in the database")
        elif row["customer_id"] not in customer_ids:
            errors.add(where, f"unknown customer_id {row['customer_id']!r}")
        elif row["product_id"] not in product_ids:
            errors.add(where, f"unknown product_id {row['product_id']!r}")
        else:
            seen[row["id"]] = line
            rows.append(row)
    return rows


def check_files(
    paths: dict[str, Path], known: dict[str, set[str]], errors: Problems
) -> dict[str, Rows]:
    """Read and check the files; return the rows per table (meaningful only without errors).

    Args:
        paths: the file of each kind given (``products``, ``customers``, ``orders``,
            ``reviews``).
        known: ids already in the database, per kind.
        errors: where each problem is recorded.
    """
    tables: dict[str, Rows] = {}
    new_ids: dict[str, dict[str, int]] = {}
    for kind in ("products", "customers"):
        if kind in paths:
            tables[kind], new_ids[kind] = _entities(paths[kind], kind, known[kind], errors)
    if "customers" in tables:
        _unique_emails(paths["customers"], tables["customers"], new_ids["customers"], errors)
    customer_ids = known["customers"] | set(new_ids.get("customers", {}))
    product_ids = known["products"] | set(new_ids.get("products", {}))
    if "orders" in paths:
        tables["orders"], tables["order_lines"] = _orders(
            paths["orders"], known["orders"], customer_ids, product_ids, errors
        )
    if "reviews" in paths:
        tables["reviews"] = _reviews(
            paths["reviews"], known["reviews"], customer_ids, product_ids, errors
        )
    return tables
