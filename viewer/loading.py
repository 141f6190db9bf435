"""Load any 3D file the archive imports into a :class:`~viewer.model.Model`.

``load_model`` picks the reader from :data:`viewer.readers.READERS` by extension (or by
signature for files without one), checks declared sizes before a native parser allocates,
repairs what can be repaired (NaN coordinates, out-of-range or degenerate faces), computes
normals when missing and moves far-away (georeferenced) coordinates near the origin while
remembering the offset.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import open3d as o3d

from .errors import CorruptFile, EmptyGeometry, FileMissing, UnsupportedFormat, ViewerError
from .model import Geometry, Kind, Model
from .orientation import orient
from .progress import CancelToken, ProgressFn, report
from .readers import READERS, SIGNATURES, Thinned

o3d.utility.set_verbosity_level(o3d.utility.VerbosityLevel.Error)

#: Formats whose names map to an extension (for callers that know the format, not the name).
SUPPORTED_EXTENSIONS = tuple(sorted(READERS))


def load_model(path: str | Path, *, units: str | None = None, up_axis: str | None = None,
               progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> Model:
    """Read a scan and prepare it for viewing.

    Parameters
    ----------
    path
        File to read; companion files (MTL, textures, .bin) are resolved next to it.
    units
        Units of the model coordinates when the caller knows them (``"mm"``, ``"cm"``,
        ``"m"``); glTF files default to metres.
    up_axis
        The file's up axis, ``"y"`` (default) or ``"z"``; Z-up geometry is turned into the
        viewer's Y-up frame (:func:`viewer.orientation.orient`).
    progress, cancel
        Optional progress callable ``(done, total, message)`` and cancel token.

    Raises
    ------
    FileMissing, UnsupportedFormat, CorruptFile, EmptyGeometry, Cancelled
    """
    p = Path(path)
    report(progress, 0, 4, f"Reading {p.name}", cancel)
    ext = _format_of(p)
    _check_declared_sizes(p, ext)
    warnings: list[str] = []
    geometry = _read(p, ext, warnings)
    report(progress, 1, 4, "Checking geometry", cancel)
    geometry = _repair(geometry, warnings, p.name)
    report(progress, 2, 4, "Computing normals", cancel)
    _ensure_normals(geometry)
    report(progress, 3, 4, "Framing", cancel)
    origin = _recentre(geometry)
    if units is None and ext in (".gltf", ".glb"):
        units = "m"
    kind: Kind = "mesh" if isinstance(geometry, o3d.geometry.TriangleMesh) else "points"
    model = Model(geometry=geometry, kind=kind, path=p, units=units, warnings=warnings,
                  origin=origin)
    orient(model, up_axis)
    report(progress, 4, 4, "Loaded", cancel)
    return model


def _format_of(p: Path) -> str:
    if not p.is_file():
        raise FileMissing(f"{p.name}: the file does not exist or is not a file.")
    if p.stat().st_size == 0:
        raise EmptyGeometry(f"{p.name} is empty (0 bytes).")
    ext = p.suffix.lower()
    if ext in READERS:
        return ext
    with open(p, "rb") as fh:
        head = fh.read(16)
    for magic, sig_ext in SIGNATURES:
        if head.startswith(magic):
            return sig_ext
    raise UnsupportedFormat(
        f"{p.name}: not a 3D format the viewer shows (supported: {', '.join(SUPPORTED_EXTENSIONS)}).")


def _read(p: Path, ext: str, notes: list[str]) -> Geometry:
    reader = READERS[ext]
    if p.suffix.lower() != ext:  # native readers choose the parser by extension
        reader = READERS[".glb"] if ext in (".glb", ".stl") else reader
    try:
        geometry = reader(p)
        if isinstance(geometry, Thinned):
            notes.append(geometry.note)
            geometry = geometry.geometry
    except (ViewerError, MemoryError):  # out of memory is the worker's limit, not a damaged file
        raise
    except Exception as exc:
        raise CorruptFile(f"{p.name} could not be read ({type(exc).__name__}: {exc}).") from exc
    if geometry is None or _count(geometry) == 0:
        raise EmptyGeometry(f"{p.name} holds no faces or points that can be shown.")
    return geometry


def _count(g: Geometry) -> int:
    if isinstance(g, o3d.geometry.TriangleMesh):
        return len(g.vertices)
    return len(g.points)


_HEADER_INT = re.compile(rb"element\s+(\w+)\s+(\d+)")


def _check_declared_sizes(p: Path, ext: str) -> None:
    """Refuse headers that declare more elements than the file can hold.

    Native parsers allocate from declared counts; a hostile or truncated header
    (``OFF`` with 353535235358 vertices) must be stopped before it reaches them.
    """
    size = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(65536)
    declared = 0
    if ext == ".off":
        nums = re.findall(rb"-?\d+", re.sub(rb"#[^\n]*", b"", head[3:]).split(b"\n", 3)[1]
                          if head[3:4] == b"\n" else head[3:200])[:2]
        declared = sum(int(n) for n in nums[:2]) if nums else 0
    elif ext == ".ply":
        if b"end_header" not in head:
            raise CorruptFile(f"{p.name}: the PLY header is not terminated (no end_header).")
        declared = sum(int(n) for _, n in _HEADER_INT.findall(head.split(b"end_header")[0]))
    if declared < 0 or declared > size:
        raise CorruptFile(
            f"{p.name} declares {declared:,} elements but is only {size:,} bytes long; "
            "it is truncated or damaged.")


def _repair(g: Geometry, warnings: list[str], name: str) -> Geometry:
    if isinstance(g, o3d.geometry.PointCloud):
        pts = np.asarray(g.points)
        ok = np.isfinite(pts).all(axis=1)
        if not ok.all():
            warnings.append(f"{int((~ok).sum())} points with invalid coordinates were skipped.")
            g = g.select_by_index(np.flatnonzero(ok).tolist())
        if len(g.points) == 0:
            raise EmptyGeometry(f"{name}: no point has valid coordinates.")
        return g
    return _repair_mesh(g, warnings, name)


def _repair_mesh(mesh: o3d.geometry.TriangleMesh, warnings: list[str],
                 name: str) -> Geometry:
    v = np.asarray(mesh.vertices)
    f = np.asarray(mesh.triangles)
    finite_v: np.ndarray = np.asarray(np.isfinite(v).all(axis=1))
    in_range: np.ndarray = np.asarray(((f >= 0) & (f < len(v))).all(axis=1))
    keep: np.ndarray = in_range.copy()
    keep[in_range] &= finite_v[f[in_range]].all(axis=1)
    fk = f[keep]
    keep[keep] &= (fk[:, 0] != fk[:, 1]) & (fk[:, 1] != fk[:, 2]) & (fk[:, 0] != fk[:, 2])
    dropped = int((~keep).sum())
    if dropped:
        warnings.append(f"{dropped} broken or degenerate faces were skipped.")
        mesh = keep_triangles(mesh, keep)
    if not finite_v.all():
        warnings.append(f"{int((~finite_v).sum())} vertices with invalid coordinates were skipped.")
        np.asarray(mesh.vertices)[~finite_v] = v[finite_v][0] if finite_v.any() else 0.0
    if len(mesh.triangles) == 0:
        if finite_v.any():
            cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(v[finite_v]))
            warnings.append("No valid faces: shown as points.")
            return cloud
        raise EmptyGeometry(f"{name}: no face or vertex has valid coordinates.")
    return mesh


def keep_triangles(mesh: o3d.geometry.TriangleMesh, keep: np.ndarray) -> o3d.geometry.TriangleMesh:
    """Copy of ``mesh`` with only the triangles where ``keep`` (m,) bool is True.

    Vertices, vertex attributes, textures, per-corner UVs and material ids are kept
    consistent (Open3D's own filters drop UVs).
    """
    out = o3d.geometry.TriangleMesh(mesh.vertices, o3d.utility.Vector3iVector(
        np.asarray(mesh.triangles)[keep]))
    if mesh.has_vertex_colors():
        out.vertex_colors = mesh.vertex_colors
    if mesh.has_vertex_normals():
        out.vertex_normals = mesh.vertex_normals
    if mesh.has_triangle_normals():
        out.triangle_normals = o3d.utility.Vector3dVector(np.asarray(mesh.triangle_normals)[keep])
    if mesh.has_triangle_uvs() and len(mesh.triangle_uvs) == 3 * len(keep):
        uv = np.asarray(mesh.triangle_uvs).reshape(-1, 3, 2)[keep].reshape(-1, 2)
        out.triangle_uvs = o3d.utility.Vector2dVector(uv)
        if mesh.has_triangle_material_ids():
            ids = np.asarray(mesh.triangle_material_ids)[keep]
            out.triangle_material_ids = o3d.utility.IntVector(ids.astype(np.int32))
        out.textures = mesh.textures
    return out


BIG_CLOUD_POINTS = 1_000_000


def _ensure_normals(g: Geometry) -> None:
    if isinstance(g, o3d.geometry.TriangleMesh):
        if not g.has_vertex_normals() or not np.isfinite(np.asarray(g.vertex_normals)).all():
            g.compute_vertex_normals()
        if not g.has_triangle_normals():
            # The legacy renderer silently draws unlit without triangle normals.
            g.compute_triangle_normals()
        return
    if len(g.points) > BIG_CLOUD_POINTS:
        return  # clouds are drawn unlit; estimating normals for millions of points costs most of a load
    if not g.has_normals() and len(g.points) >= 3:
        g.estimate_normals(o3d.geometry.KDTreeSearchParamKNN(knn=16))
        # Face the normals away from the cloud centre so lighting reads as outside.
        g.orient_normals_towards_camera_location(np.asarray(g.points).mean(axis=0))
        np.asarray(g.normals)[:] *= -1.0


def _recentre(g: Geometry) -> np.ndarray:
    """Shift far-off coordinates near the origin; return the (3,) offset that was removed.

    Rendering and ray casting work in float32; georeferenced scans (UTM metres) lose
    millimetres there. Model-space coordinates are ``local + origin``.
    """
    pts = np.asarray(g.vertices if isinstance(g, o3d.geometry.TriangleMesh) else g.points)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2.0
    extent = float((hi - lo).max()) or 1.0
    if np.abs(centre).max() < max(1e4, 100.0 * extent):
        return np.zeros(3)
    origin = np.round(centre)
    g.translate(-origin)
    return origin
