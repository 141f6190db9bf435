"""Reading a kept level of detail straight into a :class:`~viewer.model.Model`.

Levels are files the archive wrote itself (``derived/levels/``, see ``archive.levels``): a
binary little-endian PLY of float32 ``x y z`` relative to a ``comment origin``, optional
``red green blue alpha`` bytes and ``int32`` triangles. That one layout is read here through
a memory map, checked against the file's size, with no parser in between; anything else
raises :class:`~viewer.errors.CorruptFile` and the caller falls back to the isolated reader.

Every level of one master is put in the same display frame (``frame``: origin and turn of
the first one shown), so levels can replace each other on screen without a jump and picks
map back to the master's own coordinates.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import open3d as o3d

from .errors import CorruptFile
from .model import Geometry, Kind, Model
from .orientation import display_rotation, normalise_up_axis, orient

_VERTEX = ["property float x", "property float y", "property float z"]
_COLOUR = ["property uchar red", "property uchar green", "property uchar blue", "property uchar alpha"]
_FACE = "property list uchar int vertex_indices"


def read_level_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray]:
    """(vertices (n, 3) float32 map, triangles (m, 3) int32 or None, colours (n, 4) uint8 or
    None, origin (3,) float64) of a level file; CorruptFile for any other layout."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    end = head.find(b"end_header\n")
    if not head.startswith(b"ply\n") or end < 0:
        raise CorruptFile(f"{path.name}: not a level file (no PLY header).")
    offset = end + len(b"end_header\n")
    lines = head[:end].decode("ascii", "replace").splitlines()
    if "format binary_little_endian 1.0" not in lines:
        raise CorruptFile(f"{path.name}: not a binary level file.")
    origin = _origin(lines)
    props = [ln for ln in lines if ln.startswith(("property", "element"))]
    nv = _count(props, "vertex")
    coloured = props[1:8] == [*_VERTEX, *_COLOUR]
    if props[1:4] != _VERTEX:
        raise CorruptFile(f"{path.name}: a level's vertices are float x y z.")
    rest = props[8 if coloured else 4:]
    nf = _count(rest, "face") if rest else 0
    if rest and rest[1:] != [_FACE]:
        raise CorruptFile(f"{path.name}: a level's faces are lists of three int indices.")
    vdtype = np.dtype([("xyz", "<f4", (3,))] + ([("rgba", "u1", (4,))] if coloured else []))
    fdtype = np.dtype([("n", "u1"), ("v", "<i4", (3,))])
    if path.stat().st_size != offset + nv * vdtype.itemsize + nf * fdtype.itemsize:
        raise CorruptFile(f"{path.name}: the level file's size does not match its header; delete it to rebuild.")
    rows = np.memmap(path, dtype=vdtype, mode="r", offset=offset, shape=(nv,))
    faces = None
    if nf:
        recs = np.memmap(path, dtype=fdtype, mode="r", offset=offset + nv * vdtype.itemsize, shape=(nf,))
        faces = np.ascontiguousarray(recs["v"])
        if (recs["n"] != 3).any() or faces.min() < 0 or faces.max() >= nv:
            raise CorruptFile(f"{path.name}: a face of the level names a vertex that does not exist.")
    return rows["xyz"], faces, (rows["rgba"] if coloured else None), origin


def _origin(lines: list[str]) -> np.ndarray:
    for ln in lines:
        found = re.fullmatch(r"comment origin (\S+) (\S+) (\S+)", ln)
        if found:
            try:
                origin = np.array([float(v) for v in found.groups()], dtype=np.float64)
            except ValueError:
                break
            if np.isfinite(origin).all():
                return origin
    return np.zeros(3)


def _count(props: list[str], name: str) -> int:
    words = props[0].split() if props else []
    if len(words) != 3 or words[:2] != ["element", name] or not words[2].isdigit():
        raise CorruptFile(f"a level file must declare its {name} element here")
    return int(words[2])


def load_level(path: str | Path, up_axis: str | None = None, frame: Model | None = None) -> Model:
    """A level file as a Model ready to draw, in ``frame``'s display frame when given (its
    origin and turn), else in its own (far-off coordinates moved near zero, as
    :func:`viewer.loading.load_model` does). Triangle and vertex normals are computed for
    meshes; clouds are drawn unlit and get none."""
    p = Path(path)
    vertices, faces, colours, level_origin = read_level_arrays(p)
    local = np.asarray(vertices, dtype=np.float64)
    if frame is None:
        rotation, axis = display_rotation(up_axis), normalise_up_axis(up_axis)
        origin = level_origin + _recentre_shift(local)
    else:
        rotation, axis, origin = frame.rotation, frame.up_axis, np.asarray(frame.origin, dtype=np.float64)
    shift = level_origin - origin
    if shift.any():
        local += shift
    display = local @ rotation.T if not np.allclose(rotation, np.eye(3)) else local
    del local
    kind: Kind = "mesh" if faces is not None else "points"
    rgb = None if colours is None else o3d.utility.Vector3dVector(np.asarray(colours[:, :3], np.float64) / 255.0)
    geometry: Geometry
    if faces is not None:
        mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(display), o3d.utility.Vector3iVector(faces))
        mesh.compute_vertex_normals()
        mesh.compute_triangle_normals()  # the legacy renderer draws unlit without them
        if rgb is not None:
            mesh.vertex_colors = rgb
        geometry = mesh
    else:
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(display))
        if rgb is not None:
            cloud.colors = rgb
        geometry = cloud
    return Model(geometry=geometry, kind=kind, path=p, origin=origin, rotation=rotation, up_axis=axis)


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
