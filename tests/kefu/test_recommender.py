"""The shop recommender on the demo shop database: training, loading, quality."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kefu.recommender import ModelMissing, load_shop_recommender, model_dir, train_from_db
from kefu.shop.db import DatabaseError, get_engine
from kefu.shop.models import Review
from kefu.shop.queries.frames import interactions as interactions_from_db
from recsys import PopularityRecommender, Recommender
from recsys.metrics import ranking_metrics


@pytest.fixture(scope="module")
def shop_data(demo_url):
    return interactions_from_db(demo_url)


def test_cf_beats_popularity_on_a_time_split_of_the_demo_shop(shop_data):
    interactions, items = shop_data
    interactions = interactions.sort_values("timestamp")
    cutoff = interactions["timestamp"].quantile(0.8)
    train = interactions[interactions["timestamp"] < cutoff]
    test = interactions[(interactions["timestamp"] >= cutoff) & interactions["rating"].isna()]
    seen = set(zip(train["user_id"], train["item_id"], strict=True))
    test = test[[(u, i) not in seen for u, i in zip(test["user_id"], test["item_id"], strict=True)]]
    relevant = {
        u: set(g) for u, g in test.groupby("user_id")["item_id"] if u in set(train["user_id"])
    }
    scores = {}
    for name, model in (
        ("hybrid", Recommender(only_in_stock=False)),
        ("popularity", PopularityRecommender(only_in_stock=False)),
    ):
        model.fit(train, items)
        scores[name] = ranking_metrics(
            lambda u, m=model: [r.item_id for r in m.recommend(u, 10)], relevant
        )["ndcg"]
    assert scores["hybrid"] > 1.5 * scores["popularity"], scores


def test_train_skips_when_up_to_date_and_retrains_on_force_or_change(demo_url, var_dir, tmp_path):
    first = train_from_db(demo_url)
    assert first.startswith("trained the recommender on ")
    assert (var_dir / "models" / "recsys" / "model.json").is_file()
    assert train_from_db(demo_url).startswith("recommender up to date")
    assert train_from_db(demo_url, force=True).startswith("trained")
    # new data -> retrain: copy the shop and add a review
    import sqlite3

    copy = tmp_path / "copy.db"
    # the backup API copies a live WAL database whole (a file copy could miss the -wal part)
    with sqlite3.connect(demo_url.removeprefix("sqlite:///")) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    url = f"sqlite:///{copy}"
    with get_engine(url).begin() as conn:
        row = conn.execute(select(Review.__table__)).first()._asdict()
        row.update(id="R-NEW", rating=1)
        conn.execute(Review.__table__.insert().values(**row))
    assert train_from_db(url).startswith("trained")


def test_load_never_trains_and_serves_the_bot_call_once_trained(demo_url, var_dir):
    with pytest.raises(ModelMissing, match="kefu train"):
        load_shop_recommender(demo_url)  # a request never trains
    assert not model_dir().exists()
    train_from_db(demo_url)
    model = load_shop_recommender(demo_url)
    assert isinstance(model, Recommender)
    assert load_shop_recommender(demo_url) is model  # cached
    recs = model.recommend("C00001", n=5, category="electronics", context={"language": "zh"})
    assert recs and all(r.reason.text("zh") for r in recs)
    anonymous = model.recommend(None, n=5, context={"language": "zh"})
    assert len(anonymous) == 5
    assert {r.reason.kind for r in anonymous} <= {"popular", "popular_category"}


def test_uninitialised_database_is_a_clear_error(tmp_path, var_dir):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(DatabaseError, match="kefu db demo"):
        interactions_from_db(url)
    with pytest.raises(DatabaseError, match="not initialised"):
        train_from_db(url)


def test_saving_switches_versions_atomically_and_keeps_the_previous(demo_url, var_dir):
    train_from_db(demo_url)
    target = model_dir()
    first = target.resolve()
    assert target.is_symlink() and (first / "model.json").is_file()
    train_from_db(demo_url, force=True)
    second = target.resolve()
    assert second != first and (second / "arrays.npz").is_file()
    assert first.is_dir()  # a reader may still be loading it
    train_from_db(demo_url, force=True)
    versions = sorted(p.name for p in target.parent.glob(".recsys.v-*"))
    assert len(versions) == 2 and not first.exists()  # only the current and the previous


def test_a_corrupt_model_file_is_one_clear_error_naming_it(demo_url, var_dir):
    train_from_db(demo_url)
    arrays = model_dir().resolve() / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[:100])  # a half-written file
    with pytest.raises(ModelMissing) as exc:
        load_shop_recommender(demo_url)
    message = str(exc.value)
    assert "arrays.npz is corrupt or incomplete" in message and "kefu train" in message


def test_the_cache_is_per_database(demo_url, small_shop_url, var_dir):
    train_from_db(demo_url)
    a = load_shop_recommender(demo_url)
    b = load_shop_recommender(small_shop_url)
    assert a is not b  # stock levels come from each database
    assert load_shop_recommender(demo_url) is a
