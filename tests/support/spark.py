"""One local Spark session for every Spark test (``tests/recsys/spark``,
``tests/analytics/spark``), and the ``spark`` marker: a test in a ``spark/`` test directory
or using the ``spark`` fixture is marked, and skipped saying why where pyspark or Java is
missing (CI has both)."""

from __future__ import annotations

import pytest

from recsys.spark import spark_problem

PROBLEM = spark_problem()


def pytest_collection_modifyitems(items):
    for item in items:
        path = str(item.fspath).replace("\\", "/")
        if "/spark/" in path or "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)
            if PROBLEM:
                item.add_marker(pytest.mark.skip(reason=f"Spark cannot run here: {PROBLEM}"))


@pytest.fixture(scope="session")
def spark():
    """``local[2]``: UI off, bound to loopback, 2 shuffle partitions, small memory."""
    from recsys.spark import spark_session

    session = spark_session(
        "local[2]",
        app_name="kefu-tests",
        config={"spark.driver.memory": "768m", "spark.sql.shuffle.partitions": "2"},
    )
    yield session
    session.stop()
