"""A real site (``python -m web``) on a free port, over a small demo shop database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.servers import free_port
from tests.support.site import DEMO_PASSWORD, STAFF_PASSWORD, Site, start_site

TOKEN_SECRET = "test-token-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def site_env(tmp_path_factory) -> dict[str, str]:
    """Environment of a site over a small demo shop, with two analytics reports."""
    from kefu.shop.demo import build_demo

    var = tmp_path_factory.mktemp("site-var")
    url = f"sqlite:///{var / 'shop.db'}"
    build_demo(url, customers=60, order_lines=400, reviews=50, progress=False)
    for name in ("texts", "conversations"):
        report = var / "reports" / name
        report.mkdir(parents=True)
        (report / "report.html").write_text(f"<h1>{name} report</h1>", encoding="utf-8")
        (report / "summary.json").write_text(
            json.dumps({"kind": name, "title": f"Report on {name}", "created_at": "2026-01-01"})
        )
    (var / "secret.txt").write_text("do not serve")
    return {
        "KEFU_VAR_DIR": str(var),
        "KEFU_DATABASE_URL": url,
        "KEFU_TOKEN_SECRET": TOKEN_SECRET,
        "KEFU_DEMO_PASSWORD": DEMO_PASSWORD,
        "KEFU_STAFF_PASSWORD": STAFF_PASSWORD,
    }


@pytest.fixture(scope="session")
def offline_site(site_env, tmp_path_factory) -> Iterator[Site]:
    """The site with no Rasa server behind it (a port nobody listens on)."""
    log = tmp_path_factory.mktemp("site-log") / "offline.log"
    site = start_site(site_env, log, KEFU_RASA_URL=f"http://127.0.0.1:{free_port()}")
    yield site
    site.stop()


@pytest.fixture(autouse=True)
def _agents_start_off_duty(request: pytest.FixtureRequest) -> None:
    """Every test on a site over the session's shop (the live site, the hand-off flows'
    site, a site of its own over the Rasa server's shop) starts with no agent on duty (an earlier test may have gone on duty, and
    auto-assignment would then take the next hand-off away from the queue the test
    expects)."""
    if not {"live_site", "handoff_site", "api_rasa_server", "announcing_site"} & set(
        request.fixturenames
    ):
        return
    import sqlalchemy as sa

    env = request.getfixturevalue("bot_env")
    engine = sa.create_engine(env["KEFU_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            if sa.inspect(conn).has_table("staff"):
                conn.execute(sa.text("UPDATE staff SET on_duty = :off"), {"off": False})
    finally:
        engine.dispose()
