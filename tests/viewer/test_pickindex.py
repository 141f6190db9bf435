"""The master's spatial index (built by archive.pickindex, read memory-mapped by
viewer.pickindex) hits exactly what a brute-force test of every triangle or point hits."""

from __future__ import annotations

from pathlib import Path

import laspy
import numpy as np
import pytest
import trimesh

from archive.errors import CorruptFile as ArchiveCorruptFile
from archive.pickindex import build_pick_index, find_pick_index, index_files
from archive.pickindex_read import build_pick_index_for
from tests.viewer.conftest import to_model
from viewer import Camera, CorruptFile, Picker
from viewer.orientation import display_rotation
from viewer.pickindex import PickIndex, _ray_triangles
from viewer.picking import IndexPicker

SHA = "5e" * 32


def _bumpy_sphere() -> tuple[np.ndarray, np.ndarray]:
    tm = trimesh.creation.icosphere(subdivisions=5)  # 20,480 triangles
    rng = np.random.default_rng(7)
    v = tm.vertices * (1 + 0.05 * rng.random((len(tm.vertices), 1)))  # not convex: rays meet it twice
    return v.astype(np.float32), tm.faces.astype(np.int32)


def _random_rays(n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    rays = []
    for _ in range(n):
        o = rng.normal(size=3)
        o = o / np.linalg.norm(o) * rng.uniform(1.5, 4.0)
        d = rng.normal(size=3) * 0.6 - o
        rays.append((o, d / np.linalg.norm(d)))
    return rays


@pytest.fixture(scope="module")
def mesh_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[PickIndex, np.ndarray, np.ndarray]:
    v, f = _bumpy_sphere()
    folder = tmp_path_factory.mktemp("idx")
    # a small chunk: the out-of-core sort runs over many chunks and runs, as on a 50M scan
    manifest = build_pick_index(v, f, np.zeros(3), folder, SHA, chunk=3000)
    return PickIndex(manifest), v, f


def test_mesh_index_hits_the_same_triangle_as_brute_force(mesh_index) -> None:
    index, v, f = mesh_index
    corners = v[f].astype(np.float64)
    hits = 0
    for o, d in _random_rays(200, 1):
        expected = _ray_triangles(o, d, corners)
        got = index.first_hit(o, d)
        if not np.isfinite(expected.min()):
            assert got is None
            continue
        hits += 1
        assert got is not None and got.t == pytest.approx(expected.min(), abs=1e-9)
        got_corners = np.sort(np.asarray(index.vertices)[np.asarray(index.faces[got.index])], axis=0)
        assert any(np.array_equal(got_corners, np.sort(v[t], axis=0)) for t in f[expected == expected.min()])
    assert hits > 100  # most rays do meet the sphere


def test_mesh_index_keeps_the_side_a_section_keeps(mesh_index) -> None:
    index, v, f = mesh_index
    corners = v[f].astype(np.float64)
    keep = (np.zeros(3), np.array([0.0, 0.0, 1.0]))  # hits with z > 0 are cut away
    for o, d in _random_rays(100, 2):
        t = _ray_triangles(o, d, corners)
        points = o + np.where(np.isfinite(t), t, 0)[:, None] * d
        t[(points - keep[0]) @ keep[1] > 0] = np.inf
        got = index.first_hit(o, d, keep=keep)
        assert (got is None) == (not np.isfinite(t.min()))
        if got is not None:
            assert got.t == pytest.approx(t.min(), abs=1e-9) and got.point[2] <= 1e-9


def test_cloud_index_finds_the_nearest_point_within_the_cone_like_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    pts = rng.normal(size=(30_000, 3)).astype(np.float32)
    index = PickIndex(build_pick_index(pts, None, np.zeros(3), tmp_path, SHA, chunk=2500))
    p64 = pts.astype(np.float64)
    found = 0
    for o, d in _random_rays(150, 3):
        base, slope = 0.01, 0.02
        rel = p64 - o
        t = rel @ d
        off = np.sqrt(np.maximum((rel * rel).sum(1) - t * t, 0))
        ok = (t > 0) & (off <= base + slope * np.maximum(t, 0))
        got = index.nearest_point(o, d, base, slope)
        assert (got is None) == (not ok.any())
        if got is not None:
            found += 1
            assert got.t == pytest.approx(t[ok].min(), abs=1e-9)
            assert np.allclose(got.point, p64[ok][np.argmin(t[ok])])
    assert found > 50


def test_the_index_is_found_again_and_a_missing_file_means_none(tmp_path: Path) -> None:
    v, f = _bumpy_sphere()
    manifest = build_pick_index(v, f, np.zeros(3), tmp_path, SHA)
    assert find_pick_index(tmp_path, SHA) == manifest
    assert find_pick_index(tmp_path, "00" * 32) is None
    index_files(tmp_path, SHA)["faces"].unlink()
    assert find_pick_index(tmp_path, SHA) is None
    with pytest.raises(CorruptFile):
        PickIndex(manifest)


def test_a_far_off_ply_master_is_indexed_in_its_own_coordinates(tmp_path: Path) -> None:
    tm = trimesh.creation.icosphere(subdivisions=4)
    tm.vertices += [512_345.0, 4_012_345.0, 20.0]  # georeferenced metres: float32 alone keeps decimetres
    tm.export(tmp_path / "m.ply")
    index = PickIndex(build_pick_index_for(tmp_path / "m.ply", SHA, tmp_path / "lv"))
    hit = index.first_hit(np.array([512_345.0, 4_012_345.0, 30.0]) - index.origin, np.array([0, 0, -1.0]))
    assert hit is not None
    top = tm.vertices[:, 2].max()
    assert abs(hit.point[2] + index.origin[2] - top) < 0.01  # a centimetre at most below the top vertex


def test_a_las_master_is_indexed_in_chunks_point_for_point(tmp_path: Path) -> None:
    header = laspy.LasHeader(point_format=2, version="1.2")
    header.offsets, header.scales = [600_000.0, 5_000_000.0, 0.0], [0.001] * 3
    las = laspy.LasData(header)
    rng = np.random.default_rng(5)
    pts = rng.random((20_000, 3)) * [50, 50, 10] + header.offsets
    las.x, las.y, las.z = pts.T
    las.write(tmp_path / "c.las")
    index = PickIndex(build_pick_index_for(tmp_path / "c.las", SHA, tmp_path / "lv"))
    assert index.kind == "points" and index.count == 20_000
    stored = np.asarray(index.vertices, dtype=np.float64) + index.origin
    assert np.allclose(np.sort(stored[:, 0]), np.sort(np.asarray(las.x)), atol=1e-3)
    assert not (tmp_path / "lv" / f"{SHA}.pick.spill.npy").exists()  # the scratch file is gone


def test_a_triangle_naming_a_missing_vertex_is_refused(tmp_path: Path) -> None:
    v, f = _bumpy_sphere()
    f = f.copy()
    f[10, 1] = len(v) + 5
    with pytest.raises(ArchiveCorruptFile):
        build_pick_index(v, f, np.zeros(3), tmp_path, SHA)
    assert find_pick_index(tmp_path, SHA) is None  # no half-built index is ever found


def test_the_index_picker_picks_what_the_full_model_picker_picks(mesh_index) -> None:
    """Through a display frame like a shown level's: the file turned Z-up and moved to an
    origin of its own (not the index's)."""
    index, v, f = mesh_index
    file_origin = np.array([1000.0, 2000.0, 0.0])  # the index: file = index.origin + vertices
    shifted = PickIndex.__new__(PickIndex)
    shifted.__dict__.update(index.__dict__, origin=file_origin)
    rotation = display_rotation("z")
    shown_origin = file_origin + [0.5, -0.25, 0.0]
    display = (v.astype(np.float64) + file_origin - shown_origin) @ rotation.T
    model = to_model(trimesh.Trimesh(display, f, process=False))
    full = Picker(model)
    picker = IndexPicker(shifted, rotation, shown_origin, model.extent)
    cam = Camera()
    cam.frame(*model.bbox)
    picks = 0
    for px, py in [(320, 240), (300, 200), (350, 260), (250, 300), (10, 10)]:
        a, b = full.pick(cam, px, py, 640, 480), picker.pick(cam, px, py, 640, 480)
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            picks += 1
            assert np.allclose(a.point, b.point, atol=1e-5) and np.allclose(a.normal, b.normal, atol=1e-5)
    assert picks == 4
    front = picker.pick(cam, 320, 240, 640, 480)
    assert front is not None
    back = 2 * model.center - front.point  # the far side of the sphere, behind the front surface
    assert picker.hidden(cam.eye, np.array([front.point, back])).tolist() == [False, True]


def test_a_leafs_triangles_name_neighbouring_vertices(mesh_index) -> None:
    """Vertices are numbered in the order the sorted triangles first use them: a pick on a
    cold disk reads a page or two of vertices per leaf, not one per corner."""
    index, v, _ = mesh_index
    faces, stored = np.asarray(index.faces), np.asarray(index.vertices)
    original = {tuple(row): i for i, row in enumerate(v.tolist())}
    before = np.array([original[tuple(row)] for row in stored.tolist()])[faces]  # the master's numbering

    def pages(numbers: np.ndarray) -> float:
        return float(np.mean([len(np.unique(numbers[a:a + index.leaf] * 12 // 4096))
                              for a in range(0, len(numbers), index.leaf)]))

    assert pages(faces) <= 3 and pages(faces) < pages(before) / 2
