"""Fixtures for the foundation tests: isolated state directories and small demo shops."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kefu.shop.demo import build_demo

REF_DATE = date(2026, 11, 1)
SMALL = {"customers": 200, "order_lines": 2000, "reviews": 500}


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh KEFU_VAR_DIR with the default SQLite shop database inside it."""
    var = tmp_path / "var"
    monkeypatch.setenv("KEFU_VAR_DIR", str(var))
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    monkeypatch.delenv("KEFU_TOKEN_SECRET", raising=False)
    return var


@pytest.fixture(scope="session")
def small_shop_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo shop in SQLite, built once per session (read-only for tests)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shop') / 'shop.db'}"
    build_demo(url, reference_date=REF_DATE, progress=False, **SMALL)
    return url


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The recommender tests' demo shop in SQLite (read-only for tests)."""
    from tests.recsys.conftest import DEMO_SIZES
    from tests.recsys.conftest import REF_DATE as DEMO_DATE

    url = f"sqlite:///{tmp_path_factory.mktemp('demo-shop') / 'shop.db'}"
    build_demo(url, reference_date=DEMO_DATE, progress=False, **DEMO_SIZES)
    return url
