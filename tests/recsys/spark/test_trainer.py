"""The Recommender trained on Spark: the local engine's tables and files, and ALS."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recsys import Recommender
from recsys.spark import fit_on_spark
from tests.recsys.conftest import make_interactions, make_items
from tests.recsys.spark.conftest import assert_same_neighbours, weighted_log

PARAMS = {
    "k": 10,
    "candidates": 20,
    "item_neighbours": 12,
    "user_neighbours": 8,
    "content_neighbours": 10,
    "ranking_shrinkage": 2.0,
    "alpha": 0.4,
}
TABLES = ("item_ranking_", "user_ranking_", "item_rating_", "user_rating_")


@pytest.fixture(scope="module")
def log():
    return weighted_log()


@pytest.fixture(scope="module")
def local(log):
    return Recommender(**PARAMS).fit(log)


@pytest.fixture(scope="module")
def remote(spark, log):
    return fit_on_spark(spark, log, params=PARAMS)


def test_same_tables_as_the_local_engine(local, remote):
    for name in TABLES:
        assert_same_neighbours(getattr(local, name), getattr(remote, name))
    np.testing.assert_allclose(remote.biases_.item, local.biases_.item, rtol=1e-6)
    np.testing.assert_array_equal(remote.popularity_, local.popularity_)
    assert remote.segment_popularity_.keys() == local.segment_popularity_.keys()


def test_same_recommendations_and_files(local, remote, tmp_path):
    users = local.dataset_.users.ids
    for user in users[:20]:
        mine = [(r.item_id, r.reason.kind) for r in local.recommend(user, n=5)]
        assert [(r.item_id, r.reason.kind) for r in remote.recommend(user, n=5)] == mine
    np.testing.assert_allclose(
        remote.predict(users[:10], ["p01"] * 10), local.predict(users[:10], ["p01"] * 10)
    )
    local.save(tmp_path / "local")
    remote.save(tmp_path / "spark")
    mine = json.loads((tmp_path / "local" / "model.json").read_text())
    theirs = json.loads((tmp_path / "spark" / "model.json").read_text())
    assert theirs == mine  # same class, parameters, ids, metadata layout
    with (
        np.load(tmp_path / "local" / "arrays.npz") as a,
        np.load(tmp_path / "spark" / "arrays.npz") as b,
    ):
        assert sorted(a.files) == sorted(b.files)
        for name in a.files:
            assert a[name].dtype == b[name].dtype and a[name].shape == b[name].shape, name
    loaded = Recommender.load(tmp_path / "spark")
    assert [r.item_id for r in loaded.recommend(users[0])] == [
        r.item_id for r in local.recommend(users[0])
    ]


def test_tied_similarities_on_the_toy_shop(spark):
    """Unweighted purchases tie often: equal up to the order of tied neighbours."""
    items = make_items()
    log = make_interactions(items)
    params = {**PARAMS, "ranking_shrinkage": 0.0, "alpha": 0.5}
    local = Recommender(**params).fit(log, items)
    remote = fit_on_spark(spark, log, items, params=params)
    for name in TABLES:
        assert_same_neighbours(getattr(local, name), getattr(remote, name))
    np.testing.assert_array_equal(remote.content_.index, local.content_.index)


def test_als_model_loads_and_recommends(spark, log, tmp_path):
    model = fit_on_spark(spark, log, model="als", params=PARAMS, als={"rank": 8, "iterations": 8})
    table = model.item_ranking_
    assert table.index.shape == (model.dataset_.n_items, PARAMS["item_neighbours"])
    valid = table.index >= 0
    assert valid.mean() > 0.5
    assert (table.index != np.arange(table.n)[:, None])[valid].all()  # never itself
    assert np.all(np.diff(table.weight, axis=1) <= 1e-6)  # best first
    model.save(tmp_path / "als", metadata={"engine": "spark-als"})
    loaded = Recommender.load(tmp_path / "als")
    # users of log favour items with item number % 3 == user number % 3
    hits = total = 0
    for user in loaded.dataset_.users.ids:
        recs = loaded.recommend(user, n=3)
        assert recs and all(r.reason.kind for r in recs)
        hits += sum(int(r.item_id[1:]) % 3 == int(user[1:]) % 3 for r in recs)
        total += len(recs)
    assert hits / total > 0.5  # chance is 1/3


def test_unknown_model_is_rejected(spark, log):
    with pytest.raises(ValueError, match="model must be one of"):
        fit_on_spark(spark, log, model="svd")
