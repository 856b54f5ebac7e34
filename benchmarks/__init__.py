"""Benchmarks: one module per capability, each with ``run() -> dict``; JSON out.

Benchmarks read public data from ``../shared/datasets`` (relative to the repository root,
or ``KEFU_DATASETS``) and report ``{"skipped": reason}`` when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def datasets_dir() -> Path:
    """Where the shared benchmark data sets live."""
    env = os.environ.get("KEFU_DATASETS", "").strip()
    return Path(env) if env else ROOT.parent / "shared" / "datasets"
