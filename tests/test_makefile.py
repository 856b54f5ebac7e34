"""The Makefile's promises: help lists every target; no Python 3.10 stops at once, cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def test_help_lists_every_target_with_a_line():
    out = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    makefile = (ROOT / "Makefile").read_text()
    documented = re.findall(r"^([a-z-]+):.*## ", makefile, flags=re.M)
    for target in ("run", "test", "test-fast", "shell", "bench", "help"):
        assert target in documented
    for target in documented:
        assert re.search(rf"make {target}\s+\S", out), target


@pytest.mark.parametrize("target", ["run", "test"])
def test_missing_python_stops_with_one_clear_line(tmp_path, target):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = subprocess.run(
        ["make", "-s", target, "PYTHON310="],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [
        ln
        for ln in (result.stdout + result.stderr).splitlines()
        if ln.strip() and not ln.startswith("make")
    ]
    assert len(lines) == 1, lines
    assert "needs Python 3.10" in lines[0] and "install" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Makefile", "pyproject.toml"]
