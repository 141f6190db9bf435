"""The index's walk (upper levels in memory, parents of leaves nearest first, stopping at the
first parent past the best hit) finds exactly what brute force over every triangle or point
finds, from any starting level, on one-level indexes and with points that have no valid
coordinates (leaves whose box is empty)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import trimesh

import viewer.pickindex as pickindex
from archive.pickindex import build_pick_index
from viewer.pickindex import PickIndex, _ray_triangles

SHA = "3a" * 32


def _rays(n: int, seed: int, radius: float = 3.0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    rays = []
    for _ in range(n):
        o = rng.normal(size=3)
        o = o / np.linalg.norm(o) * radius
        d = rng.normal(size=3) * 0.5 - o
        rays.append((o, d / np.linalg.norm(d)))
    return rays


def _brute_points(p64: np.ndarray, o: np.ndarray, d: np.ndarray, base: float, slope: float) -> np.ndarray:
    """(n,) distance along the ray of each point inside the cone, inf elsewhere."""
    rel = p64 - o
    t = rel @ d
    with np.errstate(invalid="ignore"):
        off = np.sqrt(np.maximum((rel * rel).sum(1) - t * t, 0))
        inside = (t > 0) & (off <= base + slope * np.maximum(t, 0))
    return np.where(inside, t, np.inf)


def _assert_cloud_picks_match(index: PickIndex, pts: np.ndarray, rays: list, base: float, slope: float) -> int:
    p64, found = pts.astype(np.float64), 0
    for o, d in rays:
        t = _brute_points(p64, o, d, base, slope)
        got = index.nearest_point(o, d, base, slope)
        assert (got is None) == (not np.isfinite(t.min()))
        if got is not None:
            found += 1
            assert got.t == pytest.approx(t.min(), abs=1e-9)
            assert np.allclose(got.point, p64[np.argmin(t)])
    return found


@pytest.fixture(params=["from the top", "from the default level"])
def start(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk tests the upper levels from the highest one of at most ``_START`` boxes."""
    if request.param == "from the top":
        monkeypatch.setattr(pickindex, "_START", 1)


def test_mesh_picks_match_brute_force_on_random_rays(tmp_path: Path, start: None) -> None:
    tm = trimesh.creation.icosphere(subdivisions=6)  # 81,920 triangles: 1,280 leaves, 80 parents, 5, 1
    rng = np.random.default_rng(11)
    v = (tm.vertices * (1 + 0.08 * rng.random((len(tm.vertices), 1)))).astype(np.float32)
    f = tm.faces.astype(np.int32)
    index = PickIndex(build_pick_index(v, f, np.zeros(3), tmp_path, SHA))
    assert len(index.levels) >= 3
    corners, hits = v[f].astype(np.float64), 0
    for o, d in _rays(150, 12):
        t = _ray_triangles(o, d, corners)
        got = index.first_hit(o, d)
        assert (got is None) == (not np.isfinite(t.min()))
        if got is not None:
            hits += 1
            assert got.t == pytest.approx(t.min(), abs=1e-9)
            hidden = index.first_hit(o, d, t_max=got.t * (1 - 1e-9))
            assert hidden is None  # nothing nearer than the nearest hit
    assert hits > 80


def test_cloud_picks_match_brute_force_on_random_rays(tmp_path: Path, start: None) -> None:
    rng = np.random.default_rng(13)
    pts = (rng.normal(size=(120_000, 3)) * [1.0, 1.0, 0.05]).astype(np.float32)  # a flat scan: grazing rays
    index = PickIndex(build_pick_index(pts, None, np.zeros(3), tmp_path, SHA))
    assert len(index.levels) >= 3
    assert _assert_cloud_picks_match(index, pts, _rays(150, 14), 0.004, 0.003) > 60


def test_a_one_level_index_picks_like_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(15)
    pts = rng.normal(size=(900, 3)).astype(np.float32)  # 15 leaves: no level above them
    index = PickIndex(build_pick_index(pts, None, np.zeros(3), tmp_path, SHA))
    assert len(index.levels) == 1
    assert _assert_cloud_picks_match(index, pts, _rays(150, 16), 0.02, 0.02) > 30


def test_points_without_coordinates_are_never_picked_and_warn_nothing(tmp_path: Path) -> None:
    rng = np.random.default_rng(17)
    pts = rng.normal(size=(20_000, 3)).astype(np.float32)
    pts[rng.random(len(pts)) < 0.3] = np.nan  # whole leaves of them: boxes with no valid corner
    index = PickIndex(build_pick_index(pts, None, np.zeros(3), tmp_path, SHA))
    leaves = np.asarray(index.levels[0])
    assert (leaves[:, :3] > leaves[:, 3:]).any()  # some leaf box is empty
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _assert_cloud_picks_match(index, pts, _rays(120, 18), 0.01, 0.01) > 30
