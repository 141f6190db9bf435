"""Full-resolution exports of a point cloud (``--format ply``, ``las``, ``laz`` under the
archive profile) keep every point and every colour: count, and a hash of the coordinates
(to the millimetre, in the export's frame) and colours, on a generated 1M-point scan far from
the origin (as georeferenced scans are: float32 alone would lose the millimetres there)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from archive import Archive
from archive.publish import export_item

from .test_publish_support import add
from .test_tiles3d import _write_las

N = 1_000_000
OFFSET = np.array([512_000.0, 1_700_000.0, 30.0])  # a projected CRS's easting, northing; height


def _scan(n: int = N, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) z-up metres on a millimetre grid, every point distinct; (n, 3) uint8 RGB."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(40_000 * 25_000, n, replace=False)  # distinct (x, y) cells of a 40 m × 25 m grid
    x, y = (cells % 40_000) / 1000, (cells // 40_000) / 1000
    z = np.round(0.5 * np.sin(x / 3) + rng.normal(0, 0.002, n), 3)
    points = np.column_stack([x, y, z]) + OFFSET
    return points, rng.integers(0, 256, (n, 3), dtype=np.uint8)


def fingerprint(points_m: np.ndarray, rgb: np.ndarray) -> str:
    """Order-free hash of (millimetre coordinates, colour) rows."""
    mm = np.round(np.asarray(points_m, dtype=np.float64) * 1000).astype(np.int64)
    rows = np.column_stack([mm, np.asarray(rgb, dtype=np.int64)])
    rows = rows[np.lexsort(rows.T[::-1])]
    return hashlib.sha256(rows.tobytes()).hexdigest()


def _read_las(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import laspy

    las = laspy.read(str(path))
    return np.column_stack([las.x, las.y, las.z]), (np.column_stack([las.red, las.green, las.blue]) // 257)


def _read_ply(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A binary little-endian PLY of vertices only, read by its header alone."""
    data = path.read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    types = {"float": "<f4", "double": "<f8", "uchar": "u1"}
    fields = [(w[2], types[w[1]]) for w in (line.split() for line in data[:end].decode("ascii").splitlines())
              if w[0] == "property"]
    vertex = np.frombuffer(data, dtype=fields, offset=end)
    xyz = np.column_stack([vertex[a].astype(np.float64) for a in "xyz"])
    return xyz, np.column_stack([vertex[c] for c in ("red", "green", "blue")])


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, int, np.ndarray, np.ndarray]:
    root = tmp_path_factory.mktemp("full-res")
    points, rgb = _scan()
    las = _write_las(root / "scan.las", points, np.column_stack([rgb, np.full(N, 255, np.uint8)]))
    archive = Archive.create(root / "archive")
    item = add(archive, las, "other", title_vi="Khảo sát", accession="FR-1")
    archive.update_asset(archive.assets(item)[0]["id"], {"up_axis": "z", "units": "m"})
    yield archive, item, points, rgb
    archive.close()


@pytest.mark.parametrize("fmt", ["las", "laz"])
def test_las_and_laz_exports_keep_every_point_and_colour(scan, tmp_path: Path, fmt: str) -> None:
    archive, item, points, rgb = scan
    result = export_item(archive, item, tmp_path, fmt, "archive")
    got, colours = _read_las(result.files[0])
    assert len(got) == N
    assert fingerprint(got, colours) == fingerprint(points, rgb)


def test_ply_export_keeps_every_point_and_colour_far_from_the_origin(scan, tmp_path: Path) -> None:
    archive, item, points, rgb = scan
    result = export_item(archive, item, tmp_path, "ply", "archive")
    got, colours = _read_ply(result.files[0])
    assert len(got) == N
    yup = np.column_stack([points[:, 0], points[:, 2], -points[:, 1]])  # the PLY is y-up (its header says so)
    assert fingerprint(got, colours) == fingerprint(yup, rgb)
    again = add(archive, result.files[0], "other", title_vi="Bản xuất", accession="FR-2")  # it imports back whole
    assert archive.assets(again)[0]["points"] == N
