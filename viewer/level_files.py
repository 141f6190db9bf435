"""Reading a kept level of detail straight into a :class:`~viewer.model.Model`.

Levels are files the archive wrote itself (``derived/levels/``, see ``archive.levels``): a
binary little-endian PLY of float32 ``x y z`` relative to a ``comment origin``, optional
``red green blue alpha`` bytes or texture coordinates with a ``TextureFile`` image next to it,
and ``int32`` triangles (:mod:`glbtools.levelfile`). That one layout is read here through a
memory map, checked against the file's size, with no parser in between; anything else raises
:class:`~viewer.errors.CorruptFile` and the caller falls back to the isolated reader. A
textured level is shown with its texture; one whose image is missing or broken is shown
without it, with a note in the model's ``warnings``.

Every level of one master is put in the same display frame (``frame``: origin and turn of
the first one shown), so levels can replace each other on screen without a jump and picks
map back to the master's own coordinates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open3d as o3d

from glbtools.levelfile import LevelArrays, LevelFileError
from glbtools.levelfile import read_level_arrays as read_level

from .errors import CorruptFile
from .model import Geometry, Kind, Model
from .orientation import display_rotation, normalise_up_axis, orient

#: most pixels of a level's texture taken into the viewer (8k x 8k: 256 MB as RGBA)
MAX_TEXTURE_PIXELS = 8192 * 8192


def read_level_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray]:
    """(vertices (n, 3) float32 map, triangles (m, 3) int32 or None, colours (n, 4) uint8 or
    None, origin (3,) float64) of a level file; CorruptFile for any other layout."""
    arrays = _arrays(path)
    return arrays.vertices, arrays.faces, arrays.colours, arrays.origin


def _arrays(path: Path) -> LevelArrays:
    try:
        return read_level(path)
    except LevelFileError as exc:
        raise CorruptFile(str(exc)) from None


def level_texture(path: Path, arrays: LevelArrays) -> tuple[np.ndarray | None, str | None]:
    """((h, w, 3) uint8 texture of a textured level, or None; a note when it has one that
    cannot be shown: missing, unreadable or too big). The texture is the level's own file,
    named by a bare name next to it."""
    if arrays.texture is None:
        return None, None
    return read_texture(path.parent / arrays.texture, path.name, " (rebuild the levels)")


def read_texture(image_path: Path, owner: str, remedy: str = "") -> tuple[np.ndarray | None, str | None]:
    """((h, w, 3) uint8 pixels of ``image_path``, or None; a note naming ``owner`` when it
    cannot be shown: missing, unreadable or over :data:`MAX_TEXTURE_PIXELS`)."""
    from PIL import Image, UnidentifiedImageError

    name = image_path.name
    try:
        with Image.open(image_path) as img:
            if img.width * img.height > MAX_TEXTURE_PIXELS:
                return None, (f"{owner}: its texture {name} is {img.width} x {img.height} pixels, "
                              "more than the viewer takes; shown without it.")
            return np.ascontiguousarray(np.asarray(img.convert("RGB"))), None
    except FileNotFoundError:
        return None, f"{owner}: its texture {name} is missing; shown without it{remedy}."
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return None, f"{owner}: its texture {name} cannot be read ({exc}); shown without it{remedy}."


def level_geometry(path: Path, arrays: LevelArrays, points: np.ndarray) -> tuple[Geometry, list[str]]:
    """The level's Open3D geometry on ``points`` (n, 3) float64 (its vertices, placed by the
    caller): a mesh with normals and its colours or texture (per-corner coordinates, one
    texture), or a cloud; and notes on what could not be shown."""
    notes: list[str] = []
    rgb = None if arrays.colours is None else o3d.utility.Vector3dVector(
        np.asarray(arrays.colours[:, :3], np.float64) / 255.0)
    if arrays.faces is None:
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
        if rgb is not None:
            cloud.colors = rgb
        return cloud, notes
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(points), o3d.utility.Vector3iVector(arrays.faces))
    mesh.compute_vertex_normals()
    mesh.compute_triangle_normals()  # the legacy renderer draws unlit without them
    if rgb is not None:
        mesh.vertex_colors = rgb
    texture, note = level_texture(path, arrays)
    if note:
        notes.append(note)
    if texture is not None and arrays.uv is not None:
        put_texture(mesh, arrays.uv, arrays.faces, texture)
    return mesh, notes


def put_texture(mesh: o3d.geometry.TriangleMesh, uv: np.ndarray, faces: np.ndarray, texture: np.ndarray) -> None:
    """Give ``mesh`` one texture: ``uv`` (n, 2) per vertex with v up (the files' way), ``faces``
    (m, 3) its triangles, ``texture`` (h, w, 3) uint8 image rows top down."""
    corners = np.asarray(uv, dtype=np.float64)[faces.reshape(-1)]
    corners[:, 1] = 1.0 - corners[:, 1]  # the file's v is up; Open3D samples images top down
    mesh.triangle_uvs = o3d.utility.Vector2dVector(corners)
    del corners
    mesh.triangle_material_ids = o3d.utility.IntVector(np.zeros(len(faces), np.int32))
    mesh.textures = [o3d.geometry.Image(texture)]  # type: ignore[call-overload]


def load_level(path: str | Path, up_axis: str | None = None, frame: Model | None = None) -> Model:
    """A level file as a Model ready to draw, in ``frame``'s display frame when given (its
    origin and turn), else in its own (far-off coordinates moved near zero, as
    :func:`viewer.loading.load_model` does). Triangle and vertex normals are computed for
    meshes; clouds are drawn unlit and get none."""
    p = Path(path)
    arrays = _arrays(p)
    local = np.asarray(arrays.vertices, dtype=np.float64)
    if frame is None:
        rotation, axis = display_rotation(up_axis), normalise_up_axis(up_axis)
        origin = arrays.origin + _recentre_shift(local)
    else:
        rotation, axis, origin = frame.rotation, frame.up_axis, np.asarray(frame.origin, dtype=np.float64)
    shift = arrays.origin - origin
    if shift.any():
        local += shift
    display = local @ rotation.T if not np.allclose(rotation, np.eye(3)) else local
    del local
    kind: Kind = "mesh" if arrays.faces is not None else "points"
    geometry, notes = level_geometry(p, arrays, display)
    return Model(geometry=geometry, kind=kind, path=p, origin=origin, rotation=rotation, up_axis=axis,
                 warnings=notes)


def _recentre_shift(points: np.ndarray) -> np.ndarray:
    """The whole offset :func:`viewer.loading.load_model` would remove (zeros when near zero)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, extent = (lo + hi) / 2.0, float((hi - lo).max()) or 1.0
    return np.round(centre) if np.abs(centre).max() >= max(1e4, 100.0 * extent) else np.zeros(3)


def in_frame(model: Model, frame: Model) -> Model:
    """``model`` (read on its own, e.g. by the isolated reader) turned and moved in place into
    ``frame``'s display frame, so it can replace ``frame`` on screen."""
    orient(model, frame.up_axis)
    shift = model.rotation @ (np.asarray(model.origin, dtype=np.float64) - np.asarray(frame.origin, dtype=np.float64))
    if shift.any():
        model.geometry.translate(shift)
        model.origin = np.asarray(frame.origin, dtype=np.float64).copy()
        model.geometry_changed()
    return model
