"""The console panel's customer scores: the customers report's pipeline, cached, scored in
the background so a request never waits for a fit."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from analytics.scores import customer_scores, forget_scores
from recsys.segments import segment_prototypes


def _a_buyer(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT customer_id FROM orders WHERE status = 'delivered' LIMIT 1")
        ).scalar_one()
    engine.dispose()
    return str(found)


def test_scores_come_from_the_background_then_stay_cached(demo_url):
    forget_scores()
    buyer = _a_buyer(demo_url)
    assert customer_scores(buyer, demo_url) == {"scores_pending": True}
    deadline = time.monotonic() + 120
    scores = customer_scores(buyer, demo_url)
    while scores.get("scores_pending") and time.monotonic() < deadline:
        time.sleep(0.2)
        scores = customer_scores(buyer, demo_url)
    keys = {p["key"]: p for p in segment_prototypes()}
    assert scores["segment"]["key"] in keys
    assert scores["segment"]["zh"] == keys[scores["segment"]["key"]]["zh"]
    assert float(scores["lifetime_value"]) > 0 and scores["order_count"] >= 1
    assert 0.0 <= scores["propensity"] <= 1.0
    assert all(1 <= v <= 5 for v in scores["rfm"].values())
    started = time.monotonic()
    assert customer_scores(buyer, demo_url) == scores  # cached: no second fit
    assert time.monotonic() - started < 0.5
    assert customer_scores("nobody", demo_url) == {
        "segment": None,
        "lifetime_value": "0.00",
        "propensity": None,
    }
    forget_scores()
