"""A fresh, migrated shop database per test, as the configured one (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.shop import init_db


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def support_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """An empty shop at the newest revision; ``KEFU_DATABASE_URL`` points at it."""
    url = (
        f"sqlite:///{tmp_path / 'shop.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    init_db(url)
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path / "var"))
    for name in ("KEFU_SUPPORT_HOURS", "KEFU_STAFF_PASSWORD", "KEFU_AGENT_MAX_OPEN"):
        monkeypatch.delenv(name, raising=False)
    return url
