"""Aggregates of analysed texts on small inputs with known answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from analytics.aggregates import TextAggregates, negative_spikes, sentiment_name
from analytics.readers import BadRow, Record


def rec(line, text="t", day=None, category=None, product=None, channel=None, rating=None):
    return Record(line, text, day, category, product, channel, rating, None)


def test_sentiment_names():
    assert [sentiment_name(x) for x in ("pos", "POSITIVE", 1, "neg", "-1", "neutral", "中性")] == [
        "positive",
        "positive",
        "positive",
        "negative",
        "negative",
        "neutral",
        "neutral",
    ]


def test_distribution_groups_and_languages():
    agg = TextAggregates()
    rows = [
        ("手机", "app", "positive", "zh"),
        ("手机", "web", "negative", "zh"),
        ("手机", "web", "negative", "en"),
        ("服装", "app", "positive", "zh"),
        (None, "app", "neutral", "en"),
    ]
    for i, (cat, channel, label, lang) in enumerate(rows):
        agg.add(rec(i, category=cat, channel=channel), lang, label, 0.8, [])
    s = agg.summary()
    assert s["texts"] == 5
    assert s["sentiment"]["counts"] == {"positive": 2, "neutral": 1, "negative": 2}
    assert s["sentiment"]["negative_share"] == 0.4
    assert s["mean_confidence"] == 0.8
    assert s["languages"] == {"zh": 3, "en": 2}
    assert s["sentiment_by_language"]["en"]["counts"] == {"neutral": 1, "negative": 1}
    by_cat = {g["value"]: g for g in s["sentiment_by"]["category"]}
    assert by_cat["手机"]["n"] == 3 and by_cat["手机"]["shares"]["negative"] == pytest.approx(
        0.6667
    )
    assert by_cat["服装"]["counts"] == {"positive": 1}
    assert [g["value"] for g in s["sentiment_by"]["category"]] == ["手机", "服装"]  # by volume
    by_channel = {g["value"]: g["counts"] for g in s["sentiment_by"]["channel"]}
    assert by_channel == {"app": {"positive": 2, "neutral": 1}, "web": {"negative": 2}}
    assert "product" not in s["sentiment_by"]


def test_group_values_beyond_the_cap_go_to_other():
    agg = TextAggregates(max_groups=2)
    for i, product in enumerate(["a", "b", "c", "d", "a"]):
        agg.add(rec(i, product=product), "zh", "positive", 1.0, [])
    groups = {g["value"]: g["n"] for g in agg.summary()["sentiment_by"]["product"]}
    assert groups == {"a": 2, "b": 1, "(other)": 2}


def test_trend_flags_the_negative_spike_day():
    agg = TextAggregates()
    start = date(2026, 3, 1)
    for d in range(10):
        day = start + timedelta(days=d)
        negatives = 18 if d == 6 else 2  # day 7 is 90 % negative, the others 10 %
        for j in range(20):
            agg.add(
                rec(d * 100 + j, day=day), "zh", "negative" if j < negatives else "positive", 1, []
            )
    agg.add(rec(9999), "zh", "negative", 1.0, [])  # undated
    trend = agg.summary()["trend"]
    assert trend["freq"] == "day"
    assert trend["spikes"] == ["2026-03-07"]
    assert trend["dated_texts"] == 200 and trend["undated_texts"] == 1
    assert trend["negative_share"] == pytest.approx((9 * 2 + 18) / 200)
    day7 = trend["periods"][6]
    assert day7["n"] == 20 and day7["negative_share"] == 0.9 and day7["spike"]
    assert not any(p["spike"] for i, p in enumerate(trend["periods"]) if i != 6)


def test_trend_granularity_follows_the_span():
    agg = TextAggregates()
    agg.add(rec(1, day=date(2025, 1, 1)), "zh", "positive", 1, [])
    agg.add(rec(2, day=date(2025, 1, 2)), "zh", "negative", 1, [])
    agg.add(rec(3, day=date(2025, 7, 2)), "zh", "negative", 1, [])  # a Wednesday
    trend = agg.summary()["trend"]
    assert trend["freq"] == "week"
    assert [p["period"] for p in trend["periods"]] == ["2024-12-30", "2025-06-30"]
    assert trend["periods"][0]["counts"] == {"positive": 1, "negative": 1}
    assert agg.summary(trend_freq="month")["trend"]["periods"][1]["period"] == "2025-07-01"
    with pytest.raises(ValueError, match="trend_freq"):
        agg.summary(trend_freq="hourly")


def test_small_periods_are_never_spikes():
    periods = [{"period": "a", "n": 3, "negative_share": 1.0}]
    assert negative_spikes(periods, 0.1) == [] and periods[0]["spike"] is False


def test_rating_agreement():
    agg = TextAggregates()
    cases = [
        (5, "positive"),
        (4, "positive"),
        (5, "negative"),
        (1, "negative"),
        (2, "positive"),
        (3, "negative"),
        (3, "positive"),
    ]
    for i, (rating, label) in enumerate(cases):
        agg.add(rec(i, rating=rating), "zh", label, 1.0, [])
    agreement = agg.summary()["rating_agreement"]
    assert agreement["scale"] == 5
    assert agreement["rated_texts"] == 7 and agreement["compared"] == 5  # 3-star not compared
    assert agreement["agreement"] == 0.6  # 5+, 4+, 1- agree; 5- and 2+ do not
    assert agreement["by_rating"]["3"] == {"negative": 1, "positive": 1}


def test_ten_point_ratings():
    agg = TextAggregates()
    for i, (rating, label) in enumerate([(9, "positive"), (2, "negative"), (5, "positive")]):
        agg.add(rec(i, rating=rating), "zh", label, 1.0, [])
    agreement = agg.summary()["rating_agreement"]
    assert agreement["scale"] == 10 and agreement["compared"] == 2 and agreement["agreement"] == 1.0


def test_keywords_per_sentiment_and_category_are_distinctive():
    agg = TextAggregates()
    for i in range(6):
        agg.add(rec(i, category="手机"), "zh", "negative", 1, ["电池", "客服"])
        agg.add(rec(100 + i, category="服装"), "zh", "positive", 1, ["舒服", "客服"])
    agg.add(rec(200, category="手机"), "zh", "positive", 1, ["屏幕", "客服"])
    agg.add(rec(201, category="手机"), "zh", "positive", 1, ["屏幕", "客服"])
    s = agg.summary()
    negative = [k["term"] for k in s["keywords_by_sentiment"]["negative"]]
    positive = [k["term"] for k in s["keywords_by_sentiment"]["positive"]]
    assert negative == ["电池"]  # "客服" is as frequent among positives: not distinctive
    assert s["keywords_by_sentiment"]["negative"][0]["count"] == 6
    assert positive[:2] == ["舒服", "屏幕"]
    assert [k["term"] for k in s["keywords_by_category"]["手机"]][:2] == ["电池", "屏幕"]


def test_negative_sample_is_bounded_and_counted():
    agg = TextAggregates(sample_size=10)
    for i in range(100):
        agg.add(rec(i, text=f"差评 {i}"), "zh", "negative", 1.0, ["差评"])
    themes = agg.summary()["complaint_themes"]
    assert themes["negative_texts"] == 100 and themes["sampled"] == 10
    assert len(agg.negative_sample) == 10


def test_bad_rows_are_counted_by_reason_and_listed():
    agg = TextAggregates()
    agg.add_bad(BadRow(3, "empty text", True))
    agg.add_bad(BadRow(7, "invalid date: unrecognised date 'x'", False))
    agg.add_bad(BadRow(9, "empty text", True))
    bad = agg.summary()["bad_rows"]
    assert bad["total"] == 3 and bad["skipped"] == 2 and bad["kept_without_field"] == 1
    assert bad["by_reason"] == {"empty text": 2, "invalid date": 1}
    assert [b["line"] for b in bad["listed"]] == [3, 7, 9]


def test_empty_summary():
    s = TextAggregates().summary()
    assert s["texts"] == 0 and s["trend"] is None and s["rating_agreement"] is None
    assert s["sentiment"]["negative_share"] is None and s["complaint_themes"]["themes"] == []
