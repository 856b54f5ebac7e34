"""Schemathesis against each served spec, on the real servers (#16).

``st run`` (schemathesis 3.21.2, in its own virtualenv ``.venv-schemathesis`` that
``make schemathesis-venv`` builds; the test builds it when missing and skips, saying why,
only when that fails) reads the spec each server serves at ``/openapi.json`` and sends
generated requests, valid and invalid, to every operation with the credentials real
callers have: a signed-in admin's session cookie and the site's own ``Origin`` for the
site (the chat and the agent console's API), the action token for the action server.
Every check is on (``--checks all``): no 5xx, and every status, content type, header and
body as the spec says. The statuses seen are counted from the cassette schemathesis writes.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.support.servers import ROOT
from tests.support.site import STAFF_PASSWORD

ST_VENV = ROOT / ".venv-schemathesis"
ST = ST_VENV / "bin" / "st"
EXAMPLES = int(os.environ.get("KEFU_SCHEMATHESIS_EXAMPLES", "10"))
ADMIN = "admin@localhost"


@pytest.fixture(scope="session")
def st_bin() -> Path:
    """The ``st`` command of ``.venv-schemathesis`` (built with make when missing)."""
    if not (ST_VENV / ".installed").exists():
        try:
            subprocess.run(
                ["make", "--no-print-directory", "schemathesis-venv"],
                cwd=ROOT,
                timeout=900,
                capture_output=True,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"could not run 'make schemathesis-venv': {exc}")
    if not (ST_VENV / ".installed").exists():
        pytest.skip("'make schemathesis-venv' could not build .venv-schemathesis (offline?)")
    return ST


def _statuses(cassette: Path) -> Counter:
    """Statuses of the responses a schemathesis cassette recorded."""
    counts: Counter = Counter()
    for line in cassette.read_text(errors="replace").splitlines():
        stripped = line.strip()
        if stripped.startswith("code: "):
            counts[int(stripped.split()[1].strip("'\""))] += 1
    return counts


def run_schemathesis(
    st: Path,
    base_url: str,
    tmp: Path,
    headers: dict[str, str],
    env: dict[str, str],
    examples: int = EXAMPLES,
) -> Counter:
    """``st run`` against ``base_url``'s ``/openapi.json``, valid requests then invalid ones
    (one run each: with both in one run, 3.21 skips the operations that have nothing to
    make invalid); the statuses seen. Every operation must run with valid requests."""
    statuses: Counter = Counter()
    for method in ("positive", "negative"):
        cassette = tmp / f"{method}.yaml"
        cmd = [
            str(st),
            "run",
            f"{base_url}/openapi.json",
            "--base-url",
            base_url,
            "--checks",
            "all",
            "--data-generation-method",
            method,
            "--hypothesis-max-examples",
            str(examples),
            "--hypothesis-seed",
            "16",
            "--hypothesis-deadline",
            "None",
            "--request-timeout",
            "90000",
            "--validate-schema",
            "true",
            "--cassette-path",
            str(cassette),
            "--no-color",
        ]
        for name, value in headers.items():
            cmd += ["-H", f"{name}: {value}"]
        result = subprocess.run(
            cmd,
            cwd=ROOT,
            env={
                "PATH": os.environ["PATH"],
                "HOME": str(tmp),
                "PYTHONPATH": str(ROOT),
                "SCHEMATHESIS_HOOKS": "tests.channels.schemathesis_hooks",
                **env,
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
        seen = _statuses(cassette) if cassette.exists() else Counter()
        print(result.stdout[-2500:])
        print({method: sum(seen.values()), "statuses": dict(sorted(seen.items()))})
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        if method == "positive":  # no operation skipped (" S " on its progress line)
            skipped = re.findall(r"^(\S+ \S+) S\s", result.stdout, flags=re.M)
            assert not skipped, skipped
        statuses += seen
    assert statuses and not [s for s in statuses if s >= 500], statuses
    return statuses


def test_site_api_keeps_its_spec(st_bin, fuzz_site, tmp_path):
    staff = requests.Session()
    staff.headers["Sec-Fetch-Site"] = "same-origin"
    r = staff.post(
        f"{fuzz_site.url}/staff/login",
        data={"email": ADMIN, "password": STAFF_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303, r.text
    cookie = staff.cookies["kefu_session"]
    statuses = run_schemathesis(
        st_bin,
        fuzz_site.url,
        tmp_path,
        {"Cookie": f"kefu_session={cookie}", "Origin": fuzz_site.url},
        {"KEFU_ST_SESSION_COOKIE": cookie},
    )
    assert 200 in statuses  # the handlers answered, not only the doors
    assert requests.get(f"{fuzz_site.url}/healthz", timeout=10).ok


def test_action_server_keeps_its_spec(st_bin, guarded_action_server, tmp_path):
    token = guarded_action_server.env["KEFU_ACTION_TOKEN"]
    actions = requests.get(
        f"{guarded_action_server.url}/actions", params={"token": token}, timeout=10
    ).json()
    statuses = run_schemathesis(
        st_bin,
        guarded_action_server.url,
        tmp_path,
        {},
        {
            "KEFU_ST_QUERY_TOKEN": token,
            "KEFU_ST_ACTIONS": ",".join(a["name"] for a in actions),
        },
        examples=3 * EXAMPLES,
    )
    assert 200 in statuses and 401 not in statuses  # the token reached every handler
    assert requests.get(f"{guarded_action_server.url}/health", timeout=10).ok
