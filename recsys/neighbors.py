"""Neighbourhood collaborative filtering: item-based and user-based KNN over sparse matrices.

Two similarity tables per model:

* a *ranking* table from implicit confidence (every interaction counts, weighted by
  ``log1p(weight)``), cosine with shrinkage, used by ``recommend``;
* a *rating* table (only with explicit ratings) from baseline residuals with
  ``pearson_baseline`` (default), ``adjusted_cosine`` (user-mean centred) or ``cosine``,
  with shrinkage, used by ``predict``: ``baseline + sum(sim * residual) / (sum(sim) + reg)``
  over the ``k`` most similar neighbours that have a rating (as Surprise's KNNBaseline,
  with a regularized denominator).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.base import BaseRecommender
from recsys.biases import Biases
from recsys.dataset import Dataset
from recsys.reasons import Reason
from recsys.similarity import Neighbours, PairLookup, neighbour_estimate, top_k_similarity


def rating_values(data: Dataset, biases: Biases, similarity: str) -> sp.csr_matrix:
    """The values similarities are computed on: ratings, user-centred ratings or residuals."""
    if data.ratings is None:
        raise ValueError("the dataset has no ratings")
    ratings = data.ratings.tocsr().astype(np.float64)
    if similarity == "cosine":
        return ratings
    if similarity == "adjusted_cosine":
        counts = np.diff(ratings.indptr)
        means = np.asarray(ratings.sum(axis=1)).ravel() / np.maximum(counts, 1)
        out = ratings.copy()
        out.data = ratings.data - np.repeat(means, counts)
        return out
    return biases.residuals(ratings)


def empty_neighbours(n: int) -> Neighbours:
    """A neighbour table with no neighbours."""
    return Neighbours(np.full((n, 1), -1, dtype=np.int32), np.zeros((n, 1), dtype=np.float32))


def contributions(
    user_row: sp.csr_matrix, similarity: sp.csr_matrix, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each target item, the user's item contributing most to its score, and how much.

    Args:
        user_row: (1, n_items) the user's confidence.
        similarity: (n_items, n_items) rows = source items, columns = neighbours.
        items: target item rows.

    Returns:
        (source item row or -1, contribution) per target.
    """
    sources = user_row.indices
    if sources.size == 0 or items.size == 0:
        return np.full(items.size, -1), np.zeros(items.size)
    block = similarity[sources][:, items].toarray() * user_row.data[:, None]
    best = block.argmax(axis=0)
    value = block[best, np.arange(items.size)]
    return np.where(value > 0, sources[best], -1), value


class _KNNBase(BaseRecommender):
    """Shared parameters and fitting of both neighbourhood models."""

    def __init__(
        self,
        k: int = 40,
        similarity: str = "pearson_baseline",
        shrinkage: float = 100.0,
        regularization: float = 0.0,
        candidates: int = 200,
        ranking_neighbours: int = 100,
        ranking_shrinkage: float = 10.0,
        alpha: float = 0.5,
        reg_user: float = 15.0,
        reg_item: float = 10.0,
        n_epochs: int = 10,
        rating_scale: tuple[float, float] = (1.0, 5.0),
        only_in_stock: bool = True,
    ) -> None:
        self.k = k
        self.similarity = similarity
        self.shrinkage = shrinkage
        self.regularization = regularization
        self.candidates = candidates
        self.ranking_neighbours = ranking_neighbours
        self.ranking_shrinkage = ranking_shrinkage
        self.alpha = alpha
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.n_epochs = n_epochs
        self.rating_scale = rating_scale
        self.only_in_stock = only_in_stock

    _persisted = ("ranking_neighbours_", "rating_neighbours_")
    #: True: neighbours are items (columns); False: users (rows)
    _item_based = True

    def _check_params(self) -> None:
        for name in ("k", "candidates", "ranking_neighbours"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("shrinkage", "ranking_shrinkage", "regularization"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 <= self.alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha!r}")

    def _fit(self, data: Dataset) -> None:
        self._check_params()
        orient = (lambda m: m) if self._item_based else (lambda m: m.T.tocsr())
        n = data.n_items if self._item_based else data.n_users
        if data.confidence.nnz:
            self.ranking_neighbours_ = top_k_similarity(
                orient(data.confidence),
                k=self.ranking_neighbours,
                kind="cosine",
                shrinkage=self.ranking_shrinkage,
                alpha=self.alpha,
            )
        else:
            self.ranking_neighbours_ = empty_neighbours(n)
        self.rating_neighbours_ = None
        if data.has_ratings:
            values = rating_values(data, self.biases_, self.similarity)
            self.rating_neighbours_ = top_k_similarity(
                orient(values),
                k=max(self.candidates, self.k),
                kind=self.similarity,
                shrinkage=self.shrinkage,
            )

    def _prepare(self) -> None:
        super()._prepare()
        data = self.dataset_
        self._ranking_matrix = self.ranking_neighbours_.to_csr()
        self._confidence = data.confidence.tocsr()
        self._lookup = None
        if data.has_ratings and self.rating_neighbours_ is not None:
            residuals = self.biases_.residuals(data.ratings)
            self._lookup = PairLookup(residuals if self._item_based else residuals.T.tocsr())

    def _predict_residual(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        if self._lookup is None or self.rating_neighbours_ is None:
            return np.zeros(len(users))
        targets, owners = (items, users) if self._item_based else (users, items)
        known = (users >= 0) & (items >= 0)
        out = np.zeros(len(users))
        if known.any():
            out[known], _ = neighbour_estimate(
                targets[known],
                owners[known],
                self.rating_neighbours_,
                self._lookup,
                k=self.k,
                regularization=self.regularization,
            )
        return out


class ItemKNN(_KNNBase):
    """Item-based neighbourhood model: "customers who bought X also bought Y".

    Args:
        k: neighbours averaged per rating estimate.
        similarity: rating similarity, ``pearson_baseline``, ``adjusted_cosine`` or ``cosine``.
        shrinkage: rating-similarity shrinkage (pulls sims of small overlaps towards 0).
        regularization: added to the sum of similarities in rating estimates (shrinks
            estimates with few or weak neighbours towards the baseline).
        candidates: neighbours kept per item for rating estimates (the k used are the
            most similar among these that the user rated).
        ranking_neighbours: neighbours kept per item for ranking.
        ranking_shrinkage: shrinkage of the ranking (implicit cosine) similarity.
        alpha: asymmetry of the ranking cosine (0.5 = symmetric).
        reg_user: baseline user-bias regularization.
        reg_item: baseline item-bias regularization.
        n_epochs: baseline ALS iterations.
        rating_scale: valid (low, high) ratings.
        only_in_stock: recommend only items in stock.
    """

    _item_based = True

    def _score_user(self, user: int) -> np.ndarray:
        row = self._confidence[user]
        return np.asarray((row @ self._ranking_matrix).todense()).ravel()

    def _explain(self, user: int, items: np.ndarray) -> list[Reason]:
        return explain_by_items(self, user, items, self._ranking_matrix)

    def _item_similarities(self, item: int) -> np.ndarray:
        return np.asarray(self._ranking_matrix[item].todense()).ravel()


class UserKNN(_KNNBase):
    """User-based neighbourhood model: "customers with similar taste liked Y".

    Parameters as :class:`ItemKNN`, with neighbours being users.
    """

    _item_based = False

    def _score_user(self, user: int) -> np.ndarray:
        weights = self._ranking_matrix[user]
        return np.asarray((weights @ self._confidence).todense()).ravel()

    def _explain(self, user: int, items: np.ndarray) -> list[Reason]:
        return [Reason("similar_customers")] * len(items)


def explain_by_items(
    model: BaseRecommender,
    user: int,
    items: np.ndarray,
    similarity: sp.csr_matrix,
    kind_if_none: str | None = None,
) -> list[Reason]:
    """Reasons naming, for each item, the user's item that contributed most to it.

    Items the user rated low (bottom quarter of the scale) are never cited.
    """
    data = model.dataset_
    row = model._confidence[user].copy() if hasattr(model, "_confidence") else data.confidence[user]
    row = sp.csr_matrix(row)
    if data.has_ratings:
        low, high = data.rating_scale
        rated = data.ratings[user]  # type: ignore[index]  # has_ratings: ratings is set
        disliked = rated.indices[rated.data <= low + 0.25 * (high - low)]
        row.data[np.isin(row.indices, disliked)] = 0.0
        row.eliminate_zeros()
    sources, _ = contributions(row, similarity, items)
    purchased = data.purchased[user]
    bought = set(purchased.indices.tolist())
    reasons = []
    for item, source in zip(items.tolist(), sources.tolist(), strict=True):
        if source < 0:
            reasons.append(
                Reason(kind_if_none) if kind_if_none else model._popular_reason(item, None)
            )
            continue
        kind = "bought" if source in bought else "rated"
        reasons.append(
            Reason(kind, item=data.item_info.names(source), item_id=data.items.raw(source))
        )
    return reasons
