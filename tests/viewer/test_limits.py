"""The viewer worker's memory and time limits follow the file and the machine (no fixed caps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.errors import ResourceLimit
from viewer.isolated import (
    BYTES_PER_LAS_POINT,
    BYTES_PER_TRIANGLE,
    BYTES_PER_VERTEX,
    MEMORY_FLOOR,
    expected_bytes,
    load_model_isolated,
    read_limits,
)
from viewer.readers import MAX_VIEW_POINTS
from workers import job_limits

GIB = 1024**3


def _ply_header(path: Path, vertices: int, faces: int) -> Path:
    path.write_bytes((f"ply\nformat binary_little_endian 1.0\nelement vertex {vertices}\n"
                      "property float x\nproperty float y\nproperty float z\n"
                      f"element face {faces}\nproperty list uchar int vertex_indices\nend_header\n").encode())
    return path


def _las_header(path: Path, points: int, version: tuple[int, int] = (1, 2)) -> Path:
    head = bytearray(375)
    head[0:4] = b"LASF"
    head[24:26] = bytes(version)
    head[107:111] = min(points, 2**32 - 1).to_bytes(4, "little")
    if version >= (1, 4):
        head[247:255] = points.to_bytes(8, "little")
    path.write_bytes(bytes(head))
    return path


def test_memory_grows_with_the_declared_ply_counts(tmp_path):
    small = read_limits(_ply_header(tmp_path / "a.ply", 1_000, 2_000), total=64 * GIB)
    big = read_limits(_ply_header(tmp_path / "b.ply", 10_000_000, 20_000_000), total=64 * GIB)
    expected = 10_000_000 * BYTES_PER_VERTEX + 20_000_000 * BYTES_PER_TRIANGLE
    assert expected_bytes(tmp_path / "b.ply") == expected
    assert big.memory == MEMORY_FLOOR + 2 * expected
    assert small.memory < big.memory


def test_las_memory_counts_every_point_read_and_only_the_points_shown(tmp_path):
    n = 20_500_000
    las = _las_header(tmp_path / "scan.las", n)
    assert expected_bytes(las) == n * BYTES_PER_LAS_POINT + MAX_VIEW_POINTS * BYTES_PER_VERTEX


def test_las_14_uses_the_64_bit_point_count(tmp_path):
    las = _las_header(tmp_path / "scan.laz", 5_000_000_000, version=(1, 4))
    assert expected_bytes(las) == 5_000_000_000 * BYTES_PER_LAS_POINT + MAX_VIEW_POINTS * BYTES_PER_VERTEX


def test_memory_is_capped_at_the_machines_share(tmp_path):
    ply = _ply_header(tmp_path / "a.ply", 90_000_000, 0)  # 6.5 GB expected: fits 16 GiB, not twice
    limits = read_limits(ply, total=16 * GIB)
    assert limits.memory == int(0.8 * 16 * GIB)
    assert limits.needed < limits.memory


def test_a_file_over_the_machines_means_is_refused_with_what_it_needs(tmp_path):
    ply = _ply_header(tmp_path / "huge.ply", 1_000_000_000, 2_000_000_000)
    with pytest.raises(ResourceLimit, match=r"needs about 1\d\d\.\d GiB .* use 6\.4 GiB"):
        read_limits(ply, total=8 * GIB)


def test_load_refuses_before_starting_the_worker(tmp_path, monkeypatch):
    import viewer.isolated as isolated

    monkeypatch.setattr(isolated, "job_limits", lambda *a, **k: job_limits(*a, **{**k, "total": 4 * GIB}))
    monkeypatch.setattr(isolated, "_run", lambda *a, **k: pytest.fail("the worker must not start"))
    with pytest.raises(ResourceLimit, match="needs about"):
        load_model_isolated(_ply_header(tmp_path / "huge.ply", 100_000_000, 200_000_000))


def test_time_limit_grows_with_the_file():
    assert job_limits(0, 0, floor=MEMORY_FLOOR, total=8 * GIB).timeout == 300.0
    assert job_limits(0, 1_000_000_000, floor=MEMORY_FLOOR, total=8 * GIB).timeout == pytest.approx(400.0)


def test_other_formats_keep_four_times_the_file(tmp_path):
    obj = tmp_path / "a.obj"
    obj.write_text("v 0 0 0\n" * 1000)
    assert expected_bytes(obj) == 4 * obj.stat().st_size
