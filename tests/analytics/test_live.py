"""The console's live overview figures, on a tracker store and a shop written for the test."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from analytics.live import MISSES_LISTED, live_figures, start_of_today
from kefu.clock import to_epoch, utcnow
from kefu.shop import init_db, session_scope
from kefu.shop.models import Csat, Ticket
from tests.analytics.trackers import _action, _bot, _user, build_tracker_store


def _session(ts: float) -> list:
    return [_action("action_session_start", ts), _action("action_listen", ts)]


def test_live_figures_count_today_and_the_last_hour(tmp_path):
    now = time.time()
    today = to_epoch(start_of_today())
    yesterday = today - 6 * 3600
    hours_ago = max(today + 1, now - 2 * 3600)  # today, but not in the last hour
    convs = {
        # yesterday only: not counted today
        "old": [*_session(yesterday), _user("hi", "greet", yesterday + 1)],
        # today, contained, one message not understood two hours ago
        "a": [
            *_session(hours_ago),
            _user("blorp zzz", "nlu_fallback", hours_ago + 1),
            _action("action_default_fallback", hours_ago + 2),
        ],
        # today, the bot answered with a fallback action in the last hour
        "b": [
            *_session(now - 60),
            _user("my phone is 13812345678 qwop", "order_status", now - 50),
            _action("action_default_fallback", now - 49),
            _bot("sorry?", now - 48),
        ],
        # today, handed off (a ticket in the shop)
        "c": [*_session(now - 30), _user("human please", "human_handoff", now - 20)],
    }
    tracker = build_tracker_store(str(tmp_path / "tracker.db"), convs)
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    init_db(shop)
    at = utcnow()
    with session_scope(shop) as s:
        s.add(Ticket(conversation_id="c", language="en", created_at=at, waiting_since=at))
        s.add(Ticket(conversation_id="old", language="en", created_at=at - timedelta(days=2)))
        s.add(Csat(conversation_id="a", score=5, created_at=at))
        s.add(Csat(conversation_id="b", score=2, created_at=at))
        s.add(Csat(conversation_id="old", score=1, created_at=at - timedelta(days=2)))

    figures = live_figures(tracker, shop)
    assert figures["conversations_today"] == 3
    assert figures["containment"] == round(2 / 3, 4)
    assert figures["csat_today"] == 3.5 and figures["csat_responses_today"] == 2
    assert figures["not_understood_last_hour"] == 1
    # listed for every agent: personal data masked
    (listed,) = figures["not_understood_messages"]
    assert "qwop" in listed and "13812345678" not in listed


def test_start_of_today_is_the_shops_midnight(monkeypatch):
    monkeypatch.setenv("KEFU_SHOP_TZ", "Asia/Shanghai")
    # 20:00 UTC is 04:00 the next day in Shanghai: its midnight was 16:00 UTC
    assert start_of_today(datetime(2026, 3, 2, 20, 0)) == datetime(2026, 3, 2, 16, 0)
    assert start_of_today(datetime(2026, 3, 2, 10, 0)) == datetime(2026, 3, 1, 16, 0)


def test_the_listed_misses_are_the_latest_whatever_the_conversation_ids(tmp_path):
    """The store is read sender by sender: six older misses of a conversation whose id
    sorts last must not hide the newest miss of one whose id sorts first."""
    now = time.time()
    older = [
        _user(f"older miss {i}", "nlu_fallback", now - 1800 + i) for i in range(MISSES_LISTED + 1)
    ]
    convs = {
        "zz-earlier": [*_session(now - 1900), *older],
        "aa-latest": [*_session(now - 30), _user("the newest miss", "nlu_fallback", now - 20)],
    }
    tracker = build_tracker_store(str(tmp_path / "tracker.db"), convs)
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    init_db(shop)
    figures = live_figures(tracker, shop)
    assert figures["not_understood_last_hour"] == MISSES_LISTED + 2
    listed = figures["not_understood_messages"]
    assert listed[0] == "the newest miss"  # latest first
    assert listed[1:] == [f"older miss {i}" for i in range(MISSES_LISTED, 1, -1)]
