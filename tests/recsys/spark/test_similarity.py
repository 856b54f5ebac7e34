"""Spark's top-k similarities against the local engine's, formula by formula."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.similarity import top_k_similarity
from recsys.spark.similarity import (
    broadcast_top_k_similarity,
    entries_frame,
    spark_top_k_similarity,
)
from tests.recsys.spark.conftest import assert_same_neighbours


def random_matrix(seed: int, centred: bool) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    matrix = sp.random(40, 25, density=0.25, random_state=seed, format="csr")
    matrix.data = rng.normal(0, 1, matrix.nnz) if centred else rng.uniform(0.1, 2, matrix.nnz)
    return matrix


@pytest.mark.parametrize(
    "kind, shrinkage, alpha, k",
    [
        ("cosine", 0.0, 0.5, 6),
        ("cosine", 3.0, 0.3, 30),  # k above the column count: everything positive kept
        ("pearson_baseline", 5.0, 0.5, 8),
        ("adjusted_cosine", 0.0, 0.5, 8),  # one common row: ties at 1.0
    ],
)
def test_same_neighbours_as_the_local_engine(spark, kind, shrinkage, alpha, k):
    matrix = random_matrix(7, centred=kind != "cosine")
    local = top_k_similarity(matrix, k=k, kind=kind, shrinkage=shrinkage, alpha=alpha)
    remote = spark_top_k_similarity(
        entries_frame(spark, matrix),
        matrix.shape[1],
        k=k,
        kind=kind,
        shrinkage=shrinkage,
        alpha=alpha,
    )
    assert_same_neighbours(local, remote)
    assert (local.index >= 0).sum() > matrix.shape[1]  # a real test: tables are not empty


@pytest.mark.parametrize(
    "kind, shrinkage, alpha, k",
    [
        ("cosine", 0.0, 0.5, 6),
        ("cosine", 3.0, 0.3, 30),
        ("pearson_baseline", 5.0, 0.5, 8),
        ("adjusted_cosine", 0.0, 0.5, 8),
    ],
)
def test_broadcast_blocks_give_the_local_tables_exactly(spark, kind, shrinkage, alpha, k):
    matrix = random_matrix(11, centred=kind != "cosine")
    # blocks of 4 columns: several blocks per task, the last one short (the order of tied
    # similarities depends on the blocks, so both engines use the same)
    local = top_k_similarity(matrix, k=k, kind=kind, shrinkage=shrinkage, alpha=alpha, block_size=4)
    remote = broadcast_top_k_similarity(
        spark, matrix, k=k, kind=kind, shrinkage=shrinkage, alpha=alpha, block_size=4
    )
    np.testing.assert_array_equal(remote.index, local.index)
    np.testing.assert_array_equal(remote.weight, local.weight)
    assert (local.index >= 0).sum() > matrix.shape[1]


def test_broadcast_blocks_of_an_empty_column(spark):
    matrix = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0]]))
    table = broadcast_top_k_similarity(spark, matrix, k=2, block_size=2)
    assert table.index.tolist() == [[1, -1], [0, -1], [-1, -1]]
    assert table.weight[0, 0] == pytest.approx(2 / np.sqrt(5))
    with pytest.raises(ValueError, match="similarity must be one of"):
        broadcast_top_k_similarity(spark, matrix, k=1, kind="jaccard")


def test_columns_without_entries_get_no_neighbours(spark):
    matrix = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0]]))
    table = spark_top_k_similarity(entries_frame(spark, matrix), 3, k=2)
    assert table.index[2].tolist() == [-1, -1]
    assert table.index[0, 0] == 1 and table.index[1, 0] == 0
    assert table.weight[0, 0] == pytest.approx(2 / np.sqrt(5))


def test_rejects_unknown_kind(spark):
    matrix = sp.csr_matrix(np.eye(2))
    with pytest.raises(ValueError, match="similarity must be one of"):
        spark_top_k_similarity(entries_frame(spark, matrix), 2, k=1, kind="jaccard")
