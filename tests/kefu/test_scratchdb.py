"""kefu.scratchdb: a throwaway PostgreSQL database (benchmarks, load test)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kefu.scratchdb import scratch_database
from tests.conftest import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.integration  # needs a PostgreSQL server


def _databases(prefix: str) -> set[str]:
    engine = sa.create_engine(POSTGRES_ADMIN_URL)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": prefix + "%"},
            )
            return {r[0] for r in rows}
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    finally:
        engine.dispose()


def test_a_new_database_is_usable_and_dropped_even_with_a_connection_left_open():
    prefix = "kefu_arch12_scratch"
    before = _databases(prefix)
    with scratch_database(POSTGRES_ADMIN_URL, prefix) as url:
        name = sa.engine.make_url(url).database
        assert name.startswith(prefix + "_") and name not in before
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x int)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        conn = engine.connect()  # left open: the drop must not wait for it
        assert conn.execute(sa.text("SELECT x FROM t")).scalar_one() == 1
        assert name in _databases(prefix)
    assert name not in _databases(prefix)
    engine.dispose()


def test_an_unreachable_server_raises():
    with pytest.raises(sa.exc.OperationalError):
        with scratch_database("postgresql://nobody@127.0.0.1:1/none", "kefu_x"):
            pass
