"""``analyze conversations`` on a tracker store written by Rasa's SQLTrackerStore."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from analytics import run_conversations
from analytics.conversations import analyse_conversations
from analytics.trackers import TrackerError
from tests.analytics.trackers import DAY1


@pytest.fixture
def shop_url(tmp_path) -> str:
    """A shop database with a ticket for conversation zh-2 and five CSAT scores."""
    from kefu.shop.db import init_db, session_scope
    from kefu.shop.models import Csat, Ticket

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    init_db(url)
    opened = datetime.fromtimestamp(DAY1 + 104, tz=timezone.utc).replace(tzinfo=None)
    with session_scope(url) as session:
        session.add(
            Ticket(conversation_id="zh-2", language="zh", reason="fallback", created_at=opened)
        )
        session.add(Ticket(conversation_id="somebody-else", language="en", created_at=opened))
        for score, lang in [(5, "zh"), (4, "zh"), (1, "zh"), (5, "en"), (3, "en")]:
            session.add(Csat(conversation_id="x", language=lang, score=score, created_at=opened))
    return url


def test_known_figures_without_shop(tracker_db):
    s = analyse_conversations(tracker_db)
    o = s["overall"]
    assert o["conversations"] == 5  # the session without a user message is not one
    assert o["user_messages"] == 9
    assert o["handoffs"] == 1 and o["handoff_rate"] == 0.2 and o["containment_rate"] == 0.8
    assert o["fallback_messages"] == 3 and o["fallback_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert o["conversations_with_fallback"] == 3
    assert s["by_language"]["zh"]["conversations"] == 3  # zh-1's second session keeps the slot
    assert s["by_language"]["en"]["conversations"] == 2
    assert s["by_language"]["en"]["handoff_rate"] == 0.5
    assert [(d["day"], d["conversations"]) for d in s["per_day"]] == [
        ("2026-03-02", 3),
        ("2026-03-03", 2),
    ]
    mix = {m["intent"]: m["count"] for m in s["intent_mix"]}
    assert mix == {"greet": 2, "nlu_fallback": 2, "order_status": 2, "chitchat": 1,
                   "handoff": 1, "return_policy": 1}  # fmt: skip
    assert s["sentiment"] == {"negative": 6, "positive": 2, "neutral": 1}
    assert [t["negative_share"] for t in s["sentiment_trend"]] == [0.5, 1.0]
    assert s["not_understood"] == {
        "en": [{"text": "blorp the zorp", "count": 1}],
        "zh": [{"text": "阿巴阿巴", "count": 2}],
    }
    assert s["csat"]["responses"] == 0 and "no shop database" in s["csat"]["note"]


def test_tickets_and_csat_from_the_shop(tracker_db, shop_url):
    s = analyse_conversations(tracker_db, shop_url)
    assert s["overall"]["handoffs"] == 2  # en-2 by action, zh-2 by its ticket
    assert s["overall"]["containment_rate"] == 0.6
    assert s["by_language"]["zh"]["handoffs"] == 1
    assert s["tickets"] == 2
    csat = s["csat"]
    assert csat["responses"] == 5 and csat["average"] == 3.6
    assert csat["distribution"] == {"1": 1, "2": 0, "3": 1, "4": 1, "5": 2}
    assert csat["satisfied_share"] == 0.6
    assert csat["by_language"]["zh"]["average"] == pytest.approx(10 / 3, abs=1e-3)


def test_missing_sentiment_is_scored_with_the_model(tmp_path, sentiment_model):
    from tests.analytics.trackers import build_tracker_store, conversations

    url = build_tracker_store(str(tmp_path / "t.db"))
    base = analyse_conversations(url)
    assert sum(base["sentiment"].values()) == 9
    # strip the sentiment from the parse data of every user event
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT id, data FROM events WHERE type_name='user'")).all()
        for event_id, data in rows:
            event = json.loads(data)
            event["parse_data"].pop("sentiment")
            conn.execute(sa.text("UPDATE events SET data=:d WHERE id=:i"),
                         {"d": json.dumps(event), "i": event_id})  # fmt: skip
    engine.dispose()
    assert analyse_conversations(url)["sentiment"] == {}
    scored = analyse_conversations(url, sentiment_model=sentiment_model)
    assert sum(scored["sentiment"].values()) == 9
    assert set(scored["sentiment"]) <= {"positive", "negative", "neutral"}
    assert len(conversations()) == 5


def test_postgresql_tracker_store(postgres_url):
    from tests.analytics.trackers import build_tracker_store

    url = build_tracker_store(postgres_url)
    s = analyse_conversations(url)
    assert s["overall"]["conversations"] == 5 and s["overall"]["fallback_messages"] == 3


def test_unreadable_tracker_stores(tmp_path):
    import sqlalchemy as sa

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    sa.create_engine(empty).connect().close()
    with pytest.raises(TrackerError, match="no 'events' table"):
        analyse_conversations(empty)
    with pytest.raises(TrackerError):
        analyse_conversations("nosuchdialect://x")
    with pytest.raises(TrackerError, match="no tracker store at"):
        analyse_conversations(f"sqlite:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists()  # never created by the analysis
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database" * 100)
    with pytest.raises(TrackerError):
        analyse_conversations(f"sqlite:///{corrupt}")


def test_report_and_cli(tracker_db, shop_url, tmp_path, capsys, monkeypatch):
    directory, summary = run_conversations(tracker_db, shop_url, tmp_path / "a")
    on_disk = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["kind"] == "conversations" and on_disk["overall"] == summary["overall"]
    html = (directory / "report.html").read_text(encoding="utf-8")
    assert "阿巴阿巴" in html and "自助解决率" in html

    from kefu.cli import main

    monkeypatch.setenv("KEFU_TRACKER_URL", tracker_db)
    monkeypatch.setenv("KEFU_DATABASE_URL", shop_url)
    assert main(["analyze", "conversations", "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "5 conversations, 9 user messages; containment 60.0%" in out
    assert main(["analyze", "conversations", "--tracker-url", f"sqlite:///{tmp_path}/none.db",
                 "--out", str(tmp_path / "c")]) == 1  # fmt: skip
    assert "no tracker store at" in capsys.readouterr().err


def test_form_fallbacks_and_messages_without_reply(tmp_path):
    from analytics.pages.conversations import conversations_page
    from tests.analytics.trackers import build_tracker_store, form_conversations

    url = build_tracker_store(str(tmp_path / "forms.db"), form_conversations())
    s = analyse_conversations(url)
    assert s["overall"]["form_fallback_messages"] == 2
    assert s["overall"]["unanswered_messages"] == 2
    assert s["form_fallbacks"] == {
        "zh": [{"text": "那个蓝色的", "count": 1}, {"text": "阿巴阿巴", "count": 1}]
    }
    assert s["unanswered"] == {
        "en": [{"text": "anyone?", "count": 1}],
        "zh": [{"text": "我的订单到哪了", "count": 1}],
    }
    page = conversations_page(s, "t", "2026-03-02")
    assert "那个蓝色的" in page and "anyone?" in page and "hello?" not in page
