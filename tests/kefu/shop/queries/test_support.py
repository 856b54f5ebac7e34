"""Support records: tickets and CSAT."""

from __future__ import annotations

import json

import pytest

from kefu.shop import Csat, Ticket, init_db, session_scope
from kefu.shop import queries as shop


@pytest.fixture
def empty_shop(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'support.db'}"
    init_db(url)
    return url


def test_csat_score_range_is_enforced(empty_shop):
    with pytest.raises(ValueError):
        shop.store_csat("c", None, "zh", 6, url=empty_shop)
    with pytest.raises(ValueError):
        shop.store_csat("c", None, "zh", 0, url=empty_shop)
    row_id = shop.store_csat("c", None, "fr", 5, url=empty_shop)
    with session_scope(empty_shop) as s:
        row = s.get(Csat, row_id)
        assert (row.score, row.language) == (5, "zh")


def test_a_long_transcript_keeps_its_latest_turns(empty_shop, monkeypatch):
    monkeypatch.setattr("kefu.shop.queries.support.MAX_TRANSCRIPT_CHARS", 200)
    turns = [{"sender": "user", "text": f"turn {i} " + "x" * 40} for i in range(10)]
    ticket_id = shop.create_ticket("conv", None, "en", "asked for a human", turns, url=empty_shop)
    with session_scope(empty_shop) as s:
        kept = json.loads(s.get(Ticket, ticket_id).transcript)
    assert kept and len(json.dumps(kept, ensure_ascii=False)) <= 200
    assert kept == turns[-len(kept) :]
