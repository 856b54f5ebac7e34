"""Shared pytest fixtures and plugins."""

from __future__ import annotations

import os
import uuid

import pytest

pytest_plugins = ["tests.support.servers", "tests.support.site"]

POSTGRES_ADMIN_URL = os.environ.get(
    "KEFU_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test"
)


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test (dropped afterwards).

    Skips with the reason when no PostgreSQL server is reachable (CI always has one).
    """
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy.engine.url import make_url

    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"kefu_test_{uuid.uuid4().hex[:10]}"
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    _dispose_engines(url)
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _dispose_engines(url: str) -> None:
    from kefu.shop.db import get_engine

    get_engine(url).dispose()
