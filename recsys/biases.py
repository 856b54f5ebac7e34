"""Baseline biases: ``global mean + user bias + item bias``, fitted by alternating least
squares; every model starts from them (:class:`recsys.base.BaseRecommender`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Biases", "fit_biases"]


@dataclass
class Biases:
    """``estimate(u, i) = global_mean + user[u] + item[i]`` (unknown rows get a 0 bias)."""

    global_mean: float
    user: np.ndarray
    item: np.ndarray

    def estimate(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Baseline estimates for rows (``-1`` = unknown, bias 0)."""
        users, items = np.asarray(users), np.asarray(items)
        bu = np.where(users >= 0, self.user[np.maximum(users, 0)], 0.0) if self.user.size else 0.0
        bi = np.where(items >= 0, self.item[np.maximum(items, 0)], 0.0) if self.item.size else 0.0
        return np.asarray(self.global_mean + bu + bi)

    def residuals(self, ratings: sp.csr_matrix) -> sp.csr_matrix:
        """``rating - baseline`` on the rated pairs (same pattern as ``ratings``)."""
        ratings = ratings.tocsr()
        rows = np.repeat(np.arange(ratings.shape[0]), np.diff(ratings.indptr))
        out = ratings.copy().astype(np.float64)
        out.data = ratings.data - self.estimate(rows, ratings.indices)
        return out


def fit_biases(
    ratings: sp.csr_matrix | None,
    n_users: int,
    n_items: int,
    reg_user: float = 15.0,
    reg_item: float = 10.0,
    n_epochs: int = 10,
) -> Biases:
    """Fit regularized user and item biases by alternating least squares (as Surprise's ALS).

    Args:
        ratings: (n_users, n_items) explicit ratings, or None (all biases 0, mean 0).
        n_users: number of user rows.
        n_items: number of item rows.
        reg_user: regularization of user biases.
        reg_item: regularization of item biases.
        n_epochs: ALS iterations.

    Returns:
        The fitted biases.
    """
    if ratings is None or ratings.nnz == 0:
        return Biases(0.0, np.zeros(n_users), np.zeros(n_items))
    ratings = ratings.tocsr()
    users = np.repeat(np.arange(ratings.shape[0]), np.diff(ratings.indptr))
    items = ratings.indices
    values = ratings.data.astype(np.float64)
    mu = float(values.mean())
    n_u = np.bincount(users, minlength=n_users)
    n_i = np.bincount(items, minlength=n_items)
    bu, bi = np.zeros(n_users), np.zeros(n_items)
    for _ in range(n_epochs):
        bu = np.bincount(users, values - mu - bi[items], minlength=n_users) / (reg_user + n_u)
        bi = np.bincount(items, values - mu - bu[users], minlength=n_items) / (reg_item + n_i)
    return Biases(mu, bu, bi)
