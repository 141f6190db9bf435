"""The viewer reads XYZ/PTS text clouds with the archive's own parser (glbtools.textcloud):
the same points and colours as the archive's reader on every layout the importer accepts,
a malformed line named in the error, and a big cloud thinned while it is read (the points
held never exceed twice the viewer's limit plus one block, and every point kept is a row of
the file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open3d as o3d
import pytest

from archive.formats.base import DEFAULT_LIMITS
from archive.formats.pointclouds import read_text_points
from viewer import load_model
from viewer import readers as R
from viewer.errors import CorruptFile

RNG = np.random.default_rng(12)
XYZ = RNG.uniform(-50, 50, (300, 3)).round(4) + [512_000.0, 2_310_000.0, 12.0]  # georeferenced
RGB = RNG.integers(0, 256, (300, 3))
NORMALS = RNG.uniform(-1, 1, (300, 3)).round(4)
INTENSITY = RNG.integers(-2047, 2048, (300, 1))


def _lines(*columns: np.ndarray, sep: str = " ") -> list[str]:
    table = np.hstack(columns)
    return [sep.join(f"{v:.4f}".rstrip("0").rstrip(".") for v in row) for row in table]


VARIANTS: dict[str, tuple[str, list[str], str]] = {
    "pts_count_line_colours": ("c.pts", ["300", *_lines(XYZ, INTENSITY, RGB)], "\n"),
    "pts_crlf": ("c.pts", ["300", *_lines(XYZ, INTENSITY, RGB)], "\r\n"),
    "pts_two_scans": ("c.pts", ["150", *_lines(XYZ, INTENSITY, RGB)[:150], "150",
                                *_lines(XYZ, INTENSITY, RGB)[150:]], "\n"),
    "xyz_comments": ("c.xyz", ["# scanned 2024", "// x y z r g b", *_lines(XYZ, RGB), "  # end"], "\n"),
    "xyz_commas": ("c.xyz", _lines(XYZ, RGB, sep=","), "\n"),
    "xyz_semicolons_blank_lines": ("c.xyz", [*_lines(XYZ, RGB, sep=";")[:100], "", *_lines(XYZ, RGB, sep=";")[100:]],
                                   "\n"),
    "xyz_plain": ("c.xyz", _lines(XYZ), "\n"),
    "xyz_normals_not_colours": ("c.xyz", _lines(XYZ, NORMALS), "\n"),
    "xyz_normals_then_colours": ("c.xyz", _lines(XYZ, NORMALS, RGB), "\n"),
    "xyz_mixed_widths_no_colours": ("c.xyz", [*_lines(XYZ, RGB)[:10], *_lines(XYZ[10:])], "\n"),
    "txt_colours": ("c.txt", _lines(XYZ, RGB), "\n"),
}

COLOURED = {"pts_count_line_colours", "pts_crlf", "pts_two_scans", "xyz_comments", "xyz_commas",
            "xyz_semicolons_blank_lines", "xyz_normals_then_colours", "txt_colours"}


def _write(folder: Path, name: str, lines: list[str], newline: str = "\n") -> Path:
    path = folder / name
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    return path


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_viewer_reads_the_archive_s_points_and_colours(tmp_path: Path, variant: str) -> None:
    name, lines, newline = VARIANTS[variant]
    path = _write(tmp_path, name, lines, newline)
    fmt = "pts" if name.endswith(".pts") else "xyz"
    want_xyz, want_rgb = read_text_points(path, fmt, DEFAULT_LIMITS)
    cloud = R.read_xyz_text(path)
    assert isinstance(cloud, o3d.geometry.PointCloud)
    assert len(want_xyz) == 300
    np.testing.assert_allclose(np.asarray(cloud.points), want_xyz, rtol=0, atol=1e-2)  # float32 after the floor
    if want_rgb is None:
        assert not cloud.has_colors()
    else:
        np.testing.assert_allclose(np.asarray(cloud.colors) * 255, want_rgb, atol=1e-3)
    assert (want_rgb is not None) == (variant in COLOURED)  # the layouts are what they claim to be


def test_georeferenced_points_keep_their_millimetres(tmp_path: Path) -> None:
    path = _write(tmp_path, "g.xyz", _lines(XYZ))
    cloud = R.read_xyz_text(path)
    assert isinstance(cloud, o3d.geometry.PointCloud)
    assert np.abs(np.asarray(cloud.points) - XYZ).max() < 1e-3  # float32 of the raw values would be off by ~0.1


@pytest.mark.parametrize(("lines", "line"), [
    (["3", "1 2 3", "4 5 six", "7 8 9"], 3),
    (["1 2 3", "4 5", "7 8 9"], 2),
    (["1 2 3", "# fine", "4,5,6", "7 8 9 x 1 2"], 4),
])
def test_a_malformed_line_is_named(tmp_path: Path, lines: list[str], line: int) -> None:
    path = _write(tmp_path, "bad.pts", lines)
    with pytest.raises(CorruptFile, match=rf"bad\.pts: line {line} "):
        R.read_xyz_text(path)


def test_a_malformed_line_is_named_in_a_late_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "TEXT_BLOCK", 256)
    path = _write(tmp_path, "late.xyz", [*_lines(XYZ), "1 2 oops"])
    with pytest.raises(CorruptFile, match=r"late\.xyz: line 301 holds a value that is not a number"):
        R.read_xyz_text(path)


def test_the_loader_refuses_a_malformed_cloud_with_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.xyz", ["1 2 3", "4 5 6", "7 8"])
    with pytest.raises(CorruptFile, match=r"line 3 has fewer than 3 coordinates"):
        load_model(path)


def test_a_big_cloud_is_thinned_while_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n, limit = 60_000, 2_000
    xyz = RNG.uniform(0, 100, (n, 3)).round(3)
    rgb = RNG.integers(0, 256, (n, 3))
    path = _write(tmp_path, "big.pts", [str(n), *_lines(xyz, INTENSITY.repeat(200)[:n, None], rgb)])
    monkeypatch.setattr(R, "MAX_VIEW_POINTS", limit)
    monkeypatch.setattr(R, "TEXT_BLOCK", 64 * 1024)  # ~2,000 rows a block: ~30 blocks
    thinned_inputs: list[int] = []
    real_keep = R.voxel_keep

    def spy(points: np.ndarray, target: int) -> tuple[np.ndarray, float]:
        thinned_inputs.append(len(points))
        return real_keep(points, target)

    monkeypatch.setattr(R, "voxel_keep", spy)
    result = R.read_xyz_text(path)
    assert isinstance(result, R.Thinned)
    assert f"of {n:,} points" in result.note
    cloud = result.geometry
    kept = np.asarray(cloud.points)
    assert 0 < len(kept) <= limit
    assert len(thinned_inputs) > 3  # thinned along the way, not once at the end
    assert max(thinned_inputs) <= 2 * limit + 3_000  # held: twice the limit plus one block
    rows = {tuple(r) for r in xyz.round(3)}
    assert all(tuple(r) in rows for r in kept.round(3))  # every kept point is a row of the file
    index = {tuple(r): i for i, r in enumerate(xyz.round(3))}
    which = np.array([index[tuple(r)] for r in kept.round(3)])
    np.testing.assert_allclose(np.asarray(cloud.colors) * 255, rgb[which], atol=1e-3)  # its own colour


def test_non_finite_rows_are_left_out(tmp_path: Path) -> None:
    path = _write(tmp_path, "n.xyz", ["nan 1 2", "1 2 3", "inf 0 0", "4 5 6"])
    cloud = R.read_xyz_text(path)
    assert isinstance(cloud, o3d.geometry.PointCloud)
    np.testing.assert_allclose(np.asarray(cloud.points), [[1, 2, 3], [4, 5, 6]])
