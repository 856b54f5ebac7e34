"""Popularity: what most customers bought, optionally among customers like this one."""

from __future__ import annotations

import numpy as np

from recsys.base import BaseRecommender
from recsys.dataset import Dataset
from recsys.reasons import Reason


class PopularityRecommender(BaseRecommender):
    """Recommends the most popular items (distinct customers per item).

    For a known customer, popularity among customers of the same language and city is
    blended in (as for cold start); it is the baseline the CF models must beat.

    Args:
        rating_scale: valid (low, high) ratings (for input validation and ``predict``).
        only_in_stock: recommend only items in stock.
    """

    def __init__(
        self, rating_scale: tuple[float, float] = (1.0, 5.0), only_in_stock: bool = True
    ) -> None:
        self.rating_scale = rating_scale
        self.only_in_stock = only_in_stock

    def _fit(self, data: Dataset) -> None:
        pass  # popularity is fitted by the base class

    def _score_user(self, user: int) -> np.ndarray:
        scores, _ = self._cold_scores(self._user_context(user))
        return scores

    def _explain(self, user: int, items: np.ndarray) -> list[Reason]:
        _, city_rows = self._cold_scores(self._user_context(user))
        city = self._user_context(user).get("city")
        return [self._popular_reason(int(i), city if city_rows[i] else None) for i in items]
