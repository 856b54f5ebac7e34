"""Hand-off figures: reasons, queue and reply times, CSAT bot-only vs per agent."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from analytics.handoffs import handoff_summary
from kefu.shop import init_db, session_scope
from kefu.shop.models import Csat, Staff, Ticket


def test_handoff_summary_from_tickets_and_scores(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    init_db(url)
    t0 = datetime(2026, 11, 1, 10, 0, 0)
    with session_scope(url) as s:
        ann = Staff(email="ann@x", name="Ann", role="agent", password_hash="x", created_at=t0)
        bo = Staff(email="bo@x", name="Bo", role="agent", password_hash="x", created_at=t0)
        s.add_all([ann, bo])
        s.flush()
        rows = [
            # reason, queue seconds, resolution seconds, resolver
            ("asked", 60, 600, ann.id),
            ("asked", 120, 900, bo.id),
            ("negative_sentiment", 30, 300, ann.id),
            ("fallbacks", None, None, None),  # still waiting
        ]
        for i, (reason, wait, solve, by) in enumerate(rows):
            s.add(
                Ticket(
                    conversation_id=f"c{i}",
                    language="zh",
                    reason="",
                    transcript="[]",
                    status="resolved" if by else "pending",
                    created_at=t0,
                    waiting_since=t0,
                    first_reply_at=t0 + timedelta(seconds=wait) if wait else None,
                    resolved_at=t0 + timedelta(seconds=solve) if solve else None,
                    resolved_by=by,
                    escalation_reason=reason,
                    unread_for_agent=0,
                )
            )
        for score, agent in ((5, ann.id), (3, ann.id), (4, bo.id), (2, None), (4, None)):
            s.add(
                Csat(conversation_id="x", language="zh", score=score, created_at=t0, agent_id=agent)
            )
    summary = handoff_summary(url, Counter({"complaint": 3, "affirm": 3, "order_status": 1}))
    assert summary["tickets"] == 4
    assert summary["by_reason"]["asked"] == {"tickets": 2, "share": 0.5}
    assert summary["time_in_queue"]["n"] == 3 and summary["time_in_queue"]["median_s"] == 60.0
    assert summary["resolution_time"]["median_s"] == 600.0
    csat = summary["csat"]
    assert csat["bot_only"] == {"responses": 2, "average": 3.0}
    assert csat["agent_handled"] == {"responses": 3, "average": 4.0}
    assert csat["per_agent"]["Ann"] == {"responses": 2, "average": 4.0}
    assert summary["resolved_per_agent"] == {"Ann": 2, "Bo": 1}
    assert [i["intent"] for i in summary["intents_most_handed_off"]] == [
        "complaint",
        "order_status",
    ]


def test_without_a_shop_the_section_says_so():
    assert "note" in handoff_summary(None)
