"""A vectorised reader for plain OBJ masters (positions, optional vertex colours, faces).

Large scans are mostly ``v`` and ``f`` lines; parsing them per line in Python (trimesh) is
where an export of a million-triangle master spent most of its time. This reader handles
only files it can read exactly as trimesh would, and returns ``None`` for anything else
(texture coordinates, materials, relative indices, line continuations, curves, odd
layouts), so the caller falls back to trimesh for those. Normals in the file are ignored:
the exporter recomputes them from the faces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glbtools import lines as L
from glbtools.lines import keyword_lines, line_chunks

_V, _F, _N = ord("v"), ord("f"), ord("n")
#: first bytes of lines that carry nothing the export needs: comments, object and group
#: names, smoothing groups, carriage returns of blank CRLF lines.
_IGNORED = np.zeros(256, dtype=bool)
_IGNORED[[ord("#"), ord("o"), ord("g"), ord("s"), 13]] = True
_SLASH = bytes.maketrans(b"/", b" ")


@dataclass
class PlainObj:
    """vertices : (n, 3) float64; faces : (m, 3) int64, zero-based; colors : (n, 3) float64
    in 0..1 (``v x y z r g b``) or None."""

    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray | None = None


@dataclass
class _Acc:
    vertices: list[np.ndarray] = field(default_factory=list)
    faces: list[np.ndarray] = field(default_factory=list)
    width: int = 0  # numbers per ``v`` line, the same for the whole file
    with_normals: bool = False  # faces as ``a//n``


def read_plain_obj(path: Path) -> PlainObj | None:
    """``path`` as arrays, or None when the file needs the full reader (see module doc)."""
    acc = _Acc()
    for chunk in line_chunks(path):
        if not _chunk(chunk, acc):
            return None
    if not acc.vertices or not acc.faces:
        return None
    nums = np.concatenate(acc.vertices).reshape(-1, acc.width)
    faces = np.concatenate(acc.faces)
    if faces.size == 0 or int(faces.max()) > len(nums):
        return None  # let the full reader report (or repair) the broken references
    faces -= 1
    if acc.with_normals:  # trimesh then keeps only the vertices that faces use
        used, inverse = np.unique(faces, return_inverse=True)
        if len(used) < len(nums):
            nums, faces = nums[used], inverse.reshape(-1, 3)
    colors = nums[:, 3:6] if acc.width == 6 else None
    return PlainObj(np.ascontiguousarray(nums[:, :3]), faces, colors)


def _chunk(chunk: bytes, acc: _Acc) -> bool:
    if chunk.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\\\n" in chunk or b"\\\r\n" in chunk:
        return False
    buf = np.frombuffer(chunk, np.uint8)
    starts, ends = L.line_table(buf)
    pad = np.concatenate((buf, np.array([10, 10], np.uint8)))
    c0, c1 = pad[starts], pad[starts + 1]
    ws1 = L.WS[c1]
    is_v, is_f = (c0 == _V) & ws1, (c0 == _F) & ws1
    is_vn = (c0 == _V) & (c1 == _N) & L.WS[pad[starts + 2]]
    if not (is_v | is_f | is_vn | _IGNORED[c0] | (starts == ends)).all():
        return False  # vt, usemtl, mtllib, l, p, leading blanks…: the full reader's job
    lengths = np.diff(np.append(starts, buf.shape[0]))
    return _vertices(buf, lengths, is_v, acc) and _faces(buf, lengths, is_f, acc)


def _vertices(buf: np.ndarray, lengths: np.ndarray, mask: np.ndarray, acc: _Acc) -> bool:
    lines = keyword_lines(buf, lengths, mask, b"v")
    if lines is None:
        return True
    text, tokens = lines
    width = int(tokens[0])
    if width not in (3, 6) or acc.width not in (0, width) or not (tokens == width).all():
        return False  # x y z w, mixed colour and plain lines…
    nums = _numbers(text, np.float64)
    if nums is None or nums.shape[0] != width * len(tokens):
        return False  # a token that is not a number
    acc.width = width
    acc.vertices.append(nums)
    return True


def _faces(buf: np.ndarray, lengths: np.ndarray, mask: np.ndarray, acc: _Acc) -> bool:
    """Faces as ``f a b c…`` or ``f a//n b//n…``; polygons become fans, as trimesh does."""
    lines = keyword_lines(buf, lengths, mask, b"f")
    if lines is None:
        return True
    text, corners = lines
    total = int(corners.sum())
    slashes, doubles = text.count(b"/"), text.count(b"//")
    per = 1 if slashes == 0 else 2
    if (per == 2 and (slashes, doubles) != (2 * total, total)) or (corners < 3).any():
        return False
    nums = _numbers(text.translate(_SLASH) if per == 2 else text, np.int64)
    if nums is None or nums.shape[0] != per * total:
        return False
    idx = nums[::per]
    if idx.size and int(idx.min()) < 1:
        return False  # relative (negative) or zero indices
    acc.faces.append(_fans(idx, corners))
    acc.with_normals = acc.with_normals or per == 2
    return True


def _numbers(text: bytes, dtype: type) -> np.ndarray | None:
    """Every number of ``text``, or None when a token is not one (numpy 2 raises there)."""
    try:
        return L.parse_numbers(text, dtype)
    except ValueError:
        return None


def _fans(idx: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """(t, 3) triangles of polygons given as flat corner indices, fanned from each first corner
    (trimesh's order, so both readers give the same faces)."""
    if (corners == 3).all():
        return idx.reshape(-1, 3)
    first = np.cumsum(corners) - corners
    per_face = corners - 2
    face = np.repeat(np.arange(len(corners)), per_face)
    k = np.arange(len(face)) - np.repeat(np.cumsum(per_face) - per_face, per_face) + 1
    base = first[face]
    tris = np.column_stack([idx[base], idx[base + k], idx[base + k + 1]])
    quad_second = (corners[face] == 4) & (k == 2)
    tris[quad_second] = np.roll(tris[quad_second], -1, axis=1)  # trimesh's (c, d, a): the same triangle
    return tris
