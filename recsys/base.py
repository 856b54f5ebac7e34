"""The recommender contract and what every model shares.

:class:`BaseRecommender` implements ``fit``, ``predict``, ``recommend``, ``similar_items``,
``save`` and ``load`` once: input validation, id mapping, baseline biases, popularity and
cold start, the business rules (exclude seen items, in-stock only, category filter, no
duplicates) and persistence (:mod:`recsys.storage`: npz + json, never pickle); biases come
from :mod:`recsys.biases`, request checks and top-n from :mod:`recsys.ranking`. A model
only supplies how it scores items for a known user (``_score_user``), and optionally rating
estimates (``_predict_residual``), item similarities (``_item_similarities``) and reasons.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from recsys.biases import fit_biases
from recsys.dataset import Dataset
from recsys.interactions import build_dataset
from recsys.ranking import as_list, check_context, check_n, popularity, top_n
from recsys.reasons import Reason, Recommendation
from recsys.storage import load_model, save_model


class UnknownItemError(KeyError):
    """The item id is not in the fitted data."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown item"


class BaseRecommender(BaseEstimator):
    """Base class of every recommender: one contract, one implementation of the rules.

    Fitted attributes (all models): ``dataset_`` (ids, matrices, item metadata),
    ``biases_`` (baseline), ``popularity_`` (distinct users per item) and
    ``segment_popularity_`` (the same per known user language/city).
    """

    registry: ClassVar[dict[str, type[BaseRecommender]]] = {}
    #: fitted attributes saved by :meth:`save` besides the shared ones
    _persisted: ClassVar[tuple[str, ...]] = ()
    #: minimum customers in a language/city segment to trust its popularity
    MIN_SEGMENT_USERS: ClassVar[int] = 5

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        BaseRecommender.registry[cls.__name__] = cls

    # ------------------------------------------------------------------ fitting

    def fit(self, interactions: pd.DataFrame, items: pd.DataFrame | None = None) -> BaseRecommender:
        """Learn from an interactions log.

        Args:
            interactions: columns ``user_id``, ``item_id``, optional ``rating``, ``weight``,
                ``timestamp``, ``language``, ``city`` (see :func:`recsys.interactions.build_dataset`).
            items: optional item metadata (names, category, brand, descriptions, stock, price).

        Returns:
            self

        Raises:
            ValueError: on malformed input (empty, NaN ids, out-of-range ratings...).
        """
        data = build_dataset(interactions, items, rating_scale=self.rating_scale)
        self.dataset_ = data
        self.biases_ = fit_biases(
            data.ratings,
            data.n_users,
            data.n_items,
            reg_user=getattr(self, "reg_user", 15.0),
            reg_item=getattr(self, "reg_item", 10.0),
            n_epochs=getattr(self, "n_epochs", 10),
        )
        self.popularity_, self.segment_popularity_ = popularity(data, self.MIN_SEGMENT_USERS)
        self._fit(data)
        self._prepare()
        return self

    def _fit(self, data: Dataset) -> None:
        """Model-specific learning (the shared attributes are already set)."""
        raise NotImplementedError

    def _prepare(self) -> None:
        """Build caches derived from fitted attributes (after fit and after load)."""
        data = self.dataset_
        self._user_items = data.seen.tocsr()
        labels: dict[str, list[int]] = {}
        info = data.item_info
        for row, key in enumerate(info.category):
            if key:
                for label in {key, info.category_zh[row], info.category_en[row]}:
                    if label:
                        labels.setdefault(label.casefold(), []).append(row)
        self._category_rows = {k: np.unique(v) for k, v in labels.items()}

    # ------------------------------------------------------------------ scoring hooks

    def _score_user(self, user: int) -> np.ndarray:
        """Relevance of every item for a known user row (<= 0: no personal signal)."""
        raise NotImplementedError

    def _explain(self, user: int, items: np.ndarray) -> list[Reason]:
        """Reasons for personal recommendations (default: the popularity wording)."""
        return [self._popular_reason(int(i), None) for i in items]

    def _predict_residual(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Rating estimate minus baseline for rows (``-1`` = unknown); default 0."""
        return np.zeros(len(users))

    def _item_similarities(self, item: int) -> np.ndarray | None:
        """Similarity of every item to ``item`` (None: the model has no notion of it)."""
        return None

    # ------------------------------------------------------------------ public API

    def predict(self, user_ids: Any, item_ids: Any) -> np.ndarray:
        """Estimate ratings for (user, item) pairs, vectorized.

        Unknown users or items fall back to the baseline (global mean plus whatever bias is
        known), never raise. On data without explicit ratings, returns the relevance score
        that :meth:`recommend` ranks by (higher is better).

        Args:
            user_ids: sequence of raw user ids (or one id).
            item_ids: sequence of raw item ids of the same length (or one id).

        Returns:
            (n_pairs,) float array.
        """
        check_is_fitted(self, "dataset_")
        users_raw, items_raw = as_list(user_ids), as_list(item_ids)
        if len(users_raw) != len(items_raw):
            raise ValueError(
                f"user_ids and item_ids must have the same length "
                f"({len(users_raw)} != {len(items_raw)})"
            )
        if not users_raw:
            return np.zeros(0)
        data = self.dataset_
        users, items = data.users.rows(users_raw), data.items.rows(items_raw)
        if data.has_ratings:
            estimate = self.biases_.estimate(users, items) + self._predict_residual(users, items)
            low, high = data.rating_scale
            return np.clip(estimate, low, high)
        out = np.zeros(len(users))
        pop = self.popularity_ / max(float(self.popularity_.max()), 1.0)
        known_item = items >= 0
        out[known_item & (users < 0)] = pop[items[known_item & (users < 0)]]
        for user in np.unique(users[(users >= 0) & known_item]):
            mask = (users == user) & known_item
            out[mask] = self._score_user(int(user))[items[mask]]
        return out

    def recommend(
        self,
        user_id: Any,
        n: int = 10,
        exclude_seen: bool = True,
        category: str | None = None,
        context: dict[str, Any] | None = None,
        items: Any = None,
    ) -> list[Recommendation]:
        """The top ``n`` items for a user, each with a score and a reason.

        Args:
            user_id: raw user id; ``None`` or an unknown id gets cold-start results.
            n: number of items wanted (1..10,000); fewer are returned when fewer qualify.
            exclude_seen: leave out items the user already interacted with.
            category: only items of this category (key or display name, any case).
            context: optional ``{"language": "zh"|"en", "city": ...}`` used for cold start
                (popularity among customers of the same language/city).
            items: only these raw item ids (the candidates of a search); unknown ids are
                left out.

        Returns:
            Recommendations, best first, without duplicates, in stock only (unless the model
            was built with ``only_in_stock=False``).

        Raises:
            ValueError: ``n`` not a positive integer, unknown category, malformed context.
        """
        check_is_fitted(self, "dataset_")
        n = check_n(n)
        context = check_context(context)
        data = self.dataset_
        user = data.users.row(user_id) if user_id is not None else -1
        allowed = self._allowed(category)
        if items is not None:
            rows = data.items.rows(as_list(items))
            only = np.zeros(data.n_items, dtype=bool)
            only[rows[rows >= 0]] = True
            allowed &= only
        if user >= 0:
            for name, value in self._user_context(user).items():
                context.setdefault(name, value)
            if exclude_seen:
                allowed[self._seen_items(user)] = False

        picked: list[int] = []
        scores: list[float] = []
        reasons: list[Reason] = []
        if user >= 0:
            personal = np.where(allowed, self._score_user(user), 0.0)
            top = top_n(personal, n)
            if top.size:
                picked += top.tolist()
                scores += personal[top].tolist()
                reasons += self._explain(user, top)
                allowed[top] = False
        if len(picked) < n:
            cold, city_rows = self._cold_scores(context)
            cold = np.where(allowed, cold, 0.0)
            top = top_n(cold, n - len(picked))
            scale = min(scores) * 0.99 if scores else 1.0
            for item in top.tolist():
                picked.append(item)
                scores.append(float(cold[item]) * scale)
                reasons.append(
                    self._popular_reason(item, context.get("city") if city_rows[item] else None)
                )
        return [
            Recommendation(data.items.raw(i), float(s), r)
            for i, s, r in zip(picked, scores, reasons, strict=True)
        ]

    def similar_items(self, item_id: Any, n: int = 10) -> list[Recommendation]:
        """The ``n`` items most similar to an item, with the reason "similar to X".

        Models without item similarities return popular items of the same category.

        Raises:
            UnknownItemError: the item is not known.
            ValueError: ``n`` not a positive integer.
        """
        check_is_fitted(self, "dataset_")
        n = check_n(n)
        data = self.dataset_
        item = data.items.row(item_id)
        if item < 0:
            raise UnknownItemError(f"unknown item {item_id!r}")
        allowed = self._allowed(None)
        allowed[item] = False
        picked, scores, reasons = [], [], []
        sims = self._item_similarities(item)
        if sims is not None:
            sims = np.where(allowed, sims, 0.0)
            top = top_n(sims, n)
            names = data.item_info.names(item)
            picked += top.tolist()
            scores += sims[top].tolist()
            reasons += [Reason("similar", item=names, item_id=item_id)] * len(top)
            allowed[top] = False
        if len(picked) < n:
            key = data.item_info.category[item]
            if key:
                allowed &= np.asarray(data.item_info.category) == key
            pop = np.where(allowed, self.popularity_ + 1.0, 0.0)  # +1: unseen items qualify
            top = top_n(pop, n - len(picked))
            scale = min(scores) * 0.99 if scores else 1.0
            top_pop = max(float(pop.max()), 1.0)
            for i in top.tolist():
                picked.append(i)
                scores.append(float(pop[i]) / top_pop * scale)
                reasons.append(self._popular_reason(i, None))
        return [
            Recommendation(data.items.raw(i), float(s), r)
            for i, s, r in zip(picked, scores, reasons, strict=True)
        ]

    # ------------------------------------------------------------------ rules

    def _allowed(self, category: str | None) -> np.ndarray:
        data = self.dataset_
        allowed = np.ones(data.n_items, dtype=bool)
        if self.only_in_stock:
            allowed &= data.item_info.in_stock
        if category is not None:
            if not isinstance(category, str) or not category.strip():
                raise ValueError(f"category must be a non-empty string, got {category!r}")
            rows = self._category_rows.get(category.strip().casefold())
            if rows is None:
                known = sorted({c for c in data.item_info.category if c})
                hint = f"known: {', '.join(known[:30])}" if known else "no item has a category"
                raise ValueError(f"unknown category {category!r} ({hint})")
            mask = np.zeros(data.n_items, dtype=bool)
            mask[rows] = True
            allowed &= mask
        return allowed

    def _seen_items(self, user: int) -> np.ndarray:
        start, stop = self._user_items.indptr[user], self._user_items.indptr[user + 1]
        return self._user_items.indices[start:stop]

    def _user_context(self, user: int) -> dict[str, str]:
        return {
            name: values[user]
            for name, values in self.dataset_.user_attributes.items()
            if values[user]
        }

    def _cold_scores(self, context: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Popularity blended with the popularity among same-language/city customers.

        Returns:
            (scores, city_rows): scores in (0, 1]; ``city_rows`` marks items whose score
            the city's popularity lifted (to word "popular in <city>").
        """
        total = self.popularity_.astype(np.float64)
        scores = (total + 0.5) / (total.max() + 0.5)  # unseen items keep a small score
        city_rows = np.zeros(scores.size, dtype=bool)
        for name, weight in (("language", 0.5), ("city", 1.0)):
            value = context.get(name)
            segment = self.segment_popularity_.get(f"{name}={value}") if value else None
            if segment is None:
                continue
            part = segment / max(float(segment.max()), 1.0)
            scores = scores + weight * part
            if name == "city":
                city_rows = part > (total / max(float(total.max()), 1.0))
        return scores / scores.max(), city_rows

    def _popular_reason(self, item: int, city: str | None) -> Reason:
        info = self.dataset_.item_info
        if city:
            return Reason("popular_city", city=city)
        if info.category[item]:
            return Reason("popular_category", category=info.category_names(item))
        return Reason("popular")

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | os.PathLike, metadata: dict[str, Any] | None = None) -> Path:
        """Save the fitted model to a directory (``model.json`` + ``arrays.npz``), atomically.

        Args:
            path: target directory; replaced when it exists.
            metadata: extra JSON-able facts stored in ``model.json`` (e.g. what data the
                model was trained on).

        Returns:
            The directory.

        Raises:
            TypeError: ids or metadata that JSON cannot hold (use strings or ints).
        """
        return save_model(self, path, metadata)

    @classmethod
    def load(cls, path: str | os.PathLike) -> BaseRecommender:
        """Load a model saved by :meth:`save` (no pickle: arrays load with ``allow_pickle=False``).

        Raises:
            FileNotFoundError: no model at ``path``.
            ValueError: not a kefu recsys model, or of another class than ``cls``.
        """
        return load_model(cls, path, BaseRecommender.registry)

    # ------------------------------------------------------------------ maintenance

    def update_stock(self, stock: dict[Any, float]) -> int:
        """Refresh which items are in stock (``{item_id: units}``); returns items updated.

        Items not in ``stock`` keep their status; unknown ids are ignored.
        """
        check_is_fitted(self, "dataset_")
        rows = self.dataset_.items.rows(list(stock))
        units = np.asarray([float(v) for v in stock.values()])
        known = rows >= 0
        self.dataset_.item_info.in_stock[rows[known]] = units[known] > 0
        return int(known.sum())
