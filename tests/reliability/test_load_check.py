"""The load test's checker counts what it promises: lost, duplicated, reordered messages
and missing replies, against a tracker store laid out as Rasa's ``events`` table."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from loadtest import check


def _store(path: Path, events: dict[str, list[tuple[str, dict]]]) -> str:
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT,"
                " data TEXT)"
            )
        )
        for sender, rows in events.items():
            for kind, data in rows:
                conn.execute(
                    sa.text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, :t, :d)"),
                    {"s": sender, "t": kind, "d": json.dumps({"event": kind, **data})},
                )
    engine.dispose()
    return url


def _log(path: Path, rows: list[tuple]) -> str:
    with path.open("w", encoding="utf-8") as out:
        for n, (conv, text, replies, error) in enumerate(rows):
            out.write(
                json.dumps({"event": "sent", "id": str(n), "conversation": conv, "text": text})
            )
            out.write("\n")
            if replies != "unfinished":
                done = {"conversation": conv, "replies": replies, "error": error}
                out.write(json.dumps({"event": "done", "id": str(n), **done}) + "\n")
    return str(path)


def user(text: str) -> tuple[str, dict]:
    return "user", {"text": text}


def bot(text: str | None = None, **data: object) -> tuple[str, dict]:
    return "bot", {"text": text, "data": data}


def test_a_faithful_store_counts_nothing_wrong(tmp_path):
    url = _store(
        tmp_path / "t.db",
        {
            "a": [user("hi"), bot("hello", buttons=[{"title": "x"}]), user("shoes")],
            "a2": [user("x")],
        }
        | {"b": [user("where"), bot("one\n\ntwo"), bot("found", custom={"products": []})]},
    )
    log = _log(
        tmp_path / "m.jsonl",
        [("a", "hi", 1, None), ("a", "shoes", 0, None), ("b", "where", 4, None)],
    )
    summary = check.count(log, url)
    assert summary["conversations"] == 2 and summary["answered"] == 3
    assert not check.failed(summary), summary


def test_lost_duplicated_reordered_and_replies_off_are_each_counted(tmp_path):
    url = _store(
        tmp_path / "t.db",
        {
            "lost": [user("one")],
            "twice": [user("one"), bot("r"), user("one"), bot("r")],
            "order": [user("two"), user("one")],
            "replies": [user("one"), bot("r")],
            "failed": [user("one"), bot("r"), user("two")],
        },
    )
    log = _log(
        tmp_path / "m.jsonl",
        [
            ("lost", "one", 0, None),
            ("lost", "two", 1, None),
            ("twice", "one", 1, None),
            ("order", "one", 0, None),
            ("order", "two", 0, None),
            ("replies", "one", 2, None),
            ("failed", "one", 1, None),
            ("failed", "two", None, "HTTP 504"),
            ("failed", "three", "unfinished", None),
        ],
    )
    summary = check.count(log, url)
    assert summary["lost"] == 1  # "two" answered, never stored
    assert summary["duplicated"] == 1  # "one" stored twice, sent once
    assert summary["out_of_order"] == 1
    assert summary["replies_off"] == 3  # 1 missing in "lost", 1 extra in "twice" and "replies"
    assert summary["errors"] == 1 and summary["stored_after_error"] == 1
    assert summary["unfinished"] == 1
    assert check.failed(summary)


def test_bot_messages_are_counted_as_the_rest_channel_sends_them():
    assert check.sent_messages({"text": "a\n\nb"}) == 2
    assert check.sent_messages({"text": "a\n\nb", "data": {"buttons": [1]}}) == 1
    assert check.sent_messages({"text": "a", "data": {"custom": {"x": 1}, "image": "u"}}) == 3
    assert check.sent_messages({"text": None, "data": {"custom": {"x": 1}}}) == 1
