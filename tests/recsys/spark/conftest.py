"""Data and checks of the recommender's Spark tests (the session and the skips:
``tests/support/spark.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def weighted_log(n_users: int = 60, n_items: int = 30, per_user: int = 7, seed: int = 3):
    """Purchases with distinct random weights (no tied similarities), some repeated pairs,
    one exact duplicate row, ratings on some rows, shuffled timestamps, user attributes."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        favourite = u % 3
        probs = np.where(np.arange(n_items) % 3 == favourite, 6.0, 1.0)
        chosen = rng.choice(n_items, size=per_user, replace=True, p=probs / probs.sum())
        for i in chosen:
            rows.append(
                {
                    "user_id": f"u{u:02d}",
                    "item_id": f"p{int(i):02d}",
                    "weight": float(rng.uniform(0.2, 3.0)),
                    "rating": float(rng.integers(1, 6)) if rng.random() < 0.5 else np.nan,
                    "timestamp": int(rng.integers(1_600_000_000, 1_700_000_000)),
                    "language": "zh" if u % 2 else "en",
                    "city": ["上海", "London", " "][u % 3],
                }
            )
    frame = pd.DataFrame(rows)
    return pd.concat([frame, frame.iloc[[5]]], ignore_index=True)


def assert_same_neighbours(local, remote, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Equal neighbour tables up to float tolerance: equal weights position by position, and
    equal neighbours except for the order within groups of tied similarities (and which
    members of a tied group at the cut-off made it into a full row: either is right)."""
    assert remote.index.shape == local.index.shape
    np.testing.assert_allclose(remote.weight, local.weight, rtol=rtol, atol=atol)
    np.testing.assert_array_equal(remote.index < 0, local.index < 0)
    k = local.index.shape[1]
    for row in range(local.index.shape[0]):
        weights = local.weight[row].astype(np.float64)
        start = 0
        for stop in range(1, k + 1):
            if stop < k and abs(weights[stop] - weights[stop - 1]) <= atol + rtol * weights[stop]:
                continue  # same group of tied similarities
            at_cut = stop == k and local.index[row, -1] >= 0
            if not at_cut:
                mine = set(local.index[row, start:stop].tolist())
                theirs = set(remote.index[row, start:stop].tolist())
                assert mine == theirs, f"row {row}, ranks {start}-{stop - 1}: {mine} != {theirs}"
            start = stop
