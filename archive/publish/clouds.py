"""Point-cloud masters (PCD, XYZ, PTS, E57, LAS, LAZ) read for export as plain arrays.

Each reader returns ``(points, colours)``: (n, 3) float64 coordinates in the file's frame
and units, and (n, 3) float64 colours on a 0..255 scale or None. They use the same
libraries as import and viewing (Open3D for PCD in every encoding including LZF, laspy with
lazrs for LAS/LAZ, pye57 for E57, the importer's own text parser for XYZ/PTS). Points with
non-finite coordinates (organised PCD clouds mark holes with NaN) are dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from archive.errors import CorruptFile
from archive.formats.base import DEFAULT_LIMITS
from archive.formats.pointclouds import read_text_points
from glbtools.las import read_las_chunks

Cloud = tuple[np.ndarray, np.ndarray | None]


def read_pcd(path: Path) -> Cloud:
    import open3d as o3d

    cloud = o3d.io.read_point_cloud(path, format="pcd", remove_nan_points=False)
    points = np.asarray(cloud.points, dtype=np.float64)
    colours = np.asarray(cloud.colors, dtype=np.float64) * 255.0 if cloud.has_colors() else None
    if not len(points):
        raise CorruptFile(f"{path.name}: the PCD master holds no points that can be read.")
    return _finite(points, colours)


def read_xyz(path: Path) -> Cloud:
    return _finite(*read_text_points(path, "xyz", DEFAULT_LIMITS))


def read_pts(path: Path) -> Cloud:
    return _finite(*read_text_points(path, "pts", DEFAULT_LIMITS))


def read_las(path: Path) -> Cloud:
    """LAS or LAZ (lazrs); 16-bit colours are brought to 0..255."""
    import laspy

    las = laspy.read(str(path))
    points = np.column_stack([las.x, las.y, las.z]).astype(np.float64)
    colours = None
    if {"red", "green", "blue"} <= set(las.point_format.dimension_names):
        colours = _to_255(np.column_stack([las.red, las.green, las.blue]))
    return _finite(points, colours)


def read_las_lean(path: Path, chunk: int = 2_000_000) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """LAS or LAZ read in chunks into compact arrays: (n, 3) float32 coordinates relative to
    the returned (3,) float64 origin (a whole offset near the centre of georeferenced data,
    zeros otherwise), (n, 4) uint8 RGBA colours or None. Peak memory is about 20 bytes per
    point plus one chunk, against ~70 for :func:`read_las`."""

    def near_centre(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        centre, extent = (lo + hi) / 2, float((hi - lo).max()) or 1.0
        return np.round(centre) if np.abs(centre).max() >= max(1e4, 100.0 * extent) else np.zeros(3)

    points, raw, origin, n = read_las_chunks(path, near_centre, chunk)
    at = len(points)
    if at < n:
        raise CorruptFile(f"{path.name}: the LAS header declares {n:,} points but only {at:,} could be read.")
    colours = None
    if raw is not None:
        colours = np.full((n, 4), 255, dtype=np.uint8)
        shift = 8 if raw.max(initial=0) > 255 else 0  # 16-bit colours (the LAS rule) or 8-bit values
        colours[:, :3] = raw >> shift
    return points, colours, origin


def read_e57(path: Path) -> Cloud:
    """Every scan of an E57 file, placed by its pose (pye57 applies it), merged."""
    import pye57

    e57 = pye57.E57(str(path))
    try:
        scans = [e57.read_scan(i, colors=True, ignore_missing_fields=True) for i in range(e57.scan_count)]
    finally:
        e57.close()
    if not scans:
        raise CorruptFile(f"{path.name}: the E57 master holds no scans.")
    points = np.concatenate([np.column_stack([s["cartesianX"], s["cartesianY"], s["cartesianZ"]]) for s in scans])
    colours = None
    if all("colorRed" in s for s in scans):
        colours = _to_255(np.concatenate([np.column_stack([s["colorRed"], s["colorGreen"], s["colorBlue"]])
                                          for s in scans]))
    return _finite(points.astype(np.float64), colours)


def _to_255(colours: np.ndarray) -> np.ndarray:
    c = np.asarray(colours, dtype=np.float64)
    return c / 257.0 if c.max(initial=0) > 255 else c


def _finite(points: np.ndarray, colours: np.ndarray | None) -> Cloud:
    ok = np.isfinite(points).all(1)
    if ok.all():
        return points, colours
    return points[ok], None if colours is None else colours[ok]


READERS = {"pcd": read_pcd, "xyz": read_xyz, "pts": read_pts, "e57": read_e57, "las": read_las, "laz": read_las}
"""Import format -> reader of its points for export."""
