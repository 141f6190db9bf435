"""Big scans in the viewer: LAS read lean and thinned on a voxel grid past the view budget,
archive level files placed back at their origin, LAS/LAZ export and the cloud spacing report."""

from __future__ import annotations

from pathlib import Path

import laspy
import numpy as np
import pytest

import viewer.readers as readers
from viewer.loading import load_model


def _las(path: Path, n: int, far: bool = True) -> Path:
    header = laspy.LasHeader(point_format=2, version="1.2")
    header.offsets = [500_000.0, 2_000_000.0, 0.0] if far else [0.0, 0.0, 0.0]
    header.scales = [0.001] * 3
    las = laspy.LasData(header)
    rng = np.random.default_rng(5)
    las.x = header.offsets[0] + rng.random(n) * 10
    las.y = header.offsets[1] + rng.random(n) * 10
    las.z = rng.random(n) * 0.1
    las.red = las.green = las.blue = np.full(n, 65535, np.uint16)
    las.write(path)
    return path


def test_a_cloud_over_the_view_budget_is_thinned_evenly_and_says_so(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_VIEW_POINTS", 2000)
    monkeypatch.setattr(readers, "LAS_CHUNK", 1500)
    model = load_model(_las(tmp_path / "c.las", 10_000))
    assert 500 < len(model.vertices) <= 2000
    assert any("of 10,000 points" in w for w in model.warnings)
    assert np.allclose(model.origin, (500_005, 2_000_005, 0), atol=1)  # georeferenced offset kept aside
    assert np.allclose(np.asarray(model.geometry.colors), 1.0)


def test_a_cloud_within_the_budget_is_whole_and_exact(tmp_path: Path) -> None:
    path = _las(tmp_path / "c.las", 3000, far=False)
    model = load_model(path)
    las = laspy.read(path)
    assert len(model.vertices) == 3000 and not model.warnings
    assert np.allclose(np.sort(model.vertices[:, 0] + model.origin[0]), np.sort(las.x), atol=1e-3)


def test_voxel_keep_takes_one_point_per_cell() -> None:
    points = np.random.default_rng(0).random((50_000, 3)).astype(np.float32)
    keep, cell = readers.voxel_keep(points, 1000)
    assert 100 < len(keep) <= 1000
    cells = np.floor((points[keep] - points.min(0)) / cell)
    assert len(np.unique(cells, axis=0)) == len(keep)


def test_a_level_file_is_shown_at_its_masters_place(tmp_path: Path) -> None:
    from archive.levels import MasterGeometry, write_level

    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    faces = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]], np.int32)
    path = write_level(MasterGeometry(vertices, faces, None, np.array([500_000.0, 0, 0])), tmp_path / "l.ply")
    model = load_model(path)
    assert np.allclose(model.to_file(model.vertices[0]), vertices[0] + (500_000, 0, 0))


@pytest.mark.parametrize("ext", ["las", "laz"])
def test_a_cloud_exports_to_las_at_full_resolution(tmp_path: Path, ext: str) -> None:
    from archive.publish.formats import WRITERS
    from archive.publish.geometry import Model, Part

    rng = np.random.default_rng(2)
    points = rng.random((5000, 3)) * 10
    colours = np.column_stack([rng.integers(0, 255, (5000, 3)), np.full(5000, 255)]).astype(np.uint8)
    [path] = WRITERS[ext](Model([Part(points, colors=colours)]), [None], tmp_path, "cloud")
    las = laspy.read(path)
    assert len(las.points) == 5000
    # written back z-up: the export frame's (x, y, z) is the file's (x, -z, y)
    assert np.allclose(np.column_stack([las.x, las.z, -np.asarray(las.y)]), points, atol=1e-3)
    assert np.array_equal(np.asarray(las.red) // 257, colours[:, 0])


def test_a_web_copy_of_a_cloud_reports_its_spacing() -> None:
    from archive.publish.geometry import Model, Part
    from archive.publish.webcopy import point_spacing

    grid = np.stack(np.meshgrid(np.arange(50), np.arange(50), [0.0]), -1).reshape(-1, 3) * 0.02
    assert point_spacing(Model([Part(grid)])) == pytest.approx(0.02)
    assert point_spacing(Model([Part(grid, np.array([[0, 1, 2]]))])) is None


def test_normals_are_not_estimated_for_a_cloud_of_millions() -> None:
    """Clouds are drawn unlit; estimating normals for millions of points took most of a big
    cloud's load, so it is skipped there (a small cloud still gets them for shaded modes)."""
    import numpy as np
    import open3d as o3d

    from viewer.loading import BIG_CLOUD_POINTS, _ensure_normals

    rng = np.random.default_rng(0)
    big = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(rng.random((BIG_CLOUD_POINTS + 1, 3))))
    small = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(rng.random((500, 3))))
    _ensure_normals(big)
    _ensure_normals(small)
    assert not big.has_normals() and small.has_normals()
