"""Task success on the held-out multi-turn conversations, per language and behaviour.

Plays the 215 conversations of ``tests/data/dialogue/`` (written by an author who never
saw the bot's data) against the real bot - Rasa server, action server, demo shop - by
running ``tests/dialogue/test_conversations.py`` (which starts the servers and trains
the bot when its cache is cold) with ``KEFU_DIALOGUE_RESULTS`` set, then prints JSON:
success rate per language (all, without and with the product conversations, which
depend on the product-suggestion work) and per behaviour tag, and the failed
conversations with their first problem. ``python -m benchmarks.dialogue [--out FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(out: Path | None = None) -> dict:
    """Play the conversations and return the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        env = {**os.environ, "KEFU_DIALOGUE_RESULTS": str(results)}
        env.setdefault("PYTHONPATH", str(ROOT))
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/dialogue/test_conversations.py",
                "-q",
                "-p",
                "no:warnings",
                "-k",
                "authors",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if not results.is_file():
            raise RuntimeError("the conversations did not run:\n" + proc.stdout[-3000:])
        data = json.loads(results.read_text(encoding="utf-8"))
    figures = {
        "conversations": len(data["results"]),
        **data["rates"],
        "failed": [
            {"id": r["id"], "behaviour": r["behaviour"], "first_problem": r["failures"][0]}
            for r in data["results"]
            if not r["ok"]
        ],
    }
    if out is not None:
        out.write_text(
            json.dumps({**figures, "results": data["results"]}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.dialogue``: print the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dialogue", description=__doc__)
    parser.add_argument("--out", type=Path, help="also write every transcript to this file")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.out), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
