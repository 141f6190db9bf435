"""A big cloud's levels are built in memory that follows the levels, not the file: the fine
cells of the thinning stay under a cap whatever the cloud's shape, and the isolated worker's
limit is computed from what the job holds and what the machine has."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import laspy
import numpy as np
import pytest

from archive.errors import LimitExceeded
from archive.isolation import MEMORY_FLOOR, limits_for
from archive.levels_limits import levels_limits
from archive.publish.clouds import thin_chunks, thin_las

GIB = 1024**3


def _volume(n: int) -> np.ndarray:
    """Points filling a cube (vegetation, noise): nearly every point has a fine cell of its own."""
    return np.random.default_rng(7).random((n, 3)) * 10.0


def _las(path: Path, points: np.ndarray) -> Path:
    header = laspy.LasHeader(point_format=2, version="1.2")
    header.scales = [0.0001] * 3
    header.offsets = [0.0] * 3
    las = laspy.LasData(header)
    las.x, las.y, las.z = points.T
    las.red = las.green = las.blue = np.full(len(points), 40_000, np.uint16)
    las.write(path)
    return path


def _peak_bytes(fn) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _one_per_cell(points: np.ndarray, cell: float, corner: np.ndarray) -> bool:
    cells = np.floor((points - corner) / cell)
    return len(np.unique(cells, axis=0)) == len(cells)


def test_a_volume_las_is_thinned_in_memory_that_follows_the_target(tmp_path: Path) -> None:
    points = _volume(600_000)
    path = _las(tmp_path / "volume.las", points)
    target = 2000
    result = {}
    peak = _peak_bytes(lambda: result.setdefault("thin", thin_las(path, target, chunk=40_000)))
    thin = result["thin"]
    # every point held as a fine cell would be 600k x (cell, x/y/z, colour): tens of MB
    assert peak < 12e6, f"{peak / 1e6:.1f} MB held for a {target}-point level"
    assert thin.total == len(points) and 0.3 * target < len(thin.points) <= target
    assert _one_per_cell(thin.points + thin.origin, thin.cell, points.min(0))


def test_a_volume_in_chunks_is_thinned_in_memory_that_follows_the_target() -> None:
    points = _volume(600_000)
    chunk = 40_000
    result = {}

    def run() -> None:
        chunks = ((points[a:a + chunk].copy(), None) for a in range(0, len(points), chunk))
        result["thin"] = thin_chunks(chunks, points.min(0), points.max(0), 2000)

    peak = _peak_bytes(run)
    thin = result["thin"]
    assert peak < 12e6, f"{peak / 1e6:.1f} MB held for a 2000-point level"
    assert thin.total == len(points) and 600 < len(thin.points) <= 2000
    assert (np.isin(thin.points.view("V24"), points.view("V24"))).all()  # real points, unmoved


@pytest.mark.parametrize("shape", ["waves", "sphere"])
def test_a_capped_fine_grid_thins_as_well_as_an_unbounded_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              shape: str) -> None:
    """Surfaces that fill more fine cells than the cap allows: the level is as full and its
    spacing as fine as with every fine cell kept."""
    import archive.publish.clouds as clouds

    if shape == "waves":
        xy = np.random.default_rng(3).random((300_000, 2)) * 10
        points = np.column_stack([xy, np.sin(xy[:, 0]) * 3])
    else:
        t, p = np.meshgrid(np.linspace(0, np.pi, 550), np.linspace(0, 2 * np.pi, 550))
        points = np.column_stack([(np.sin(t) * np.cos(p)).ravel(), (np.sin(t) * np.sin(p)).ravel(), np.cos(t).ravel()])
    path = _las(tmp_path / "surface.las", points * 5 + 5)
    coarsened = []
    result = clouds._FineCells.result

    def noted(self: clouds._FineCells) -> tuple[np.ndarray, np.ndarray | None, int]:
        coarsened.append(self.coarsened)
        return result(self)

    monkeypatch.setattr(clouds._FineCells, "result", noted)
    capped = thin_las(path, 3000, chunk=30_000)
    assert coarsened[0] > 0  # the surface filled more fine cells than the cap
    monkeypatch.setattr(clouds, "HOLD", 10**6)
    free = thin_las(path, 3000, chunk=30_000)
    assert len(capped.points) <= 3000 and len(capped.points) >= 0.97 * len(free.points)
    assert capped.cell <= 1.03 * free.cell
    assert _one_per_cell(capped.points + capped.origin, capped.cell, (points * 5 + 5).min(0))


def _big_las(tmp_path: Path, file_bytes: int) -> Path:
    """A real 60,000-point LAS followed by padding up to ``file_bytes`` (sparse: no disk used):
    a file far bigger than the points it holds, as a LAZ is small beside what it decodes to."""
    path = _las(tmp_path / "big.las", _volume(60_000))
    with open(path, "r+b") as fh:
        fh.truncate(file_bytes)
    return path


def test_levels_limit_of_a_streamed_cloud_follows_its_level_not_its_file(tmp_path: Path) -> None:
    path = _big_las(tmp_path, 6 * GIB)
    with pytest.raises(LimitExceeded):  # the rule for masters read whole: the file must fit
        limits_for([path], per_byte=6, total=8 * GIB)
    small = levels_limits(path, targets=(5000, 1000), total=8 * GIB)
    assert small.needed < MEMORY_FLOOR + 200e6 and small.memory <= small.cap
    assert levels_limits(path, targets=(5000, 1000), total=64 * GIB).memory == small.memory  # not the machine's share
    bigger = levels_limits(path, targets=(20_000, 5000), total=8 * GIB)
    assert bigger.needed > small.needed  # a finer first level holds more


def test_a_machine_too_small_for_the_levels_is_told_what_they_need(tmp_path: Path) -> None:
    path = _big_las(tmp_path, 10**6 + 2_000_000)
    with pytest.raises(LimitExceeded, match=r"needs about 2\.\d GiB .* lets the reader use 1\.6 GiB .* at least 3 GiB"):
        levels_limits(path, targets=(5000, 1000), total=2 * GIB)


def test_the_levels_time_limit_follows_the_points(tmp_path: Path) -> None:
    path = _big_las(tmp_path, 2 * 10**6)
    few = levels_limits(path, targets=(5000, 1000), total=8 * GIB)
    with open(path, "r+b") as fh:  # the header's point count (LAS 1.2, offset 107) says 100M
        fh.seek(107)
        fh.write((100_000_000).to_bytes(4, "little"))
    many = levels_limits(path, targets=(5000, 1000), total=8 * GIB)
    assert many.timeout > few.timeout + 500


def _ply_cloud(path: Path, points: np.ndarray) -> Path:
    """A scanner's cloud: a binary PLY of coloured vertices only, georeferenced far from zero."""
    rows = np.empty(len(points), dtype=[("x", "<f8"), ("y", "<f8"), ("z", "<f8"),
                                         ("red", "u1"), ("green", "u1"), ("blue", "u1")])
    rows["x"], rows["y"], rows["z"] = points.T
    rows["red"], rows["green"], rows["blue"] = 200, 100, 50
    head = (f"ply\nformat binary_little_endian 1.0\nelement vertex {len(rows)}\nproperty double x\n"
            "property double y\nproperty double z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
            "end_header\n")
    path.write_bytes(head.encode("ascii") + rows.tobytes())
    return path


def test_a_big_ply_cloud_gets_its_first_level_while_it_is_read(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.levels as levels_module
    from archive.levels import build_levels, read_level
    from archive.pickindex import find_pick_index

    rng = np.random.default_rng(11)
    xy = rng.random((80_000, 2)) * 10
    points = np.column_stack([xy, np.sin(xy[:, 0])]) + [500_000.0, 2_000_000.0, 30.0]
    path = _ply_cloud(tmp_path / "scan.ply", points)

    def whole(_path: Path) -> None:
        raise AssertionError("a big cloud must not be read whole")

    monkeypatch.setattr(levels_module, "read_master", whole)
    levels = build_levels(path, "cd" * 32, tmp_path / "lv", targets=(5000, 1000))
    assert [lv.level for lv in levels] == [1, 2] and 4000 < levels[0].points <= 5000
    first = read_level(levels[0].path)
    assert np.abs(first.origin).max() > 1e5 and np.abs(first.vertices).max() < 100  # float32 near zero
    kept = first.vertices.astype(np.float64) + first.origin
    distance, _ = __import__("scipy.spatial", fromlist=["cKDTree"]).cKDTree(points).query(kept)
    assert distance.max() < 1e-3  # real points of the master (float32 rounding aside)
    assert first.colours is not None and (first.colours[:, :3] == [200, 100, 50]).all()
    assert find_pick_index(tmp_path / "lv", "cd" * 32) is not None
    limits = levels_limits(path, targets=(5000, 1000), total=8 * GIB)
    assert limits.needed < MEMORY_FLOOR + 100e6  # the level and the file's maps, not the whole cloud


def test_a_text_cloud_gets_time_to_be_parsed_and_an_ascii_ply_no_room_for_maps(tmp_path: Path) -> None:
    """PTS, XYZ and ASCII PLY clouds are parsed three times, far slower per point than LAS: their
    time limit grows with the file; only a binary PLY is memory-mapped (address space)."""
    points = _volume(60_000)
    las = _las(tmp_path / "c.las", points)
    pts = tmp_path / "c.pts"
    pts.write_text(f"{len(points)}\n" + "\n".join(f"{x:.4f} {y:.4f} {z:.4f} 0 200 100 50" for x, y, z in points) + "\n")
    binary = _ply_cloud(tmp_path / "b.ply", points)
    ascii_ply = tmp_path / "a.ply"
    ascii_ply.write_text(f"ply\nformat ascii 1.0\nelement vertex {len(points)}\nproperty double x\nproperty double y\n"
                         "property double z\nend_header\n" + "\n".join(f"{x:.4f} {y:.4f} {z:.4f}" for x, y, z in points)
                         + "\n")
    limits = {p.suffix + p.stem: levels_limits(p, targets=(5000, 1000), total=8 * GIB)
              for p in (las, pts, binary, ascii_ply)}
    size_mb = pts.stat().st_size / 1e6
    assert limits[".ptsc"].timeout >= limits[".lasc"].timeout + 0.9 * size_mb
    assert limits[".plya"].timeout >= limits[".lasc"].timeout + 0.9 * ascii_ply.stat().st_size / 1e6
    assert limits[".plyb"].timeout == limits[".lasc"].timeout  # binary: as fast per point as LAS
    assert limits[".plyb"].needed >= limits[".plya"].needed + 2 * binary.stat().st_size - 1e6  # its maps


@pytest.mark.parametrize("data_word", [b"binary_compressed", b"Binary_Compressed"])
def test_a_compressed_pcd_gets_time_for_its_decoding(tmp_path: Path, data_word: bytes) -> None:
    """LZF is decoded in Python, twice per build: 2 s per MB of file on top; the DATA word is
    read as the PCD readers read it (any case)."""
    import open3d as o3d

    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(_volume(60_000)))
    plain, packed = tmp_path / "plain.pcd", tmp_path / "packed.pcd"
    o3d.io.write_point_cloud(str(plain), cloud, write_ascii=False, compressed=False)
    o3d.io.write_point_cloud(str(packed), cloud, write_ascii=False, compressed=True)
    packed.write_bytes(packed.read_bytes().replace(b"binary_compressed", data_word, 1))
    fast, slow = (levels_limits(p, targets=(5000, 1000), total=8 * GIB) for p in (plain, packed))
    assert slow.timeout >= fast.timeout + 1.9 * packed.stat().st_size / 1e6
