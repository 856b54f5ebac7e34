"""The data every model learns from: :class:`Dataset` (users x items sparse matrices, the
id maps and the item metadata) and :class:`ItemInfo`, with their persistence as JSON and
plain arrays (:func:`pack_csr` / :func:`unpack_csr`; no pickle).

:func:`recsys.interactions.build_dataset` builds a dataset from an interactions log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from recsys.idmap import IdMap

__all__ = ["ITEM_TEXT_COLUMNS", "Dataset", "ItemInfo", "pack_csr", "unpack_csr"]

ITEM_TEXT_COLUMNS = ("name_zh", "name_en", "category", "brand", "description_zh", "description_en")


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
