"""CSV export and the all-or-nothing importer."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from kefu.shop import Order, init_db, session_scope
from kefu.shop.db import get_engine
from kefu.shop.importer import ShopImportError, export_csv, import_csv
from kefu.shop.writer import count_rows

FIXTURES = Path(__file__).parents[3] / "data" / "shop"
KINDS = ("products", "customers", "orders", "reviews")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Writable copies of the small fixture files."""
    out = {}
    for kind in KINDS:
        out[kind] = tmp_path / f"{kind}.csv"
        shutil.copy(FIXTURES / f"{kind}.csv", out[kind])
    return out


@pytest.fixture
def empty_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'import.db'}"
    init_db(url)
    return url


def _counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        return count_rows(conn)


def _edit(path: Path, line: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line - 1], f"fixture line {line} has no {old!r}"
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def test_import_good_files(files, empty_url):
    written = import_csv(**files, url=empty_url)
    assert written == {
        "customers": 2,
        "products": 3,
        "orders": 2,
        "order_lines": 3,
        "returns": 0,
        "refunds": 0,
        "reviews": 2,
    }
    with session_scope(empty_url) as session:
        order = session.get(Order, "KF00000001")
        assert order.total == Decimal("717.00")
        assert [ln.product_id for ln in order.lines] == ["P1", "P3"]
        assert session.get(Order, "KF00000002").carrier is None


def test_demo_round_trips_through_csv(small_shop_url, tmp_path):
    first = export_csv(tmp_path / "a", small_shop_url)
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    import_csv(**first, url=target)
    second = export_csv(tmp_path / "b", target)
    for kind in KINDS:
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind
    source, copy = _counts(small_shop_url), _counts(target)
    for table in ("customers", "products", "orders", "order_lines", "reviews"):
        assert source[table] == copy[table]


@pytest.mark.parametrize(
    ("kind", "line", "old", "new", "message"),
    [
        (
            "products",
            3,
            "79.90",
            "cheap",
            "products.csv:3: column 'price': 'cheap' is not a number",
        ),
        ("products", 4, ",8,", ",-1,", "products.csv:4: column 'stock': -1 is out of range"),
        ("products", 4, "P3", "P1", "products.csv:4: duplicate id 'P1' (first on line 2)"),
        ("customers", 3, ",en,", ",fr,", "customers.csv:3: column 'language': 'fr' is not one of"),
        ("customers", 3, "2025-07-15", "15/07/2025", "customers.csv:3: column 'signup_date'"),
        ("customers", 3, "emma.lee@example.com", "nobody", "is not an email address"),
        ("orders", 4, ",C2,", ",C9,", "orders.csv:4: unknown customer_id 'C9'"),
        ("orders", 3, ",P3,", ",P404,", "orders.csv:3: unknown product_id 'P404'"),
        ("orders", 3, ",2,P3,", ",1,P3,", "orders.csv:3: duplicate line 1 of order 'KF00000001'"),
        ("orders", 3, "delivered", "shipped", "orders.csv:3: order 'KF00000001' has status"),
        (
            "orders",
            2,
            ",1,199.00",
            ",0,199.00",
            "orders.csv:2: column 'quantity': 0 is out of range",
        ),
        ("reviews", 3, ",2,", ",6,", "reviews.csv:3: column 'rating': 6 is out of range"),
        ("reviews", 2, ",C1,", ",C7,", "reviews.csv:2: unknown customer_id 'C7'"),
        ("reviews", 3, "R2", "R1", "reviews.csv:3: duplicate id 'R1' (first on line 2)"),
    ],
)
def test_bad_row_is_named_and_nothing_is_written(files, empty_url, kind, line, old, new, message):
    _edit(files[kind], line, old, new)
    with pytest.raises(ShopImportError) as err:
        import_csv(**files, url=empty_url)
    assert message in str(err.value)
    assert "nothing was imported" in str(err.value)
    assert all(n == 0 for n in _counts(empty_url).values())


def test_ids_already_in_the_database_are_rejected(files, empty_url):
    import_csv(products=files["products"], url=empty_url)
    with pytest.raises(ShopImportError, match="products.csv:2: id 'P1' already exists"):
        import_csv(**files, url=empty_url)
    assert _counts(empty_url)["customers"] == 0


def test_import_into_a_missing_database_creates_nothing_on_error(files, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    _edit(files["orders"], 2, ",SF,", ",SF,")  # untouched: make sure valid files work...
    _edit(files["reviews"], 2, "R1", "R1")
    files["reviews"].write_text(files["reviews"].read_text() + "R3,C1,P1,x,bad,zh,2026-10-01\n")
    with pytest.raises(ShopImportError, match="reviews.csv:4: column 'rating'"):
        import_csv(**files, url=url)
    from sqlalchemy import inspect

    assert inspect(get_engine(url)).get_table_names() == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"id,name_zh\nP1,x\n", "missing column(s) name_en, category, brand, price, stock"),
        (
            b"id,name_zh,name_en,category,brand,price,stock\nP1,\xff\xfe,b,c,d,1,1\n",
            "not valid UTF-8",
        ),
        (b"id,name_zh,name_en,category,brand,price,stock\nP1,a\x00,b,c,d,1,1\n", "NUL character"),
        (b"id,name_zh,name_en,category,brand,price,stock\nP1,a,b,c,d,1,1,extra\n", "more fields"),
        (b"id,name_zh,name_en,category,brand,price,stock\nP1,,b,c,d,1,1\n", "'name_zh' is empty"),
        (b"id,name_zh,name_en,category,brand,price,stock\nP1,a,b,c,d,NaN,1\n", "must be a number"),
        (
            b"id,name_zh,name_en,category,brand,price,stock\n" + b"P" * 100 + b",a,b,c,d,1,1\n",
            "at most 64 allowed",
        ),
    ],
)
def test_malformed_files_get_clear_errors(tmp_path, empty_url, content, message):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(ShopImportError) as err:
        import_csv(products=path, url=empty_url)
    assert message in str(err.value)
    assert _counts(empty_url)["products"] == 0


def test_many_errors_are_capped_but_counted(tmp_path, empty_url):
    path = tmp_path / "p.csv"
    rows = "".join(f"P{i},a,b,c,d,x,1\n" for i in range(200))
    path.write_text("id,name_zh,name_en,category,brand,price,stock\n" + rows)
    with pytest.raises(ShopImportError) as err:
        import_csv(products=path, url=empty_url)
    assert err.value.total == 200
    assert len(err.value.errors) == 50
    assert "and 150 more" in str(err.value)


def test_import_needs_a_file(empty_url):
    with pytest.raises(ShopImportError, match="no file given"):
        import_csv(url=empty_url)


def test_import_on_postgresql(files, postgres_url):
    import_csv(**files, url=postgres_url)
    with session_scope(postgres_url) as session:
        assert session.execute(
            select(Order.total).where(Order.id == "KF00000001")
        ).scalar() == Decimal("717.00")
    _edit(files["products"], 2, "P1", "P9")
    with pytest.raises(ShopImportError):
        import_csv(products=files["products"], customers=files["customers"], url=postgres_url)
    assert _counts(postgres_url)["products"] == 3
