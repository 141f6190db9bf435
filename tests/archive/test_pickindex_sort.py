"""The pick index's out-of-core sort holds at most ``chunk`` rows in memory whatever the
distribution: a scan with a few points kilometres away (the grid spans the outliers and the
real data falls into one or two coarse cells) or thousands of copies of one point. Every
in-memory sort of a build goes through ``archive.pickindex_sort.sort_run``; the tests watch it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import archive.pickindex_sort as pickindex_sort
from archive.pickindex import build_pick_index
from archive.pickindex_sort import MortonGrid
from tests.viewer.test_pickindex_walk import _brute_points, _rays  # one random-ray oracle
from viewer.pickindex import PickIndex, _ray_triangles

SHA = "50" * 32
CHUNK = 2500


@pytest.fixture
def sorted_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every run the build sorts in memory."""
    seen: list[int] = []
    real = pickindex_sort.sort_run

    def watched(placed, keys, a, b):  # type: ignore[no-untyped-def]
        seen.append(b - a)
        real(placed, keys, a, b)

    monkeypatch.setattr(pickindex_sort, "sort_run", watched)
    return seen


def _cloud_with_far_outliers(seed: int) -> np.ndarray:
    """40,000 points of a 2 m statue and four stray points 5 km away."""
    rng = np.random.default_rng(seed)
    statue = rng.normal(size=(40_000, 3)) * [0.3, 0.3, 1.0]
    strays = np.array([[5000.0, 0, 0], [-5000.0, 0, 0], [0, 5000.0, 0], [0, 0, -5000.0]])
    pts = np.concatenate([statue[:15_000], strays[:2], statue[15_000:], strays[2:]])
    return pts.astype(np.float32)


def test_the_statue_falls_into_few_coarse_cells() -> None:
    """The premise: on a grid spanning the strays, the statue is one or two 64^3 cells."""
    pts = _cloud_with_far_outliers(1).astype(np.float64)
    grid = MortonGrid(pts.min(axis=0), pts.max(axis=0))
    cells = grid.codes(pts) >> np.uint64(pickindex_sort._COARSE_SHIFT)
    assert np.unique(cells, return_counts=True)[1].max() > 5 * CHUNK


def test_a_cloud_with_far_outliers_sorts_no_run_larger_than_the_chunk(tmp_path: Path, sorted_runs) -> None:
    pts = _cloud_with_far_outliers(1)
    index = PickIndex(build_pick_index(pts, None, np.zeros(3), tmp_path, SHA, chunk=CHUNK))
    assert sorted_runs and max(sorted_runs) <= CHUNK
    assert sum(sorted_runs) >= len(pts) * 0.9  # nearly every row went through a sort
    stored = np.asarray(index.vertices)
    grid = MortonGrid(pts.min(axis=0).astype(np.float64), pts.max(axis=0).astype(np.float64))
    assert (np.diff(grid.codes(stored.astype(np.float64)).astype(np.float64)) >= 0).all()  # Morton order
    assert np.array_equal(np.sort(stored, axis=0), np.sort(pts, axis=0))  # every point, once


def test_picks_on_a_cloud_with_far_outliers_match_brute_force(tmp_path: Path, sorted_runs) -> None:
    pts = _cloud_with_far_outliers(2)
    index = PickIndex(build_pick_index(pts, None, np.zeros(3), tmp_path, SHA, chunk=CHUNK))
    p64, found = pts.astype(np.float64), 0
    for o, d in _rays(120, 3, radius=6.0):
        t = _brute_points(p64, o, d, 0.002, 0.004)
        got = index.nearest_point(o, d, 0.002, 0.004)
        assert (got is None) == (not np.isfinite(t.min()))
        if got is not None:
            found += 1
            assert got.t == pytest.approx(t.min(), abs=1e-9)
            assert np.allclose(got.point, p64[np.argmin(t)])
    assert found > 60
    assert max(sorted_runs) <= CHUNK


def test_thousands_of_copies_of_one_point_are_never_sorted_at_once(tmp_path: Path, sorted_runs) -> None:
    """Equal codes need no sorting: a run of one code larger than the chunk is left as placed."""
    rng = np.random.default_rng(4)
    pts = np.concatenate([np.tile([[0.25, 0.5, 0.75]], (4 * CHUNK, 1)), rng.random((6000, 3))]).astype(np.float32)
    rng.shuffle(pts)
    index = PickIndex(build_pick_index(pts, None, np.zeros(3), tmp_path, SHA, chunk=CHUNK))
    assert max(sorted_runs) <= CHUNK
    assert np.array_equal(np.sort(np.asarray(index.vertices), axis=0), np.sort(pts, axis=0))
    got = index.nearest_point(np.array([0.25, 0.5, 5.0]), np.array([0.0, 0.0, -1.0]), 1e-4, 0.0)
    assert got is not None and np.allclose(got.point, [0.25, 0.5, 0.75])


def test_a_mesh_with_a_stray_triangle_far_away_sorts_bounded_runs_and_picks_right(tmp_path: Path,
                                                                                   sorted_runs) -> None:
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=5)  # 20,480 triangles
    stray = np.array([[3000.0, -3000, 3000], [3001.0, -3000, 3000], [3000.0, -3001, 3000]])
    v = np.concatenate([sphere.vertices, stray]).astype(np.float32)
    f = np.concatenate([sphere.faces, [[len(sphere.vertices), len(sphere.vertices) + 1, len(sphere.vertices) + 2]]])
    index = PickIndex(build_pick_index(v, f.astype(np.int32), np.zeros(3), tmp_path, SHA, chunk=CHUNK))
    assert max(sorted_runs) <= CHUNK
    corners = v[f].astype(np.float64)
    hits = 0
    for o, d in _rays(80, 5, radius=6.0):
        expected = _ray_triangles(o, d, corners).min()
        got = index.first_hit(o, d)
        assert (got is None) == (not np.isfinite(expected))
        if got is not None:
            hits += 1
            assert got.t == pytest.approx(expected, abs=1e-9)
    assert hits > 40
