"""The hybrid Recommender: blends, reasons, implicit-only data, stock updates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import ItemKNN, Recommender, UserKNN


def test_rating_estimates_blend_item_and_user_corrections(interactions, items):
    params = {
        "k": 10,
        "candidates": 20,
        "regularization": 0.5,
        "shrinkage": 100.0,
        "reg_user": 5.0,
        "reg_item": 5.0,
        "n_epochs": 20,
    }
    hybrid = Recommender(**params, rating_item_weight=1.0, rating_user_weight=1.0)
    hybrid.fit(interactions, items)
    item = ItemKNN(**params).fit(interactions, items)
    user = UserKNN(**params).fit(interactions, items)
    users, items_ = interactions["user_id"][::3], interactions["item_id"][::-3]
    base = item.biases_.estimate(item.dataset_.users.rows(users), item.dataset_.items.rows(items_))
    expected = np.clip(
        base + (item.predict(users, items_) - base) + (user.predict(users, items_) - base), 1, 5
    )
    # the separate models clip their own estimates: compare where neither was clipped
    inner = (item.predict(users, items_) > 1) & (item.predict(users, items_) < 5)
    inner &= (user.predict(users, items_) > 1) & (user.predict(users, items_) < 5)
    np.testing.assert_allclose(hybrid.predict(users, items_)[inner], expected[inner], rtol=1e-6)


def test_reasons_name_the_customers_own_items(hybrid, interactions):
    history = interactions[interactions["user_id"] == "U004"]
    liked = set(history.loc[history["rating"] > 2, "item_id"])
    for rec in hybrid.recommend("U004", n=5):
        assert rec.reason.kind in {
            "bought",
            "rated",
            "similar",
            "similar_customers",
            "popular_category",
        }
        if rec.reason.kind in ("rated", "bought"):
            assert rec.reason.item_id in liked
            assert rec.reason.text("zh").startswith("因为您")


def test_implicit_only_data_ranks_and_predicts_relevance():
    log = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "c", "c", "d"],
            "item_id": ["x", "y", "x", "y", "x", "z", "x"],
            "weight": [1, 1, 1, 1, 1, 1, 1],
        }
    )
    model = Recommender(item_neighbours=3, user_neighbours=3).fit(log)
    assert not model.dataset_.has_ratings
    recs = model.recommend("d", n=2)
    assert recs[0].item_id == "y"  # x is bought with y twice, with z once
    assert recs[0].reason.text("en") == "because you bought x"
    scores = model.predict(["d", "d", "nobody"], ["y", "z", "x"])
    assert scores[0] > scores[1] > 0 and scores[2] > 0  # unknown user: popularity


def test_update_stock_changes_what_can_be_recommended(interactions, items):
    model = Recommender(k=10, candidates=20, item_neighbours=20, user_neighbours=10)
    model.fit(interactions, items)
    top = model.recommend("U003", n=1)[0].item_id
    assert model.update_stock({top: 0, "unknown": 5}) == 1
    assert top not in {r.item_id for r in model.recommend("U003", n=10)}


def test_not_only_in_stock(interactions, items):
    model = Recommender(only_in_stock=False, k=10, candidates=20).fit(interactions, items)
    out_of_stock = set(items.loc[items["stock"] == 0, "item_id"])
    everything = {r.item_id for r in model.recommend(None, n=100)}
    assert out_of_stock <= everything


@pytest.mark.parametrize(
    "params",
    [
        {"item_weight": -1},
        {"history_shrink": float("nan")},
        {"user_neighbours": 0},
        {"alpha": -0.1},
    ],
)
def test_bad_parameters(interactions, params):
    with pytest.raises(ValueError, match="must be"):
        Recommender(**params).fit(interactions)


def test_save_refuses_ids_json_cannot_hold(tmp_path):
    model = Recommender().fit(pd.DataFrame({"user_id": [("a", 1)], "item_id": ["x"]}))
    with pytest.raises(TypeError, match="strings or numbers"):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()  # nothing half-written
