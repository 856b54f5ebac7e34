"""Raw ids <-> matrix rows and input validation: an interactions log becomes a :class:`Dataset`.

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
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.dataset import ITEM_TEXT_COLUMNS, Dataset, ItemInfo
from recsys.idmap import IdMap

logger = logging.getLogger(__name__)

__all__ = ["USER_ATTRIBUTES", "assemble_dataset", "build_dataset", "with_catalogue"]

USER_ATTRIBUTES = ("language", "city")


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
