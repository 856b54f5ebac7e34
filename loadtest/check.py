"""After a load run: count in the tracker store every message sent and every reply.

``python -m loadtest.check LOG TRACKER_URL`` (kefu's venv): for each REST conversation
in ``LOG`` (written by the locustfile), the tracker store must hold exactly the user
messages that were answered (none lost, none twice) and exactly as many bot messages as
the replies received. Prints a JSON summary; exit code 1 when a count differs.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import sqlalchemy as sa


def expected(log_path: str) -> dict[str, dict[str, list]]:
    """Per conversation: the texts answered (in order) and the reply counts."""
    out: dict[str, dict[str, list]] = defaultdict(lambda: {"texts": [], "replies": []})
    with open(log_path, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["ok"] and row["conversation"].startswith("load-"):
                out[row["conversation"]]["texts"].append(row["text"])
                out[row["conversation"]]["replies"].append(row["replies"])
    return dict(out)


def count(log_path: str, tracker_url: str) -> dict[str, int]:
    """Lost, duplicated and mismatched counts over every logged conversation."""
    engine = sa.create_engine(tracker_url)
    summary = {"conversations": 0, "messages": 0, "lost": 0, "duplicated": 0, "replies_off": 0}
    with engine.connect() as conn:
        for sender, want in expected(log_path).items():
            rows = conn.execute(
                sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender},
            ).all()
            texts = [json.loads(r.data).get("text") for r in rows if r.type_name == "user"]
            bots = sum(r.type_name == "bot" for r in rows)
            summary["conversations"] += 1
            summary["messages"] += len(want["texts"])
            summary["lost"] += max(0, len(want["texts"]) - len(texts))
            summary["duplicated"] += max(0, len(texts) - len(want["texts"]))
            summary["replies_off"] += abs(bots - sum(want["replies"]))
    engine.dispose()
    return summary


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m loadtest.check LOG TRACKER_URL", file=sys.stderr)
        return 2
    summary = count(*argv)
    print(json.dumps(summary))
    return 1 if summary["lost"] or summary["duplicated"] or summary["replies_off"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
