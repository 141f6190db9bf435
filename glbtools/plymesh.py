"""Binary little-endian PLY triangle meshes read in chunks, in the file's own precision.

A 12-50M-triangle scan is 0.25-1 GB of PLY. Loaded whole by a general reader it becomes
several gigabytes of float64 and int64 copies; here the vertex and face elements are read a
chunk at a time into one reused buffer, so a caller that reduces as it goes (vertex
clustering for a picture, block simplification for levels) holds its own small arrays and
one chunk, never the whole file. Shared by the archive and the viewer, which may not import
each other; each turns :class:`PlyLayoutError` into "use the general reader" and
:class:`PlyCorrupt` into its own typed error.

Only the common scanner layout is handled: ``binary_little_endian``, a ``vertex`` element of
fixed-size scalar properties holding x, y, z (float or double) and optionally uchar red,
green, blue (alpha), then at most a ``face`` element whose only property is a list with a
uchar or ushort count and int or uint indices, every list holding 3. Anything else (ASCII,
big-endian, texture coordinates, quads, extra elements) is left to the general readers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4",
    "uint32": "u4", "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_UV = {"s", "t", "u", "v", "texture_u", "texture_v", "texture_s", "texture_t"}
_COLOUR_NAMES = {"red", "green", "blue", "r", "g", "b", "diffuse_red", "diffuse_green", "diffuse_blue"}
_MAX_HEADER = 1 << 20
#: rows read at once: ~25 MB of vertices or faces per chunk
CHUNK = 2_000_000


class PlyLayoutError(ValueError):
    """The file is not a plain binary triangle PLY: a general reader must read it."""


class PlyCorrupt(ValueError):
    """The file is shorter than its header says, or a face names a vertex it does not have."""


@dataclass
class PlyMesh:
    """An opened binary triangle PLY (nothing read yet but the header).

    ``origin`` is the (3,) float64 offset of the archive's own level files (``comment origin
    x y z``; zeros otherwise): file coordinates are ``origin`` + the stored ones.
    """

    path: Path
    vertex_count: int
    face_count: int
    vertex_dtype: np.dtype
    vertex_offset: int
    face_dtype: np.dtype | None
    face_offset: int
    colours: tuple[str, ...] | None
    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def vertex_chunks(self, chunk: int = CHUNK) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
        """(first row, (k, 3) float32 or float64 positions, (k, 4) uint8 RGBA or None) per chunk."""
        xyz = np.result_type(*(self.vertex_dtype[a] for a in "xyz"))
        for start, rows in _rows(self.path, self.vertex_dtype, self.vertex_offset, self.vertex_count, chunk):
            points = np.empty((len(rows), 3), dtype=np.float64 if xyz == np.float64 else np.float32)
            for k, axis in enumerate("xyz"):
                points[:, k] = rows[axis]
            colours = None
            if self.colours is not None:
                colours = np.full((len(rows), 4), 255, dtype=np.uint8)
                for k, name in enumerate(self.colours):
                    colours[:, k] = rows[name]
            yield start, points, colours

    def face_chunks(self, chunk: int = CHUNK) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, (k, 3) int32 vertex indices) per chunk; raises :class:`PlyLayoutError`
        at a face that is not a triangle and :class:`PlyCorrupt` at an index out of range."""
        if self.face_dtype is None:
            return
        for start, recs in _rows(self.path, self.face_dtype, self.face_offset, self.face_count, chunk):
            if not (recs["n"] == 3).all():
                raise PlyLayoutError(f"{self.path.name}: some faces are not triangles")
            faces = recs["v"].astype(np.int32, copy=True)
            if len(faces) and (int(faces.min()) < 0 or int(faces.max()) >= self.vertex_count):
                raise PlyCorrupt(f"{self.path.name}: a face names a vertex the file does not have")
            yield start, faces

    def read_vertices(self) -> tuple[np.ndarray, np.ndarray | None]:
        """All positions ((n, 3), float32 unless the file stores doubles) and colours, one copy each."""
        first = next(self.vertex_chunks(1), None)
        dtype = np.float32 if first is None else first[1].dtype
        points = np.empty((self.vertex_count, 3), dtype=dtype)
        colours = None if self.colours is None else np.empty((self.vertex_count, 4), dtype=np.uint8)
        for start, p, c in self.vertex_chunks():
            points[start:start + len(p)] = p
            if colours is not None and c is not None:
                colours[start:start + len(c)] = c
        return points, colours

    def read_faces(self) -> np.ndarray:
        """All triangles, (m, 3) int32."""
        faces = np.empty((self.face_count, 3), dtype=np.int32)
        for start, f in self.face_chunks():
            faces[start:start + len(f)] = f
        return faces


def open_ply_mesh(path: Path) -> PlyMesh:
    """The header of ``path`` checked for the layout in the module docstring.

    Raises :class:`PlyLayoutError` for another layout, :class:`PlyCorrupt` when the file is
    shorter than the header declares."""
    encoding, elements, comments, offset = _header(path)
    if encoding != "binary_little_endian" or not elements or elements[0][0] != "vertex":
        raise PlyLayoutError(f"{path.name}: not a binary little-endian PLY starting with its vertices")
    (_, nverts, vprops), rest = elements[0], elements[1:]
    names = [p[0] for p in vprops]
    if any(p[2] for p in vprops) or not {"x", "y", "z"} <= set(names) or set(names) & _UV:
        raise PlyLayoutError(f"{path.name}: the vertices have lists or texture coordinates")
    if any(vprops[names.index(a)][1] not in ("f4", "f8") for a in "xyz"):
        raise PlyLayoutError(f"{path.name}: the coordinates are not floats")
    vdtype = np.dtype([(n, "<" + t) for n, t, _ in vprops])
    if set(names) & _COLOUR_NAMES and ply_colour_names(vdtype) is None:
        raise PlyLayoutError(f"{path.name}: colours stored in a form other than bytes")
    fdtype, nfaces = None, 0
    if rest:
        if len(rest) > 1 or rest[0][0] != "face" or len(rest[0][2]) != 1 or not rest[0][2][0][2]:
            raise PlyLayoutError(f"{path.name}: elements other than one list of faces")
        _, nfaces, ((_, itype, ctype),) = rest[0]
        if ctype not in ("u1", "u2") or itype not in ("i4", "u4"):
            raise PlyLayoutError(f"{path.name}: face lists of an unusual type")
        fdtype = np.dtype([("n", "<" + ctype), ("v", "<" + itype, (3,))])
    needed = offset + nverts * vdtype.itemsize + nfaces * (fdtype.itemsize if fdtype is not None else 0)
    if path.stat().st_size < needed:
        raise PlyCorrupt(f"{path.name}: the file is shorter than its header declares; it is truncated")
    return PlyMesh(path, nverts, nfaces, vdtype, offset, fdtype, offset + nverts * vdtype.itemsize,
                   ply_colour_names(vdtype), ply_origin(comments))


Property = tuple[str, str, str | None]  # name, value type, list count type (None for a scalar)


def _header(path: Path) -> tuple[str, list[tuple[str, int, list[Property]]], list[str], int]:
    with open(path, "rb") as fh:
        head = fh.read(_MAX_HEADER)
    end = head.find(b"end_header")
    nl = head.find(b"\n", end) if end >= 0 else -1
    if not head.startswith(b"ply") or nl < 0:
        raise PlyLayoutError(f"{path.name}: no PLY header")
    encoding, elements, comments = "", [], []  # type: ignore[var-annotated]
    for line in head[:end].decode("latin-1").replace("\r", "").split("\n")[1:]:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "format":
                encoding = words[1]
            elif words[0] in ("comment", "obj_info"):
                comments.append(line.partition(words[0])[2].strip())
            elif words[0] == "element":
                elements.append((words[1], int(words[2]), []))
            elif words[0] == "property" and words[1] == "list":
                elements[-1][2].append((words[4], _TYPES[words[3]], _TYPES[words[2]]))
            elif words[0] == "property":
                elements[-1][2].append((words[2], _TYPES[words[1]], None))
            else:
                raise PlyLayoutError(f"{path.name}: unexpected header line")
        except (IndexError, KeyError, ValueError) as exc:
            raise PlyLayoutError(f"{path.name}: a header line cannot be read ({line[:60]!r})") from exc
    if any(count < 0 for _, count, _ in elements):
        raise PlyLayoutError(f"{path.name}: a negative element count")
    return encoding, elements, comments, nl + 1


def _rows(path: Path, dtype: np.dtype, offset: int, count: int, chunk: int) -> Iterator[tuple[int, np.ndarray]]:
    """Structured rows read ``chunk`` at a time into one reused buffer (no memory map: its
    pages would count against the process until the whole file was unmapped)."""
    rows = min(count, max(chunk, 1))
    buffer = np.empty(rows * dtype.itemsize, dtype=np.uint8)
    with open(path, "rb") as fh:
        fh.seek(offset)
        for start in range(0, count, rows or 1):
            n = min(rows, count - start)
            raw = buffer[:n * dtype.itemsize]
            if fh.readinto(raw.data) != raw.nbytes:
                raise PlyCorrupt(f"{path.name}: the file ends before its data does")
            yield start, raw.view(dtype)


def ply_colour_names(dtype: np.dtype) -> tuple[str, ...] | None:
    """The names of a PLY vertex's 8-bit colour properties (RGB, plus alpha when present)."""
    names = set(dtype.names or ())
    for trio in (("red", "green", "blue"), ("r", "g", "b"), ("diffuse_red", "diffuse_green", "diffuse_blue")):
        if set(trio) <= names and all(dtype[c] == np.uint8 for c in trio):
            alpha = ("alpha",) if "alpha" in names and dtype["alpha"] == np.uint8 else ()
            return trio + alpha
    return None


def ply_origin(comments: list[str]) -> np.ndarray:
    """The ``comment origin x y z`` the archive's own level files carry (zeros otherwise, and
    for an origin that is not three finite numbers). The one reader of that comment."""
    for c in comments:
        words = c.split()
        if len(words) == 4 and words[0] == "origin":
            try:
                origin = np.array([float(w) for w in words[1:]], dtype=np.float64)
            except ValueError:
                break
            return origin if np.isfinite(origin).all() else np.zeros(3)
    return np.zeros(3)


def ply_comments(head: bytes) -> list[str]:
    """The text after ``comment`` (or ``obj_info``) on each line of a PLY header ``head``."""
    out = []
    for line in head.decode("latin-1").replace("\r", "").split("\n"):
        words = line.split(None, 1)
        if words and words[0] in ("comment", "obj_info"):
            out.append(words[1].strip() if len(words) > 1 else "")
    return out


__all__ = ["CHUNK", "PlyCorrupt", "PlyLayoutError", "PlyMesh", "open_ply_mesh", "ply_colour_names", "ply_comments",
           "ply_origin"]
