"""Support records: tickets and CSAT."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.shop import Csat, Ticket, init_db, session_scope
from kefu.shop import queries as shop
from kefu.shop.queries.support import transcript_payload


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


@given(
    st.lists(st.dictionaries(st.sampled_from(["sender", "text"]), st.text(max_size=30))),
    st.integers(min_value=0, max_value=400),
)
def test_the_stored_transcript_is_the_longest_tail_that_fits(turns, limit):
    payload = transcript_payload(turns, limit)
    kept = json.loads(payload)
    assert kept == turns[len(turns) - len(kept) :]  # whole turns, the latest ones
    assert len(payload) <= limit or not kept  # fits, or nothing is left to drop
    if len(kept) < len(turns):  # one more turn would not have fitted
        longer = turns[len(turns) - len(kept) - 1 :]
        assert len(json.dumps(longer, ensure_ascii=False)) > limit
