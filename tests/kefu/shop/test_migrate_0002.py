"""Revision 0002 (live hand-off) reaches a shop with tickets and scores without losing them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from kefu.shop import migrate
from kefu.shop.db import get_engine
from tests.kefu.shop.test_migrate import _fill, _schema_diff, _snapshot


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty shop database on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}"
    return request.getfixturevalue("postgres_url")


TICKETS = [
    # id, conversation, status
    (1, "conv-a", "open"),
    (2, "conv-b", "closed"),
    (3, "conv-c", "open"),
    (4, "conv-c", "open"),  # a second open ticket of the same conversation (old behaviour)
]


def _at_0001_with_support_rows(url: str) -> dict:
    engine = get_engine(url)
    migrate.upgrade(engine, "0001")
    _fill(url)
    with engine.begin() as conn:
        for ticket_id, conversation, status in TICKETS:  # ids given by the database, in order
            conn.execute(
                text(
                    "INSERT INTO tickets (conversation_id, customer_id, language, reason, "
                    "transcript, status, created_at) VALUES (:c, NULL, 'zh', 'r', '[]', :s, :t)"
                ),
                {"c": conversation, "s": status, "t": datetime(2026, 11, 1, 10, ticket_id)},
            )
        conn.execute(
            text(
                "INSERT INTO csat (conversation_id, language, score, created_at) "
                "VALUES ('conv-b', 'en', 4, :t)"
            ),
            {"t": datetime(2026, 11, 1, 11)},
        )
    return _snapshot(url)


def test_upgrade_keeps_tickets_and_scores_and_maps_statuses(any_url):
    before = _at_0001_with_support_rows(any_url)
    engine = get_engine(any_url)
    assert migrate.upgrade(engine) == migrate.head_revision()
    assert _schema_diff(any_url) == []
    after = _snapshot(any_url)
    for name in before:
        if name != "tickets":  # only the ticket statuses change
            assert after[name] == before[name], name
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, status, waiting_since IS NOT NULL FROM tickets ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [
            (1, "pending", True),
            (2, "resolved", False),
            (3, "resolved", True),  # the older duplicate is resolved, the newest waits
            (4, "pending", True),
        ]
        assert conn.execute(text("SELECT score, agent_id FROM csat")).one() == (4, None)
        assert {"staff", "ticket_notes", "canned_replies"} <= set(inspect(conn).get_table_names())
    with pytest.raises(IntegrityError):  # one unresolved ticket per conversation
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tickets (conversation_id, language, reason, transcript, "
                    "status, created_at, unread_for_agent) VALUES ('conv-a', 'zh', '', '[]', "
                    "'open', :t, 0)"
                ),
                {"t": datetime(2026, 11, 2)},
            )
    with engine.begin() as conn:  # a resolved one may sit beside it
        conn.execute(
            text(
                "INSERT INTO tickets (conversation_id, language, reason, transcript, status, "
                "created_at, unread_for_agent) VALUES ('conv-a', 'zh', '', '[]', 'resolved', "
                ":t, 0)"
            ),
            {"t": datetime(2026, 11, 2)},
        )


def test_downgrade_returns_to_0001_with_the_rows(any_url):
    before = _at_0001_with_support_rows(any_url)
    engine = get_engine(any_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM tickets WHERE id > 4")  # nothing new: compare like for like
        )
    assert migrate.downgrade(engine, "0001") == "0001"
    after = _snapshot(any_url)
    for name in before:
        if name != "tickets":
            assert after[name] == before[name], name
    with engine.connect() as conn:
        statuses = conn.execute(text("SELECT status FROM tickets ORDER BY id")).scalars().all()
        assert statuses == ["open", "closed", "closed", "open"]
        assert "staff" not in inspect(conn).get_table_names()
        columns = {c["name"] for c in inspect(conn).get_columns("tickets")}
        assert columns == migrate.BASELINE_TABLES["tickets"]
    assert migrate.upgrade(engine) == migrate.head_revision()  # and up again
