"""The one place that maps raw ids (customers, products: any hashable) to matrix rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["IdMap"]


def _native(value: Any) -> Any:
    """A numpy scalar as the equivalent Python value (so ids survive JSON)."""
    return value.item() if isinstance(value, np.generic) else value


class IdMap:
    """Raw ids (any hashable) <-> consecutive rows ``0..n-1``."""

    def __init__(self, ids: list[Any]) -> None:
        self.ids = [_native(i) for i in ids]
        self._index = pd.Index(self.ids, dtype=object)
        if not self._index.is_unique:
            raise ValueError("ids must be unique")
        self._lookup = {raw: row for row, raw in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, raw: Any) -> bool:
        return self.row(raw) >= 0

    def row(self, raw: Any) -> int:
        """Row of one raw id, or -1 when unknown (or unhashable)."""
        try:
            return self._lookup.get(_native(raw), -1)
        except TypeError:
            return -1

    def rows(self, raws: Any) -> np.ndarray:
        """Rows of many raw ids (vectorized), -1 for unknown ones."""
        values = pd.Index(list(raws) if not isinstance(raws, pd.Index) else raws, dtype=object)
        return self._index.get_indexer(values).astype(np.int64)

    def raw(self, row: int) -> Any:
        """The raw id of a row."""
        return self.ids[int(row)]
