"""One contract, run over every model variant (fit, predict, recommend, similar_items,
save/load, business rules, bad inputs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from recsys import BaseRecommender, Recommendation, UnknownItemError
from tests.recsys.conftest import VARIANTS


def _in_stock(items: pd.DataFrame) -> set[str]:
    return set(items.loc[items["stock"] > 0, "item_id"])


def test_fit_returns_self_and_learned_attributes(interactions, items):
    for make in VARIANTS.values():
        model = make()
        assert model.fit(interactions, items) is model
        assert model.dataset_.n_users == interactions["user_id"].nunique()
        assert model.dataset_.n_items == len(items)


def test_unfitted_model_raises_not_fitted():
    for make in VARIANTS.values():
        with pytest.raises(NotFittedError):
            make().recommend("U000")
        with pytest.raises(NotFittedError):
            make().predict(["U000"], ["I000"])


def test_predict_is_vectorized_clipped_and_never_raises_on_unknown(fitted, interactions):
    users = [*interactions["user_id"].iloc[:50], "nobody", 12345]
    items_ = [*interactions["item_id"].iloc[:50], "I000", "no-such-item"]
    estimates = fitted.predict(users, items_)
    assert estimates.shape == (52,)
    assert np.isfinite(estimates).all()
    assert ((estimates >= 1) & (estimates <= 5)).all()
    # unknown user and item: the global mean exactly
    assert fitted.predict(["nobody"], ["nothing"])[0] == pytest.approx(
        interactions["rating"].mean()
    )
    assert fitted.predict([], []).shape == (0,)
    with pytest.raises(ValueError, match="same length"):
        fitted.predict(["U000", "U001"], ["I000"])


def test_recommend_business_rules(fitted, interactions, items):
    stock = _in_stock(items)
    for user in ("U000", "U001", "U013"):
        seen = set(interactions.loc[interactions["user_id"] == user, "item_id"])
        recs = fitted.recommend(user, n=10)
        ids = [r.item_id for r in recs]
        assert 0 < len(recs) <= 10
        assert all(isinstance(r, Recommendation) for r in recs)
        assert len(set(ids)) == len(ids), "no duplicates"
        assert not set(ids) & seen, "already-seen items are excluded"
        assert set(ids) <= stock, "only in-stock items"
        scores = [r.score for r in recs]
        assert scores == sorted(scores, reverse=True)
        assert all(r.reason.text("zh") and r.reason.text("en") for r in recs)
        # exclude_seen=False lets seen items back in
        again = {r.item_id for r in fitted.recommend(user, n=len(items), exclude_seen=False)}
        assert seen & stock <= again


def test_recommend_category_filter_by_key_or_display_name(fitted, items):
    books = set(items.loc[items["category"] == "books", "item_id"])
    for category in ("books", "图书", "BOOKS", "Books"):
        recs = fitted.recommend("U002", n=5, category=category)
        assert recs and {r.item_id for r in recs} <= books
    with pytest.raises(ValueError, match="unknown category 'toys'"):
        fitted.recommend("U002", category="toys")
    with pytest.raises(ValueError, match="category"):
        fitted.recommend("U002", category="  ")


def test_recommend_only_among_given_items(fitted, items):
    stocked = sorted(_in_stock(items))
    candidates = [*stocked[:4], "no-such-item"]
    for user in ("U002", None):
        recs = fitted.recommend(user, n=10, exclude_seen=False, items=candidates)
        assert {r.item_id for r in recs} == set(stocked[:4])
        assert all(r.reason is not None for r in recs)
    assert fitted.recommend("U002", n=5, items=[]) == []


@pytest.mark.parametrize("n", [0, -3, 2.5, "5", True, None, 10**6])
def test_recommend_rejects_bad_n(fitted, n):
    with pytest.raises(ValueError, match="n must be"):
        fitted.recommend("U000", n=n)


def test_recommend_returns_all_candidates_when_n_is_large(fitted, items):
    recs = fitted.recommend(None, n=1000)
    assert len(recs) == len(_in_stock(items))


def test_unknown_user_gets_cold_start_results(fitted, items):
    for user in (None, "nobody", 99999, ("not", "hashable", ["list"])):
        recs = fitted.recommend(user, n=5, context={"language": "en", "city": "London"})
        assert len(recs) == 5
        assert {r.item_id for r in recs} <= _in_stock(items)
        assert {r.reason.kind for r in recs} <= {"popular", "popular_category", "popular_city"}


@pytest.mark.parametrize(
    "context, message",
    [({"language": "fr"}, "language"), ({"city": 3}, "city"), ("zh", "dict")],
)
def test_recommend_rejects_bad_context(fitted, context, message):
    with pytest.raises(ValueError, match=message):
        fitted.recommend(None, context=context)


def test_similar_items(fitted, items):
    recs = fitted.similar_items("I000", n=5)
    ids = [r.item_id for r in recs]
    assert 0 < len(ids) <= 5 and "I000" not in ids and len(set(ids)) == len(ids)
    assert set(ids) <= _in_stock(items)
    with pytest.raises(UnknownItemError, match="unknown item"):
        fitted.similar_items("no-such-item")
    with pytest.raises(ValueError, match="n must be"):
        fitted.similar_items("I000", n=0)


def test_save_load_round_trip_gives_identical_results(fitted, tmp_path, interactions):
    path = fitted.save(tmp_path / "model")
    assert sorted(p.name for p in path.iterdir()) == ["arrays.npz", "model.json"]
    loaded = type(fitted).load(path)
    assert type(loaded) is type(fitted)
    assert loaded.get_params() == fitted.get_params()
    users, items_ = interactions["user_id"].tolist(), interactions["item_id"].tolist()[::-1]
    np.testing.assert_array_equal(loaded.predict(users, items_), fitted.predict(users, items_))
    for user in ("U000", "U005", None):
        assert loaded.recommend(user, n=7) == fitted.recommend(user, n=7)
    assert loaded.similar_items("I004", n=4) == fitted.similar_items("I004", n=4)
    # the base class loads any model; another concrete class refuses
    assert type(BaseRecommender.load(path)) is type(fitted)


def test_load_refuses_other_classes_and_garbage(fitted, tmp_path):
    path = fitted.save(tmp_path / "model")
    others = [make() for make in VARIANTS.values() if type(make()) is not type(fitted)]
    with pytest.raises(ValueError, match="not a"):
        type(others[0]).load(path)
    with pytest.raises(FileNotFoundError):
        type(fitted).load(tmp_path / "missing")
    (path / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        type(fitted).load(path)
