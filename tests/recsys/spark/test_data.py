"""The dataset Spark builds equals ``build_dataset`` on the same log, whatever the source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.interactions import build_dataset
from recsys.spark.data import spark_dataset
from tests.recsys.spark.conftest import weighted_log


def assert_same_dataset(local, remote) -> None:
    assert remote.users.ids == local.users.ids
    assert remote.items.ids == local.items.ids
    assert remote.user_attributes == local.user_attributes
    assert remote.item_info.name_en == local.item_info.name_en
    np.testing.assert_array_equal(remote.item_info.in_stock, local.item_info.in_stock)
    for name in ("confidence", "ratings", "seen", "purchased"):
        mine, theirs = getattr(local, name), getattr(remote, name)
        assert (mine is None) == (theirs is None), name
        if mine is None:
            continue
        assert theirs.shape == mine.shape and theirs.nnz == mine.nnz, name
        np.testing.assert_array_equal(theirs.indptr, mine.indptr)
        np.testing.assert_array_equal(theirs.indices, mine.indices)
        np.testing.assert_allclose(theirs.data, mine.data, rtol=1e-6)


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return weighted_log()


@pytest.fixture(scope="module")
def catalogue(log) -> pd.DataFrame:
    ids = sorted(set(log["item_id"])) + ["p99"]  # one product nobody bought yet
    return pd.DataFrame(
        {
            "item_id": ids,
            "name_en": [f"product {i}" for i in ids],
            "stock": [1] * (len(ids) - 1) + [0],
        }
    )


def test_from_a_pandas_frame(spark, log, catalogue):
    local = build_dataset(log, catalogue)
    assert_same_dataset(local, spark_dataset(spark, log, catalogue))
    assert local.ratings.nnz and local.purchased.nnz < local.seen.nnz + 1


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_from_files(spark, log, tmp_path, fmt):
    path = tmp_path / f"log.{fmt}"
    if fmt == "csv":
        log.to_csv(path, index=False)
        expected = build_dataset(pd.read_csv(path))
    else:
        log.to_parquet(path, index=False)
        expected = build_dataset(log)
    assert_same_dataset(expected, spark_dataset(spark, f"file://{path}"))


def test_ratings_only_log_has_no_purchases(spark, log):
    reviews = log.drop(columns=["weight"]).dropna(subset=["rating"])
    local = build_dataset(reviews)
    remote = spark_dataset(spark, reviews)
    assert_same_dataset(local, remote)
    assert remote.purchased.nnz == 0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.assign(weight=-1.0), "weights must be finite and >= 0"),
        (lambda f: f.assign(rating=7.0), "outside the rating scale 1-5"),
        (lambda f: f.assign(user_id=None), "rows have no user_id"),
        (lambda f: f.drop(columns=["item_id"]), "needs a 'item_id' column"),
        (lambda f: f.iloc[:0], "interactions is empty"),
    ],
)
def test_bad_input_is_rejected_as_locally(spark, log, change, message):
    bad = change(log.copy())
    with pytest.raises(ValueError, match=message):
        build_dataset(bad)
    with pytest.raises(ValueError, match=message):
        spark_dataset(spark, bad)
