"""Schema migrations of the shop database (Alembic), run by the app, never by hand.

:func:`upgrade` brings any kefu database to the newest revision: an empty database gets
every table from the migrations; a database built by kefu before migrations existed
(``create_all``, no ``alembic_version`` table) is recognised and stamped at the first
revision, then upgraded. Processes that boot at once are serialized (a PostgreSQL
advisory lock, MySQL/MariaDB ``GET_LOCK``, a file lock next to a SQLite file).
New tables and columns only come as migrations: :func:`new_revision` writes one
(``kefu db revision -m MSG``).
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from kefu.shop.errors import DatabaseError
from kefu.shop.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE_REVISION = "0001"
LOCK_KEY = 0x6B656675  # "kefu": PostgreSQL advisory lock id of the migrations
LOCK_TIMEOUT_S = 600

# Tables and columns of a database built before migrations (revision 0001): frozen here,
# never derived from the models, which move on with later revisions.
BASELINE_TABLES: dict[str, frozenset[str]] = {
    name: frozenset(columns.split())
    for name, columns in {
        "customers": "id name email phone language city signup_date",
        "products": "id name_zh name_en category brand price stock description_zh "
        "description_en image url",
        "orders": "id customer_id status ordered_at shipped_at delivered_at "
        "expected_delivery carrier tracking_number shipping_address total",
        "order_lines": "id order_id line_no product_id quantity unit_price",
        "reviews": "id customer_id product_id rating text language created_at",
        "returns": "id order_id order_line_id reason status created_at",
        "refunds": "id order_id return_id amount status created_at completed_at",
        "tickets": "id conversation_id customer_id language reason transcript status " "created_at",
        "csat": "id conversation_id customer_id language score created_at",
    }.items()
}


def alembic_config(script_location: Path | str | None = None) -> Config:
    """Alembic configuration of the shop migrations (built in code, no ``alembic.ini``).

    Args:
        script_location: the migration scripts (default: the ones shipped with kefu).
    """
    config = Config()
    config.set_main_option("script_location", str(script_location or MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


def head_revision(script_location: Path | str | None = None) -> str:
    """The newest revision of the migration scripts."""
    head = ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()
    if head is None:
        raise DatabaseError("the shop migrations have no revision")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no ``alembic_version`` table or row)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that only one process at a time holds.

    PostgreSQL: a transaction-level advisory lock (released at commit or rollback);
    MySQL/MariaDB: ``GET_LOCK``; SQLite: see :func:`_sqlite_migration`.
    """
    dialect = engine.dialect.name
    if dialect == "sqlite":
        with _sqlite_migration(engine) as conn:
            yield conn
        return
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            yield conn
        elif dialect in ("mysql", "mariadb"):
            got = conn.execute(
                text("SELECT GET_LOCK('kefu_shop_migrations', :t)"), {"t": LOCK_TIMEOUT_S}
            ).scalar()
            if got != 1:
                raise DatabaseError("another kefu process holds the migration lock")
            try:
                yield conn
            finally:
                conn.execute(text("SELECT RELEASE_LOCK('kefu_shop_migrations')"))
        else:
            yield conn


@contextmanager
def _sqlite_migration(engine: Engine) -> Iterator[Connection]:
    """SQLite: an exclusive file lock, then one real transaction (``BEGIN IMMEDIATE``).

    A connection of its own: the Python driver otherwise commits DDL as it goes, and
    the foreign keys the app turns on must be off while Alembic copies a table to alter
    it (SQLite's documented procedure); they are checked before the commit instead.
    """
    database = engine.url.database
    if not database or database == ":memory:":
        with engine.begin() as conn:
            yield conn
        return
    own = create_engine(
        engine.url,
        future=True,
        poolclass=NullPool,
        connect_args={"isolation_level": None, "timeout": LOCK_TIMEOUT_S},
    )
    event.listen(own, "connect", _foreign_keys_off)
    event.listen(own, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    path = Path(database).resolve()
    try:
        with _file_lock(path.with_name(path.name + ".lock")), own.begin() as conn:
            yield conn
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise DatabaseError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        own.dispose()


def _foreign_keys_off(dbapi_connection, _record) -> None:  # noqa: ANN001 - driver hook
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _adopt_pre_migration_database(conn: Connection, config: Config) -> bool:
    """Stamp a database built by ``create_all`` (no revision yet) at the first revision.

    Returns:
        Whether the database was stamped.

    Raises:
        DatabaseError: the database has some shop tables, but not those of revision 0001.
    """
    if MigrationContext.configure(conn).get_current_revision() is not None:
        return False
    inspector = inspect(conn)
    present = set(inspector.get_table_names()) & set(BASELINE_TABLES)
    if not present:
        return False  # an empty database (or one holding other apps' tables)
    missing = sorted(set(BASELINE_TABLES) - present)
    if missing:
        raise DatabaseError(
            "the database has some shop tables but not all of them and no migration "
            f"revision (missing: {', '.join(missing)}); repair or empty it first"
        )
    for name, expected in BASELINE_TABLES.items():
        found = {column["name"] for column in inspector.get_columns(name)}
        if found != expected:
            raise DatabaseError(
                f"table {name!r} does not match kefu's first schema revision "
                f"(unexpected: {sorted(found - expected)}, missing: {sorted(expected - found)})"
            )
    command.stamp(config, BASELINE_REVISION)
    return True


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    script_location: Path | str | None = None,
) -> str | None:
    """Bring the shop database up to ``revision`` (default: the newest), keeping its data.

    Safe to call on every start: a database at the newest revision is left alone, and
    processes starting together wait for each other.

    Args:
        engine: engine of the shop database.
        revision: target revision.
        script_location: migration scripts (default: the ones shipped with kefu).

    Returns:
        The revision the database is at afterwards.
    """
    config = alembic_config(script_location)
    with migration_lock(engine) as conn:
        config.attributes["connection"] = conn
        _adopt_pre_migration_database(conn, config)
        command.upgrade(config, revision)
        return MigrationContext.configure(conn).get_current_revision()


def downgrade(
    engine: Engine, revision: str = "base", *, script_location: Path | str | None = None
) -> str | None:
    """Take the schema back to ``revision`` (``base``: drop every shop table)."""
    config = alembic_config(script_location)
    with migration_lock(engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
        return MigrationContext.configure(conn).get_current_revision()


def drop_everything(engine: Engine) -> None:
    """Drop the shop tables and the revision table (whatever revision they are at)."""
    with migration_lock(engine) as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def new_revision(
    message: str,
    *,
    autogenerate: bool = True,
    script_location: Path | str | None = None,
) -> Path:
    """Write a new migration script comparing the models with the newest revision.

    The comparison runs against a scratch SQLite database upgraded to the newest
    revision, so no real database is needed or touched. Review the script before
    committing it: Alembic cannot see renames, and data moves need hand-written steps.

    Args:
        message: what the revision does (becomes the file name's slug).
        autogenerate: fill in the operations from the models (else an empty script).
        script_location: migration scripts (default: the ones shipped with kefu).

    Returns:
        Path of the new script.
    """
    config = alembic_config(script_location)
    scripts = ScriptDirectory.from_config(config)
    numbers = [int(s.revision) for s in scripts.walk_revisions() if s.revision.isdigit()]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    with tempfile.TemporaryDirectory(prefix="kefu-revision-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        engine = create_engine(url, future=True)
        try:
            with migration_lock(engine) as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                script = command.revision(
                    config, message=message, autogenerate=autogenerate, rev_id=rev_id
                )
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):  # pragma: no cover - one head only
        raise DatabaseError("alembic wrote no single revision")
    return Path(script.path)
