"""Wavefront OBJ: vectorised, chunked byte-level inspection (no per-vertex Python work).

Each chunk of whole lines is split into line kinds by their first two bytes; all ``v``
lines are parsed in one C call, ``f`` lines only for their vertex indices. Odd chunks
(leading blanks, line continuations, MSVC ``1.#IND`` numbers) take a per-line path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archive.errors import CorruptFile
from archive.formats import _common as C
from archive.formats.base import Limits, ScanInfo
from archive.formats.mtl import resolve_textures
from archive.formats.refs import rel_posix, resolve_ref
from archive.formats.units import declare, obj_head_comments, unit_in_comments
from glbtools import lines as L
from glbtools.lines import keyword_lines, line_chunks

_V, _F, _T, _N, _L, _P, _M = (ord(c) for c in "vftnlpm")
_SLASH = bytes.maketrans(b"/", b" ")
_MSVC_NAN = re.compile(r"#(IND|QNAN|SNAN|INF)", re.I)


@dataclass
class _State:
    nv: int = 0
    nvt: int = 0
    nvn: int = 0
    tris: int = 0
    short_faces: int = 0
    lines: int = 0
    max_index: int = 0
    colours: bool = False
    boxes: list[tuple[C.Vec3, C.Vec3]] = field(default_factory=list)
    mtllibs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def inspect_obj(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect an OBJ file and its materials; see :func:`archive.formats.inspect_scan`."""
    st = _State()
    for chunk in line_chunks(path, decode_utf16=True):
        if not _fast_chunk(chunk, st, path.name):
            _slow_chunk(chunk, st, path.name)
        C.check_count(st.nv, limits.max_vertices, "vertices", path.name)
        C.check_count(st.tris, limits.max_faces, "triangles", path.name)
    if st.max_index > st.nv:
        raise CorruptFile(f"{path.name}: a face refers to vertex {st.max_index} but the file has {st.nv:,}.")
    C.require_geometry(st.nv, path.name)
    return _info(st, path, root)


def _info(st: _State, path: Path, root: Path) -> ScanInfo:
    info = ScanInfo(format="obj", geometry="mesh", files=[rel_posix(path, root)])
    info.vertices, info.faces, info.vertex_colors = st.nv, st.tris, st.colours
    info.bbox_min, info.bbox_max = C.merge_boxes(st.boxes)
    info.warnings.extend(dict.fromkeys(st.warnings))
    if st.short_faces:
        info.warnings.append(f"{st.short_faces:,} face(s) with fewer than 3 vertices ignored")
    if st.tris == 0:
        info.geometry, info.points = "points", st.nv
        info.warnings.append("no faces: read as a point cloud")
    info.details.update(encoding="ascii", uv_count=st.nvt, normal_count=st.nvn, line_count=st.lines)
    _materials(info, st.mtllibs, path, root)
    unit = unit_in_comments(obj_head_comments(path))
    if unit:
        declare(info, unit, "a units comment in the OBJ")
    return info


def _materials(info: ScanInfo, mtllibs: list[str], path: Path, root: Path) -> None:
    for rest in mtllibs:
        for name in _mtllib_names(rest, path.parent, root):
            mtl = resolve_ref(name, path.parent, root)
            if mtl is None:
                info.warnings.append(f"material library {name} is missing")
                continue
            rel = rel_posix(mtl, root)
            if rel in info.files:
                continue
            info.files.append(rel)
            for tex in resolve_textures(mtl, root, info.warnings):
                if tex not in info.textures:
                    info.textures.append(tex)
    info.files.extend(t for t in info.textures if t not in info.files)
    info.textured = bool(info.textures)


def _mtllib_names(rest: str, base: Path, root: Path) -> list[str]:
    """Names on one ``mtllib`` line: several per line; spaces escaped or, if the whole
    line names an existing file, literal."""
    rest = rest.strip()
    if "\\ " in rest:
        parts = re.split(r"(?<!\\)\s+", rest)
        return [p.replace("\\ ", " ") for p in parts if p]
    if " " in rest and resolve_ref(rest, base, root) is not None:
        return [rest]
    return rest.split()


def _fast_chunk(chunk: bytes, st: _State, name: str) -> bool:
    """Vectorised pass; False when the chunk needs the per-line path."""
    chunk = chunk.removeprefix(b"\xef\xbb\xbf")
    if b"\\\n" in chunk or b"\\\r\n" in chunk or b"#" in chunk and _MSVC_NAN.search(chunk.decode("latin-1")):
        return False
    buf = np.frombuffer(chunk, np.uint8)
    starts, ends = L.line_table(buf)
    pad = np.concatenate((buf, np.array([10, 10], np.uint8)))
    c0, c1, c2 = pad[starts], pad[starts + 1], pad[starts + 2]
    blank0 = (c0 == 32) | (c0 == 9)
    if blank0.any() and (L.token_counts(buf, starts[blank0], ends[blank0]) > 0).any():
        return False
    ws1, ws2 = L.WS[c1], L.WS[c2]
    lengths = np.diff(np.append(starts, buf.shape[0]))
    if not _fast_vertices(buf, lengths, (c0 == _V) & ws1, st):
        return False
    if not _fast_faces(buf, lengths, (c0 == _F) & ws1, st, name):
        return False
    st.nvt += int(np.count_nonzero((c0 == _V) & (c1 == _T) & ws2))
    st.nvn += int(np.count_nonzero((c0 == _V) & (c1 == _N) & ws2))
    st.lines += int(np.count_nonzero(((c0 == _L) | (c0 == _P)) & ws1))
    for i in np.flatnonzero(c0 == _M):
        line = chunk[starts[i] : ends[i]].decode("utf-8", errors="replace")
        if line.startswith("mtllib") and line[6:7].isspace():
            st.mtllibs.append(line[7:].strip())
    return True


def _fast_vertices(buf: np.ndarray, lengths: np.ndarray, mask: np.ndarray, st: _State) -> bool:
    lines = keyword_lines(buf, lengths, mask, b"v")
    if lines is None:
        return True
    text, tokens = lines
    nums = L.parse_numbers(text)
    if nums.shape[0] != int(tokens.sum()) or (tokens < 3).any():
        return False
    k = int(tokens[0])
    if (tokens == k).all():
        xyz = nums.reshape(-1, k)[:, :3]
    else:
        first = np.cumsum(tokens) - tokens
        xyz = nums[first[:, None] + np.arange(3)]
    st.colours = st.colours or bool((tokens >= 6).any())
    _add_box(st, xyz)
    st.nv += xyz.shape[0]
    return True


def _add_box(st: _State, xyz: np.ndarray) -> None:
    lo, hi = C.bbox(xyz, st.warnings)
    if lo is not None and hi is not None:
        st.boxes.append((lo, hi))


def _fast_faces(buf: np.ndarray, lengths: np.ndarray, mask: np.ndarray, st: _State, name: str) -> bool:
    lines = keyword_lines(buf, lengths, mask, b"f")
    if lines is None:
        return True
    text, corners = lines
    total = int(corners.sum())
    slashes, doubles = text.count(b"/"), text.count(b"//")
    nums = L.parse_numbers(text.translate(_SLASH), np.int64)
    if total == 0 or nums.shape[0] % total:
        return total == 0 and nums.shape[0] == 0 and _faces_done(st, corners)
    m = nums.shape[0] // total
    layouts = {1: (0, 0), 2: (total, 0) if doubles == 0 else (2 * total, total), 3: (2 * total, 0)}
    if layouts.get(m) != (slashes, doubles):
        return False
    _check_faces(nums[::m], st, name)
    return _faces_done(st, corners)


def _faces_done(st: _State, corners: np.ndarray) -> bool:
    st.tris += int(np.maximum(corners - 2, 0).sum())
    st.short_faces += int(np.count_nonzero(corners < 3))
    return True


def _check_faces(idx: np.ndarray, st: _State, name: str) -> None:
    """Zero or negative indices beyond the vertices read so far are corrupt."""
    if idx.size == 0:
        return
    lo, hi = int(idx.min()), int(idx.max())
    if (idx == 0).any():
        raise CorruptFile(f"{name}: a face refers to vertex 0; OBJ vertices count from 1.")
    if lo < -st.nv:
        raise CorruptFile(f"{name}: a face refers to vertex {lo} (relative) but only {st.nv:,} precede it.")
    st.max_index = max(st.max_index, hi)


def _slow_chunk(chunk: bytes, st: _State, name: str) -> None:
    """Per-line path for unusual text; still one numpy box per chunk."""
    text = chunk.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    text = text.replace("\\\r\n", " ").replace("\\\n", " ")
    xyz: list[list[float]] = []
    for raw in text.splitlines():
        words = raw.split()
        if not words:
            continue
        key = words[0]
        if key == "v":
            xyz.append(_coords(words, name))
            st.colours = st.colours or len(words) >= 7
        elif key == "f":
            _slow_face(words[1:], st, name, len(xyz))
        elif key in ("vt", "vn"):
            st.nvt += key == "vt"
            st.nvn += key == "vn"
        elif key in ("l", "p"):
            st.lines += 1
        elif key == "mtllib":
            st.mtllibs.append(raw.strip()[6:].strip())
    if xyz:
        _add_box(st, np.asarray(xyz, dtype=np.float64))
    st.nv += len(xyz)


def _coords(words: list[str], name: str) -> list[float]:
    if len(words) < 4:
        raise CorruptFile(f"{name}: a vertex line has fewer than 3 coordinates.")
    try:
        return [float("nan") if _MSVC_NAN.search(w) else float(w) for w in words[1:4]]
    except ValueError:
        raise CorruptFile(f"{name}: vertex coordinate {' '.join(words[1:4])!r} is not a number.") from None


def _slow_face(corners: list[str], st: _State, name: str, pending: int) -> None:
    try:
        idx = np.array([int(c.split("/")[0]) for c in corners], dtype=np.int64)
    except ValueError:
        raise CorruptFile(f"{name}: face {' '.join(corners)[:60]!r} has a bad vertex index.") from None
    st.nv += pending  # relative indices count the vertices read so far in this chunk
    try:
        _check_faces(idx, st, name)
    finally:
        st.nv -= pending
    _faces_done(st, np.array([len(corners)]))
