"""One reader per format, registered in :data:`READERS` (extension -> reader).

A reader takes a path and returns Open3D geometry (possibly empty) or raises. A new format
is one function and one entry. Validation and repair happen in :mod:`viewer.loading`.
"""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import open3d as o3d
import trimesh
from PIL import Image

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


_MESHOPT = ("EXT_meshopt_compression", "KHR_meshopt_compression")


def meshopt_decoded_glb(path: Path) -> bytes | None:
    """A glTF/GLB that uses EXT_/KHR_meshopt_compression as a plain GLB (None for any other
    file): trimesh cannot read compressed views. The archive decodes its masters the same way
    in ``archive.formats.meshopt`` (the viewer may not import the archive)."""
    data = path.read_bytes()
    if not any(name.encode() in data[:1 << 24] for name in _MESHOPT):
        return None
    try:
        import meshopt
    except ImportError as exc:
        raise UnsupportedFormat(f"{path.name}: meshopt-compressed glTF needs the meshopt package.") from exc
    if data.startswith(b"glTF"):
        (length,) = struct.unpack_from("<I", data, 12)
        doc, rest = json.loads(data[20:20 + length]), 20 + length + (-length % 4)
        binary: bytes | None = data[rest + 8:rest + 8 + struct.unpack_from("<I", data, rest)[0]]
    else:
        doc, binary = json.loads(data.decode("utf-8-sig")), None
    buffers = [_gltf_buffer(path, b, i, binary) for i, b in enumerate(doc.get("buffers", []))]
    blob = bytearray()
    for view in doc.get("bufferViews", []):
        ext = next((view["extensions"].pop(k) for k in _MESHOPT if k in view.get("extensions", {})), None)
        src = ext or view
        chunk = (buffers[src["buffer"]] or b"")[src.get("byteOffset", 0):src.get("byteOffset", 0) + src["byteLength"]]
        if ext is not None:
            try:
                rows = meshopt.decode_gltf_buffer(chunk, ext["count"], ext["byteStride"], ext["mode"],
                                                  ext.get("filter", "NONE"))
            except (ValueError, RuntimeError) as exc:
                raise CorruptFile(f"{path.name}: a meshopt buffer cannot be decoded ({exc}).") from exc
            wide = ext["mode"] != "ATTRIBUTES" and ext["byteStride"] == 2
            chunk = rows.astype("<u2").tobytes() if wide else rows.tobytes()
        if len(chunk) < view["byteLength"]:
            raise CorruptFile(f"{path.name}: a buffer view is shorter than it declares.")
        blob.extend(b"\0" * (-len(blob) % 4))
        view.update(buffer=0, byteOffset=len(blob))
        blob.extend(chunk[:view["byteLength"]])
    doc["buffers"] = [{"byteLength": len(blob)}]
    for key in ("extensionsUsed", "extensionsRequired"):
        doc[key] = [e for e in doc.get(key, []) if e not in _MESHOPT]
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    blob.extend(b"\0" * (-len(blob) % 4))
    return (struct.pack("<4sII", b"glTF", 2, 28 + len(js) + len(blob))
            + struct.pack("<I4s", len(js), b"JSON") + js + struct.pack("<I4s", len(blob), b"BIN\0") + bytes(blob))


def _gltf_buffer(path: Path, buf: dict[str, Any], index: int, binary: bytes | None) -> bytes | None:
    uri = buf.get("uri")
    if uri is None:
        return binary if index == 0 else None  # a meshopt fallback buffer holds no data
    if uri.startswith("data:"):
        return base64.b64decode(uri.split(",", 1)[1])
    folder = path.parent.resolve()
    target = (folder / unquote(uri)).resolve()
    if not target.is_relative_to(folder):
        raise CorruptFile(f"{path.name}: buffer {uri!r} lies outside the model's folder.")
    return target.read_bytes()


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
