"""Run every benchmark (or those named) and print one JSON document.

Usage: ``python -m benchmarks [NAME ...]``; results are also written to
``var/bench/results.json``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
import traceback
from pathlib import Path

import benchmarks
from kefu.settings import get_settings


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules([str(Path(benchmarks.__file__).parent)])]
    return sorted(n for n in names if not n.startswith("_"))


def main(argv: list[str]) -> int:
    available = _modules()
    chosen = argv or available
    unknown = [n for n in chosen if n not in available]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    results: dict[str, object] = {}
    failed = False
    for name in chosen:
        module = importlib.import_module(f"benchmarks.{name}")
        if not hasattr(module, "run"):
            continue
        print(f"== benchmark {name}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            results[name] = module.run()
        except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the rest
            traceback.print_exc()
            results[name] = {"error": f"{exc.__class__.__name__}: {exc}"}
            failed = True
        print(f"== {name} done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    out = get_settings().ensure_var() / "bench" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False, default=str)
    out.write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"(written to {out})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
