"""Customer transactions: the frame the customer models read, and reading it from a file.

Transactions are a DataFrame with one row per order (or order line): ``customer_id``,
``order_id``, ``date`` (datetime64) and ``amount`` (money; negative for refunds and
cancellations). :func:`read_transactions` reads a CSV with usual column names (including
the UCI Online Retail export) or the CDNOW master file; the shop database's come from the
application (``kefu.shop.queries.frames.transactions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "COLUMNS",
    "LoadReport",
    "TransactionsError",
    "read_transactions",
    "validate_transactions",
]

COLUMNS = ("customer_id", "order_id", "date", "amount")
_CANDIDATES = {
    "customer_id": ("customer_id", "customerid", "customer", "user_id", "userid", "client_id"),
    "order_id": ("order_id", "orderid", "invoiceno", "invoice_no", "invoice", "order"),
    "date": (
        "date",
        "invoicedate",
        "invoice_date",
        "order_date",
        "ordered_at",
        "created_at",
        "timestamp",
    ),
    "amount": ("amount", "total", "revenue", "sales", "dollar_amount", "value"),
    "quantity": ("quantity", "qty", "number_of_cds"),
    "unit_price": ("unitprice", "unit_price", "price"),
}
_CDNOW_LINE = re.compile(r"^\s*\S+\s+\d{8}\s+-?\d+\s+-?[\d.]+\s*$")
MAX_BAD_LISTED = 200


class TransactionsError(ValueError):
    """The transactions cannot be used (missing file or columns, no valid row)."""


@dataclass
class LoadReport:
    """What reading a transactions file found: rows, bad rows (line numbers), format."""

    source: str
    format: str
    rows: int = 0
    bad_total: int = 0
    bad: list[dict] = field(default_factory=list)


def validate_transactions(tx: pd.DataFrame) -> pd.DataFrame:
    """The transactions in canonical form: the four columns, typed, sorted by date.

    Raises:
        TransactionsError: there is no row.
    """
    if tx.empty:
        raise TransactionsError("no transactions")
    tx = tx.loc[:, list(COLUMNS)].copy()
    tx["customer_id"] = tx["customer_id"].astype(str)
    tx["order_id"] = tx["order_id"].astype(str)
    tx["amount"] = tx["amount"].astype(float)
    return tx.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)


def _pick(columns: list[str], name: str) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    for candidate in _CANDIDATES[name]:
        if candidate in lowered:
            return lowered[candidate]
    return None


def _bad(report: LoadReport, lines: pd.Series, reason: str) -> None:
    report.bad_total += len(lines)
    for line in lines.tolist()[: max(0, MAX_BAD_LISTED - len(report.bad))]:
        report.bad.append({"line": int(line), "reason": reason})


def read_transactions(path: str | Path, columns: dict[str, str] | None = None):
    """Read a transactions file.

    Formats: a CDNOW master file (``customer_id YYYYMMDD quantity amount``, whitespace
    separated, no header) or a CSV with a header whose columns are found by name
    (``customer_id``/``CustomerID``, ``order_id``/``InvoiceNo``, ``date``/``InvoiceDate``,
    and ``amount``, or ``Quantity`` times ``UnitPrice``). Without an order column each
    customer's day is one order.

    Args:
        path: the file.
        columns: explicit names, e.g. ``{"customer_id": "client", "amount": "paid"}``.

    Returns:
        ``(transactions, LoadReport)``; rows without a customer, with an invalid date or
        amount are left out and listed in the report with their line numbers.

    Raises:
        TransactionsError: when the file is missing, unreadable or has no usable row.
    """
    path = Path(path)
    if not path.is_file():
        raise TransactionsError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(4096).decode("utf-8", errors="replace")
    first = head.splitlines()[0] if head.strip() else ""
    if not first:
        raise TransactionsError(f"{path}: the file is empty")
    if _CDNOW_LINE.match(first):
        raw = pd.read_csv(
            path,
            sep=r"\s+",
            header=None,
            names=["customer_id", "date", "quantity", "amount"],
            dtype=str,
            engine="c",
        )
        report = LoadReport(str(path), "cdnow", rows=len(raw))
        raw["order_id"] = raw["customer_id"] + "-" + raw["date"] + "-" + raw.index.astype(str)
        raw["_line"] = raw.index + 1
        dates = pd.to_datetime(raw["date"], format="%Y%m%d", errors="coerce")
        amounts = pd.to_numeric(raw["amount"], errors="coerce")
        return _finish(raw, raw["customer_id"], raw["order_id"], dates, amounts, report)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TransactionsError(f"{path}: not a readable CSV file ({exc})") from None
    report = LoadReport(str(path), "csv", rows=len(raw))
    names = dict(columns or {})
    cols = list(raw.columns)
    for key in ("customer_id", "order_id", "date", "amount", "quantity", "unit_price"):
        if key not in names:
            found = _pick(cols, key)
            if found is not None:
                names[key] = found
        elif names[key] not in cols:
            raise TransactionsError(f"{path}: no column {names[key]!r} (columns: {cols})")
    if "customer_id" not in names or "date" not in names:
        raise TransactionsError(
            f"{path}: needs a customer and a date column (found columns: {cols[:20]})"
        )
    if "amount" in names:
        amounts = pd.to_numeric(raw[names["amount"]].str.strip(), errors="coerce")
    elif "quantity" in names and "unit_price" in names:
        amounts = pd.to_numeric(raw[names["quantity"]], errors="coerce") * pd.to_numeric(
            raw[names["unit_price"]], errors="coerce"
        )
    else:
        raise TransactionsError(f"{path}: needs an amount column, or quantity and unit price")
    raw["_line"] = raw.index + 2
    customers = raw[names["customer_id"]].str.strip()
    dates = pd.to_datetime(raw[names["date"]].str.strip(), errors="coerce")
    if "order_id" in names:
        orders = raw[names["order_id"]].str.strip()
    else:
        orders = customers + "@" + dates.dt.strftime("%Y-%m-%d")
    return _finish(raw, customers, orders, dates, amounts, report)


def _finish(raw, customers, orders, dates, amounts, report: LoadReport):
    no_customer = customers.isna() | (customers.astype(str).str.strip() == "")
    _bad(report, raw.loc[no_customer, "_line"], "no customer id")
    bad_date = ~no_customer & dates.isna()
    _bad(report, raw.loc[bad_date, "_line"], "invalid date")
    bad_amount = ~no_customer & ~bad_date & ~np.isfinite(amounts.astype(float))
    _bad(report, raw.loc[bad_amount, "_line"], "invalid amount")
    keep = ~(no_customer | bad_date | bad_amount)
    tx = pd.DataFrame(
        {
            "customer_id": customers[keep].astype(str),
            "order_id": orders[keep].astype(str),
            "date": dates[keep],
            "amount": amounts[keep].astype(float),
        }
    )
    if tx.empty:
        raise TransactionsError(
            f"{report.source}: no usable transaction ({report.bad_total} bad rows)"
        )
    return validate_transactions(tx), report
