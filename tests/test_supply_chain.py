"""Supply chain: every package locked, and none below the fix of an advisory on kefu's stack."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "constraints.txt"
# package -> (first fixed version, advisory)
FLOORS = {
    "rasa": ("3.6.21", "CVE-2024-49375: remote code execution by loading a crafted model"),
    "sanic": ("21.12.2", "CVE-2022-35920: path traversal in static files"),
    "pyjwt": ("2.4.0", "CVE-2022-29217: algorithm confusion with a public key as secret"),
}


def _lock() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
        else:
            assert not line.strip() or line.startswith("#"), f"not an exact pin: {line!r}"
    return pins


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_installed_versions_are_at_or_above_the_advisory_fixes(package):
    fixed, advisory = FLOORS[package]
    installed = Version(metadata.version(package))
    assert installed >= Version(fixed), f"{package} {installed} is below {fixed} ({advisory})"


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_the_lock_keeps_the_advisory_fixes(package):
    fixed, advisory = FLOORS[package]
    locked = _lock()[package]
    assert Version(locked) >= Version(
        fixed
    ), f"constraints.txt pins {package} {locked} ({advisory})"


def test_the_lock_pins_what_kefu_needs_at_the_installed_versions():
    pins = _lock()
    for name in ("rasa", "rasa-sdk", "sanic", "pyjwt", "sqlalchemy", "numpy", "scikit-learn"):
        assert pins.get(name) == metadata.version(name), name
    assert "kefu" not in pins  # the project itself is installed editable, never pinned


def test_make_lock_regenerates_the_same_file():
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    made = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "lock.py")],
        input=freeze,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert made == LOCK.read_text(), "constraints.txt is stale: run make lock"


def test_make_setup_installs_with_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install .*-c constraints\.txt .*-e", makefile)
    assert re.search(r"^lock:.*## ", makefile, flags=re.M)
