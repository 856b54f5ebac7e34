"""Raw ids <-> matrix rows, input validation, and the sparse matrices every model learns from.

This is the one place that turns a pandas interactions log (and optional item metadata)
into numbers: :func:`build_dataset` validates the frame, aggregates repeated
(user, item) pairs and returns a :class:`Dataset` whose rows and columns are the users and
items. Models never see raw ids.

Handling of bad or unusual input (documented here once):

* missing ``user_id``/``item_id`` columns, an empty frame, or null ids: ``ValueError``;
* ``rating``: NaN means "no explicit rating" for that row (a purchase without a review);
  non-numeric, infinite or out-of-``rating_scale`` values: ``ValueError``;
* ``weight``: defaults to 1 per row; NaN, negative or infinite values: ``ValueError``;
* rows identical in every column are counted once (a duplicated export line);
* repeated (user, item) pairs are aggregated: weights add up (each purchase counts) and
  the most recent rating (by ``timestamp`` when given, else the last row) is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.idmap import IdMap

logger = logging.getLogger(__name__)

ITEM_TEXT_COLUMNS = ("name_zh", "name_en", "category", "brand", "description_zh", "description_en")
USER_ATTRIBUTES = ("language", "city")


@dataclass
class ItemInfo:
    """Per-item metadata aligned with item rows (empty strings where unknown)."""

    name_zh: list[str]
    name_en: list[str]
    category: list[str]
    brand: list[str]
    description_zh: list[str]
    description_en: list[str]
    category_zh: list[str]
    category_en: list[str]
    in_stock: np.ndarray  # bool, (n_items,)
    price: np.ndarray  # float, NaN where unknown

    @property
    def has_text(self) -> bool:
        """Whether any item has a name, category, brand or description."""
        return any(any(values) for values in self.text_columns())

    def text_columns(self) -> list[list[str]]:
        """The text columns used for content similarity."""
        return [getattr(self, c) for c in ITEM_TEXT_COLUMNS]

    def name(self, row: int, language: str) -> str:
        """Display name of an item in a language, falling back to the other one."""
        first, second = (
            (self.name_zh, self.name_en) if language == "zh" else (self.name_en, self.name_zh)
        )
        return first[row] or second[row]

    def names(self, row: int) -> dict[str, str]:
        """``{"zh": ..., "en": ...}`` display names of an item."""
        return {"zh": self.name(row, "zh"), "en": self.name(row, "en")}

    def category_names(self, row: int) -> dict[str, str]:
        """``{"zh": ..., "en": ...}`` display names of an item's category."""
        key = self.category[row]
        return {"zh": self.category_zh[row] or key, "en": self.category_en[row] or key}

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON part and array part, for persistence."""
        meta = {
            name: getattr(self, name) for name in (*ITEM_TEXT_COLUMNS, "category_zh", "category_en")
        }
        return meta, {"in_stock": self.in_stock, "price": self.price}

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ItemInfo:
        """Inverse of :meth:`to_state`."""
        return cls(**meta, in_stock=arrays["in_stock"].astype(bool), price=arrays["price"])


@dataclass
class Dataset:
    """Interactions as sparse matrices (users x items), with the id maps and item metadata.

    Attributes:
        users: user id map (rows).
        items: item id map (columns); items known only from metadata come last.
        confidence: implicit preference per pair, ``log1p(sum of weights)``.
        ratings: explicit rating per rated pair (pattern = rated pairs); None when the
            data has no ratings.
        seen: every (user, item) pair present in the input (bool).
        purchased: pairs with a positive weight from a ``weight`` column or from a log
            without ratings (used to word reasons: "bought" vs "rated").
        item_info: item metadata aligned with columns.
        user_attributes: per attribute name (``language``, ``city``), one string per user.
        rating_scale: (low, high) of valid ratings.
    """

    users: IdMap
    items: IdMap
    confidence: sp.csr_matrix
    ratings: sp.csr_matrix | None
    seen: sp.csr_matrix
    purchased: sp.csr_matrix
    item_info: ItemInfo
    user_attributes: dict[str, list[str]] = field(default_factory=dict)
    rating_scale: tuple[float, float] = (1.0, 5.0)

    @property
    def n_users(self) -> int:
        """Number of users."""
        return len(self.users)

    @property
    def n_items(self) -> int:
        """Number of items (with or without interactions)."""
        return len(self.items)

    @property
    def has_ratings(self) -> bool:
        """Whether explicit ratings were given."""
        return self.ratings is not None and self.ratings.nnz > 0

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON part and array part, for persistence."""
        info_meta, info_arrays = self.item_info.to_state()
        meta = {
            "user_ids": self.users.ids,
            "item_ids": self.items.ids,
            "item_info": info_meta,
            "user_attributes": self.user_attributes,
            "rating_scale": list(self.rating_scale),
        }
        arrays = {f"item_info.{k}": v for k, v in info_arrays.items()}
        for name in ("confidence", "ratings", "seen", "purchased"):
            matrix = getattr(self, name)
            if matrix is not None:
                arrays.update(pack_csr(name, matrix))
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Dataset:
        """Inverse of :meth:`to_state`."""
        info_arrays = {
            k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("item_info.")
        }
        return cls(
            users=IdMap(meta["user_ids"]),
            items=IdMap(meta["item_ids"]),
            confidence=unpack_csr("confidence", arrays),
            ratings=unpack_csr("ratings", arrays) if "ratings.data" in arrays else None,
            seen=unpack_csr("seen", arrays).astype(bool),
            purchased=unpack_csr("purchased", arrays).astype(bool),
            item_info=ItemInfo.from_state(meta["item_info"], info_arrays),
            user_attributes=meta["user_attributes"],
            rating_scale=tuple(meta["rating_scale"]),
        )


def pack_csr(name: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    """A CSR matrix as plain arrays named ``name.data`` etc. (for ``np.savez``)."""
    matrix = matrix.tocsr()
    return {
        f"{name}.data": matrix.data,
        f"{name}.indices": matrix.indices,
        f"{name}.indptr": matrix.indptr,
        f"{name}.shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def unpack_csr(name: str, arrays: dict[str, np.ndarray]) -> sp.csr_matrix:
    """Inverse of :func:`pack_csr`."""
    shape = tuple(int(x) for x in arrays[f"{name}.shape"])
    return sp.csr_matrix(
        (arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"]), shape=shape
    )


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & raw.notna().to_numpy()
    if bad.any():
        example = raw[bad].iloc[0]
        raise ValueError(f"{int(bad.sum())} {column} values are not numbers (e.g. {example!r})")
    return values


def _timestamps(frame: pd.DataFrame) -> np.ndarray | None:
    if "timestamp" not in frame:
        return None
    raw = frame["timestamp"]
    if raw.isna().any():
        raise ValueError(f"{int(raw.isna().sum())} rows have no timestamp")
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.to_numpy(dtype=np.float64)
    try:
        parsed = pd.to_datetime(raw, errors="raise", utc=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"timestamp values must be numbers or dates: {exc}") from exc
    return parsed.astype("int64").to_numpy() / 1e9


def _check_ids(frame: pd.DataFrame, column: str, what: str) -> None:
    if column not in frame:
        raise ValueError(f"{what} needs a {column!r} column (got {list(frame.columns)})")
    missing = int(frame[column].isna().sum())
    if missing:
        raise ValueError(f"{missing} {what} rows have no {column}")


def _item_info(item_ids: list[Any], items: pd.DataFrame | None) -> ItemInfo:
    n = len(item_ids)
    columns: dict[str, list[str]] = {
        c: [""] * n for c in (*ITEM_TEXT_COLUMNS, "category_zh", "category_en")
    }
    in_stock = np.ones(n, dtype=bool)
    price = np.full(n, np.nan)
    if items is not None and len(items):
        rows = IdMap(item_ids).rows(items["item_id"])
        for column in columns:
            if column in items:
                values = items[column].fillna("").astype(str).str.strip().tolist()
                for row, value in zip(rows, values, strict=True):
                    columns[column][row] = value
        if "stock" in items:
            stock = _numeric(items, "stock")
            in_stock[rows] = ~(stock <= 0)  # unknown (NaN) stock counts as available
        if "price" in items:
            price[rows] = _numeric(items, "price")
    return ItemInfo(**columns, in_stock=in_stock, price=price)


def build_dataset(
    interactions: pd.DataFrame,
    items: pd.DataFrame | None = None,
    rating_scale: tuple[float, float] = (1.0, 5.0),
) -> Dataset:
    """Validate an interactions log and turn it into sparse matrices.

    Args:
        interactions: one row per event, columns ``user_id``, ``item_id`` and optionally
            ``rating`` (NaN = none), ``weight`` (>= 0, default 1: e.g. 1 per purchase, 0.1
            per product view, less for a returned purchase, 0 for a review whose purchase
            is already counted), ``timestamp`` (numbers or dates), ``language`` and ``city``
            (attributes of the user, for cold start).
        items: optional item metadata, one row per item: ``item_id`` and any of
            ``name_zh``, ``name_en``, ``category``, ``category_zh``, ``category_en``,
            ``brand``, ``description_zh``, ``description_en``, ``stock``, ``price``.
            Items without interactions are added (content-based cold start).
        rating_scale: the valid (low, high) range of ratings.

    Returns:
        The dataset.

    Raises:
        ValueError: on any malformed input (see the module docstring).
    """
    if not isinstance(interactions, pd.DataFrame):
        raise TypeError(
            f"interactions must be a pandas DataFrame, got {type(interactions).__name__}"
        )
    for column in ("user_id", "item_id"):
        _check_ids(interactions, column, "interactions")
    if interactions.empty:
        raise ValueError("interactions is empty: at least one (user_id, item_id) row is needed")
    low, high = (float(x) for x in rating_scale)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"rating_scale must be (low, high) with low < high, got {rating_scale!r}")
    if items is not None:
        if not isinstance(items, pd.DataFrame):
            raise TypeError(f"items must be a pandas DataFrame, got {type(items).__name__}")
        _check_ids(items, "item_id", "items")
        dupes = items["item_id"].duplicated()
        if dupes.any():
            raise ValueError(
                f"items has {int(dupes.sum())} duplicate item_id rows "
                f"(e.g. {items['item_id'][dupes].iloc[0]!r})"
            )

    known = [c for c in ("user_id", "item_id", "rating", "weight", "timestamp", *USER_ATTRIBUTES)]
    frame = interactions[[c for c in known if c in interactions]]
    try:
        duplicated = frame.duplicated()
    except TypeError as exc:  # unhashable ids such as lists
        raise ValueError(f"ids must be hashable: {exc}") from exc
    if duplicated.any():
        logger.info("ignoring %d rows identical to an earlier row", int(duplicated.sum()))
        frame = frame[~duplicated]
    frame = frame.reset_index(drop=True)

    has_rating_column = "rating" in frame
    rating = _numeric(frame, "rating") if has_rating_column else np.full(len(frame), np.nan)
    if np.isinf(rating).any():
        raise ValueError("ratings must be finite")
    out = ~np.isnan(rating) & ((rating < low) | (rating > high))
    if out.any():
        raise ValueError(
            f"{int(out.sum())} ratings are outside the rating scale {low:g}-{high:g} "
            f"(e.g. {rating[out][0]:g})"
        )
    has_weight_column = "weight" in frame
    weight = _numeric(frame, "weight") if has_weight_column else np.ones(len(frame))
    if np.isnan(weight).any():
        raise ValueError(f"{int(np.isnan(weight).sum())} weight values are missing (NaN)")
    if (weight < 0).any() or np.isinf(weight).any():
        raise ValueError("weights must be finite and >= 0")
    stamps = _timestamps(frame)

    user_codes, user_uniques = pd.factorize(frame["user_id"], sort=False)
    item_codes, item_uniques = pd.factorize(frame["item_id"], sort=False)
    item_ids = with_catalogue(list(item_uniques), items)
    users, item_map = IdMap(list(user_uniques)), IdMap(item_ids)
    shape = (len(users), len(item_map))

    weights = sp.csr_matrix((weight, (user_codes, item_codes)), shape=shape)  # sums duplicates
    weights.sum_duplicates()
    pairs = sp.csr_matrix((np.ones(len(frame)), (user_codes, item_codes)), shape=shape)
    pairs.sum_duplicates()
    seen = pairs.astype(bool)

    ratings = None
    rated = ~np.isnan(rating)
    if rated.any():
        order = np.arange(len(frame))
        if stamps is not None:
            order = np.argsort(stamps, kind="stable")
        order = order[rated[order]]
        # keep the last rating of each pair in time order
        keys = user_codes[order].astype(np.int64) * shape[1] + item_codes[order]
        _, last = np.unique(keys[::-1], return_index=True)
        pick = order[::-1][last]
        ratings = sp.csr_matrix(
            (rating[pick], (user_codes[pick], item_codes[pick])), shape=shape, dtype=np.float64
        )
        ratings.sort_indices()

    attributes: dict[str, list[str]] = {}
    for name in USER_ATTRIBUTES:
        if name in frame:
            values = pd.Series(frame[name].fillna("").astype(str).str.strip().to_numpy())
            per_user = [""] * len(users)
            for code, value in zip(user_codes, values, strict=True):
                if value:
                    per_user[code] = value
            attributes[name] = per_user

    return assemble_dataset(
        users,
        item_ids,
        weights,
        seen,
        ratings,
        items=items,
        attributes=attributes,
        rating_scale=(low, high),
        purchases=has_weight_column or not has_rating_column,
    )


def with_catalogue(item_ids: list[Any], items: pd.DataFrame | None) -> list[Any]:
    """``item_ids`` (in order of first appearance) followed by the catalogue's items that
    have no interaction yet (they get rows too, for content and popularity)."""
    if items is None or not len(items):
        return item_ids
    known = pd.Index(item_ids, dtype=object)
    extra = items["item_id"][known.get_indexer(pd.Index(items["item_id"], dtype=object)) < 0]
    return item_ids + list(extra)


def assemble_dataset(
    users: IdMap,
    item_ids: list[Any],
    weights: sp.csr_matrix,
    seen: sp.csr_matrix,
    ratings: sp.csr_matrix | None,
    *,
    items: pd.DataFrame | None,
    attributes: dict[str, list[str]],
    rating_scale: tuple[float, float],
    purchases: bool,
) -> Dataset:
    """The :class:`Dataset` from the aggregated pairs, however they were aggregated (pandas
    here, Spark in :mod:`recsys.spark.data`).

    Args:
        users: user ids to rows.
        item_ids: item ids in row order (see :func:`with_catalogue`).
        weights: summed weight of each (user, item) pair, shape (users, items).
        seen: which pairs occur.
        ratings: the latest rating of each rated pair, or ``None``.
        items: the item metadata (names, categories...), or ``None``.
        attributes: per-user attributes (``USER_ATTRIBUTES``), one value per user row.
        rating_scale: valid (low, high) ratings.
        purchases: the log holds purchases (a weight column, or no ratings): a pair with
            a positive weight counts as bought.
    """
    confidence = weights.copy()
    confidence.data = np.log1p(confidence.data)
    if purchases:
        purchased = weights.copy()
        purchased.data = purchased.data > 0
        purchased.eliminate_zeros()
    else:
        purchased = sp.csr_matrix(weights.shape, dtype=bool)
    return Dataset(
        users=users,
        items=IdMap(item_ids),
        confidence=confidence.astype(np.float32),
        ratings=ratings,
        seen=seen,
        purchased=purchased.astype(bool),
        item_info=_item_info(item_ids, items),
        user_attributes=attributes,
        rating_scale=rating_scale,
    )
