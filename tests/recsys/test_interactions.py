"""Input validation and aggregation of interaction logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.idmap import IdMap
from recsys.interactions import build_dataset


def frame(**columns) -> pd.DataFrame:
    base = {"user_id": ["a", "a", "b"], "item_id": ["x", "y", "x"]}
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    "data, message",
    [
        (pd.DataFrame({"user_id": [], "item_id": []}), "empty"),
        (pd.DataFrame({"user": ["a"], "item_id": ["x"]}), "'user_id' column"),
        (pd.DataFrame({"user_id": ["a"], "product": ["x"]}), "'item_id' column"),
        (frame(user_id=["a", None, "b"]), "1 interactions rows have no user_id"),
        (frame(item_id=["x", np.nan, "y"]), "have no item_id"),
        (frame(rating=[1, 2, 6]), r"outside the rating scale 1-5 \(e.g. 6\)"),
        (frame(rating=[0, 2, 3]), "outside the rating scale"),
        (frame(rating=[1, np.inf, 3]), "finite"),
        (frame(rating=[1, "good", 3]), r"rating values are not numbers \(e.g. 'good'\)"),
        (frame(weight=[1, -1, 1]), ">= 0"),
        (frame(weight=[1, np.nan, 1]), "weight values are missing"),
        (frame(timestamp=[1, None, 3]), "no timestamp"),
        (frame(timestamp=["2024-01-01", "not a date", "2024-01-02"]), "timestamp"),
        (frame(user_id=[["a"], ["a"], ["b"]]), "hashable"),
    ],
)
def test_bad_input_raises_clear_errors(data, message):
    with pytest.raises(ValueError, match=message):
        build_dataset(data)


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        build_dataset([("a", "x")])
    with pytest.raises(TypeError, match="items must be a pandas DataFrame"):
        build_dataset(frame(), items=[{"item_id": "x"}])


def test_bad_rating_scale_and_duplicate_item_metadata():
    with pytest.raises(ValueError, match="rating_scale"):
        build_dataset(frame(), rating_scale=(5, 1))
    items = pd.DataFrame({"item_id": ["x", "x"], "name_en": ["X", "X again"]})
    with pytest.raises(ValueError, match="duplicate item_id"):
        build_dataset(frame(), items)


def test_nan_rating_means_implicit_only_row():
    data = build_dataset(frame(rating=[5, np.nan, np.nan]))
    assert data.has_ratings and data.ratings.nnz == 1
    assert data.seen.nnz == 3  # every pair counts as seen and as implicit feedback
    assert data.confidence.nnz == 3


def test_duplicates_identical_rows_once_repeated_pairs_aggregated():
    log = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "a", "b"],
            "item_id": ["x", "x", "x", "y", "x"],
            "rating": [2.0, 2.0, 5.0, np.nan, 3.0],
            "weight": [1.0, 1.0, 2.0, 1.0, 1.0],
            "timestamp": [10, 10, 5, 7, 1],
        }
    )
    data = build_dataset(log)
    a, x = data.users.row("a"), data.items.row("x")
    # the identical first two rows count once: weight 1 + 2 = 3
    assert data.confidence[a, x] == pytest.approx(np.log1p(3.0))
    # the most recent rating wins (timestamp 10 -> 2.0), not the last row (5.0)
    assert data.ratings[a, x] == 2.0
    assert data.purchased[a, x]


def test_without_timestamps_the_last_rating_wins():
    log = pd.DataFrame({"user_id": [1, 1], "item_id": [7, 7], "rating": [1.0, 4.0]})
    data = build_dataset(log)
    assert data.ratings[0, 0] == 4.0
    assert not data.purchased.nnz  # explicit ratings only: reasons say "liked", not "bought"


def test_ids_of_any_hashable_type_and_item_metadata():
    log = pd.DataFrame({"user_id": [1, "1", 2.5], "item_id": ["x", "x", ("t", 1)]})
    items = pd.DataFrame(
        {
            "item_id": ["x", "new"],
            "name_zh": ["商品", "新品"],
            "stock": [0, np.nan],
            "price": [1, 2],
        }
    )
    data = build_dataset(log, items)
    assert data.users.ids == [1, "1", 2.5]  # 1 and "1" are different users
    assert data.items.ids == ["x", ("t", 1), "new"]  # metadata-only items come last
    assert data.item_info.in_stock.tolist() == [False, True, True]  # unknown stock: available
    assert data.item_info.name(2, "en") == "新品"  # falls back to the other language


def test_dates_as_timestamps_and_user_attributes():
    log = frame(
        rating=[3, 4, 5],
        timestamp=pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        language=["zh", "zh", None],
        city=["上海", " 上海 ", "London"],
    )
    data = build_dataset(log)
    assert data.user_attributes["language"] == ["zh", ""]
    assert data.user_attributes["city"] == ["上海", "London"]


def test_id_map_lookups():
    ids = IdMap(["a", 3, "c"])
    assert ids.rows(["c", "zz", 3]).tolist() == [2, -1, 1]
    assert ids.row(["unhashable"]) == -1
    assert "a" in ids and "b" not in ids
    with pytest.raises(ValueError, match="unique"):
        IdMap(["a", "a"])
