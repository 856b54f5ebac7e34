"""The CSV importer is all or nothing for any mutation of a valid file (#16, hypothesis).

One of the four fixture files is mutated (bytes deleted, inserted or replaced, a line
dropped, duplicated or swapped, a cell rewritten, the file cut short, invalid UTF-8, NUL,
quotes, BOMs) and the four are imported into an empty database. Either the import
succeeds and the database holds exactly what the files say (every row of the mutated
file, every row of the others), or it raises :class:`ShopImportError` and the database is
still empty. Any other exception is a failure.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.shop import init_db
from kefu.shop.db import get_engine
from kefu.shop.importer import ShopImportError, import_csv
from kefu.shop.writer import count_rows

FIXTURES = Path(__file__).parents[3] / "data" / "shop"
KINDS = ("products", "customers", "orders", "reviews")
TABLE = {"products": "products", "customers": "customers", "reviews": "reviews"}
NOISE = [b"\x00", b",", b'"', b"\n", b"\r", b"\r\n", b"\xef\xbb\xbf", b"\xff", b" ", b"-1", b"\t"]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """(kind, mutated content of that kind's fixture file)."""
    kind = draw(st.sampled_from(KINDS))
    data = (FIXTURES / f"{kind}.csv").read_bytes()
    how = draw(
        st.sampled_from(
            ["delete", "insert", "replace", "drop", "duplicate", "swap", "cell", "truncate"]
        )
    )
    pos = draw(st.integers(0, len(data)))
    lines = _lines(data)
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    noise = draw(st.one_of(st.sampled_from(NOISE), st.binary(min_size=1, max_size=6)))
    if how == "delete":
        data = data[:pos] + data[pos + draw(st.integers(1, 20)) :]
    elif how == "insert":
        data = data[:pos] + noise + data[pos:]
    elif how == "replace":
        data = data[:pos] + noise + data[pos + len(noise) :]
    elif how == "drop":
        data = b"".join(lines[:i] + lines[i + 1 :])
    elif how == "duplicate":
        data = b"".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])
    elif how == "swap":
        lines[i], lines[j] = lines[j], lines[i]
        data = b"".join(lines)
    elif how == "cell":
        cells = lines[i].rstrip(b"\r\n").split(b",")
        k = draw(st.integers(0, len(cells) - 1))
        cells[k] = draw(st.text(max_size=12)).encode("utf-8", "surrogatepass")
        lines[i] = b",".join(cells) + b"\n"
        data = b"".join(lines)
    else:
        data = data[:pos]
    return kind, data


def _records(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("import-template") / "empty.db"
    init_db(f"sqlite:///{path}")
    get_engine(f"sqlite:///{path}").dispose()
    return path


def test_any_mutation_imports_whole_or_writes_nothing(template, tmp_path_factory):
    outcomes = {"imported": 0, "refused": 0}

    @settings(
        max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(mutated())
    def check(case: tuple[str, bytes]) -> None:
        kind, data = case
        work = tmp_path_factory.mktemp("import")
        files = {}
        for name in KINDS:
            files[name] = work / f"{name}.csv"
            shutil.copy(FIXTURES / f"{name}.csv", files[name])
        files[kind].write_bytes(data)
        shutil.copy(template, work / "shop.db")
        url = f"sqlite:///{work / 'shop.db'}"
        try:
            written = import_csv(**files, url=url)
        except ShopImportError:
            written = None
        engine = get_engine(url)
        with engine.connect() as conn:
            counts = count_rows(conn)
        engine.dispose()
        if written is None:
            outcomes["refused"] += 1
            assert not any(counts.values()), counts  # nothing at all was written
            return
        outcomes["imported"] += 1
        for table, n in written.items():
            assert counts[table] == n, (table, counts, written)
        for name in KINDS:  # every row of every file is there
            records = _records(files[name].read_bytes())
            if name == "orders":
                assert counts["order_lines"] == len(records)
                assert counts["orders"] == len({r["order_id"] for r in records})
            else:
                assert counts[TABLE[name]] == len(records), (name, counts)

    check()
    print(outcomes)
    assert outcomes["refused"] and outcomes["imported"]  # both outcomes were exercised
