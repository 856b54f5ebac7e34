"""Streaming readers: formats, column detection, bad rows with their line numbers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from analytics.fields import parse_date, parse_rating
from analytics.readers import (
    BadRow,
    ColumnSpec,
    InputError,
    Record,
    TextFileReader,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "analytics"


def _split(reader: TextFileReader) -> tuple[list[Record], list[BadRow]]:
    items = list(reader)
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, BadRow)]


def test_csv_fixture_records_and_bad_rows_with_line_numbers():
    reader = TextFileReader(DATA / "reviews.csv")
    records, bad = _split(reader)
    assert reader.rows == 11
    assert reader.found_columns == {
        "text": "text",
        "date": "date",
        "category": "category",
        "channel": "channel",
        "rating": "rating",
    }
    assert [(b.line, b.skipped) for b in bad] == [
        (6, True),  # empty text
        (9, False),  # invalid date, row kept
        (10, True),  # 7 fields instead of 6
        (11, False),  # invalid rating, row kept
        (12, True),  # whitespace only
    ]
    assert bad[0].reason == "empty text"
    assert bad[1].reason.startswith("invalid date")
    assert "7 fields" in bad[2].reason
    assert bad[3].reason.startswith("invalid rating")
    # the multi-line record starts on line 7; the rows after it keep their own numbers
    assert [r.line for r in records] == [2, 3, 4, 5, 7, 9, 11, 13]
    multi = records[4]
    assert multi.text.startswith("多行\n评论") and multi.date == date(2026, 3, 3)
    kept_without_date = records[5]
    assert kept_without_date.date is None and kept_without_date.rating == 5.0
    hostile = records[6]
    assert hostile.category == "<b>hostile</b>" and hostile.rating is None
    assert records[0].category == "手机" and records[0].channel == "app"


def test_jsonl_bad_lines_and_unix_dates():
    reader = TextFileReader(DATA / "chats.jsonl", ColumnSpec(text="message", date="time"))
    records, bad = _split(reader)
    assert [(b.line, b.skipped) for b in bad] == [(3, True), (4, True), (6, True)]
    assert "invalid JSON" in bad[0].reason
    assert "not a JSON object" in bad[1].reason
    assert bad[2].reason == "empty text"
    assert [r.line for r in records] == [1, 2, 7]
    assert records[0].channel == "web" and records[0].date == date(2026, 3, 1)
    assert records[2].date == date(2026, 3, 2)  # 1772445600 = 2026-03-02 10:00 UTC


def test_excel_rows_dates_and_row_numbers(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["评论", "日期", "评分"])
    sheet.append(["很好用", datetime(2026, 1, 5, 12, 0), 5])
    sheet.append([None, datetime(2026, 1, 6), 1])
    sheet.append([None, None, None])  # an empty row is not a row
    sheet.append(["太差了", "2026/01/07", "1星"])
    path = tmp_path / "texts.xlsx"
    book.save(path)
    reader = TextFileReader(path)
    records, bad = _split(reader)
    assert reader.found_columns == {"text": "评论", "date": "日期", "rating": "评分"}
    assert [(r.line, r.text, r.date, r.rating) for r in records] == [
        (2, "很好用", date(2026, 1, 5), 5.0),
        (5, "太差了", date(2026, 1, 7), 1.0),
    ]
    assert bad == [BadRow(3, "empty text", True)]


def test_gb18030_file_is_detected(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("text,category\n质量很好,手机\n".encode("gb18030"))
    reader = TextFileReader(path)
    records, bad = _split(reader)
    assert reader.encoding == "gb18030"
    assert [(r.text, r.category) for r in records] == [("质量很好", "手机")] and not bad


def test_invalid_utf8_row_and_nul_bytes_are_reported_not_fatal(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(
        b"text,date\n"
        + "好评,2026-01-01\n".encode()
        + b"bad \xff\xfe bytes,2026-01-01\n"
        + b"nul\x00 inside,2026-01-02\n"
        + "差评,2026-01-03\n".encode() * 3000
    )
    reader = TextFileReader(path, encoding="utf-8")
    records, bad = _split(reader)
    assert bad[0].line == 3 and bad[0].reason.startswith("unreadable text")
    assert records[1].text == "nul inside" and records[1].date == date(2026, 1, 2)
    assert len(records) == 3002


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty"),
        ("no_text.csv", "id,stars\n1,5\n", "no text column found"),
        ("array.json", '[{"text": "x"}]', "JSON array"),
        ("notes.docx", "x", "unknown format"),
    ],
)
def test_files_that_cannot_be_analysed_raise_input_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        list(TextFileReader(path))


def test_named_column_missing_lists_the_columns(tmp_path):
    with pytest.raises(InputError, match=r"no column 'body'.*'text'"):
        list(TextFileReader(DATA / "reviews.csv", ColumnSpec(text="body")))


def test_missing_file():
    with pytest.raises(InputError, match="no such file"):
        TextFileReader(DATA / "nope.csv")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("2026-03-01 10:20:30", date(2026, 3, 1)),
        ("2026-03-01T10:20:30Z", date(2026, 3, 1)),
        ("2026/3/1", date(2026, 3, 1)),
        ("2026年3月1日", date(2026, 3, 1)),
        ("20260301", date(2026, 3, 1)),
        ("1772445600", date(2026, 3, 2)),
        ("1772445600000", date(2026, 3, 2)),
        (46082, date(2026, 3, 1)),  # Excel serial day
        (datetime(2026, 3, 1, 23, 59), date(2026, 3, 1)),
    ],
)
def test_parse_date_formats(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["", "yesterday", "2026-13-01", "1800-01-01", None, "9" * 30])
def test_parse_date_rejects(value):
    with pytest.raises(ValueError):
        parse_date(value)


def test_parse_rating():
    assert parse_rating("4.5") == 4.5 and parse_rating("4星") == 4.0 and parse_rating(3) == 3.0
    for bad in ("abc", "nan", "-1", "11", ""):
        with pytest.raises(ValueError):
            parse_rating(bad)
