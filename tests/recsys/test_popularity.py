"""Popularity and cold start narrowed by language, city and category."""

from __future__ import annotations

import pandas as pd

from recsys import PopularityRecommender


def test_popularity_counts_distinct_customers():
    log = pd.DataFrame({"user_id": ["a", "a", "a", "b", "c"], "item_id": ["x", "x", "x", "y", "y"]})
    model = PopularityRecommender().fit(log)
    assert [r.item_id for r in model.recommend(None, n=2)] == ["y", "x"]
    assert model.recommend(None, n=1)[0].reason.text("en") == "a best seller"


def test_cold_start_prefers_what_the_same_city_buys():
    rows = []
    for u in range(10):  # ten Londoners buy tea, six Shanghai customers buy coffee twice as often
        rows.append({"user_id": f"L{u}", "item_id": "tea", "city": "London", "language": "en"})
    for u in range(6):
        rows.append({"user_id": f"S{u}", "item_id": "coffee", "city": "上海", "language": "zh"})
    model = PopularityRecommender().fit(pd.DataFrame(rows))
    assert model.recommend(None, n=1)[0].item_id == "tea"
    shanghai = model.recommend(None, n=1, context={"city": "上海"})[0]
    assert shanghai.item_id == "coffee"
    assert shanghai.reason.text("zh") == "上海 热销"
    assert shanghai.reason.text("en") == "popular in 上海"
    # a city with too few customers is ignored rather than trusted
    assert model.recommend(None, n=1, context={"city": "Paris"})[0].item_id == "tea"


def test_cold_start_by_category_words_the_category(interactions, items):
    model = PopularityRecommender().fit(interactions, items)
    recs = model.recommend(None, n=3, category="宠物")
    assert all(r.reason.text("zh") == "宠物 热销" for r in recs)
    assert all(r.reason.text("en") == "popular in Pet Supplies" for r in recs)


def test_known_customer_gets_their_segment(interactions, items):
    model = PopularityRecommender().fit(interactions, items)
    # a known customer's language/city come from the data, no context needed
    recs = model.recommend("U001", n=5)
    assert len(recs) == 5
