"""The recommender the app uses: a hybrid of neighbourhood CF, content and popularity.

* Ranking (``recommend``): item-based and user-based neighbourhood scores from implicit
  feedback, each scaled to [0, 1] for the customer, blended with content similarity by how
  thin the customer's history is (``thin = history_shrink / (history_shrink + n_items_seen)``:
  CF weighs ``1 - thin``, content ``thin``), plus a little popularity; unknown customers get popularity among customers of the same
  language/city (cold start).
* Ratings (``predict``): baseline (global mean + biases) plus a weighted blend of the
  item-based and user-based neighbourhood corrections.
* Reasons: the customer's own item that contributed most ("because you bought X"), else the
  text-similar item ("similar to X"), else "customers with similar taste", else popularity.

Default parameters were tuned on a validation split carved from MovieLens ``u1.base``
(see ``benchmarks/recsys.py``); nothing was tuned on a test set.
"""

from __future__ import annotations

import threading

import numpy as np

from recsys.base import BaseRecommender
from recsys.content import content_neighbours
from recsys.dataset import Dataset
from recsys.neighbors import empty_neighbours, rating_values
from recsys.reasons import Reason
from recsys.similarity import (
    Neighbours,
    PairLookup,
    best_sources,
    csr_row,
    gather_rows,
    neighbour_estimate,
    spread,
    top_k_similarity,
)

DENSE_ITEMS = 4000


def _spread(
    dense: np.ndarray | None,
    neighbours: Neighbours,
    sources: np.ndarray,
    amounts: np.ndarray,
    n: int,
) -> np.ndarray:
    if dense is not None:
        return np.asarray(amounts, dtype=np.float32) @ dense[sources]
    return spread(neighbours, sources, amounts, n)


def _pair_values(
    dense: np.ndarray | None, lookup: PairLookup | None, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    if dense is not None:
        return dense[np.ix_(rows, cols)]
    if lookup is None:
        raise ValueError("either a dense matrix or a pair lookup is needed")
    return lookup.get(rows[:, None], cols[None, :])


def _scaled(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


class Recommender(BaseRecommender):
    """Hybrid recommender: item/user neighbourhoods + baseline + content + popularity.

    Args:
        k: neighbours averaged per rating estimate (item-based and user-based).
        similarity: rating similarity: ``pearson_baseline``, ``adjusted_cosine``, ``cosine``.
        shrinkage: rating-similarity shrinkage.
        regularization: added to the sum of similarities of rating estimates.
        candidates: neighbours kept per item/user for rating estimates.
        item_neighbours: neighbours kept per item for ranking.
        user_neighbours: neighbours kept per user for ranking.
        ranking_shrinkage: shrinkage of the implicit (ranking) cosine.
        alpha: asymmetry of the item ranking cosine (0.5 = symmetric).
        item_weight: weight of the item-based ranking score.
        user_weight: weight of the user-based ranking score.
        content_weight: weight of content similarity (scaled by ``thin``, see above).
        history_shrink: history size at which CF and content get equal shares.
        popularity_weight: weight of popularity in personal rankings.
        rating_item_weight: weight of the item-based correction of rating estimates.
        rating_user_weight: weight of the user-based correction of rating estimates.
        content_neighbours: text-similar items kept per item.
        max_history: most items of one customer's history used per request (the
            strongest; bounds the request time of customers with huge histories).
        reg_user: baseline user-bias regularization.
        reg_item: baseline item-bias regularization.
        n_epochs: baseline ALS iterations.
        rating_scale: valid (low, high) ratings.
        only_in_stock: recommend only items in stock.
    """

    _persisted = (
        "item_ranking_",
        "user_ranking_",
        "item_rating_",
        "user_rating_",
        "content_",
    )

    def __init__(
        self,
        k: int = 150,
        similarity: str = "pearson_baseline",
        shrinkage: float = 100.0,
        regularization: float = 0.5,
        candidates: int = 150,
        item_neighbours: int = 400,
        user_neighbours: int = 50,
        ranking_shrinkage: float = 0.0,
        alpha: float = 0.5,
        item_weight: float = 0.5,
        user_weight: float = 1.0,
        content_weight: float = 1.0,
        history_shrink: float = 3.0,
        popularity_weight: float = 0.1,
        rating_item_weight: float = 0.92,
        rating_user_weight: float = 0.68,
        content_neighbours: int = 50,
        max_history: int = 300,
        reg_user: float = 5.0,
        reg_item: float = 5.0,
        n_epochs: int = 20,
        rating_scale: tuple[float, float] = (1.0, 5.0),
        only_in_stock: bool = True,
    ) -> None:
        self.k = k
        self.similarity = similarity
        self.shrinkage = shrinkage
        self.regularization = regularization
        self.candidates = candidates
        self.item_neighbours = item_neighbours
        self.user_neighbours = user_neighbours
        self.ranking_shrinkage = ranking_shrinkage
        self.alpha = alpha
        self.item_weight = item_weight
        self.user_weight = user_weight
        self.content_weight = content_weight
        self.history_shrink = history_shrink
        self.popularity_weight = popularity_weight
        self.rating_item_weight = rating_item_weight
        self.rating_user_weight = rating_user_weight
        self.content_neighbours = content_neighbours
        self.max_history = max_history
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.n_epochs = n_epochs
        self.rating_scale = rating_scale
        self.only_in_stock = only_in_stock

    # ------------------------------------------------------------------ fitting

    def _check_params(self) -> None:
        for name in (
            "k",
            "candidates",
            "item_neighbours",
            "user_neighbours",
            "content_neighbours",
            "max_history",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in (
            "shrinkage",
            "regularization",
            "ranking_shrinkage",
            "item_weight",
            "user_weight",
            "content_weight",
            "history_shrink",
            "popularity_weight",
            "rating_item_weight",
            "rating_user_weight",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not 0 <= self.alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha!r}")

    def _fit(self, data: Dataset) -> None:
        self._check_params()
        confidence = data.confidence
        if confidence.nnz:
            self.item_ranking_ = top_k_similarity(
                confidence,
                k=self.item_neighbours,
                kind="cosine",
                shrinkage=self.ranking_shrinkage,
                alpha=self.alpha,
            )
            self.user_ranking_ = top_k_similarity(
                confidence.T.tocsr(),
                k=self.user_neighbours,
                kind="cosine",
                shrinkage=self.ranking_shrinkage,
            )
        else:
            self.item_ranking_ = empty_neighbours(data.n_items)
            self.user_ranking_ = empty_neighbours(data.n_users)
        self.item_rating_ = self.user_rating_ = None
        if data.has_ratings:
            values = rating_values(data, self.biases_, self.similarity)
            size = max(self.candidates, self.k)
            self.item_rating_ = top_k_similarity(
                values, k=size, kind=self.similarity, shrinkage=self.shrinkage
            )
            self.user_rating_ = top_k_similarity(
                values.T.tocsr(), k=size, kind=self.similarity, shrinkage=self.shrinkage
            )
        self.content_ = (
            content_neighbours(data.item_info, self.content_neighbours)
            if data.item_info.has_text
            else None
        )

    def _prepare(self) -> None:
        super()._prepare()
        data = self.dataset_
        self._confidence = data.confidence.tocsr()
        self._item_matrix = self.item_ranking_.to_csr()
        self._user_matrix = self.user_ranking_.to_csr()
        self._content_matrix = self.content_.to_csr() if self.content_ is not None else None
        # small catalogues: dense similarity rows make scoring a gather + matrix-vector product
        small = data.n_items <= DENSE_ITEMS
        self._item_dense = self._item_matrix.toarray().astype(np.float32) if small else None
        self._content_dense = (
            self._content_matrix.toarray().astype(np.float32)
            if small and self._content_matrix is not None
            else None
        )
        self._item_pairs = None if small else PairLookup(self._item_matrix)
        self._content_pairs = (
            PairLookup(self._content_matrix)
            if self._content_matrix is not None and not small
            else None
        )
        self._item_lookup = self._user_lookup = None
        if data.has_ratings and self.item_rating_ is not None:
            residuals = self.biases_.residuals(data.ratings)
            self._item_lookup = PairLookup(residuals)
            self._user_lookup = PairLookup(residuals.T.tocsr())
        self._history = np.diff(self._user_items.indptr)
        self._first_seen = np.arange(data.n_items)  # item rows follow first appearance
        self._local = threading.local()  # the last user's score parts, reused by _explain

    # ------------------------------------------------------------------ scoring

    def _parts(self, user: int) -> dict[str, np.ndarray]:
        n_items = self.dataset_.n_items
        sources, amounts = self._history_of(user)
        neighbours = self.user_ranking_.index[user]
        valid = neighbours >= 0
        parts = {
            "item": _spread(self._item_dense, self.item_ranking_, sources, amounts, n_items),
            "user": gather_rows(
                self._confidence, neighbours[valid], self.user_ranking_.weight[user][valid]
            ),
        }
        if self.content_ is not None:
            parts["content"] = _spread(
                self._content_dense, self.content_, sources, amounts, n_items
            )
        return parts

    def _history_of(self, user: int) -> tuple[np.ndarray, np.ndarray]:
        """The customer's items and confidences; for very long histories only the
        ``max_history`` strongest (on ties, those first seen later in the log): this
        bounds the cost of a request."""
        sources, amounts = csr_row(self._confidence, user)
        if sources.size > self.max_history:
            keep = np.lexsort((-self._first_seen[sources], -amounts))[: self.max_history]
            keep.sort()
            sources, amounts = sources[keep], amounts[keep]
        return sources, amounts

    def _weighted_parts(self, user: int) -> dict[str, np.ndarray]:
        """Each component's weighted contribution to the user's scores."""
        cached = getattr(self._local, "parts", None)
        if cached is not None and cached[0] == user:
            return cached[1]
        parts = self._parts(user)
        # thin history: CF is unreliable, text similarity takes over
        thin = self.history_shrink / (self.history_shrink + self._history[user])
        if "content" not in parts:
            thin = 0.0
        weighted = {
            "item": (1 - thin) * self.item_weight * _scaled(parts["item"]),
            "user": (1 - thin) * self.user_weight * _scaled(parts["user"]),
        }
        if "content" in parts:
            weighted["content"] = thin * self.content_weight * _scaled(parts["content"])
        self._local.parts = (user, weighted)
        return weighted

    def _score_user(self, user: int) -> np.ndarray:
        scores = np.asarray(sum(self._weighted_parts(user).values()))
        if scores.max() > 0:  # popularity only orders items that have a personal signal
            signal = scores > 0
            scores[signal] += self.popularity_weight * _scaled(self.popularity_[signal])
        return scores

    def _explain(self, user: int, items: np.ndarray) -> list[Reason]:
        """Name the customer's own item when item-based CF carries a fair share of the
        score, else the text-similar item when content leads, else similar customers."""
        data = self.dataset_
        weighted = self._weighted_parts(user)
        by_item = weighted["item"][items]
        by_user = weighted["user"][items]
        by_text = weighted["content"][items] if "content" in weighted else np.zeros(items.size)
        sources, amounts = self._history_of(user)
        if data.has_ratings:  # never cite an item the customer rated low
            low, high = data.rating_scale
            rated, values = csr_row(data.ratings, user)
            disliked = rated[values <= low + 0.25 * (high - low)]
            keep = ~np.isin(sources, disliked) & (amounts > 0)
            sources, amounts = sources[keep], amounts[keep]
        pairs = _pair_values(self._item_dense, self._item_pairs, sources, items)
        cf_source = best_sources(pairs, sources, amounts)
        text_source = np.full(items.size, -1)
        if self.content_ is not None:
            pairs = _pair_values(self._content_dense, self._content_pairs, sources, items)
            text_source = best_sources(pairs, sources, amounts)
        bought = set(csr_row(data.purchased, user)[0].tolist())
        reasons = []
        for pos, item in enumerate(items.tolist()):
            if cf_source[pos] >= 0 and by_item[pos] >= 0.5 * max(by_user[pos], by_text[pos]):
                source = int(cf_source[pos])
                kind = "bought" if source in bought else "rated"
            elif text_source[pos] >= 0 and by_text[pos] >= by_user[pos]:
                source = int(text_source[pos])
                kind = "new_similar" if self.popularity_[item] == 0 else "similar"
            elif by_user[pos] > 0:
                reasons.append(Reason("similar_customers"))
                continue
            else:
                reasons.append(self._popular_reason(item, None))
                continue
            reasons.append(
                Reason(kind, item=data.item_info.names(source), item_id=data.items.raw(source))
            )
        return reasons

    def _predict_residual(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        out = np.zeros(len(users))
        known = (users >= 0) & (items >= 0)
        if (
            self._item_lookup is None
            or self._user_lookup is None
            or self.item_rating_ is None
            or self.user_rating_ is None
            or not known.any()
        ):
            return out
        u, i = users[known], items[known]
        k, reg = self.k, self.regularization
        by_item, _ = neighbour_estimate(i, u, self.item_rating_, self._item_lookup, k, reg)
        by_user, _ = neighbour_estimate(u, i, self.user_rating_, self._user_lookup, k, reg)
        out[known] = self.rating_item_weight * by_item + self.rating_user_weight * by_user
        return out

    def _item_similarities(self, item: int) -> np.ndarray:
        scores = _scaled(np.asarray(self._item_matrix[item].todense()).ravel())
        if self._content_matrix is not None:
            text = _scaled(np.asarray(self._content_matrix[item].todense()).ravel())
            # a product without interactions relies on text alone
            scores = scores + (0.5 if scores.max() > 0 else 1.0) * text
        return scores
