"""The analytics reports under ``var/reports/<name>/`` (``report.html`` + ``summary.json``).

Names and file names are checked against a strict pattern and the resolved path must
stay inside the reports directory, so no request can read anything else.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_SUMMARY_BYTES = 1_000_000
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class ReportEntry:
    """One report directory with the header fields of its ``summary.json``."""

    name: str
    kind: str
    title: str
    created_at: str
    files: tuple[str, ...]


def valid_name(name: object) -> bool:
    """Whether ``name`` may be a report or file name (no separators, no leading dot)."""
    return isinstance(name, str) and bool(_NAME.match(name)) and ".." not in name


def list_reports(root: Path) -> list[ReportEntry]:
    """Every readable report under ``root``, newest first; broken ones are skipped."""
    if not root.is_dir():
        return []
    entries = []
    for directory in root.iterdir():
        if not (valid_name(directory.name) and directory.is_dir()):
            continue
        summary = directory / "summary.json"
        try:
            if summary.stat().st_size > MAX_SUMMARY_BYTES:
                raise ValueError("summary.json is too large")
            data = json.loads(summary.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("summary.json is not an object")
        except (OSError, ValueError) as exc:
            logger.warning("skipping report %s: %s", directory.name, exc)
            continue
        files = tuple(
            sorted(
                f.name
                for f in directory.iterdir()
                if valid_name(f.name) and f.suffix in CONTENT_TYPES and f.is_file()
            )
        )
        entries.append(
            ReportEntry(
                name=directory.name,
                kind=str(data.get("kind", "")),
                title=str(data.get("title", directory.name)),
                created_at=str(data.get("created_at", "")),
                files=files,
            )
        )
    return sorted(entries, key=lambda e: (e.created_at, e.name), reverse=True)


def report_file(root: Path, name: str, filename: str) -> Path | None:
    """The file ``filename`` of report ``name``, or ``None`` when it must not be served."""
    if not (valid_name(name) and valid_name(filename)):
        return None
    if Path(filename).suffix not in CONTENT_TYPES:
        return None
    base = root.resolve()
    path = (base / name / filename).resolve()
    if path.parent.parent != base or not path.is_file():
        return None
    return path
