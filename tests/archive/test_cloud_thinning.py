"""Clouds too big to hold are thinned while they are read: one point per cell of a regular
grid, in memory that follows the points kept; a web GLB of a cloud far over the budget is
made that way."""

from __future__ import annotations

import json
from pathlib import Path

import laspy
import numpy as np
import pytest

from archive import Archive
from archive.publish import export_item, get_profile
from archive.publish.budget import voxel_thin
from archive.publish.clouds import thin_chunks, thin_las


def _cloud(n: int = 50_000) -> np.ndarray:
    rng = np.random.default_rng(5)
    xy = rng.random((n, 2)) * 10
    return np.column_stack([xy, np.sin(xy[:, 0]) * 0.5 + rng.normal(scale=0.01, size=n)])


def _las(path: Path, points: np.ndarray) -> Path:
    header = laspy.LasHeader(point_format=2, version="1.2")
    header.scales = [0.0001] * 3
    las = laspy.LasData(header)
    las.x, las.y, las.z = points.T
    las.red = las.green = las.blue = np.full(len(points), 40_000, np.uint16)
    las.write(path)
    return path


@pytest.mark.parametrize("chunk", [997, 50_000])
def test_thinning_in_chunks_keeps_one_real_point_per_cell(chunk: int) -> None:
    points = _cloud()
    chunks = ((points[a:a + chunk], None) for a in range(0, len(points), chunk))
    thin = thin_chunks(chunks, points.min(0), points.max(0), 3000)
    assert thin.total == len(points) and len(thin.points) <= 3000
    assert (np.isin(thin.points.view("V24"), points.view("V24"))).all()  # points of the cloud, unmoved
    cells = np.floor((thin.points - points.min(0)) / thin.cell)  # the grid is laid from the box's corner
    assert len(np.unique(cells, axis=0)) == len(cells)
    _, cell = voxel_thin(points, 3000)
    assert thin.cell == pytest.approx(cell, rel=0.1)  # the grid thinning every point at once chooses


def test_a_las_short_of_its_declared_points_is_corrupt(tmp_path: Path) -> None:
    path = _las(tmp_path / "c.las", _cloud(20_000))
    data = path.read_bytes()
    (tmp_path / "short.las").write_bytes(data[:len(data) - 26 * 5000])
    from archive.errors import CorruptFile

    with pytest.raises((CorruptFile, laspy.errors.LaspyException)):
        thin_las(tmp_path / "short.las", 1000)


def test_a_web_glb_of_a_cloud_far_over_the_budget_is_thinned_while_read(tmp_path: Path) -> None:
    archive = Archive.create(tmp_path / "arc")
    assert not archive.import_paths([_las(tmp_path / "c.las", _cloud())]).errors
    (item,) = archive.search_ids()
    profile = get_profile("web").with_overrides(max_bytes=64_000)  # room for about 4,000 points
    result = export_item(archive, item, tmp_path / "out", "glb", profile)
    web = result.web
    assert web is not None and web.master_points == 50_000 and 0 < web.points <= 4_000
    assert web.bytes <= 64_000 and web.point_spacing is not None
    assert any("thinned while it was read" in n for n in web.notes)
    glb = result.files[0].read_bytes()
    doc = json.loads(glb[20:20 + int.from_bytes(glb[12:16], "little")])
    assert doc["meshes"][0]["primitives"][0]["mode"] == 0  # POINTS
    assert "KHR_materials_unlit" in doc.get("extensionsUsed", [])
