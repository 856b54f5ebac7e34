"""Item-based and user-based neighbourhood models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import ItemKNN, PopularityRecommender, UserKNN
from recsys.metrics import ranking_metrics, rmse
from tests.recsys.conftest import make_interactions, make_items


@pytest.fixture(scope="module")
def split():
    items = make_items(n_per_category=12, seed=1)
    log = make_interactions(items, n_users=200, per_user=10, seed=1)
    last = log.groupby("user_id")["timestamp"].transform("max")
    test = log[log["timestamp"] >= last - 1]  # the last two events of each user
    return log[log["timestamp"] < last - 1], test, items


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
def test_cf_beats_popularity_on_held_out_data(split, cls):
    train, test, items = split
    relevant = {u: set(g) for u, g in test.groupby("user_id")["item_id"]}
    cf = cls(k=20, candidates=40, ranking_neighbours=30, only_in_stock=False).fit(train, items)
    pop = PopularityRecommender(only_in_stock=False).fit(train, items)
    scores = {
        name: ranking_metrics(lambda u, m=m: [r.item_id for r in m.recommend(u, 10)], relevant)
        for name, m in (("cf", cf), ("pop", pop))
    }
    assert scores["cf"]["ndcg"] > scores["pop"]["ndcg"] + 0.05
    # rating estimates beat the global mean
    estimates = cf.predict(test["user_id"], test["item_id"])
    assert rmse(test["rating"], estimates) < rmse(
        test["rating"], [train["rating"].mean()] * len(test)
    )


@pytest.mark.parametrize("similarity", ["pearson_baseline", "adjusted_cosine", "cosine"])
def test_every_rating_similarity_fits_and_predicts(split, similarity):
    train, test, items = split
    model = ItemKNN(similarity=similarity, k=10, candidates=20).fit(train, items)
    estimates = model.predict(test["user_id"], test["item_id"])
    assert np.isfinite(estimates).all() and estimates.min() >= 1 and estimates.max() <= 5


@pytest.mark.parametrize(
    "params, message",
    [
        ({"k": 0}, "k must be"),
        ({"candidates": 2.5}, "candidates must be"),
        ({"shrinkage": -1}, "shrinkage must be"),
        ({"alpha": 2}, "alpha"),
        ({"similarity": "jaccard"}, "similarity must be"),
    ],
)
def test_bad_parameters_are_reported_at_fit(interactions, params, message):
    with pytest.raises(ValueError, match=message):
        ItemKNN(**params).fit(interactions)


def test_item_knn_reasons_cite_a_bought_item_never_a_disliked_one():
    log = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "item_id": ["tea", "cup", "tea", "cup", "pot", "kettle", "pot", "kettle"],
            "rating": [5, 4, 5, 5, 4, 5, 5, 4],
            "weight": [1.0] * 8,
        }
    )
    extra = pd.DataFrame(
        {"user_id": ["e", "e"], "item_id": ["tea", "pot"], "rating": [1, 5], "weight": [1.0, 1.0]}
    )
    model = ItemKNN(k=5, candidates=5, ranking_neighbours=5).fit(pd.concat([log, extra]))
    recs = model.recommend("e", n=2)
    by_item = {r.item_id: r.reason for r in recs}
    assert by_item["kettle"].kind == "bought" and by_item["kettle"].item_id == "pot"
    assert by_item["kettle"].text("en") == "because you bought pot"
    # "cup" comes from "tea", which e rated 1 star: not cited
    assert by_item["cup"].item_id != "tea"


def test_similar_items_follow_co_purchases():
    log = pd.DataFrame(
        {"user_id": list("aabbccdd"), "item_id": ["x", "y", "x", "y", "z", "w", "z", "w"]}
    )
    model = ItemKNN(ranking_neighbours=3).fit(log)
    assert [r.item_id for r in model.similar_items("x", n=1)] == ["y"]
    assert model.similar_items("x", n=1)[0].reason.text("zh") == "与 x 相似"
