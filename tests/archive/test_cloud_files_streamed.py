"""Full-resolution PLY/LAS/LAZ of a cloud master are copied a chunk at a time
(archive.publish.cloudfiles), never read whole, and hold exactly what the whole-file writers
give: every finite point, its colour, the same frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import archive.publish.export as export
from archive.publish import cloudstream
from archive.publish.cloudfiles import cloud_files_from_master
from archive.publish.export import MasterJob
from archive.publish.geometry import load_model
from archive.publish.profiles import get_profile

from .test_full_resolution_clouds import _read_las, _read_ply, fingerprint

N = 5_000


def _pts(path: Path, holes: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A PTS of N coloured points (z-up metres, millimetre grid, far from the origin); with
    ``holes`` two more rows whose coordinates are not finite."""
    rng = np.random.default_rng(5)
    points = np.round(rng.uniform(0, 50, (N, 3)), 3) + [600_000.0, 1_500_000.0, 10.0]
    rgb = rng.integers(0, 256, (N, 3))
    lines = [f"{x:.3f} {y:.3f} {z:.3f} 0 {r} {g} {b}" for (x, y, z), (r, g, b) in zip(points, rgb, strict=True)]
    if holes:
        lines[10:10] = ["nan 1 2 0 1 2 3", "1 inf 2 0 1 2 3"]
    path.write_text(f"{len(lines)}\n" + "\n".join(lines) + "\n")
    return points, rgb.astype(np.uint8)


def _job(master: Path, fmt: str, folder: Path, profile: str = "archive") -> MasterJob:
    folder.mkdir(exist_ok=True)
    return MasterJob(master, "m", "z", [master], get_profile(profile), fmt, folder, "copy", {}, "copy")


@pytest.fixture
def never_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the master whole fails the test; chunks of 1,000 points."""
    def whole(*args: object, **kwargs: object) -> None:
        raise AssertionError("the master was read whole")

    monkeypatch.setattr(export, "load_model", whole)
    monkeypatch.setattr(cloudstream, "CHUNK", 1_000)


@pytest.mark.parametrize("fmt", ["ply", "las", "laz"])
def test_a_big_cloud_is_copied_in_chunks_with_every_point_and_colour(tmp_path: Path, fmt: str,
                                                                     never_whole: None) -> None:
    points, rgb = _pts(tmp_path / "scan.pts")
    out = export.write_from_master(_job(tmp_path / "scan.pts", fmt, tmp_path / "out"))
    assert [f.name for f in out.files] == [f"copy.{fmt}"]
    if fmt == "ply":
        got, colours = _read_ply(out.files[0])
        want = np.column_stack([points[:, 0], points[:, 2], -points[:, 1]])  # PLY exports are y-up
    else:
        got, colours = _read_las(out.files[0])
        want = points  # LAS goes back to z-up
    assert len(got) == N
    assert fingerprint(got, colours) == fingerprint(want, rgb)


@pytest.mark.parametrize("fmt", ["ply", "las"])
def test_the_copy_equals_the_whole_file_writers(tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same rows, same types, same header lines but the padding comment, as a cloud read whole."""
    _pts(tmp_path / "scan.pts")
    monkeypatch.setattr(cloudstream, "CHUNK", 1_000)
    streamed = export.write_from_master(_job(tmp_path / "scan.pts", fmt, tmp_path / "a")).files[0]
    monkeypatch.setattr(export, "cloud_files_from_master", lambda job: None)  # the usual path
    whole = export.write_from_master(_job(tmp_path / "scan.pts", fmt, tmp_path / "b")).files[0]
    if fmt == "ply":
        a, b = streamed.read_bytes(), whole.read_bytes()
        head_a, rows_a = a.split(b"end_header\n", 1)
        head_b, rows_b = b.split(b"end_header\n", 1)
        assert [x for x in head_a.split(b"\n") if x.strip() != b"comment"] == head_b.split(b"\n")
        assert rows_a == rows_b
    else:
        (pa, ca), (pb, cb) = _read_las(streamed), _read_las(whole)
        assert np.array_equal(pa, pb) and np.array_equal(ca, cb)


def test_points_without_coordinates_are_left_out_and_said(tmp_path: Path, never_whole: None) -> None:
    points, rgb = _pts(tmp_path / "scan.pts", holes=True)
    out = export.write_from_master(_job(tmp_path / "scan.pts", "ply", tmp_path / "out"))
    got, colours = _read_ply(out.files[0])
    assert len(got) == N
    assert any("2 points without finite coordinates were left out" in n for n in out.notes)
    imported = load_model(out.files[0], "m", "y")  # the padded header reads back as a PLY
    assert sum(len(p.vertices) for p in imported.parts) == N


def test_a_thinning_profile_or_a_mesh_goes_the_usual_way(tmp_path: Path) -> None:
    _pts(tmp_path / "scan.pts")
    assert cloud_files_from_master(_job(tmp_path / "scan.pts", "ply", tmp_path / "w", "web")) is None
    mesh = tmp_path / "tri.obj"
    mesh.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    assert cloud_files_from_master(_job(mesh, "ply", tmp_path / "m")) is None
