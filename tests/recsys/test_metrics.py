"""Rating and ranking metrics on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.metrics import mae, ranking_metrics, rmse


def test_rmse_and_mae():
    assert rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(np.sqrt(4 / 3))
    assert mae([1, 2, 3], [2, 2, 1]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        rmse([], [])
    with pytest.raises(ValueError):
        mae([1], [1, 2])


def test_ranking_metrics():
    lists = {"a": ["x", "y", "z"], "b": ["q", "r", "s"]}
    relevant = {"a": {"y", "w"}, "b": {"q"}, "c": set()}
    result = ranking_metrics(lambda u: lists[u], relevant, n=3, n_items=12)
    assert result["users"] == 2  # users without relevant items are skipped
    assert result["precision"] == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert result["recall"] == pytest.approx((1 / 2 + 1) / 2)
    ndcg_a = (1 / np.log2(3)) / (1 + 1 / np.log2(3))
    assert result["ndcg"] == pytest.approx((ndcg_a + 1.0) / 2)
    assert result["coverage"] == pytest.approx(6 / 12)
