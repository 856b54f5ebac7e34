"""Write ``constraints.txt``: the exact version of every package kefu needs, from this venv.

``make lock`` runs ``pip freeze --exclude-editable`` and pipes it here; what is kept is
the closure of kefu's dependencies and every extra (read from ``pyproject.toml`` and the
installed packages' metadata), so tools installed by hand into the venv stay out.
``make setup`` installs with ``pip install -c constraints.txt``: a fresh clone installs
what was tested. Usage::

    pip freeze --exclude-editable | python tools/lock.py > constraints.txt
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "# Exact versions kefu was tested with (make lock; make setup installs with -c).\n"
    "# Floors kept by tests/test_supply_chain.py: rasa>=3.6.21 (CVE-2024-49375),\n"
    "# sanic>=21.12.2 (CVE-2022-35920), PyJWT>=2.4 (CVE-2022-29217).\n"
)


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The requirement strings of ``dependencies`` and every optional-dependency group."""
    import tomli  # Python 3.10 has no tomllib; tomli comes with the dev tools

    project = tomli.loads(pyproject.read_text(encoding="utf-8"))["project"]
    found = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        found += group
    return found


def closure(roots: list[str]) -> set[str]:
    """Canonical names of ``roots`` and everything they need here, with their extras."""
    env = default_environment()
    seen: set[tuple[str, str]] = set()
    names: set[str] = set()
    todo = [(Requirement(r), "") for r in roots]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
            continue
        name = canonical(req.name)
        names.add(name)
        for wanted in [""] + sorted(req.extras):
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            try:
                requires = metadata.requires(req.name) or []
            except metadata.PackageNotFoundError:
                continue
            for text in requires:
                try:
                    todo.append((Requirement(text), wanted))
                except InvalidRequirement:  # metadata this packaging cannot read
                    print(f"lock: skipped {req.name}'s requirement {text!r}", file=sys.stderr)
    return names


def main() -> int:
    """Filter ``pip freeze`` on stdin to kefu's closure, write the lock to stdout."""
    needed = closure(project_requirements())
    lines = []
    for line in sys.stdin:
        line = line.strip()
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line)
        if match and canonical(match.group(1)) in needed and canonical(match.group(1)) != "kefu":
            lines.append(line)
    sys.stdout.write(HEADER + "".join(f"{line}\n" for line in sorted(lines, key=str.lower)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
