"""Complaint themes: negative texts grouped by topic and named by their top terms."""

from __future__ import annotations

import pytest

from analytics.themes import complaint_themes


def _docs():
    delivery = [(f"物流太慢了，等了{i}天", ["物流", "太慢", "快递"]) for i in range(12)] + [
        (f"快递太慢 {i}", ["快递", "太慢"]) for i in range(4)
    ]
    battery = [(f"battery died after {i} days", ["battery", "died", "charge"]) for i in range(10)]
    return delivery + battery


def test_two_themes_found_named_and_sized():
    themes = complaint_themes(_docs(), n_themes=2)
    assert len(themes) == 2
    first, second = themes
    assert first["size"] == 16 and second["size"] == 10
    assert first["share"] == pytest.approx(16 / 26, abs=1e-4)
    assert set(first["terms"][:3]) == {"物流", "太慢", "快递"}
    assert set(second["terms"][:3]) == {"battery", "died", "charge"}
    assert first["name"].count(" / ") == 2
    assert len(first["examples"]) == 3 and all("慢" in e for e in first["examples"])
    assert all(e.startswith("battery") for e in second["examples"])


def test_theme_count_shrinks_with_few_texts():
    themes = complaint_themes(_docs()[:10], n_themes=6, min_docs_per_theme=5)
    assert len(themes) <= 2
    assert sum(t["size"] for t in themes) == 10


def test_degenerate_inputs():
    assert complaint_themes([]) == []
    assert complaint_themes([("a", [])] * 10) == []
    assert complaint_themes([("a", ["x"])]) == []
    single = complaint_themes([("a", ["x", "y"])] * 6, n_themes=3)
    assert len(single) == 1 and single[0]["size"] == 6 and single[0]["examples"] == ["a"]
    with pytest.raises(ValueError):
        complaint_themes(_docs(), n_themes=0)


def test_deterministic():
    assert complaint_themes(_docs(), n_themes=3) == complaint_themes(_docs(), n_themes=3)
