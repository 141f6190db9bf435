"""Welding by position (archive.publish.seams.unique_rows) gives what np.unique(axis=0) gives."""

from __future__ import annotations

import numpy as np
import pytest

from archive.publish import seams


def _same_partition(rows: np.ndarray) -> None:
    unique, index = seams.unique_rows(rows)
    ref, ref_index = np.unique(rows, axis=0, return_inverse=True)
    assert len(unique) == len(ref)
    np.testing.assert_array_equal(unique[index], rows)  # every row is its welded row (0.0 and -0.0 alike)
    # the same rows are joined: one-to-one between the two numberings
    pairs = np.unique(np.column_stack([index, ref_index.ravel()]), axis=0)
    assert len(pairs) == len(ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equal_rows_are_one(dtype: type) -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(2000, 3)).astype(dtype)
    rows = np.concatenate([base, base[rng.integers(0, 2000, 3000)], [[0.0, 1.0, 2.0], [-0.0, 1.0, 2.0]]]).astype(dtype)
    _same_partition(rows)


def test_a_hash_collision_falls_back_to_sorting_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seams, "_MIX", np.zeros(3, np.uint64))  # every row hashes alike
    rows = np.random.default_rng(4).normal(size=(500, 3)).astype(np.float32)
    _same_partition(np.concatenate([rows, rows[:100]]))
