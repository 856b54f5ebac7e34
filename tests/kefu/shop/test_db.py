"""The shop engines: pooled connections, WAL and a busy timeout for SQLite files."""

from __future__ import annotations

from sqlalchemy import event, text
from sqlalchemy.pool import QueuePool

from kefu.shop.db import SQLITE_BUSY_TIMEOUT_MS, get_engine, init_db, session_scope


def test_a_sqlite_file_is_pooled_in_wal_mode_with_a_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = init_db(url)
    assert isinstance(engine.pool, QueuePool) and engine.pool._pre_ping
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    for _ in range(20):
        with session_scope(url) as s:
            s.execute(text("SELECT 1"))
    assert len(opened) <= 1  # one connection reused, not one per query
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_postgresql_engines_ping_their_connections(postgres_url):
    engine = get_engine(postgres_url)
    assert engine.pool._pre_ping
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
