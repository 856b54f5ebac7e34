"""Schema migrations of the shop database: upgrades keep every row, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text

from kefu.cli import main
from kefu.shop import migrate
from kefu.shop.db import DatabaseError, get_engine, is_initialised, schema_revision
from kefu.shop.demo import generate
from kefu.shop.models import Base
from kefu.shop.writer import write_tables

TINY = {"customers": 30, "order_lines": 300, "reviews": 60}
HEAD = migrate.head_revision()

# A revision that changes the schema the way later kefu versions will (a new column with
# a default on a table full of rows, a new table with a key to it), written to a scratch
# copy of the scripts: it proves an upgrade across a real change keeps the data.
SECOND_REVISION = '''"""test only: a column and a table"""

import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("note", sa.String(200), nullable=False, server_default="")
        )
    op.create_table(
        "customer_tags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("tag", sa.String(50), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("customer_tags")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("note")
'''


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty shop database on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}"
    return request.getfixturevalue("postgres_url")


def _snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every first-revision table, columns of that revision, in key order."""
    engine = get_engine(url)
    with engine.connect() as conn:
        tables = {}
        for name, columns in migrate.BASELINE_TABLES.items():
            table = Base.metadata.tables[name]
            cols = [table.c[c] for c in sorted(columns)]
            rows = conn.execute(select(*cols).order_by(*table.primary_key.columns)).all()
            tables[name] = [tuple(row) for row in rows]
    return tables


def _build_like_kefu_0_1(url: str) -> None:
    """The schema ``create_all`` of kefu 0.1 made: revision 0001, without a revision table."""
    engine = get_engine(url)
    migrate.upgrade(engine, migrate.BASELINE_REVISION)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))


def _fill(url: str) -> dict[str, int]:
    data = generate(seed=7, reference_date=date(2026, 11, 1), **TINY)
    with get_engine(url).begin() as conn:
        return write_tables(conn, data.tables)


def _build_like_kefu_0_1(url: str) -> None:
    """The schema kefu 0.1 made with ``create_all`` (revision 0001's tables), unstamped."""
    engine = get_engine(url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))


def _schema_diff(url: str) -> list:
    with get_engine(url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_an_empty_database_gets_the_models_schema(any_url):
    assert migrate.upgrade(get_engine(any_url)) == HEAD
    assert _schema_diff(any_url) == []
    assert migrate.upgrade(get_engine(any_url)) == HEAD  # again: nothing to do


def test_upgrade_across_a_schema_change_keeps_every_row(any_url, tmp_path):
    engine = get_engine(any_url)
    assert migrate.upgrade(engine, migrate.BASELINE_REVISION) == migrate.BASELINE_REVISION
    written = _fill(any_url)
    assert written["order_lines"] == TINY["order_lines"]
    before = _snapshot(any_url)

    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9001_test_change.py").write_text(
        SECOND_REVISION.format(head=HEAD), encoding="utf-8"
    )
    assert migrate.upgrade(engine, script_location=scripts) == "9001"

    assert _snapshot(any_url) == before
    with engine.connect() as conn:
        notes = conn.execute(text("SELECT DISTINCT note FROM customers")).scalars().all()
        assert notes == [""]
        assert "customer_tags" in inspect(conn).get_table_names()
        # the database still takes new rows that use the new schema
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO customer_tags (customer_id, tag) VALUES (:c, 'vip')"),
            {"c": before["customers"][0][sorted(migrate.BASELINE_TABLES["customers"]).index("id")]},
        )

    assert migrate.downgrade(engine, HEAD, script_location=scripts) == HEAD
    assert _snapshot(any_url) == before
    assert _schema_diff(any_url) == []


def test_a_database_built_before_migrations_is_adopted_and_kept(any_url):
    engine = get_engine(any_url)
    _build_like_kefu_0_1(any_url)
    _fill(any_url)
    before = _snapshot(any_url)
    assert schema_revision(any_url) is None

    assert migrate.upgrade(engine) == HEAD
    assert schema_revision(any_url) == HEAD
    assert _snapshot(any_url) == before


def test_the_cli_upgrades_a_database_built_before_migrations(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path / "var"))
    _build_like_kefu_0_1(url)
    _fill(url)
    before = _snapshot(url)
    assert main(["db", "info"]) == 0
    assert "none (run kefu db upgrade)" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert f"at schema revision {HEAD}" in capsys.readouterr().out
    assert _snapshot(url) == before
    assert main(["db", "info"]) == 0
    assert f"schema revision {HEAD}" in capsys.readouterr().out


def test_a_database_with_only_some_shop_tables_is_refused(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    with get_engine(url).begin() as conn:
        Base.metadata.tables["customers"].create(conn)
    with pytest.raises(DatabaseError, match="missing: .*orders"):
        migrate.upgrade(get_engine(url))
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 1
    assert "cannot migrate" in capsys.readouterr().err
    assert schema_revision(url) is None


def test_a_pre_migration_table_with_other_columns_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    _build_like_kefu_0_1(url)
    with get_engine(url).begin() as conn:
        conn.execute(text("ALTER TABLE csat ADD COLUMN mood TEXT"))
    with pytest.raises(DatabaseError, match="'csat'.*mood"):
        migrate.upgrade(get_engine(url))


def test_other_tables_in_the_database_are_left_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with get_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT)"))
        conn.execute(text("INSERT INTO events (data) VALUES ('kept')"))
    assert migrate.upgrade(get_engine(url)) == HEAD
    assert is_initialised(url)
    with get_engine(url).connect() as conn:
        assert conn.execute(text("SELECT data FROM events")).scalar_one() == "kept"


def test_processes_starting_together_migrate_once(any_url):
    # separate engines: as separate processes would have; the lock serialises them
    engines = [create_engine(any_url, future=True) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    results: list[object] = []

    def boot(engine):
        barrier.wait()
        try:
            results.append(migrate.upgrade(engine))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=boot, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for engine in engines:
        engine.dispose()
    assert results == [HEAD] * len(engines)
    with get_engine(any_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_new_revision_finds_no_change_between_models_and_migrations(tmp_path):
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    path = migrate.new_revision("nothing new", script_location=scripts)
    assert path.name == f"{int(HEAD) + 1:04d}_nothing_new.py"
    source = path.read_text(encoding="utf-8")
    body = source.split("def upgrade() -> None:")[1].split("def downgrade")[0]
    assert "op." not in body and "pass" in body
    assert f"down_revision = {HEAD!r}" in source


def test_a_failing_migration_leaves_no_trace(any_url, tmp_path):
    engine = get_engine(any_url)
    migrate.upgrade(engine)
    _fill(any_url)
    before = _snapshot(any_url)
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    broken = SECOND_REVISION.format(head=HEAD).replace(
        "def downgrade", "    op.execute('SELECT no_such_function()')\n\n\ndef downgrade", 1
    )
    (scripts / "versions" / "9001_broken.py").write_text(broken, encoding="utf-8")
    with pytest.raises(Exception, match="no_such_function"):
        migrate.upgrade(engine, script_location=scripts)
    assert schema_revision(any_url) == HEAD
    with engine.connect() as conn:
        assert "customer_tags" not in inspect(conn).get_table_names()
        assert "note" not in {c["name"] for c in inspect(conn).get_columns("customers")}
    assert _snapshot(any_url) == before
