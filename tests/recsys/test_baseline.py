"""Baseline biases (global mean + user and item biases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys import BaselinePredictor
from recsys.biases import fit_biases


def test_biases_follow_generous_users_and_good_items():
    log = pd.DataFrame(
        {
            "user_id": ["kind"] * 3 + ["harsh"] * 3,
            "item_id": ["good", "ok", "bad"] * 2,
            "rating": [5, 4, 3, 3, 2, 1],
        }
    )
    model = BaselinePredictor(reg_user=0.0, reg_item=0.0, n_epochs=30).fit(log)
    biases = model.biases_
    assert biases.global_mean == pytest.approx(3.0)
    kind, harsh = model.dataset_.users.rows(["kind", "harsh"])
    assert biases.user[kind] == pytest.approx(1.0) and biases.user[harsh] == pytest.approx(-1.0)
    # unregularized biases reproduce these additive ratings exactly
    np.testing.assert_allclose(model.predict(log["user_id"], log["item_id"]), log["rating"])
    # unknown user: mean + item bias; unknown item: mean + user bias
    assert model.predict(["new"], ["good"])[0] == pytest.approx(4.0)
    assert model.predict(["harsh"], ["new"])[0] == pytest.approx(2.0)
    # recommends by item bias
    assert [r.item_id for r in model.recommend("new", n=3)][0] == "good"


def test_regularization_shrinks_biases_towards_zero():
    ratings = sp.csr_matrix(np.array([[5.0, 1.0], [5.0, 0.0]]))
    ratings.eliminate_zeros()
    loose = fit_biases(ratings, 2, 2, reg_user=0, reg_item=0, n_epochs=20)
    tight = fit_biases(ratings, 2, 2, reg_user=50, reg_item=50, n_epochs=20)
    assert np.abs(tight.item).sum() < np.abs(loose.item).sum()
    assert fit_biases(None, 3, 2).global_mean == 0.0
