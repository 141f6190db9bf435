"""The archive's level-of-detail file: one fixed binary PLY layout, written by the archive
(``archive.levels``) and read by both the archive and the viewer (which may not import each
other) through a memory map, with no parser in between.

Layout (binary little-endian)::

    comment Heritage archive level of detail
    comment origin X Y Z               file coordinates = origin + stored ones
    comment TextureFile NAME           optional: an image next to the level (a textured level)
    element vertex N
      float x, y, z                    relative to the origin
      [uchar red, green, blue, alpha]
      [float texture_u, texture_v]     with a TextureFile; v up (OBJ's and MeshLab's way)
    [element face M
      list uchar int vertex_indices    every list holds 3]

A textured level is also a plain textured PLY for MeshLab or trimesh (``TextureFile`` is their
comment). The texture's name is a bare file name in the level's folder, never a path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glbtools.plymesh import ply_origin
from platform_support import temp_beside

MAGIC = "comment Heritage archive level of detail"
_XYZ = ["property float x", "property float y", "property float z"]
_RGBA = ["property uchar red", "property uchar green", "property uchar blue", "property uchar alpha"]
_UV = ["property float texture_u", "property float texture_v"]
_FACE = "property list uchar int vertex_indices"
_FACE_DTYPE = np.dtype([("n", "u1"), ("v", "<i4", (3,))])
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class LevelFileError(ValueError):
    """Not a level file of this layout, or one cut short or damaged; the message names it."""


@dataclass
class LevelArrays:
    """A level as arrays. vertices : (n, 3) float32 (a read-only map when read); faces : (m, 3)
    int32 or None (a cloud); colours : (n, 4) uint8 or None; uv : (n, 2) float32 v-up or None;
    texture : the texture's file name next to the level, or None; origin : (3,) float64."""

    vertices: np.ndarray
    faces: np.ndarray | None
    colours: np.ndarray | None
    uv: np.ndarray | None
    texture: str | None
    origin: np.ndarray


def is_level_file(path: Path) -> bool:
    """Whether ``path`` starts like a level file (header only)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return head.startswith(b"ply\n") and MAGIC.encode() in head.split(b"end_header", 1)[0]


def read_level_arrays(path: Path) -> LevelArrays:
    """The level at ``path`` through a memory map; raises :class:`LevelFileError` for any
    other layout, a size that does not match the header, or a face naming a missing vertex."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    end = head.find(b"end_header\n")
    if not head.startswith(b"ply\n") or end < 0:
        raise LevelFileError(f"{path.name}: not a level file (no PLY header).")
    offset = end + len(b"end_header\n")
    lines = head[:end].decode("ascii", "replace").splitlines()
    if "format binary_little_endian 1.0" not in lines:
        raise LevelFileError(f"{path.name}: not a binary level file.")
    props = [ln for ln in lines if ln.startswith(("property", "element"))]
    nv = _count(path, props, "vertex")
    if props[1:4] != _XYZ:
        raise LevelFileError(f"{path.name}: a level's vertices are float x y z.")
    at = 4
    coloured = props[at:at + 4] == _RGBA
    at += 4 if coloured else 0
    texture = _texture_name(lines)
    textured = props[at:at + 2] == _UV
    at += 2 if textured else 0
    if textured != (texture is not None):
        raise LevelFileError(f"{path.name}: a level has texture coordinates exactly when it names its texture.")
    rest = props[at:]
    nf = _count(path, rest, "face") if rest else 0
    if rest and rest[1:] != [_FACE]:
        raise LevelFileError(f"{path.name}: a level's faces are lists of three int indices.")
    fields = [("xyz", "<f4", (3,))] + ([("rgba", "u1", (4,))] if coloured else [])
    vdtype = np.dtype(fields + ([("uv", "<f4", (2,))] if textured else []))
    if path.stat().st_size != offset + nv * vdtype.itemsize + nf * _FACE_DTYPE.itemsize:
        raise LevelFileError(f"{path.name}: the level file's size does not match its header; delete it to rebuild.")
    rows = np.memmap(path, dtype=vdtype, mode="r", offset=offset, shape=(nv,))
    faces = None
    if rest:
        recs = np.memmap(path, dtype=_FACE_DTYPE, mode="r", offset=offset + nv * vdtype.itemsize, shape=(nf,))
        faces = np.ascontiguousarray(recs["v"])
        if nf and ((recs["n"] != 3).any() or faces.min() < 0 or faces.max() >= nv):
            raise LevelFileError(f"{path.name}: a face of the level names a vertex that does not exist.")
    return LevelArrays(rows["xyz"], faces, rows["rgba"] if coloured else None, rows["uv"] if textured else None,
                       texture, ply_origin([ln[len("comment "):] for ln in lines if ln.startswith("comment ")]))


def write_level_arrays(level: LevelArrays, path: Path) -> Path:
    """Write ``level`` to ``path`` (through a temporary file, fsynced, then renamed). The
    texture named by ``level.texture`` is the caller's to write next to it."""
    if (level.uv is None) != (level.texture is None):
        raise ValueError("texture coordinates and a texture name go together")
    if level.texture is not None and not _SAFE_NAME.fullmatch(level.texture):
        raise ValueError(f"{level.texture!r} is not a bare file name")
    fields = [("xyz", "<f4", (3,))]
    head = ["ply", "format binary_little_endian 1.0", MAGIC,
            "comment origin " + " ".join(repr(float(c)) for c in level.origin)]
    if level.texture is not None:
        head.append(f"comment TextureFile {level.texture}")
    head += [f"element vertex {len(level.vertices)}", *_XYZ]
    if level.colours is not None:
        fields.append(("rgba", "u1", (4,)))
        head += _RGBA
    if level.uv is not None:
        fields.append(("uv", "<f4", (2,)))
        head += _UV
    if level.faces is not None:
        head += [f"element face {len(level.faces)}", _FACE]
    rows = np.empty(len(level.vertices), dtype=fields)
    rows["xyz"] = level.vertices
    if level.colours is not None:
        rows["rgba"] = level.colours
    if level.uv is not None:
        rows["uv"] = level.uv
    tmp = temp_beside(path)  # a name of this PC and process: two PCs may write the same level at once
    with open(tmp, "wb") as fh:
        fh.write(("\n".join([*head, "end_header"]) + "\n").encode("ascii"))
        fh.write(rows.tobytes())
        del rows
        if level.faces is not None:
            rec = np.empty(len(level.faces), dtype=_FACE_DTYPE)
            rec["n"], rec["v"] = 3, level.faces
            fh.write(rec.tobytes())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def _count(path: Path, props: list[str], name: str) -> int:
    words = props[0].split() if props else []
    if len(words) != 3 or words[:2] != ["element", name] or not words[2].isdigit():
        raise LevelFileError(f"{path.name}: a level file must declare its {name} element here.")
    return int(words[2])


def _texture_name(lines: list[str]) -> str | None:
    """The ``TextureFile`` name; only a bare name is taken (a path is never followed)."""
    for ln in lines:
        if ln.startswith("comment TextureFile "):
            name = ln[len("comment TextureFile "):].strip()
            return name if _SAFE_NAME.fullmatch(name) and ".." not in name else None
    return None


__all__ = ["MAGIC", "LevelArrays", "LevelFileError", "is_level_file", "read_level_arrays", "write_level_arrays"]
