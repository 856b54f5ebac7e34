"""The tracker store's tables and connection budget when several Rasa replicas share it.

* :func:`create_tracker_tables` creates Rasa's ``events`` table (and its index) once, under
  a PostgreSQL advisory lock: replicas that boot together wait for the first one instead
  of racing on ``CREATE TABLE`` (Rasa's own ``create_all`` fails with a duplicate
  ``pg_type`` row, logs an error and retries every 5 s). :class:`kefu.trackers.KefuTrackerStore`
  calls it before Rasa's own set-up, and ``kefu run --replicas`` once before any replica
  starts.
* :func:`pool_sizes` splits PostgreSQL's connections between N replicas (see its formula).
"""

from __future__ import annotations

import sqlalchemy as sa

# pg_advisory_lock key: "kefu" + "evts" as two ASCII words, one fixed 64-bit number
ADVISORY_KEY = 0x6B656675_65767473
# PostgreSQL's defaults: max_connections 100, 3 reserved for superusers
DEFAULT_MAX_CONNECTIONS = 100
SUPERUSER_RESERVED = 3
# kept free for everything that is not a Rasa replica: psql, backups, migrations, reports
OTHER_CLIENTS = 12
# a replica never needs more than kefu's single-process default (5 + 10)
MAX_POOL, MAX_OVERFLOW = 5, 10


class PoolBudgetError(ValueError):
    """The replicas cannot each have one connection within the server's limit."""


def create_tracker_tables(url: str) -> None:
    """Create the tracker store's tables at ``url`` when missing; on PostgreSQL under an
    advisory lock, so that any number of processes may call it at the same moment."""
    from rasa.core.tracker_store import SQLTrackerStore

    # autocommit: the session-level advisory lock spans the DDL's own transactions
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            try:
                SQLTrackerStore.Base.metadata.create_all(conn)
            finally:
                if postgres:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
    finally:
        engine.dispose()


def max_connections(url: str) -> int:
    """The server's ``max_connections`` (PostgreSQL), else :data:`DEFAULT_MAX_CONNECTIONS`."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "postgresql":
                return DEFAULT_MAX_CONNECTIONS
            return int(conn.execute(sa.text("SHOW max_connections")).scalar_one())
    finally:
        engine.dispose()


def pool_sizes(replicas: int, max_conn: int = DEFAULT_MAX_CONNECTIONS) -> tuple[int, int]:
    """``(pool_size, max_overflow)`` of each of ``replicas`` Rasa processes.

    Formula: ``budget = (max_conn - 3 superuser - 12 other clients) // replicas``;
    each replica gets ``min(15, budget)`` connections at most, a third of them kept open
    (``pool = max(1, total // 3)``), the rest as overflow. With PostgreSQL's default 100:
    1-5 replicas get 5 + 10, 8 get 3 + 7, 16 get 1 + 4, 85 get 1 + 0.

    Raises:
        PoolBudgetError: when ``replicas`` is larger than the budget (one connection each).
    """
    if replicas < 1:
        raise PoolBudgetError(f"replicas must be at least 1, got {replicas}")
    budget = (max_conn - SUPERUSER_RESERVED - OTHER_CLIENTS) // replicas
    if budget < 1:
        raise PoolBudgetError(
            f"{replicas} replicas do not fit in max_connections={max_conn} "
            f"({SUPERUSER_RESERVED} reserved, {OTHER_CLIENTS} kept for other clients): "
            "raise max_connections or put PgBouncer in front"
        )
    total = min(MAX_POOL + MAX_OVERFLOW, budget)
    pool = max(1, min(MAX_POOL, total // 3))
    return pool, total - pool


__all__ = [
    "ADVISORY_KEY",
    "PoolBudgetError",
    "create_tracker_tables",
    "max_connections",
    "pool_sizes",
]
