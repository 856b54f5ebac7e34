"""The one database session helper: engine per URL, transactional session scope.

Engines pool their connections (``pool_pre_ping`` on every backend, so a restarted
database server costs one reconnect, not an error). A SQLite file is opened once per
pooled connection in WAL mode with a busy timeout: readers do not block the writer and
a writer waits for another instead of failing at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool

from kefu.settings import get_settings
from kefu.shop import migrate
from kefu.shop.errors import DatabaseError

__all__ = [
    "DatabaseError",
    "get_engine",
    "init_db",
    "is_initialised",
    "schema_revision",
    "session_scope",
    "upgrade_db",
]

# Prices are Numeric(…, 2); SQLite stores them as REAL and SQLAlchemy rounds them back to
# two places, which is exact for money amounts of this size.
warnings.filterwarnings("ignore", message=r"Dialect sqlite\+pysqlite does \*not\* support Decimal")


SQLITE_BUSY_TIMEOUT_MS = 10_000  # a writer waits this long for another before failing
POOL_SIZE = 5  # connections kept per engine (the action server runs a few worker threads)
POOL_OVERFLOW = 10


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_wal(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # persistent: set on the file once
    except Exception:  # noqa: BLE001 - read-only file or directory: keep its journal mode
        pass
    finally:
        cursor.close()


@lru_cache(maxsize=16)
def _engine_for(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"KEFU_DATABASE_URL is not a valid database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if not parsed.database or parsed.database == ":memory:":
            # one shared in-memory database, not one per connection
            engine = create_engine(
                url, future=True, connect_args=connect_args, poolclass=StaticPool
            )
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            future=True,
            connect_args=connect_args,
            poolclass=QueuePool,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_pre_ping=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_wal)
        return engine
    return create_engine(
        url, future=True, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
    )


def get_engine(url: str | None = None) -> Engine:
    """Engine for ``url`` (default: the configured shop database), cached per URL."""
    return _engine_for(url or get_settings().database_url)


def upgrade_db(url: str | None = None, revision: str = "head") -> str | None:
    """Migrate the shop database to ``revision`` (default: the newest); return where it is.

    Creates every table in an empty database; a database built by kefu before migrations
    is recognised and kept. See :mod:`kefu.shop.migrate`.
    """
    return migrate.upgrade(get_engine(url), revision)


def init_db(url: str | None = None, *, drop: bool = False) -> Engine:
    """Bring the schema up to date (after dropping every table when ``drop``); the engine."""
    engine = get_engine(url)
    if drop:
        migrate.drop_everything(engine)
    migrate.upgrade(engine)
    return engine


def schema_revision(url: str | None = None) -> str | None:
    """The migration revision of the database (None: not migrated yet, or unreachable)."""
    try:
        return migrate.current_revision(get_engine(url))
    except Exception:  # noqa: BLE001 - unreachable server, bad file...
        return None


def is_initialised(url: str | None = None) -> bool:
    """Whether the database holds a shop (the tables of the first revision, maybe older).

    A shop at an older revision is initialised; ``kefu db upgrade`` (or any start of the
    app) brings its schema up to date.
    """
    try:
        names = set(inspect(get_engine(url)).get_table_names())
    except Exception:  # noqa: BLE001 - unreachable server, bad file...
        return False
    return set(migrate.BASELINE_TABLES) <= names


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back on any error."""
    session = sessionmaker(bind=get_engine(url), future=True)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
