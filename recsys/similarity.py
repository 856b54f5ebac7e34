"""Sparse top-k similarity between the columns of a matrix, and vectorized neighbour lookups.

Similarities are computed block by block (a few hundred columns at a time) with sparse
products and only the ``k`` best neighbours of each column are kept, so memory stays
proportional to ``n_columns * k`` whatever the catalogue size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SIMILARITIES = ("cosine", "adjusted_cosine", "pearson_baseline")


@dataclass
class Neighbours:
    """The ``k`` most similar columns of each column, most similar first.

    Attributes:
        index: (n, k) int32 neighbour columns, -1 where there are fewer than k.
        weight: (n, k) float32 similarities (0 where index is -1).
    """

    index: np.ndarray
    weight: np.ndarray

    @property
    def n(self) -> int:
        """Number of columns."""
        return self.index.shape[0]

    def safe_index(self) -> np.ndarray:
        """``index`` with the -1 padding replaced by ``n`` (a bin to drop), cached."""
        cached = self.__dict__.get("_safe_index")
        if cached is None:
            cached = np.where(self.index >= 0, self.index, self.n).astype(np.intp)
            self.__dict__["_safe_index"] = cached
        return cached

    def to_csr(self, n_columns: int | None = None) -> sp.csr_matrix:
        """The neighbour table as an (n, n) sparse matrix (row i: neighbours of i)."""
        n_columns = n_columns or self.n
        valid = self.index >= 0
        rows = np.repeat(np.arange(self.n), valid.sum(axis=1))
        return sp.csr_matrix(
            (self.weight[valid], (rows, self.index[valid])), shape=(self.n, n_columns)
        )


def _values_at(pattern: sp.csr_matrix, other: sp.csr_matrix) -> np.ndarray:
    """Values of ``other`` at the stored positions of ``pattern`` (0 where absent)."""
    n_cols = pattern.shape[1]
    rows_p = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr))
    keys_p = rows_p * n_cols + pattern.indices
    rows_o = np.repeat(np.arange(other.shape[0], dtype=np.int64), np.diff(other.indptr))
    keys_o = rows_o * n_cols + other.indices
    if keys_o.size == 0:
        return np.zeros(keys_p.size)
    pos = np.searchsorted(keys_o, keys_p).clip(max=keys_o.size - 1)
    return np.where(keys_o[pos] == keys_p, other.data[pos], 0.0)


def _block_top_k(
    rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The k largest positive ``sims`` per row (rows in ascending order), with their ranks.

    Rows with more than k entries are first cut down with a 256-bucket histogram of their
    similarities (keeping every entry at or above the bucket of the k-th largest), so only
    a little more than k entries per row reach the sort.
    """
    keep = sims > 0
    rows, cols, sims = rows[keep], cols[keep], sims[keep]
    if rows.size == 0:
        return rows, cols, sims, rows
    span = float(sims.max())
    first = int(rows[0])
    local = rows - first
    n_rows = int(local[-1]) + 1
    if np.bincount(local, minlength=n_rows).max() > k:
        bucket = np.minimum((sims * (255.0 / span)).astype(np.int64), 255)
        hist = np.bincount(local * 256 + bucket, minlength=n_rows * 256).reshape(n_rows, 256)
        at_least = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # entries in bucket >= q
        enough = at_least >= k
        threshold = np.where(enough.any(axis=1), 255 - np.argmax(enough[:, ::-1], axis=1), 0)
        keep = bucket >= threshold[local]
        rows, cols, sims, local = rows[keep], cols[keep], sims[keep], local[keep]
    # one float sort key: the row, then similarity descending
    key = local.astype(np.float64) + (1.0 - sims / span) * 0.999
    order = np.argsort(key, kind="stable")
    rows, cols, sims = rows[order], cols[order], sims[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    lengths = np.diff(np.r_[starts, rows.size])
    rank = np.arange(rows.size) - np.repeat(starts, lengths)
    keep = rank < k
    return rows[keep], cols[keep], sims[keep], rank[keep]


def _aligned(pattern: sp.csr_matrix, other: sp.csr_matrix) -> np.ndarray:
    """Values of ``other`` at ``pattern``'s stored positions (fast path: same structure)."""
    if (
        other.nnz == pattern.nnz
        and np.array_equal(other.indptr, pattern.indptr)
        and np.array_equal(other.indices, pattern.indices)
    ):
        return other.data
    pattern.sort_indices()
    other.sort_indices()
    return _values_at(pattern, other)


def check_similarity(kind: str, k: int) -> None:
    """Raise ``ValueError`` for an unknown similarity ``kind`` or ``k < 1``."""
    if kind not in SIMILARITIES:
        raise ValueError(f"similarity must be one of {SIMILARITIES}, got {kind!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


@dataclass
class SimilarityInputs:
    """What every block of :func:`top_k_similarity` reads (built once by :func:`prepare`).

    Attributes:
        matrix: (m, n) float64 CSR values, indices sorted.
        binary: ``matrix`` with every stored value set to 1.
        squared: ``matrix`` squared element-wise.
        t_matrix, t_binary, t_squared: their transposes (``t_squared`` only for the
            common-support kinds, else ``None``).
        left_norm, right_norm: (n,) cosine norms raised to ``2 alpha`` / ``2 (1 - alpha)``.
        kind, shrinkage: as for :func:`top_k_similarity`.
        k: neighbours kept per column (already capped at ``n - 1``).
    """

    matrix: sp.csr_matrix
    binary: sp.csr_matrix
    squared: sp.csr_matrix
    t_matrix: sp.csr_matrix
    t_binary: sp.csr_matrix
    t_squared: sp.csr_matrix | None
    left_norm: np.ndarray
    right_norm: np.ndarray
    kind: str
    shrinkage: float
    k: int

    @property
    def n(self) -> int:
        """Number of columns."""
        return self.matrix.shape[1]


def prepare(
    matrix: sp.spmatrix, k: int, kind: str = "cosine", shrinkage: float = 0.0, alpha: float = 0.5
) -> SimilarityInputs:
    """Check the parameters and build the inputs of :func:`block_top_k` (see
    :func:`top_k_similarity` for the arguments)."""
    check_similarity(kind, k)
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    matrix.sort_indices()
    n = matrix.shape[1]
    binary = matrix.copy()
    binary.data = np.ones_like(binary.data)
    squared = matrix.multiply(matrix).tocsr()
    norms = np.sqrt(np.asarray(squared.sum(axis=0)).ravel())
    return SimilarityInputs(
        matrix=matrix,
        binary=binary,
        squared=squared,
        t_matrix=matrix.T.tocsr(),
        t_binary=binary.T.tocsr(),
        t_squared=squared.T.tocsr() if kind != "cosine" else None,
        left_norm=norms ** (2 * alpha),
        right_norm=norms ** (2 * (1 - alpha)),
        kind=kind,
        shrinkage=shrinkage,
        k=min(k, max(n - 1, 1)),
    )


def block_top_k(
    inputs: SimilarityInputs, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The top-k neighbours of columns ``start:stop``: (column, neighbour, similarity, rank)."""
    kind, shrinkage, matrix, binary = inputs.kind, inputs.shrinkage, inputs.matrix, inputs.binary
    dots = (inputs.t_matrix[start:stop] @ matrix).tocsr()
    if kind == "cosine" and not shrinkage:  # no counts needed
        counts, dot = dots, dots.data
    else:
        counts = (inputs.t_binary[start:stop] @ binary).tocsr()
        dot = _aligned(counts, dots)
    rows = np.repeat(np.arange(start, stop), np.diff(counts.indptr))
    cols = counts.indices
    count = counts.data
    if kind == "cosine":
        denom = inputs.left_norm[rows] * inputs.right_norm[cols]
        factor = count / (count + shrinkage) if shrinkage else 1.0
    else:
        assert inputs.t_squared is not None  # built for every kind but cosine
        own = _aligned(counts, (inputs.t_squared[start:stop] @ binary).tocsr())
        other = _aligned(counts, (inputs.t_binary[start:stop] @ inputs.squared).tocsr())
        denom = np.sqrt(own * other)
        factor = (count - 1) / (count - 1 + shrinkage) if shrinkage else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        sims = dot / denom  # 0/0 (all-zero residuals) is NaN, dropped as not positive
    if shrinkage:
        sims *= factor
    sims[rows == cols] = 0.0
    return _block_top_k(rows, cols, sims, inputs.k)


def top_k_similarity(
    matrix: sp.csr_matrix,
    k: int,
    kind: str = "cosine",
    shrinkage: float = 0.0,
    alpha: float = 0.5,
    block_size: int = 512,
) -> Neighbours:
    """The k most similar columns of each column of ``matrix`` (rows are observations).

    Args:
        matrix: (m, n) sparse values, e.g. users x items; only stored entries count.
        k: neighbours kept per column.
        kind: ``"cosine"`` (norms over all of a column's entries; ``alpha`` makes it
            asymmetric: ``dot / (|a|^(2 alpha) |b|^(2 (1 - alpha)))``) or
            ``"pearson_baseline"`` / ``"adjusted_cosine"`` (norms over the common support
            only; pass values already centred on a baseline or on each row's mean).
        shrinkage: pulls similarities backed by few common rows towards 0:
            ``sim * n / (n + shrinkage)`` (``(n - 1) / (n - 1 + shrinkage)`` for the
            common-support kinds, as in Surprise).
        alpha: asymmetry of the cosine (0.5 = plain cosine).
        block_size: columns per block (memory/speed trade-off).

    Returns:
        The neighbour table.
    """
    inputs = prepare(matrix, k, kind, shrinkage, alpha)
    index = np.full((inputs.n, inputs.k), -1, dtype=np.int32)
    weight = np.zeros((inputs.n, inputs.k), dtype=np.float32)
    for start in range(0, inputs.n, block_size):
        rows, cols, sims, rank = block_top_k(inputs, start, min(start + block_size, inputs.n))
        index[rows, rank] = cols
        weight[rows, rank] = sims
    return Neighbours(index=index, weight=weight)


class PairLookup:
    """Vectorized ``value[row, col]`` lookups in a sparse matrix, NaN where not stored.

    Small matrices are expanded to a dense float32 array with one extra NaN column, so
    that column ``-1`` (padding of neighbour tables) reads NaN (fastest); large ones use
    binary search over the sorted (row, col) keys.
    """

    DENSE_LIMIT = 20_000_000

    def __init__(self, matrix: sp.csr_matrix) -> None:
        matrix = sp.csr_matrix(matrix)
        matrix.sort_indices()
        self.shape = matrix.shape
        n_rows, n_cols = matrix.shape
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(matrix.indptr))
        self._flat: np.ndarray | None
        self._keys: np.ndarray | None
        self._values: np.ndarray | None
        if n_rows * (n_cols + 1) <= self.DENSE_LIMIT:
            dense = np.full((n_rows, n_cols + 1), np.nan, dtype=np.float32)
            dense[rows, matrix.indices] = matrix.data
            self._flat = dense.ravel()
            self._keys = self._values = None
        else:
            self._flat = None
            self._keys = rows * n_cols + matrix.indices
            self._values = matrix.data.astype(np.float32)

    def get(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Values at broadcastable ``rows``/``cols`` (NaN where absent or ``col < 0``)."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols)
        if self._flat is not None:
            return self._flat[rows * (self.shape[1] + 1) + cols]
        rows, cols = np.broadcast_arrays(rows, cols)
        out = np.full(rows.shape, np.nan, dtype=np.float32)
        stored, values = self._keys, self._values
        if stored is None or values is None or stored.size == 0:
            return out
        keys = rows * self.shape[1] + cols
        pos = np.searchsorted(stored, keys).clip(max=stored.size - 1)
        found = (cols >= 0) & (stored[pos] == keys)
        out[found] = values[pos[found]]
        return out


def neighbour_estimate(
    targets: np.ndarray,
    owners: np.ndarray,
    neighbours: Neighbours,
    lookup: PairLookup,
    k: int,
    regularization: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Similarity-weighted mean of residuals over the k nearest neighbours that have one.

    The residual of neighbour ``j`` of target ``t`` is ``lookup[owner, j]``. Item-based:
    targets are items, owners users, lookup users x items. User-based: targets are users,
    owners items, lookup items x users. Estimates are
    ``sum(sim * residual) / (sum(sim) + regularization)``.

    Returns:
        (estimate, support): the estimate (0 where no neighbour has a residual) and the
        number of neighbours used, per pair.
    """
    order = np.argsort(owners, kind="stable")  # owner-ordered lookups are cache-friendly
    targets, owners = targets[order], owners[order]
    neigh = neighbours.index[targets]  # (p, K), most similar first, -1 padding
    values = lookup.get(owners[:, None], neigh)
    found = ~np.isnan(values)
    if neigh.shape[1] > k:  # keep the k most similar that have a residual
        used = found & (np.cumsum(found, axis=1, dtype=np.int16) <= k)
    else:
        used = found
    weights = neighbours.weight[targets] * used
    values[~used] = 0.0
    total = weights.sum(axis=1, dtype=np.float64)
    numerator = np.einsum("ij,ij->i", weights, values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(total > 0, numerator / (total + regularization), 0.0)
    out_est, out_support = np.empty_like(est), np.empty(est.size, dtype=np.int64)
    out_est[order], out_support[order] = est, used.sum(axis=1)
    return out_est, out_support


def csr_row(matrix: sp.csr_matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    """(column indices, values) of one CSR row, without building a sparse object."""
    start, stop = matrix.indptr[row], matrix.indptr[row + 1]
    return matrix.indices[start:stop], matrix.data[start:stop]


def spread(neighbours: Neighbours, sources: np.ndarray, amounts: np.ndarray, n: int) -> np.ndarray:
    """``sum_s amounts[s] * sim(s, j)`` for every column j: the neighbours of ``sources``
    scored by how much of each source there is. Returns an (n,) array."""
    index = neighbours.safe_index()[sources]
    values = neighbours.weight[sources] * np.asarray(amounts, dtype=np.float32)[:, None]
    return np.bincount(index.ravel(), weights=values.ravel(), minlength=n + 1)[:n]


def gather_rows(matrix: sp.csr_matrix, rows: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """``sum_r amounts[r] * matrix[r]`` as a dense (n_columns,) array, without scipy objects."""
    starts, stops = matrix.indptr[rows], matrix.indptr[rows + 1]
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(matrix.shape[1])
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    positions = offsets + np.arange(total)
    weights = matrix.data[positions] * np.repeat(np.asarray(amounts, np.float64), lengths)
    return np.bincount(matrix.indices[positions], weights=weights, minlength=matrix.shape[1])


def best_sources(values: np.ndarray, sources: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """For each target, the source contributing most to its score (-1: none).

    Args:
        values: (n_sources, n_targets) similarity of each source to each target (NaN or 0
            where none).
        sources: the customer's item rows.
        amounts: how much of each source (confidence).
    """
    n_targets = values.shape[1]
    out = np.full(n_targets, -1, dtype=np.int64)
    if sources.size == 0 or n_targets == 0:
        return out
    values = np.nan_to_num(values, nan=0.0) * np.asarray(amounts, dtype=np.float32)[:, None]
    best = values.argmax(axis=0)
    found = values[best, np.arange(n_targets)] > 0
    out[found] = sources[best[found]]
    return out
