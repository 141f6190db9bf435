"""One reader per format, registered in :data:`READERS` (extension -> reader).

A reader takes a path and returns Open3D geometry (possibly empty) or raises. A new format
is one function and one entry. Validation and repair happen in :mod:`viewer.loading`.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import open3d as o3d
import trimesh
from PIL import Image

import glbtools

from .convert import points_to_o3d, scene_to_o3d
from .errors import CorruptFile, ResourceLimit, UnsupportedFormat
from .model import Geometry

Reader = Callable[[Path], Geometry | None]


def read_mesh_or_points(path: Path) -> Geometry | None:
    """PLY/OBJ/STL/OFF through Open3D; a file with vertices but no faces becomes a cloud."""
    if path.suffix.lower() == ".ply" and _ply_header_has_crlf(path):
        # Open3D's PLY parser (rply) crashes the process on CRLF headers; trimesh copes.
        return read_with_trimesh(path)
    mesh = o3d.io.read_triangle_mesh(path, enable_post_processing=True)
    if len(mesh.triangles):
        return mesh
    if path.suffix.lower() == ".ply":
        cloud = o3d.io.read_point_cloud(path)
        if len(cloud.points):
            return cloud
    if len(mesh.vertices):
        cloud = o3d.geometry.PointCloud(mesh.vertices)
        if mesh.has_vertex_colors():
            cloud.colors = mesh.vertex_colors
        return cloud
    return read_with_trimesh(path)  # e.g. UTF-16 OBJ, which Open3D cannot parse


def _ply_header_has_crlf(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(65536)
    return b"\r" in head.split(b"end_header", 1)[0] or b"end_header\r" in head


def read_with_trimesh(path: Path) -> Geometry | None:
    """Fallback and glTF/GLB reader (trimesh decodes Draco through DracoPy; meshopt-compressed
    views are decoded first, see :func:`meshopt_decoded_glb`)."""
    plain = meshopt_decoded_glb(path)
    try:
        with warnings.catch_warnings():
            # A texture whose header claims more pixels than Pillow's bomb limit is refused
            # before it is decoded, not merely warned about (it could hold gigabytes).
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if plain is None:
                loaded = trimesh.load(str(path), force="scene", process=False)
            else:
                loaded = trimesh.load(io.BytesIO(plain), file_type="glb", force="scene", process=False,
                                      resolver=trimesh.resolvers.FilePathResolver(str(path.parent)))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ResourceLimit(f"{path.name}: a texture is too large to open safely ({exc}).") from exc
    except (NotImplementedError, ValueError) as exc:
        raise UnsupportedFormat(f"{path.name}: {exc}") from exc
    except Exception as exc:  # trimesh raises many types for broken files
        raise CorruptFile(f"{path.name} could not be read ({type(exc).__name__}: {exc}).") from exc
    return scene_to_o3d(loaded)


def meshopt_decoded_glb(path: Path) -> bytes | None:
    """A glTF/GLB that uses EXT_/KHR_meshopt_compression as a plain GLB (None for any other
    file): trimesh cannot read compressed views. :mod:`glbtools` decodes it, as it does for
    the archive's exports."""
    try:
        return glbtools.decoded_glb(path)
    except glbtools.UnsupportedFormat as exc:
        raise UnsupportedFormat(str(exc)) from exc
    except glbtools.GlbError as exc:
        raise CorruptFile(str(exc)) from exc


def read_point_cloud(path: Path) -> Geometry | None:
    """PCD and other formats Open3D reads natively as clouds."""
    return o3d.io.read_point_cloud(path)


_NUM = re.compile(r"[,;\s]+")


def read_xyz_text(path: Path) -> Geometry | None:
    """XYZ/PTS/TXT: ``x y z [intensity] [r g b ...]`` per line, any separator.

    A PTS header line holding only the point count is skipped. Six or more columns are read
    as XYZ + RGB (columns 3..5, or 4..6 when there are 7 columns with an intensity first
    and no alpha: the PTS layout).
    """
    rows: list[list[float]] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = [p for p in _NUM.split(line.strip()) if p]
            if len(parts) < 3:
                continue
            try:
                rows.append([float(p) for p in parts])
            except ValueError:
                continue
    if not rows:
        return None
    width = min(len(r) for r in rows)
    data = np.array([r[:width] for r in rows], dtype=np.float64)
    colours = None
    if width >= 7 and path.suffix.lower() == ".pts":
        colours = data[:, 4:7]
    elif width >= 6:
        colours = data[:, 3:6]
    if colours is not None and colours.max(initial=0) > 255:
        colours = None  # columns are not colours (normals, scalar fields)
    return points_to_o3d(data[:, :3], colours)


def read_e57(path: Path) -> Geometry | None:
    """E57 through pye57 (optional); all scans merged in the file frame."""
    try:
        import pye57
    except ImportError as exc:
        raise UnsupportedFormat(f"{path.name}: E57 support needs the pye57 package.") from exc
    e57 = pye57.E57(str(path))
    pts, cols = [], []
    for i in range(e57.scan_count):
        scan = e57.read_scan(i, colors=True, ignore_missing_fields=True)
        p = np.column_stack([scan["cartesianX"], scan["cartesianY"], scan["cartesianZ"]])
        pts.append(p)
        if "colorRed" in scan:
            cols.append(np.column_stack([scan["colorRed"], scan["colorGreen"], scan["colorBlue"]]))
    if not pts:
        return None
    colours = np.concatenate(cols) if len(cols) == len(pts) else None
    return points_to_o3d(np.concatenate(pts), colours)


def read_las(path: Path) -> Geometry | None:
    """LAS/LAZ through laspy (optional; LAZ needs a laspy backend such as lazrs)."""
    try:
        import laspy
    except ImportError as exc:
        raise UnsupportedFormat(f"{path.name}: LAS support needs the laspy package.") from exc
    las = laspy.read(str(path))
    pts = np.column_stack([las.x, las.y, las.z])
    colours = None
    if {"red", "green", "blue"} <= set(las.point_format.dimension_names):
        colours = np.column_stack([las.red, las.green, las.blue]).astype(np.float64)
    return points_to_o3d(pts, colours)


READERS: dict[str, Reader] = {
    ".ply": read_mesh_or_points,
    ".obj": read_mesh_or_points,
    ".stl": read_mesh_or_points,
    ".off": read_mesh_or_points,
    ".gltf": read_with_trimesh,
    ".glb": read_with_trimesh,
    ".pcd": read_point_cloud,
    ".xyz": read_xyz_text,
    ".pts": read_xyz_text,
    ".txt": read_xyz_text,
    ".e57": read_e57,
    ".las": read_las,
    ".laz": read_las,
}

#: Leading bytes of files without a usable extension -> the extension to read them as.
SIGNATURES: list[tuple[bytes, str]] = [
    (b"ply", ".ply"),
    (b"OFF", ".off"),
    (b"glTF", ".glb"),
    (b"solid", ".stl"),
    (b"# .PCD", ".pcd"),
    (b"LASF", ".las"),
    (b"ASTM-E57", ".e57"),
]
