"""Cross-section clipping and outline; LOD building, caching and choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh

from tests.viewer.conftest import to_model
from viewer import Cancelled, CancelToken, load_model
from viewer.lod import build_levels, choose_level
from viewer.model import Model
from viewer.section import clip, outline_segments, section_plane


def test_section_plane_along_axes(box_model: Model) -> None:
    lo, hi = box_model.bbox
    p, n = section_plane("x", 0.25, lo, hi)
    assert np.allclose(p, [-10, -5, -2.5]) and np.allclose(n, [1, 0, 0])
    _, n2 = section_plane("x", 0.25, lo, hi, flip=True)
    assert np.allclose(n2, [-1, 0, 0])


def test_section_along_view_direction(box_model: Model) -> None:
    lo, hi = box_model.bbox
    p, n = section_plane("view", 0.5, lo, hi, view_front=np.array([0, 0, -1.0]))
    assert np.allclose(n, [0, 0, 1]) and abs(p[2]) < 1e-9


def test_clip_removes_the_far_side(sphere_model: Model) -> None:
    g = clip(sphere_model.geometry, np.array([10.0, 0, 0]), np.array([1.0, 0, 0]))
    v = np.asarray(g.vertices)[np.unique(np.asarray(g.triangles))]
    assert v[:, 0].max() < 10.2  # only triangles straddling the plane reach past it
    assert 0.45 < len(g.triangles) / len(sphere_model.triangles) < 0.56


def test_outline_of_sphere_is_a_unit_circle(sphere_model: Model) -> None:
    segs = outline_segments(sphere_model.vertices, sphere_model.triangles,
                            np.array([10.0, 0, 0]), np.array([1.0, 0, 0]))
    pts = segs.reshape(-1, 3)
    assert np.allclose(pts[:, 0], 10.0)
    r = np.linalg.norm(pts[:, 1:], axis=1)
    assert r.min() > 0.99 and r.max() <= 1.0 + 1e-9


def test_clip_point_cloud() -> None:
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.random.default_rng(1).random((1000, 3))))
    out = clip(pc, np.array([0.5, 0, 0]), np.array([1.0, 0, 0]))
    assert (np.asarray(out.points)[:, 0] <= 0.5).all()


@pytest.fixture(scope="module")
def big_model() -> Model:
    tm = trimesh.creation.icosphere(subdivisions=7)  # 327,680 triangles
    return to_model(tm)


def test_lod_levels_are_smaller_and_cached(big_model: Model, tmp_path: Path) -> None:
    big_model.path = Path(__file__)  # any existing file: the cache key needs one
    levels = build_levels(big_model, cache_dir=tmp_path)
    assert [lvl.primitives for lvl in levels] == [100_000, 40_000]
    assert all(len(lvl.geometry.triangles) <= lvl.primitives for lvl in levels)
    assert len(list(tmp_path.glob("lod-*.npz"))) == 2
    again = build_levels(big_model, cache_dir=tmp_path)
    assert len(again[0].geometry.triangles) == len(levels[0].geometry.triangles)


def test_lod_choice_by_measured_rate(big_model: Model) -> None:
    levels = build_levels(big_model)
    assert choose_level(levels, 50_000, 300.0, 33.0) is None  # small: full model
    assert choose_level(levels, 4_000_000, 300.0, 33.0).primitives == 100_000  # type: ignore[union-attr]
    assert choose_level(levels, 4_000_000, 600.0, 33.0).primitives == 40_000  # type: ignore[union-attr]


def test_lod_build_can_be_cancelled(big_model: Model) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        build_levels(big_model, cancel=token)


def test_textured_lod_keeps_colour(corpus: Path) -> None:
    from viewer.lod import decimate

    model = load_model(corpus / "ycb-pybullet/YcbBanana/textured_simple_reoriented.obj")
    lod = decimate(model.geometry, 4000)
    c = np.asarray(lod.vertex_colors)
    assert len(c) == len(lod.vertices)
    assert c[:, 0].mean() > c[:, 2].mean() + 0.2  # a yellow banana stays yellow


def test_a_cut_shows_its_filled_face(box_model: Model) -> None:
    """With the section on, the layers drawn include the cut face filled: a closed box cut
    across gives a cap whose area is the box's cross-section."""


    from viewer.display import build_layers
    from viewer.settings import Settings

    mesh = box_model.geometry
    vertices = np.asarray(mesh.vertices)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    settings = Settings(section_enabled=True, section_axis="x", section_offset=0.5)
    layers = build_layers(mesh, settings, "shaded", (lo, hi), np.array([0.0, 0.0, -1.0]))
    caps = [g for g in layers[1:] if isinstance(g, o3d.geometry.TriangleMesh)]
    assert len(caps) == 1
    size = hi - lo
    assert caps[0].get_surface_area() == pytest.approx(size[1] * size[2], rel=1e-3)
    off = build_layers(mesh, Settings(section_enabled=True, section_cap=False), "shaded", (lo, hi),
                       np.array([0.0, 0.0, -1.0]))
    assert not [g for g in off[1:] if isinstance(g, o3d.geometry.TriangleMesh)]
