"""Top-k similarity and neighbour estimates against brute-force computations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.similarity import PairLookup, neighbour_estimate, top_k_similarity


@pytest.fixture(scope="module")
def matrix() -> sp.csr_matrix:
    rng = np.random.default_rng(3)
    dense = np.where(rng.random((30, 12)) < 0.4, rng.normal(0, 1, (30, 12)), 0.0)
    return sp.csr_matrix(dense)


def brute(dense: np.ndarray, kind: str, shrinkage: float) -> np.ndarray:
    n = dense.shape[1]
    mask = dense != 0
    sims = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            common = mask[:, a] & mask[:, b]
            count = common.sum()
            if a == b or count == 0:
                continue
            dot = (dense[common, a] * dense[common, b]).sum()
            if kind == "cosine":
                denom = np.linalg.norm(dense[:, a]) * np.linalg.norm(dense[:, b])
                factor = count / (count + shrinkage) if shrinkage else 1.0
            else:
                denom = np.sqrt((dense[common, a] ** 2).sum() * (dense[common, b] ** 2).sum())
                factor = (count - 1) / (count - 1 + shrinkage) if shrinkage else 1.0
            sims[a, b] = dot / denom * factor if denom > 0 else 0.0
    return sims


@pytest.mark.parametrize("kind", ["cosine", "pearson_baseline", "adjusted_cosine"])
@pytest.mark.parametrize("shrinkage", [0.0, 5.0])
def test_top_k_matches_brute_force(matrix, kind, shrinkage):
    expected = brute(matrix.toarray(), kind, shrinkage)
    table = top_k_similarity(matrix, k=4, kind=kind, shrinkage=shrinkage, block_size=5)
    for col in range(matrix.shape[1]):
        positive = expected[col][expected[col] > 0]
        want = np.sort(positive)[::-1][:4]
        got = table.weight[col][table.index[col] >= 0]
        np.testing.assert_allclose(got, want, rtol=1e-5)
        for j, w in zip(table.index[col], table.weight[col], strict=True):
            if j >= 0:
                assert expected[col, j] == pytest.approx(w, rel=1e-5)
                assert j != col


def test_top_k_rejects_bad_arguments(matrix):
    with pytest.raises(ValueError, match="similarity must be"):
        top_k_similarity(matrix, k=3, kind="jaccard")
    with pytest.raises(ValueError, match="k must be"):
        top_k_similarity(matrix, k=0)


@pytest.mark.parametrize("dense_limit", [10**9, 0])
def test_pair_lookup_dense_and_keyed_paths_agree(matrix, dense_limit, monkeypatch):
    monkeypatch.setattr(PairLookup, "DENSE_LIMIT", dense_limit)
    lookup = PairLookup(matrix)
    dense = matrix.toarray()
    rows = np.array([[0], [5], [29]])
    cols = np.array([[0, 3, 11, -1]])
    values = lookup.get(rows, cols)
    for r in range(3):
        for c in range(4):
            col = cols[0, c]
            if col < 0 or dense[rows[r, 0], col] == 0:
                assert np.isnan(values[r, c])
            else:
                assert values[r, c] == pytest.approx(dense[rows[r, 0], col])


def test_neighbour_estimate_uses_the_k_most_similar_neighbours_that_have_a_value(matrix):
    table = top_k_similarity(matrix, k=8, kind="cosine")
    lookup = PairLookup(matrix)
    dense = matrix.toarray()
    targets = np.arange(12)
    owners = np.arange(12) * 2
    est, support = neighbour_estimate(targets, owners, table, lookup, k=3, regularization=0.5)
    for t, o, e, s in zip(targets, owners, est, support, strict=True):
        pairs = [
            (w, dense[o, j])
            for j, w in zip(table.index[t], table.weight[t], strict=True)
            if j >= 0 and dense[o, j] != 0
        ][:3]
        assert s == len(pairs)
        if pairs:
            w = np.array([p[0] for p in pairs])
            v = np.array([p[1] for p in pairs])
            assert e == pytest.approx((w * v).sum() / (w.sum() + 0.5), rel=1e-5)
        else:
            assert e == 0.0
