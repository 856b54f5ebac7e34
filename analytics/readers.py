"""Streaming readers of text files (CSV/TSV, JSONL, Excel) for the analytics.

Rows come out one at a time with their line number in the file, so that a file of any
size is read in bounded memory and every bad row can be reported where it is. A row that
cannot be used (unreadable, wrong number of fields, no text) becomes a :class:`BadRow`;
a row whose date or rating cannot be parsed is kept without that field and reported too.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from analytics.fields import clean_field, parse_date, parse_rating

__all__ = [
    "BadRow",
    "ColumnSpec",
    "InputError",
    "Record",
    "TextFileReader",
]

# A text longer than this is cut for the analysis (the CSV output keeps it whole).
MAX_TEXT_CHARS = 10_000
# Largest CSV field accepted; a bigger one is reported as an unreadable row.
MAX_FIELD_BYTES = 16 * 1024 * 1024
_SURROGATE = re.compile("[\udc80-\udcff]")

# Column names recognised when the caller does not name the column (lower case).
CANDIDATES = {
    "text": ("text", "review", "content", "comment", "message", "body", "评论", "内容", "文本"),
    "date": ("date", "created_at", "timestamp", "time", "datetime", "日期", "时间"),
    "category": ("category", "cat", "类别", "品类", "分类"),
    "product": ("product", "product_id", "item", "item_id", "sku", "商品"),
    "channel": ("channel", "source", "platform", "渠道", "来源"),
    "rating": ("rating", "stars", "score", "评分", "星级"),
    "customer": ("customer", "customer_id", "user", "user_id", "客户"),
}
FIELDS = tuple(CANDIDATES)


class InputError(ValueError):
    """The input file cannot be analysed at all (missing, unknown format, no text column)."""


class Record(NamedTuple):
    """One usable row: its line number and the fields the analysis knows."""

    line: int
    text: str
    date: date | None
    category: str | None
    product: str | None
    channel: str | None
    rating: float | None
    customer: str | None


class BadRow(NamedTuple):
    """A row reported to the user: its line number and what is wrong with it.

    ``skipped`` tells whether the row was left out of the analysis (unreadable, no text)
    or kept without the bad field (date, rating).
    """

    line: int
    reason: str
    skipped: bool


@dataclass(frozen=True)
class ColumnSpec:
    """Which input column holds each field; ``None`` means "find it by its usual name"."""

    text: str | None = None
    date: str | None = None
    category: str | None = None
    product: str | None = None
    channel: str | None = None
    rating: str | None = None
    customer: str | None = None

    def resolve(self, header: list[str]) -> dict[str, int]:
        """Map each field to its column index in ``header``.

        Raises:
            InputError: when a named column is absent or no text column is found.
        """
        lowered = {h.strip().lower(): i for i, h in enumerate(header) if isinstance(h, str)}
        exact = {h: i for i, h in enumerate(header) if isinstance(h, str)}
        found: dict[str, int] = {}
        for name in FIELDS:
            wanted = getattr(self, name)
            if wanted is not None:
                index = exact.get(wanted, lowered.get(wanted.strip().lower()))
                if index is None:
                    raise InputError(
                        f"no column {wanted!r} for the {name} (columns: {_show(header)})"
                    )
                found[name] = index
                continue
            for candidate in CANDIDATES[name]:
                if candidate in lowered and lowered[candidate] not in found.values():
                    found[name] = lowered[candidate]
                    break
        if "text" not in found:
            raise InputError(
                f"no text column found (columns: {_show(header)}); name it with --text-column"
            )
        return found


def _show(header: list) -> str:
    names = ", ".join(repr(str(h)) for h in header[:30])
    return names + (", ..." if len(header) > 30 else "") if header else "none"


# -- the reader --------------------------------------------------------------------------
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".xlsx": "excel",
    ".xlsm": "excel",
}


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) unless the head of the file only decodes as GB18030."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        return "utf-8"


class TextFileReader:
    """Reads a CSV/TSV, JSONL or Excel file row by row.

    Args:
        path: the file; its suffix picks the format (``.csv .tsv .txt .jsonl .ndjson .json
            .xlsx .xlsm``).
        columns: which column holds each field.
        encoding: text encoding (default: detected, UTF-8 or GB18030).
        sheet: Excel sheet name (default: the first).

    Iterating yields :class:`Record` and :class:`BadRow` items in file order. After
    iteration, ``rows`` is the number of data rows seen.

    Raises:
        InputError: when the file is missing, empty, of an unknown format or has no text
            column (on construction or when reading the header).
    """

    def __init__(
        self,
        path: str | Path,
        columns: ColumnSpec | None = None,
        *,
        encoding: str | None = None,
        sheet: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.columns = columns or ColumnSpec()
        self.sheet = sheet
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        self.format = FORMATS.get(self.path.suffix.lower())
        if self.format is None:
            raise InputError(
                f"{self.path}: unknown format {self.path.suffix!r}; "
                f"use one of {', '.join(sorted(FORMATS))}"
            )
        if self.path.stat().st_size == 0:
            raise InputError(f"{self.path}: the file is empty")
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError as exc:
                raise InputError(f"unknown encoding {encoding!r}") from exc
        self.encoding = encoding or (
            _detect_encoding(self.path) if self.format != "excel" else "utf-8"
        )
        self.rows = 0
        self.found_columns: dict[str, str] = {}

    def __iter__(self) -> Iterator[Record | BadRow]:
        if self.format == "csv":
            return self._csv()
        if self.format == "jsonl":
            return self._jsonl()
        return self._excel()

    # -- shared --------------------------------------------------------------------------
    def _record(self, line: int, values: dict[str, Any]) -> Iterator[Record | BadRow]:
        """Build the record of one row from its raw ``{field: value}``."""
        get = values.get
        text = get("text")
        if isinstance(text, str) and _SURROGATE.search(text):
            yield BadRow(line, f"unreadable text (not valid {self.encoding})", True)
            return
        text = _clean_text(text)
        if not text:
            yield BadRow(line, "empty text", True)
            return
        day = rating = None
        raw_date = get("date")
        if raw_date not in (None, ""):
            try:
                day = parse_date(raw_date)
            except (ValueError, OverflowError, OSError) as exc:
                yield BadRow(line, f"invalid date: {exc}", False)
        raw_rating = get("rating")
        if raw_rating not in (None, ""):
            try:
                rating = parse_rating(raw_rating)
            except ValueError:
                yield BadRow(line, f"invalid rating {str(raw_rating)[:20]!r}", False)
        yield Record(
            line,
            text,
            day,
            clean_field(get("category")),
            clean_field(get("product")),
            clean_field(get("channel")),
            rating,
            clean_field(get("customer")),
        )

    def _resolve(self, header: list) -> dict[str, int]:
        index = self.columns.resolve(header)
        self.found_columns = {name: str(header[i]) for name, i in index.items()}
        return index

    # -- CSV -----------------------------------------------------------------------------
    def _csv(self) -> Iterator[Record | BadRow]:
        csv.field_size_limit(MAX_FIELD_BYTES)
        with self.path.open(encoding=self.encoding, errors="surrogateescape", newline="") as fh:
            sample = fh.read(64 * 1024)
            fh.seek(0)
            delimiter = "\t" if self.path.suffix.lower() == ".tsv" else _sniff_delimiter(sample)
            reader = csv.reader(_no_nul(fh), delimiter=delimiter)
            try:
                header = next(reader)
            except StopIteration:
                raise InputError(f"{self.path}: no header row") from None
            except csv.Error as exc:
                raise InputError(f"{self.path}: unreadable header: {exc}") from None
            index = self._resolve([h.strip() for h in header])
            width = len(header)
            previous_end = reader.line_num
            while True:
                start = previous_end + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    previous_end = reader.line_num
                    self.rows += 1
                    yield BadRow(start, f"unreadable row: {exc}", True)
                    continue
                previous_end = reader.line_num
                if not row:  # a blank line is not a row
                    continue
                self.rows += 1
                if len(row) != width:
                    yield BadRow(
                        start, f"unreadable row: {len(row)} fields, the header has {width}", True
                    )
                    continue
                yield from self._record(start, {f: row[i] for f, i in index.items()})

    # -- JSONL ---------------------------------------------------------------------------
    def _jsonl(self) -> Iterator[Record | BadRow]:
        with self.path.open(encoding=self.encoding, errors="surrogateescape") as fh:
            first = _first_char(fh)
            if first == "[":
                raise InputError(
                    f"{self.path}: a JSON array; write one JSON object per line (JSONL)"
                )
            index: dict[str, str] | None = None
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                self.rows += 1
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    yield BadRow(number, f"unreadable row: invalid JSON ({exc})", True)
                    continue
                if not isinstance(obj, dict):
                    yield BadRow(number, "unreadable row: not a JSON object", True)
                    continue
                if index is None:
                    keys = list(obj)
                    positions = self._resolve(keys)
                    index = {field: keys[i] for field, i in positions.items()}
                yield from self._record(number, {f: _scalar(obj.get(k)) for f, k in index.items()})
            if index is None and self.rows == 0:
                raise InputError(f"{self.path}: no rows")

    # -- Excel ---------------------------------------------------------------------------
    def _excel(self) -> Iterator[Record | BadRow]:
        try:
            from openpyxl import load_workbook
        except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
            raise InputError("reading Excel files needs openpyxl") from exc
        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - zip errors, XML errors...
            raise InputError(f"{self.path}: not a readable Excel file ({exc})") from None
        try:
            if self.sheet is not None and self.sheet not in book.sheetnames:
                raise InputError(f"{self.path}: no sheet {self.sheet!r} ({book.sheetnames})")
            ws = book[self.sheet] if self.sheet else book.worksheets[0]
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                raise InputError(f"{self.path}: the sheet is empty")
            index = self._resolve([("" if h is None else str(h)).strip() for h in header])
            for number, row in enumerate(rows, start=2):
                if row is None or all(v is None for v in row):
                    continue
                self.rows += 1
                yield from self._record(
                    number, {f: row[i] for f, i in index.items() if i < len(row)}
                )
        finally:
            book.close()


def _clean_text(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text.strip()


def _scalar(value: Any) -> Any:
    """JSON values the fields accept: nested objects and lists become their JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _no_nul(lines: Iterator[str]) -> Iterator[str]:
    """Lines with NUL characters removed (the csv module refuses them)."""
    for line in lines:
        yield line.replace("\0", "") if "\0" in line else line


def _first_char(fh) -> str:
    position = fh.tell()
    chunk = fh.read(4096).lstrip("\ufeff \t\r\n")
    fh.seek(position)
    return chunk[:1]


def _sniff_delimiter(sample: str) -> str:
    first_line = sample.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","
