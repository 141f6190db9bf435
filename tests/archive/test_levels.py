"""Levels of detail under derived/levels/: built once per master hash, resumable, found again."""

from __future__ import annotations

from pathlib import Path

import laspy
import numpy as np
import pytest
import trimesh

from archive import Archive
from archive.errors import Cancelled
from archive.formats.ply import map_binary_ply
from archive.levels import (
    build_archive_levels,
    build_levels,
    choose_level,
    find_levels,
    level_file,
    levels_complete,
    read_level,
    read_master,
)
from archive.publish.clouds import read_las_lean
from archive.store import CancelToken

from .helpers import write_textured_obj

SHA = "ab" * 32
TARGETS = (4000, 1000, 200)


def _sphere(folder: Path, colours: bool = False) -> Path:
    mesh = trimesh.creation.icosphere(subdivisions=5)  # 20,480 triangles
    if colours:
        mesh.visual.vertex_colors = (np.abs(mesh.vertices) * 255).astype(np.uint8)
    path = folder / "sphere.ply"
    mesh.export(path)
    return path


def _las(folder: Path, n: int = 20_000, far: bool = True) -> Path:
    header = laspy.LasHeader(point_format=2, version="1.2")
    header.offsets = [500_000.0, 2_000_000.0, 0.0] if far else [0.0, 0.0, 0.0]
    header.scales = [0.001] * 3
    las = laspy.LasData(header)
    rng = np.random.default_rng(3)
    las.x = header.offsets[0] + rng.random(n) * 10
    las.y = header.offsets[1] + rng.random(n) * 10
    las.z = rng.random(n)
    las.red = las.green = las.blue = (rng.random(n) * 65535).astype(np.uint16)
    path = folder / "cloud.las"
    las.write(path)
    return path


def test_mesh_levels_are_made_finest_first_and_named_by_the_hash(tmp_path: Path) -> None:
    levels = build_levels(_sphere(tmp_path), SHA, tmp_path / "lv", targets=TARGETS)
    assert [lv.level for lv in levels] == [1, 2, 3]
    assert [lv.path for lv in levels] == [level_file(tmp_path / "lv", SHA, k) for k in (1, 2, 3)]
    assert all(0 < lv.triangles <= t for lv, t in zip(levels, TARGETS, strict=True))
    assert levels_complete(tmp_path / "lv", SHA)
    assert find_levels(tmp_path / "lv", SHA) == levels


def test_a_level_keeps_vertex_colours(tmp_path: Path) -> None:
    levels = build_levels(_sphere(tmp_path, colours=True), SHA, tmp_path / "lv", targets=(2000,))
    level = read_level(levels[0].path)
    assert level.colours is not None and level.colours.shape == (len(level.vertices), 4)
    assert level.vertices.dtype == np.float32 and level.faces is not None and level.faces.dtype == np.int32


def test_a_textured_master_is_read_with_its_texture_not_baked_colours(tmp_path: Path) -> None:
    obj = write_textured_obj(tmp_path)
    g = read_master(obj)
    assert g.colours is None and g.textured and g.uv is not None and g.uv.shape == (len(g.vertices), 2)
    assert np.asarray(g.texture.convert("RGB")).reshape(-1, 3).mean(0).round().tolist() == [20, 60, 160]


def test_a_small_master_gets_no_level(tmp_path: Path) -> None:
    assert build_levels(_sphere(tmp_path), SHA, tmp_path / "lv", targets=(50_000,)) == []
    assert levels_complete(tmp_path / "lv", SHA)


def test_levels_of_another_hash_are_never_found_and_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "lv"
    old = build_levels(_sphere(tmp_path), "cd" * 32, folder, targets=(2000,))
    assert find_levels(folder, SHA) == []
    build_levels(_sphere(tmp_path), SHA, folder, targets=(2000,))
    assert not old[0].path.exists()


def test_a_stopped_build_resumes_from_the_levels_done(tmp_path: Path) -> None:
    folder = tmp_path / "lv"
    calls: list[str] = []
    token = CancelToken()

    def progress(done: int, total: int, message: str) -> None:
        calls.append(message)
        if done == 1:
            token.cancel()

    with pytest.raises(Cancelled):
        build_levels(_sphere(tmp_path), SHA, folder, progress, token, targets=TARGETS)
    assert [lv.level for lv in find_levels(folder, SHA)] == [1] and not levels_complete(folder, SHA)
    first = level_file(folder, SHA, 1).stat().st_mtime_ns
    levels = build_levels(_sphere(tmp_path), SHA, folder, targets=TARGETS)
    assert [lv.level for lv in levels] == [1, 2, 3]
    assert level_file(folder, SHA, 1).stat().st_mtime_ns == first  # not rebuilt


def test_cloud_levels_are_a_voxel_grid_with_their_spacing(tmp_path: Path) -> None:
    master = read_master(_las(tmp_path))
    levels = build_levels(tmp_path / "cloud.las", SHA, tmp_path / "lv", targets=(5000, 1000))
    assert [lv.points for lv in levels] and all(lv.points <= t for lv, t in zip(levels, (5000, 1000), strict=True))
    assert levels[0].spacing is not None and levels[1].spacing > levels[0].spacing
    level = read_level(levels[0].path)
    # far-off (georeferenced) coordinates: a whole offset kept aside, float32 stays precise
    assert np.allclose(level.origin, (500_005, 2_000_005, 0))
    assert np.abs(level.vertices).max() < 6
    # one point per cell of the grid laid from the master's corner
    cells = np.floor((level.vertices - master.vertices.min(0)) / levels[0].spacing)
    assert len(np.unique(cells, axis=0)) == len(cells)


def test_las_is_read_in_chunks_into_float32(tmp_path: Path) -> None:
    points, colours, origin = read_las_lean(_las(tmp_path, far=False), chunk=3000)
    las = laspy.read(tmp_path / "cloud.las")
    assert points.dtype == np.float32 and not origin.any()
    assert np.allclose(points[:, 0], las.x, atol=1e-3) and np.allclose(points[:, 2], las.z, atol=1e-4)
    assert colours is not None and np.array_equal(colours[:, 0], np.asarray(las.red) >> 8)


@pytest.mark.parametrize("layout", ["ascii", "uv"])
def test_the_mapped_ply_reader_declines_other_layouts(tmp_path: Path, layout: str) -> None:
    mesh = trimesh.creation.box()
    path = tmp_path / "box.ply"
    if layout == "ascii":
        mesh.export(path, encoding="ascii")
    else:
        path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n"
                         b"property float y\nproperty float z\nproperty float s\nproperty float t\nend_header\n"
                         + np.zeros(5, "<f4").tobytes())
    assert map_binary_ply(path) is None


def test_the_mapped_ply_reader_reads_what_trimesh_reads(tmp_path: Path) -> None:
    path = _sphere(tmp_path, colours=True)
    arrays = map_binary_ply(path)
    mesh = trimesh.load(path, process=False)
    assert arrays is not None and arrays.faces is not None and arrays.colours is not None
    assert np.allclose(arrays.vertices, mesh.vertices, atol=1e-6)
    assert np.array_equal(arrays.faces, mesh.faces)
    assert np.array_equal(arrays.colours, mesh.visual.vertex_colors)


def test_choose_level_takes_the_finest_that_fits(tmp_path: Path) -> None:
    levels = build_levels(_sphere(tmp_path), SHA, tmp_path / "lv", targets=TARGETS)
    assert choose_level(levels, 1500) == levels[1]
    assert choose_level(levels, 10) == levels[-1]
    assert choose_level(levels, None) == levels[0]
    assert choose_level([], 100) is None


def test_the_archive_builds_keeps_and_finds_an_items_levels(tmp_path: Path) -> None:
    archive = Archive.create(tmp_path / "arc")
    report = archive.import_paths([_sphere(tmp_path)])
    assert not report.errors
    item_id = archive.search_ids()[0]
    assert archive.level_path(item_id) is None
    built = build_archive_levels(archive, None, None, None, TARGETS)
    assert built.built == [item_id] and not built.failed
    levels = archive.levels(item_id)
    assert [lv.level for lv in levels] == [1, 2, 3]
    assert levels[0].path.is_relative_to(archive.store.derived / "levels")
    assert archive.level_path(item_id, 1500) == levels[1].path
    again = build_archive_levels(archive, None, None, None, TARGETS)
    assert again.kept == [item_id] and again.built == []


# --- web copies start from a kept level -----------------------------------------------------

def _archive_with_levels(tmp_path: Path, master: Path) -> tuple[Archive, int]:
    archive = Archive.create(tmp_path / "arc")
    assert not archive.import_paths([master]).errors
    item_id = archive.search_ids()[0]
    build_archive_levels(archive, None, None, None, TARGETS)
    return archive, item_id


def test_a_web_glb_under_budget_is_made_from_the_kept_level(tmp_path: Path) -> None:
    from archive.publish.export import export_item
    from archive.publish.profiles import Profile

    archive, item_id = _archive_with_levels(tmp_path, _sphere(tmp_path, colours=True))
    level = archive.levels(item_id)[0]
    result = export_item(archive, item_id, tmp_path / "out", "glb", Profile("t", "t", max_triangles=2000))
    assert result.web is not None
    assert any(level.path.name in note and "20,480" in note for note in result.notes), result.notes
    assert result.web.master_triangles == 20_480 and result.web.triangles <= 2000
    glb = trimesh.load(result.files[0], force="mesh")
    assert np.allclose(glb.bounds, trimesh.creation.icosphere(subdivisions=5).bounds, atol=0.05)


def test_a_web_glb_without_a_budget_below_the_master_reads_the_master(tmp_path: Path) -> None:
    from archive.publish.export import export_item
    from archive.publish.profiles import Profile

    archive, item_id = _archive_with_levels(tmp_path, _sphere(tmp_path))
    result = export_item(archive, item_id, tmp_path / "out", "glb", Profile("t", "t", max_triangles=50_000))
    assert not any("level of detail" in note for note in result.notes)
    assert result.web is not None and result.web.triangles == 20_480


def test_a_textured_master_whose_levels_lack_its_texture_is_exported_from_the_master(tmp_path: Path) -> None:
    from archive.publish.export import choose_web_level
    from archive.publish.profiles import Profile

    archive, item_id = _archive_with_levels(tmp_path, _sphere(tmp_path))
    asset = archive.get(item_id)["assets"][0]
    budget = Profile("t", "t", max_triangles=2000)
    assert choose_web_level(archive, item_id, asset, budget) is not None
    assert choose_web_level(archive, item_id, {**asset, "textured": True}, budget) is None


def test_archive_reader_limits_follow_a_ply_headers_counts_and_the_machine(tmp_path: Path) -> None:
    from archive.errors import LimitExceeded
    from archive.isolation import MEMORY_FLOOR, PLY_BYTES_PER_TRIANGLE, PLY_BYTES_PER_VERTEX, limits_for

    ply = tmp_path / "big.ply"
    ply.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 2600000\nproperty float x\n"
                    b"element face 5200000\nproperty list uchar int vertex_indices\nend_header\n")
    expected = 2_600_000 * PLY_BYTES_PER_VERTEX + 5_200_000 * PLY_BYTES_PER_TRIANGLE
    assert limits_for([ply], total=64 * 1024**3).memory == MEMORY_FLOOR + 2 * expected
    assert limits_for([ply], total=4 * 1024**3).memory == int(0.8 * 4 * 1024**3)
    big = tmp_path / "huge.bin"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: a 2 GiB file on a "machine" of 4 GiB
    with pytest.raises(LimitExceeded, match="needs more than 4.0 GiB"):
        limits_for([big], total=4 * 1024**3)


def test_a_big_las_gets_its_first_level_while_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.levels as levels_module
    from archive.publish.budget import voxel_thin

    path = _las(tmp_path, n=60_000)

    def whole(_path: Path) -> None:
        raise AssertionError("a big cloud must not be read whole")

    monkeypatch.setattr(levels_module, "read_master", whole)
    levels = build_levels(path, SHA, tmp_path / "lv", targets=(5000, 1000))
    assert [lv.level for lv in levels] == [1, 2] and levels[0].points <= 5000
    first = read_level(levels[0].path)
    las = laspy.read(path)
    every = np.column_stack([las.x, las.y, las.z])
    kept = first.vertices.astype(np.float64) + first.origin
    distance, _ = __import__("scipy.spatial", fromlist=["cKDTree"]).cKDTree(every).query(kept)
    assert distance.max() < 2e-3  # real points of the master (float32 rounding aside)
    _, cell = voxel_thin(every - every.min(0), 5000)
    assert levels[0].spacing == pytest.approx(cell, rel=0.1)  # the grid thinning every point would choose
    assert levels[0].points > 0.8 * len(voxel_thin(every - every.min(0), 5000)[0])
    assert first.colours is not None
