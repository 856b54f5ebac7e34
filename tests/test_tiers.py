"""The tier lists of tests/conftest.py name tests that exist: a renamed file or test would
otherwise drop silently into the fast tier."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import (
    BROWSER_TESTS,
    INTEGRATION_TESTS,
    SLOW_MODULES,
    SLOW_TESTS,
)

TESTS = Path(__file__).resolve().parent


def _files(name: str) -> list[Path]:
    return [p for p in TESTS.rglob(name) if "__pycache__" not in p.parts]


def test_every_listed_module_exists():
    missing = sorted(m for m in SLOW_MODULES if not _files(m))
    assert missing == []


def test_every_listed_test_exists():
    missing = []
    for module, test in sorted(SLOW_TESTS | INTEGRATION_TESTS | BROWSER_TESTS):
        pattern = re.compile(rf"^(async )?def {re.escape(test)}\(", re.MULTILINE)
        if not any(pattern.search(p.read_text(encoding="utf-8")) for p in _files(module)):
            missing.append((module, test))
    assert missing == []
