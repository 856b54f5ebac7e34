"""The Dataset and its persistence as JSON and plain arrays (no pickle)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from recsys.dataset import Dataset, pack_csr, unpack_csr
from recsys.interactions import build_dataset


def _dataset() -> Dataset:
    interactions = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u3"],
            "item_id": ["i1", "i2", "i1", "i3"],
            "rating": [5, np.nan, 3, 4],
            "weight": [1.0, 2.0, 1.0, 0.5],
            "city": ["上海", "上海", "", "Beijing"],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": ["i1", "i2", "i3", "i4"],
            "name_zh": ["耳机", "", "水杯", "背包"],
            "name_en": ["Earbuds", "Kettle", "", "Backpack"],
            "category": ["audio", "kitchen", "kitchen", "bags"],
            "stock": [3, 0, np.nan, 1],
            "price": [99.0, 59.5, np.nan, 120.0],
        }
    )
    return build_dataset(interactions, items)


def test_state_round_trip_keeps_every_part():
    data = _dataset()
    meta, arrays = data.to_state()
    json.dumps(meta, ensure_ascii=False)  # the meta part is plain JSON
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays.values())
    again = Dataset.from_state(json.loads(json.dumps(meta)), dict(arrays))
    assert again.users.ids == data.users.ids and again.items.ids == data.items.ids
    for name in ("confidence", "ratings", "seen", "purchased"):
        assert (getattr(again, name) != getattr(data, name)).nnz == 0, name
    assert again.seen.dtype == bool and again.purchased.dtype == bool
    assert again.user_attributes == {"city": ["上海", "", "Beijing"]}
    assert again.rating_scale == (1.0, 5.0)
    info = again.item_info
    assert info.names(data.items.row("i2")) == {"zh": "Kettle", "en": "Kettle"}  # fallback
    assert info.in_stock.tolist() == [True, False, True, True]  # unknown stock counts
    assert np.isnan(info.price[data.items.row("i3")])
    assert info.has_text


def test_csr_packing_round_trips_with_empty_rows():
    matrix = _dataset().confidence
    packed = pack_csr("m", matrix)
    assert set(packed) == {"m.data", "m.indices", "m.indptr", "m.shape"}
    assert (unpack_csr("m", packed) != matrix).nnz == 0
    assert unpack_csr("m", packed).shape == matrix.shape
