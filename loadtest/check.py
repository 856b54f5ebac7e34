"""After a load run: count in the tracker store every message sent and every reply.

``python -m loadtest.check LOG TRACKER_URL`` (kefu's venv). ``LOG`` is written by the
locustfile: a ``sent`` row before each request and a ``done`` row after it (the reply
count, or the error). Per conversation the tracker store must hold:

* every answered message (``lost``: answered but not stored);
* no message more often than it was sent (``duplicated``);
* the answered messages in the order they were sent (``out_of_order``);
* as many bot messages as the replies received (:func:`sent_messages`), where every message was answered
  (``replies_off``).

A message that got an error (``errors``) may or may not be stored; those stored anyway
are counted in ``stored_after_error``. A message without a ``done`` row (the run was cut
mid-request) is ``unfinished``. Prints a JSON summary; exit code 1 when something was lost,
duplicated, reordered or a reply count differs.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

FAILING = ("lost", "duplicated", "out_of_order", "replies_off")


@dataclass
class Conversation:
    """What one conversation's customer sent and got back, in order."""

    sent: list[str] = field(default_factory=list)  # every message (answered or not)
    answered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    replies: int = 0
    unfinished: int = 0


def read_log(log_path: str) -> tuple[dict[str, Conversation], int]:
    """The conversations in the log, and the messages whose conversation is unknown
    (the first message of a site session that failed: the site names it in its answer)."""
    sent: dict[str, dict[str, Any]] = {}
    done: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    with open(log_path, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row.get("event") == "sent":
                sent[row["id"]] = row
                order.append(row["id"])
            elif row.get("event") == "done":
                done[row["id"]] = row
    out: dict[str, Conversation] = defaultdict(Conversation)
    unknown = 0
    for message in order:
        row, end = sent[message], done.get(message)
        name = (end or {}).get("conversation") or row["conversation"]
        if not name:
            unknown += 1
            continue
        conv = out[name]
        conv.sent.append(row["text"])
        if end is None:
            conv.unfinished += 1
        elif end.get("error") is None and end.get("replies") is not None:
            conv.answered.append(row["text"])
            conv.replies += int(end["replies"])
        else:
            conv.failed.append(row["text"])
    return dict(out), unknown


def sent_messages(bot_event: dict[str, Any]) -> int:
    """How many messages one stored bot utterance makes on the REST channel (and in the
    site's answer): Rasa's ``OutputChannel.send_response`` sends text (split at blank
    lines unless it has buttons), custom JSON, image, attachment and elements apart."""
    data = bot_event.get("data") or {}
    text = bot_event.get("text")
    if data.get("quick_replies") or data.get("buttons"):
        n = 1
    else:
        n = len(text.strip().split("\n\n")) if text else 0
    return n + sum(bool(data.get(k)) for k in ("custom", "image", "attachment", "elements"))


def _present(texts: list[str], have: Counter[str]) -> list[str]:
    """``texts`` without those missing from ``have`` (lost ones are counted apart)."""
    left, out = Counter(have), []
    for text in texts:
        if left[text] > 0:
            left[text] -= 1
            out.append(text)
    return out


def _subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def count(log_path: str, tracker_url: str) -> dict[str, int]:
    """Lost, duplicated, reordered and mismatched counts over every logged conversation."""
    conversations, unknown = read_log(log_path)
    summary = dict.fromkeys(
        (
            "conversations",
            "messages",
            "answered",
            "errors",
            "unfinished",
            "lost",
            "duplicated",
            "out_of_order",
            "replies",
            "replies_off",
            "stored_after_error",
        ),
        0,
    )
    summary["unknown_conversation"] = unknown
    engine = sa.create_engine(tracker_url)
    query = sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id")
    try:
        with engine.connect() as conn:
            for sender, conv in conversations.items():
                rows = conn.execute(query, {"s": sender}).all()
                events = [(r.type_name, json.loads(r.data)) for r in rows]
                stored = [e.get("text") for kind, e in events if kind == "user"]
                bots = sum(sent_messages(e) for kind, e in events if kind == "bot")
                have, sent, answered = Counter(stored), Counter(conv.sent), Counter(conv.answered)
                summary["conversations"] += 1
                summary["messages"] += len(conv.sent)
                summary["answered"] += len(conv.answered)
                summary["errors"] += len(conv.failed)
                summary["unfinished"] += conv.unfinished
                summary["replies"] += conv.replies
                summary["lost"] += sum((answered - have).values())
                summary["duplicated"] += sum((have - sent).values())
                summary["stored_after_error"] += sum(
                    (Counter(conv.failed) & (have - answered)).values()
                )
                if not _subsequence(_present(conv.answered, have), stored):
                    summary["out_of_order"] += 1
                if not conv.failed and not conv.unfinished:
                    summary["replies_off"] += abs(bots - conv.replies)
    finally:
        engine.dispose()
    return summary


def failed(summary: dict[str, int]) -> bool:
    """Whether the store disagrees with what the customers sent and got back."""
    return any(summary[key] for key in FAILING)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m loadtest.check LOG TRACKER_URL", file=sys.stderr)
        return 2
    summary = count(*argv)
    print(json.dumps(summary))
    return 1 if failed(summary) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
