"""Baseline rating estimates: global mean + user bias + item bias (alternating least squares)."""

from __future__ import annotations

import numpy as np

from recsys.base import BaseRecommender
from recsys.dataset import Dataset


class BaselinePredictor(BaseRecommender):
    """Global mean + user and item biases; recommends the items with the highest estimate.

    Args:
        reg_user: regularization of user biases.
        reg_item: regularization of item biases.
        n_epochs: ALS iterations.
        rating_scale: valid (low, high) ratings; estimates are clipped to it.
        only_in_stock: recommend only items in stock.
    """

    def __init__(
        self,
        reg_user: float = 15.0,
        reg_item: float = 10.0,
        n_epochs: int = 10,
        rating_scale: tuple[float, float] = (1.0, 5.0),
        only_in_stock: bool = True,
    ) -> None:
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.n_epochs = n_epochs
        self.rating_scale = rating_scale
        self.only_in_stock = only_in_stock

    def _fit(self, data: Dataset) -> None:
        pass  # the base class fits the biases

    def _score_user(self, user: int) -> np.ndarray:
        if self.dataset_.has_ratings:
            return self.biases_.item + self.biases_.global_mean
        return self.popularity_.astype(np.float64)
