"""Reading one CSV file: decoding line by line, the header, and each cell by its column."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kefu.shop.importer.columns import FileSpec

MAX_ERRORS = 50
csv.field_size_limit(10 * 1024 * 1024)


class ShopImportError(ValueError):
    """The files cannot be imported; ``errors`` lists each problem as ``file:line: msg``."""

    def __init__(self, errors: list[str], total: int | None = None) -> None:
        self.errors = errors
        self.total = total if total is not None else len(errors)
        more = f"\n... and {self.total - len(errors)} more" if self.total > len(errors) else ""
        super().__init__(
            f"{self.total} problem(s) found, nothing was imported:\n" + "\n".join(errors) + more
        )


@dataclass
class Problems:
    """The problems found so far: the first :data:`MAX_ERRORS`, and how many in all."""

    errors: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, where: str, message: str) -> None:
        """Record ``message`` about ``where`` (``file`` or ``file:line``)."""
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{where}: {message}")


class _BadLine(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _decoded_lines(handle, counter: list[int]) -> Iterator[str]:
    """Lines of a binary file decoded one by one, so a bad byte is pinned to its line."""
    for raw in handle:
        counter[0] += 1
        if counter[0] == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _BadLine(counter[0], "is not valid UTF-8 text; stopping here") from None
        if "\x00" in line:
            raise _BadLine(counter[0], "contains a NUL character; stopping here")
        yield line


def read_rows(path: Path, spec: FileSpec, errors: Problems) -> Iterator[tuple[int, dict]]:
    """Yield (line number, parsed row) for each good row; record the bad ones."""
    name = path.name
    try:
        handle = path.open("rb")
    except OSError as exc:
        errors.add(name, f"cannot be read ({exc.strerror or exc})")
        return
    counter = [0]
    with handle:
        reader = csv.DictReader(_decoded_lines(handle, counter))
        try:
            header = reader.fieldnames
            if not header:
                errors.add(
                    name, f"is empty: a header row with {', '.join(spec.required)} is needed"
                )
                return
            missing = [c for c in spec.required if c not in header]
            if missing:
                errors.add(f"{name}:1", f"missing column(s) {', '.join(missing)} for {spec.kind}")
                return
            line = 1
            for raw in reader:
                line_start, line = line + 1, counter[0]
                if None in raw:
                    errors.add(f"{name}:{line_start}", "has more fields than the header")
                    continue
                row, ok = {}, True
                for col in spec.columns:
                    value = (raw.get(col.name) or "").strip()
                    if not value:
                        if col.required:
                            errors.add(f"{name}:{line_start}", f"column {col.name!r} is empty")
                            ok = False
                        row[col.name] = col.empty
                        continue
                    try:
                        row[col.name] = col.parse(value)
                    except ValueError as exc:
                        errors.add(f"{name}:{line_start}", f"column {col.name!r}: {exc}")
                        ok = False
                if ok:
                    yield line_start, row
        except _BadLine as exc:
            errors.add(f"{name}:{exc.line}", str(exc))
        except csv.Error as exc:
            errors.add(f"{name}:{counter[0]}", f"malformed CSV ({exc}); stopping here")
