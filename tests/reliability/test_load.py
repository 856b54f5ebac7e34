"""The short load test of CI: 20 customers for 60 s against a real ``kefu run``.

Half the customers talk through the site's chat API (session cookie, ``Origin``), half
through kefu's Rasa channel (channel secret, signed customer token), each waiting for
every reply; afterwards the SQLite tracker store must hold every message sent and every
reply received, once each and in order (:mod:`loadtest.check`). Locust runs in its own
virtualenv (``loadtest/.venv``, built here on a fresh clone, then reused); the test skips
only when the package registry cannot be reached to build it. The long runs (100
customers for 10 minutes, PostgreSQL + Redis, the 30-minute soak) are ``make loadtest``
and ``make soak``, with their figures in ``benchmarks/RESULTS-reliability.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest import venv
from tests.support.servers import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

USERS = 20
SECONDS = 60


@pytest.fixture(scope="module")
def locust() -> Path:
    """Locust's virtualenv, built when missing (minutes on a fresh clone, then cached)."""
    try:
        return venv.ensure()
    except venv.RegistryUnreachable as exc:
        pytest.skip(f"Locust cannot be installed: {exc}")


def test_twenty_customers_for_a_minute_lose_and_repeat_nothing(
    locust: Path, bot_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "summary.json"
    cmd = [sys.executable, "-m", "loadtest.run", "--users", str(USERS)]
    cmd += ["--time", f"{SECONDS}s", "--spawn-rate", "4", "--rss-every", "20"]
    cmd += ["--model", str(bot_model), "--var", str(tmp_path / "var"), "--out", str(out)]
    done = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=SECONDS + 600, check=False
    )
    assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(out.read_text())
    store, stats = summary["store"], summary["stats"]
    context = json.dumps({"store": store, "stats": stats}, indent=1)
    # every customer held a conversation, through both doors
    assert store["conversations"] >= USERS, context
    assert stats["site /chat/message"]["requests"] > USERS // 2, context
    assert stats["rest /webhooks/kefu/webhook"]["requests"] > USERS // 2, context
    # no error, nothing lost, repeated or reordered, every reply stored
    assert stats["Aggregated"]["failures"] == 0, context
    assert store["errors"] == store["unfinished"] == store["unknown_conversation"] == 0, context
    assert store["answered"] == store["messages"] > 2 * USERS, context
    assert store["lost"] == store["duplicated"] == store["out_of_order"] == 0, context
    assert store["replies"] > store["answered"] and store["replies_off"] == 0, context
    # the servers were alive and measured the whole time
    assert summary["site_healthy_after"] is True, context
    assert {"rasa", "actions", "site"} <= set(summary["rss_mb"][-1]), summary["rss_mb"]
    assert done.returncode == 0, done.stderr[-3000:]
