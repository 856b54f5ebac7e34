"""Tracker tables made once under an advisory lock; SQL pools sized for N replicas."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from kefu.tracker_schema import (
    DEFAULT_MAX_CONNECTIONS,
    SUPERUSER_RESERVED,
    PoolBudgetError,
    create_tracker_tables,
    max_connections,
    pool_sizes,
)


@pytest.mark.parametrize(
    ("replicas", "expected"),
    [(1, (5, 10)), (2, (5, 10)), (5, (5, 10)), (8, (3, 7)), (16, (1, 4)), (85, (1, 0))],
)
def test_pool_sizes_follow_the_documented_formula(replicas, expected):
    assert pool_sizes(replicas) == expected


@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 8, 16, 32, 64, 85])
def test_every_replica_count_stays_under_the_connection_limit(replicas):
    pool, overflow = pool_sizes(replicas)
    assert pool >= 1 and overflow >= 0
    assert replicas * (pool + overflow) <= DEFAULT_MAX_CONNECTIONS - SUPERUSER_RESERVED


def test_too_many_replicas_are_refused_with_the_way_out():
    with pytest.raises(PoolBudgetError, match="PgBouncer"):
        pool_sizes(86)
    with pytest.raises(PoolBudgetError):
        pool_sizes(0)
    assert pool_sizes(200, max_conn=500) == (1, 1)


def test_simultaneous_creations_on_postgresql_all_succeed(postgres_url):
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def create() -> None:
        try:
            start.wait()
            create_tracker_tables(postgres_url)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = sa.create_engine(postgres_url)
    try:
        inspector = sa.inspect(engine)
        assert "events" in inspector.get_table_names()
        assert any(i["column_names"] == ["sender_id"] for i in inspector.get_indexes("events"))
    finally:
        engine.dispose()
    assert max_connections(postgres_url) >= 20


def test_sqlite_tables_are_created_without_a_lock(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    create_tracker_tables(url)
    create_tracker_tables(url)  # again: nothing to do
    engine = sa.create_engine(url)
    assert "events" in sa.inspect(engine).get_table_names()
    engine.dispose()
    assert max_connections(url) == DEFAULT_MAX_CONNECTIONS
