"""A throwaway PostgreSQL database for the benchmarks and the load test.

:func:`scratch_database` creates a database with a new name on a server, yields its URL
and drops it afterwards (``WITH (FORCE)``: connections left open do not keep it alive).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine.url import make_url

__all__ = ["scratch_database"]


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on ``server_url``'s server, dropped when the block ends.

    Args:
        server_url: a URL of an existing database on the server (used to create and drop).
        prefix: the start of the new database's name (a random suffix follows).

    Yields:
        The new database's URL (with the password of ``server_url``).

    Raises:
        sqlalchemy.exc.OperationalError: when the server cannot be reached.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
