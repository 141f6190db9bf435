"""One reader per format, registered in :data:`READERS` (extension -> reader).

A reader takes a path and returns Open3D geometry (possibly empty) or raises. A new format
is one function and one entry. Validation and repair happen in :mod:`viewer.loading`.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import open3d as o3d

import glbtools
from glbtools import textcloud as T
from glbtools.las import read_las_chunks
from glbtools.levelfile import LevelFileError, is_level_file
from glbtools.plymesh import ply_comments, ply_origin

from .convert import points_to_o3d, scene_to_o3d
from .errors import CorruptFile, ResourceLimit, UnsupportedFormat
from .model import Geometry

Reader = Callable[[Path], "Geometry | Thinned | None"]


def read_mesh_or_points(path: Path) -> Geometry | Thinned | None:
    """PLY/OBJ/STL/OFF through Open3D; a file with vertices but no faces becomes a cloud."""
    if path.suffix.lower() == ".ply" and is_level_file(path):
        return read_level_file(path)  # Open3D's PLY reader would drop a level's texture
    if path.suffix.lower() == ".obj":
        textured = read_textured_obj_lean(path)
        if textured is not None:
            return textured
    if path.suffix.lower() == ".ply" and _ply_header_has_crlf(path):
        # Open3D's PLY parser (rply) crashes the process on CRLF headers; trimesh copes.
        return read_with_trimesh(path)
    mesh = o3d.io.read_triangle_mesh(path, enable_post_processing=True)
    origin = _ply_origin(path) if path.suffix.lower() == ".ply" else None
    if len(mesh.triangles):
        if origin is not None:
            mesh.translate(origin)
        return mesh
    if path.suffix.lower() == ".ply":
        cloud = o3d.io.read_point_cloud(path)
        if len(cloud.points):
            if origin is not None:
                cloud.translate(origin)
            return cloud
    if len(mesh.vertices):
        cloud = o3d.geometry.PointCloud(mesh.vertices)
        if mesh.has_vertex_colors():
            cloud.colors = mesh.vertex_colors
        return cloud
    return read_with_trimesh(path)  # e.g. UTF-16 OBJ, which Open3D cannot parse


def read_level_file(path: Path) -> Geometry | Noted:
    """An archive level file (:mod:`glbtools.levelfile`) with its colours or its texture, placed
    at its file coordinates; a texture that cannot be shown comes back as a note."""
    from .level_files import level_geometry, read_level

    try:
        arrays = read_level(path)
    except LevelFileError as exc:
        raise CorruptFile(str(exc)) from None
    points = np.asarray(arrays.vertices, dtype=np.float64)
    if arrays.origin.any():
        points += arrays.origin
    geometry, notes = level_geometry(path, arrays, points)
    return Noted(geometry, " ".join(notes)) if notes else geometry


def read_textured_obj_lean(path: Path) -> Geometry | Noted | None:
    """The usual photogrammetry OBJ (one material, triangles with texture coordinates) read
    by :func:`glbtools.objfast.read_textured_obj`: one vertex per distinct position and
    texture coordinate, where Open3D's reader makes three per triangle (six times the
    float64 vertices and normals for a scan). Its texture is found by
    :func:`glbtools.objmaterial.obj_texture` (Windows-style names followed, nothing outside
    the OBJ's folder). None for any other OBJ: Open3D reads it."""
    from glbtools.objfast import read_textured_obj
    from glbtools.objmaterial import obj_texture

    from .level_files import put_texture, read_texture

    obj = read_textured_obj(path)
    if obj is None:
        return None
    found = obj_texture(path, obj.mtllib, obj.material)
    if found is None:
        return None
    points = obj.vertices.astype(np.float64)
    obj.vertices = points[:0]  # the float32 copy goes before Open3D makes its own
    if obj.origin.any():
        points += obj.origin
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(points), o3d.utility.Vector3iVector(obj.faces))
    del points
    texture, note = (None, found.note) if found.image is None else read_texture(found.image, path.name)
    if texture is not None:
        put_texture(mesh, obj.uv, obj.faces, texture)
    return mesh if note is None else Noted(mesh, note)


def _ply_origin(path: Path) -> np.ndarray | None:
    """The offset an archive level file was written relative to (``comment origin x y z``)."""
    with open(path, "rb") as fh:
        head = fh.read(65536).split(b"end_header", 1)[0]
    origin = ply_origin(ply_comments(head))
    return origin if origin.any() else None


def _ply_header_has_crlf(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(65536)
    return b"\r" in head.split(b"end_header", 1)[0] or b"end_header\r" in head


def read_with_trimesh(path: Path) -> Geometry | None:
    """Fallback and glTF/GLB reader (trimesh decodes Draco through DracoPy; meshopt-compressed
    views are decoded first, see :func:`meshopt_decoded_glb`)."""
    # Imported here, not at the top: trimesh brings SciPy (over a second), which a model read
    # by Open3D or from its levels never needs.
    import trimesh
    from PIL import Image

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
    except MemoryError:
        raise  # over the worker's memory limit: the isolated reader says so, not "damaged"
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


def read_xyz_text(path: Path) -> Geometry | Thinned | None:
    """XYZ/PTS/TXT through the archive's own parser (:mod:`glbtools.textcloud`: its
    separators, comments, PTS count lines and colour rule, so the viewer shows the points and
    colours the importer counted), a block of lines at a time into float32 relative to the
    first point's floor. A malformed line is a :class:`CorruptFile` naming it; rows with a
    NaN or infinite coordinate are left out; a cloud over :data:`MAX_VIEW_POINTS` is thinned
    on a voxel grid while it is read, so memory follows the points kept, not the file."""
    fmt = "pts" if path.suffix.lower() == ".pts" else "xyz"
    kept = _TextPoints()
    try:
        for rows in T.text_blocks(path, fmt, TEXT_BLOCK):
            kept.add(rows)
    except T.TextCloudError as exc:
        raise CorruptFile(str(exc)) from exc
    return kept.geometry()


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


#: Most points the viewer shows of one cloud; a bigger cloud is thinned on a voxel grid to this
#: (about 150 MB in Open3D's float64 points, colours and normals; normals estimated in seconds, not minutes).
MAX_VIEW_POINTS = 2_000_000
LAS_CHUNK = 2_000_000


class Thinned(NamedTuple):
    """A reader's geometry that holds fewer points than the file, with the note saying so."""

    geometry: Geometry
    note: str


#: a reader's geometry with a note on what of the file it does not show (a level's texture)
Noted = Thinned


def read_las(path: Path) -> Geometry | Thinned | None:
    """LAS/LAZ through laspy (optional; LAZ needs a laspy backend such as lazrs), read in
    chunks into float32 (relative to the header's minimum, so georeferenced coordinates keep
    their millimetres). A cloud over :data:`MAX_VIEW_POINTS` is thinned on a voxel grid."""
    try:
        import laspy  # noqa: F401 - a clear message when the optional reader is missing
    except ImportError as exc:
        raise UnsupportedFormat(f"{path.name}: LAS support needs the laspy package.") from exc
    pts, raw, base, _declared = read_las_chunks(path, lambda lo, _hi: np.floor(lo), LAS_CHUNK)
    at = len(pts)
    note = None
    if at > MAX_VIEW_POINTS:
        keep, cell = voxel_keep(pts, MAX_VIEW_POINTS)
        pts, raw = pts[keep], None if raw is None else raw[keep]
        note = (f"Showing {len(pts):,} of {at:,} points, one per {cell:.3g}-unit cell: the full cloud is more "
                "than the viewer's memory budget.")
    colours = None
    if raw is not None:
        colours = raw.astype(np.float32) / (65535.0 if raw.max(initial=0) > 255 else 255.0)
        del raw
    cloud = points_to_o3d(pts, colours)
    del pts, colours
    cloud.translate(base)  # in float64: the loader moves it back near the origin and remembers the offset
    return cloud if note is None else Thinned(cloud, note)


def voxel_keep(points: np.ndarray, target: int) -> tuple[np.ndarray, float]:
    """Sorted indices of at most ``target`` of ``points`` (n, 3), one per occupied cell of a
    cubic grid (the first point met in each), and the cell size: spread evenly in space, not
    at random. The cell grows by 10 % until the occupied cells fit."""
    lo = points.min(0)
    extent = float((points.max(0) - lo).max()) or 1.0
    cell = extent / max(target, 1) ** 0.5  # a scan is mostly a surface
    while True:
        dims = np.floor((points.max(0) - lo) / cell).astype(np.int64) + 1
        keys = np.zeros(len(points), dtype=np.int64)
        for k in range(3):  # one column at a time: no (n, 3) int64 temporary
            keys *= dims[k]
            keys += np.floor((points[:, k] - lo[k]) / cell).astype(np.int64)
        _, first = np.unique(keys, return_index=True)
        del keys
        if len(first) <= target:
            return np.sort(first), cell
        cell *= 1.1 * (len(first) / target) ** 0.5


#: bytes of a text cloud parsed at once (tests make it small to read many blocks)
TEXT_BLOCK = T.BLOCK


class _TextPoints:
    """A text cloud's finite points (float32 minus ``base``) and candidate colours (each row's
    last three numbers), gathered a block at a time and thinned on a voxel grid to
    :data:`MAX_VIEW_POINTS` whenever twice that many are held."""

    def __init__(self) -> None:
        self.points: list[np.ndarray] = []
        self.last: list[np.ndarray] | None = []  # None once the rows cannot be coloured
        self.widths: set[int] = set()
        self.heads: list[T.TextRows] = []
        self.base: np.ndarray | None = None
        self.rows = self.held = 0
        self.cell = 0.0

    def add(self, rows: T.TextRows) -> None:
        if not len(rows.tokens):
            return
        self.rows += len(rows.tokens)
        self.widths.update(int(w) for w in np.unique(rows.tokens))
        if sum(len(h.tokens) for h in self.heads) < T.SAMPLE_ROWS:
            self.heads.append(T.head_sample(rows, int(rows.tokens.max())))
        xyz = rows.columns(0, 3)
        finite = np.isfinite(xyz).all(axis=1)
        if self.base is None and finite.any():
            self.base = np.floor(xyz[finite][0])
        if self.base is not None:
            self.points.append((xyz[finite] - self.base).astype(np.float32))
        if self.last is not None and len(self.widths) == 1 and min(self.widths) >= 6:
            self.last.append(rows.last_three()[finite].astype(np.float32))
        else:
            self.last = None
        self.held += int(np.count_nonzero(finite))
        if self.held > 2 * MAX_VIEW_POINTS:
            self._thin()

    def _thin(self) -> None:
        points = np.concatenate(self.points)
        keep, self.cell = voxel_keep(points, MAX_VIEW_POINTS)
        self.points, self.held = [points[keep]], len(keep)
        if self.last is not None:
            self.last = [np.concatenate(self.last)[keep]]

    def geometry(self) -> Geometry | Thinned | None:
        if self.base is None:
            return None
        if self.held > MAX_VIEW_POINTS:
            self._thin()
        width = min(self.widths)
        coloured = self.last is not None and T.looks_like_rgb(T.joined_rows(self.heads), width)
        colours = np.clip(np.concatenate(self.last), 0, 255) / np.float32(255) if coloured and self.last else None
        cloud = points_to_o3d(np.concatenate(self.points), colours)
        cloud.translate(self.base)  # in float64, as the LAS reader's
        if self.held == self.rows or self.cell == 0.0:
            return cloud
        return Thinned(cloud, f"Showing {self.held:,} of {self.rows:,} points, one per {self.cell:.3g}-unit cell: "
                              "the full cloud is more than the viewer's memory budget.")


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
