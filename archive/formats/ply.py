"""PLY (ascii and binary): header parse, then memory-mapped, vectorised element checks.

Binary files are never parsed row by row when lists have one length (the usual
all-triangle mesh): the vertex element is a memory-mapped structured array and the face
element is checked through strided views of its list counts and indices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archive.errors import CorruptFile, LimitExceeded
from archive.formats import _common as C
from archive.formats.base import Limits, ScanInfo
from archive.formats.refs import rel_posix, resolve_ref
from archive.formats.units import declare, unit_in_comments
from glbtools import lines as L
from glbtools.plymesh import ply_colour_names, ply_origin

_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4",
    "uint32": "u4", "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_MAX_HEADER = 1 << 20
_COLOUR = ({"red", "green", "blue"}, {"r", "g", "b"}, {"diffuse_red", "diffuse_green", "diffuse_blue"})
_UV = {"s", "t", "u", "v", "texture_u", "texture_v", "texture_s", "texture_t"}
_SLOW_ROWS = 5_000_000  # rows walked one by one at most when list lengths vary


@dataclass
class Prop:
    name: str
    dtype: str  # numpy code of the value ('f4'); item type for lists
    count_dtype: str | None = None  # numpy code of a list's length, None for scalars


@dataclass
class Element:
    name: str
    count: int
    props: list[Prop] = field(default_factory=list)

    @property
    def has_lists(self) -> bool:
        return any(p.count_dtype for p in self.props)

    def min_row(self, ascii_: bool) -> int:
        """Fewest bytes one row can take (empty lists)."""
        if ascii_:
            return 2 * len(self.props)
        return sum(np.dtype(p.count_dtype or p.dtype).itemsize for p in self.props)


@dataclass
class Header:
    encoding: str
    elements: list[Element]
    comments: list[str]
    data_offset: int


def read_header(path: Path) -> Header:
    """Parse the PLY header (at most 1 MiB) without reading any data."""
    with open(path, "rb") as fh:
        head = fh.read(_MAX_HEADER)
    lead = len(head) - len(head.lstrip())
    end = head.find(b"end_header")
    if not head[lead:].startswith(b"ply") or end < 0:
        raise CorruptFile(f"{path.name}: PLY header has no 'end_header' line; file is broken.")
    nl = head.find(b"\n", end)
    if nl < 0:
        raise CorruptFile(f"{path.name}: PLY header is truncated.")
    text = head[lead:end].decode("latin-1").replace("\r", "")
    return _parse_header_lines(path.name, text.split("\n")[1:], nl + 1)


def _parse_header_lines(name: str, lines: list[str], offset: int) -> Header:
    encoding, elements, comments = "", [], []
    for line in lines:
        words = line.split()
        if not words:
            continue
        key = words[0]
        if key == "format" and len(words) >= 2:
            encoding = words[1]
        elif key in ("comment", "obj_info"):
            comments.append(line.partition(key)[2].strip())
        elif key == "element" and len(words) == 3:
            elements.append(Element(words[1], _int(name, words[2])))
        elif key == "property" and elements:
            elements[-1].props.append(_prop(name, words))
        else:
            raise CorruptFile(f"{name}: unexpected PLY header line {line[:60]!r}.")
    if encoding not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise CorruptFile(f"{name}: unknown PLY format {encoding!r}.")
    names = [e.name for e in elements]
    if len(set(names)) != len(names):
        raise CorruptFile(f"{name}: PLY header declares an element twice ({names}).")
    return Header(encoding, elements, comments, offset)


def _int(name: str, word: str) -> int:
    try:
        value = int(word)
    except ValueError:
        raise CorruptFile(f"{name}: PLY element count {word!r} is not a number.") from None
    if value < 0:
        raise CorruptFile(f"{name}: PLY element count {value} is negative.")
    return value


def _prop(name: str, words: list[str]) -> Prop:
    try:
        if words[1] == "list" and len(words) == 5:
            return Prop(words[4], _TYPES[words[3]], _TYPES[words[2]])
        if len(words) == 3:
            return Prop(words[2], _TYPES[words[1]])
    except KeyError as exc:
        raise CorruptFile(f"{name}: unknown PLY property type {exc.args[0]!r}.") from None
    raise CorruptFile(f"{name}: malformed PLY property line {' '.join(words)!r}.")


def inspect_ply(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect a PLY file; see :func:`archive.formats.inspect_scan`."""
    size = C.file_size(path)
    head = read_header(path)
    elements = {e.name: e for e in head.elements}
    vertex = elements.get("vertex")
    face = elements.get("face")
    C.check_count(vertex.count if vertex else 0, limits.max_vertices, "vertices", path.name)
    C.check_count(face.count if face else 0, limits.max_faces, "faces", path.name)
    ascii_ = head.encoding == "ascii"
    need = sum(e.count * e.min_row(ascii_) for e in head.elements)
    C.check_room(need, size - head.data_offset, "PLY elements", path.name)
    info = ScanInfo(format="ply", geometry="mesh", files=[rel_posix(path, root)])
    info.details.update(encoding=head.encoding, elements={e.name: e.count for e in head.elements})
    if head.comments:
        info.details["comments"] = head.comments[:20]
    walker = _AsciiData if ascii_ else _BinaryData
    walker(path, head, size, info).run()
    _finish(info, vertex, face, path, root, head.comments)
    return info


def _finish(
    info: ScanInfo,
    vertex: Element | None,
    face: Element | None,
    path: Path,
    root: Path,
    comments: list[str],
) -> None:
    C.require_geometry(info.vertices, path.name)
    names = {p.name for p in vertex.props} if vertex else set()
    info.vertex_colors = any(c <= names for c in _COLOUR)
    info.details["normals"] = {"nx", "ny", "nz"} <= names
    has_uv = bool(names & _UV) or bool(face and any(p.name == "texcoord" for p in face.props))
    info.details["uv"] = has_uv
    if info.faces == 0:
        info.geometry, info.points = "points", info.vertices
    for comment in comments:
        name = _texture_file(comment)
        if name is not None:
            _add_texture(info, name, path, root)
    unit = unit_in_comments(comments)
    if unit:
        declare(info, unit, "a units comment in the PLY header")


def _texture_file(comment: str) -> str | None:
    """The file a ``TextureFile`` comment names (``TextureFile tex.png``, ``texturefile: x.jpg``)."""
    key, _, rest = comment.partition(" ")
    if not key.lower().rstrip(":").startswith("texturefile"):
        return None
    glued = key[len("texturefile"):].lstrip(":")  # "TextureFile:tex.png"
    return (glued or rest).strip().lstrip(":").strip()


def _add_texture(info: ScanInfo, name: str, path: Path, root: Path) -> None:
    # "<this>" (any case) stands for the PLY's own name without extension: "<this>.png".
    name = re.sub(r"<this>", lambda _m: path.stem, name, flags=re.I)
    if not name:
        info.warnings.append("a TextureFile comment in the PLY header names no file")
        return
    found = resolve_ref(name, path.parent, root)
    if found is None:
        info.warnings.append(f"texture {name} (named by the PLY header's TextureFile) is missing")
        return
    rel = rel_posix(found, root)
    if rel not in info.textures:
        info.textures.append(rel)
        info.files.append(rel)
    info.textured = True


class _BinaryData:
    """Walks binary elements through one read-only memory map."""

    def __init__(self, path: Path, head: Header, size: int, info: ScanInfo) -> None:
        self.path, self.head, self.size, self.info = path, head, size, info
        self.endian = "<" if head.encoding.endswith("little_endian") else ">"
        self.buf = np.memmap(path, dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)

    def run(self) -> None:
        pos = self.head.data_offset
        nverts = 0
        for el in self.head.elements:
            if el.has_lists:
                pos = self._list_element(el, pos, nverts)
            else:
                pos = self._fixed_element(el, pos)
            if el.name == "vertex":
                nverts = el.count
        if pos > self.size:
            raise CorruptFile(f"{self.path.name}: PLY data is truncated.")
        if pos < self.size:
            self.info.warnings.append(f"{self.size - pos:,} unexpected bytes after the PLY data")

    def _fixed_element(self, el: Element, pos: int) -> int:
        dtype = np.dtype([(p.name, self.endian + p.dtype) for p in el.props])
        end = pos + el.count * dtype.itemsize
        C.check_room(end, self.size, f"{el.count:,} '{el.name}' rows", self.path.name)
        if el.name == "vertex":
            rows = np.ndarray((el.count,), dtype=dtype, buffer=self.buf, offset=pos)
            self._vertices(rows, el)
        return end

    def _vertices(self, rows: np.ndarray, el: Element) -> None:
        names = rows.dtype.names or ()
        if not {"x", "y", "z"} <= set(names):
            raise CorruptFile(f"{self.path.name}: PLY vertex element has no x, y, z.")
        cols = [rows[k] for k in ("x", "y", "z")]
        self.info.bbox_min, self.info.bbox_max = C.bbox_columns(cols, self.info.warnings)
        self.info.vertices = el.count

    def _first_row(self, el: Element, pos: int) -> tuple[int, list[tuple[int, int, Prop]]]:
        """Size of the row at ``pos`` and (offset, length) of each of its lists."""
        off, lists = 0, []
        for p in el.props:
            if p.count_dtype is None:
                off += np.dtype(p.dtype).itemsize
                continue
            cdt = np.dtype(self.endian + p.count_dtype)
            if pos + off + cdt.itemsize > self.size:
                raise CorruptFile(f"{self.path.name}: PLY '{el.name}' data is truncated.")
            n = int(np.frombuffer(self.buf, cdt, 1, pos + off)[0])
            lists.append((off, n, p))
            off += cdt.itemsize + n * np.dtype(p.dtype).itemsize
        return off, lists

    def _list_element(self, el: Element, pos: int, nverts: int) -> int:
        if el.count == 0:
            return pos
        row, lists = self._first_row(el, pos)
        end = pos + el.count * row
        for off, n, _p in lists:
            if n < 0 or pos + off + n > self.size:
                raise LimitExceeded(
                    f"{self.path.name}: a '{el.name}' list declares {n:,} entries, more than the file holds."
                )
        if end <= self.size and self._uniform(el, pos, row, lists):
            if el.name == "face":
                self._uniform_faces(el, pos, row, lists[0], nverts)
            return end
        return self._walk(el, pos, nverts)

    def _uniform(self, el: Element, pos: int, row: int, lists: list[tuple[int, int, Prop]]) -> bool:
        for off, n, p in lists:
            cdt = np.dtype(self.endian + (p.count_dtype or "u1"))
            counts = np.ndarray((el.count,), cdt, buffer=self.buf, offset=pos + off, strides=(row,))
            if not (counts == n).all():
                return False
        return True

    def _uniform_faces(self, el: Element, pos: int, row: int, first: tuple[int, int, Prop], nverts: int) -> None:
        off, n, p = first
        self.info.faces = el.count * max(n - 2, 0)
        if n == 0:
            return
        # Unsigned view: a negative index becomes huge, so one max per column checks both
        # ends; 1-D strided reductions are several times faster than one 2-D reduction.
        idt = np.dtype(self.endian + p.dtype.replace("i", "u"))
        cdt = np.dtype(self.endian + (p.count_dtype or "u1"))
        start = pos + off + cdt.itemsize
        hi = 0
        for k in range(n):
            col = np.ndarray((el.count,), idt, buffer=self.buf, offset=start + k * idt.itemsize, strides=(row,))
            hi = max(hi, int(col.max()))
        _check_indices(self.path.name, 0, hi, nverts)

    def _walk(self, el: Element, pos: int, nverts: int) -> int:
        """Row-by-row walk for lists of varying length (quads mixed with triangles)."""
        if el.count > _SLOW_ROWS:
            raise LimitExceeded(
                f"{self.path.name}: {el.count:,} '{el.name}' rows with lists of varying "
                f"length; at most {_SLOW_ROWS:,} can be checked."
            )
        tris, lo, hi = 0, 0, -1
        data = self.buf
        for _ in range(el.count):
            for i, p in enumerate(el.props):
                size = np.dtype(p.dtype).itemsize
                if p.count_dtype is None:
                    pos += size
                    continue
                csize = np.dtype(p.count_dtype).itemsize
                if pos + csize > self.size:
                    raise CorruptFile(f"{self.path.name}: PLY '{el.name}' data is truncated.")
                n = _unpack(self.endian, p.count_dtype, data, pos)
                pos += csize
                if pos + n * size > self.size or n < 0:
                    raise CorruptFile(f"{self.path.name}: PLY '{el.name}' list runs past the end.")
                if i == 0 and el.name == "face" and n:
                    vals = np.frombuffer(data, self.endian + p.dtype, n, pos)
                    tris += max(n - 2, 0)
                    lo, hi = min(lo, int(vals.min())), max(hi, int(vals.max()))
                pos += n * size
        if el.name == "face":
            self.info.faces = tris
            _check_indices(self.path.name, lo, hi, nverts)
        return pos


def _unpack(endian: str, code: str, data: np.ndarray, pos: int) -> int:
    return int(np.frombuffer(data, endian + code, 1, pos)[0])


def _check_indices(name: str, lo: int, hi: int, nverts: int) -> None:
    if lo < 0 or hi >= nverts:
        bad = lo if lo < 0 else hi
        raise CorruptFile(f"{name}: a face refers to vertex {bad} but the file has {nverts:,} vertices.")


class _AsciiData:
    """Walks ascii elements, one row per line, with vectorised number parsing."""

    def __init__(self, path: Path, head: Header, size: int, info: ScanInfo) -> None:
        self.path, self.head, self.info = path, head, info
        raw = np.memmap(path, dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)
        self.buf = raw[head.data_offset :]
        starts, ends = L.line_table(self.buf)
        keep = ends > starts  # blank lines carry no rows
        self.starts, self.ends = starts[keep], ends[keep]

    def run(self) -> None:
        line, nverts = 0, 0
        for el in self.head.elements:
            if el.count == 0:
                continue
            if line + el.count > self.starts.shape[0]:
                raise CorruptFile(f"{self.path.name}: PLY '{el.name}' data is truncated.")
            block = slice(line, line + el.count)
            if el.name == "vertex":
                self._vertices(el, block)
                nverts = el.count
            elif el.name == "face":
                self._faces(el, block, nverts)
            line += el.count

    def _numbers(self, block: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = int(self.starts[block][0]), int(self.ends[block][-1])
        sub = self.buf[a:b]
        starts, ends = self.starts[block] - a, self.ends[block] - a
        tokens = L.token_counts(sub, starts, ends)
        nums = L.parse_numbers(sub.tobytes())
        if nums.shape[0] != int(tokens.sum()):
            raise CorruptFile(f"{self.path.name}: PLY ascii data holds a value that is not a number.")
        return nums, tokens, np.cumsum(tokens) - tokens

    def _vertices(self, el: Element, block: slice) -> None:
        names = [p.name for p in el.props]
        if el.has_lists or not {"x", "y", "z"} <= set(names):
            raise CorruptFile(f"{self.path.name}: PLY vertex element has no plain x, y, z.")
        nums, tokens, _ = self._numbers(block)
        if (tokens != len(names)).any():
            raise CorruptFile(f"{self.path.name}: a PLY vertex line has the wrong number of values.")
        rows = nums.reshape(el.count, len(names))
        xyz = rows[:, [names.index("x"), names.index("y"), names.index("z")]]
        self.info.bbox_min, self.info.bbox_max = C.bbox(xyz, self.info.warnings)
        self.info.vertices = el.count

    def _faces(self, el: Element, block: slice, nverts: int) -> None:
        if not el.props or el.props[0].count_dtype is None:
            raise CorruptFile(f"{self.path.name}: PLY face element does not start with a list.")
        nums, tokens, first = self._numbers(block)
        counts = nums[first].astype(np.int64)
        if (counts < 0).any() or (counts + 1 > tokens).any():
            raise CorruptFile(f"{self.path.name}: a PLY face declares more indices than it has.")
        self.info.faces = int(np.maximum(counts - 2, 0).sum())
        n = nums.shape[0] + 1
        mark = np.bincount(first + 1, minlength=n) - np.bincount(first + 1 + counts, minlength=n)
        idx = nums[np.cumsum(mark[:-1]) > 0]
        if idx.size:
            _check_indices(self.path.name, int(idx.min()), int(idx.max()), nverts)


@dataclass
class PlyArrays:
    """A binary PLY's geometry, read without parsing rows one by one.

    vertices : (n, 3) float32 (or float64 when the file stores doubles), relative to ``origin``;
    faces : (m, 3) int32 or None; colours : (n, 4) uint8 or None; origin : (3,) float64 offset
    written by the archive's own level files (``comment origin x y z``), zeros otherwise.
    """

    vertices: np.ndarray
    faces: np.ndarray | None
    colours: np.ndarray | None
    origin: np.ndarray


def map_binary_ply(path: Path) -> PlyArrays | None:
    """Read a fixed-size binary little-endian PLY through a memory map; None when the file
    has another layout (ASCII, big-endian, faces that are not all triangles, texture
    coordinates, extra elements) and a general reader must be used.

    Only the coordinates, colours and triangle indices are copied out of the map, each once,
    in the file's own precision: a 12.7M-triangle scan costs ~230 MB here, not gigabytes.
    """
    header = read_header(path)
    if header.encoding != "binary_little_endian" or not header.elements or header.elements[0].name != "vertex":
        return None
    vertex, rest = header.elements[0], header.elements[1:]
    names = {p.name for p in vertex.props}
    if vertex.has_lists or not {"x", "y", "z"} <= names or names & _UV or any(e.name != "face" for e in rest):
        return None
    vdtype = np.dtype([(p.name, "<" + p.dtype) for p in vertex.props])
    fdtype = _triangle_dtype(rest[0]) if rest else None
    if rest and (fdtype is None or rest[0].count and len(rest[0].props) != 1):
        return None
    nfaces = rest[0].count if rest else 0
    needed = header.data_offset + vertex.count * vdtype.itemsize + nfaces * (fdtype.itemsize if fdtype else 0)
    if path.stat().st_size < needed:
        raise CorruptFile(f"{path.name}: the PLY is shorter than its header declares; it is truncated.")
    rows = np.memmap(path, dtype=vdtype, mode="r", offset=header.data_offset, shape=(vertex.count,))
    kind = np.result_type(*(vdtype[a] for a in "xyz"))
    vertices = np.empty((vertex.count, 3), dtype=np.float64 if kind == np.float64 else np.float32)
    for k, axis in enumerate("xyz"):
        vertices[:, k] = rows[axis]
    colours = _ply_colours(rows)
    del rows
    faces = None
    if fdtype is not None and nfaces:
        recs = np.memmap(path, dtype=fdtype, mode="r", shape=(nfaces,),
                         offset=header.data_offset + vertex.count * vdtype.itemsize)
        if not (recs["n"] == 3).all():
            return None
        faces = np.ascontiguousarray(recs["v"], dtype=np.int32)
        del recs
        if len(faces) and (faces.min() < 0 or faces.max() >= vertex.count):
            raise CorruptFile(f"{path.name}: a face of the PLY names a vertex that does not exist.")
    return PlyArrays(vertices, faces, colours, ply_origin(header.comments))


def _triangle_dtype(face: Element) -> np.dtype | None:
    prop = face.props[0] if face.props else None
    if prop is None or prop.count_dtype is None or prop.dtype not in ("i4", "u4"):
        return None
    return np.dtype([("n", "<" + prop.count_dtype), ("v", "<" + prop.dtype, (3,))])


def _ply_colours(rows: np.ndarray) -> np.ndarray | None:
    names = ply_colour_names(rows.dtype)
    if names is None:
        return None
    out = np.full((len(rows), 4), 255, dtype=np.uint8)
    for k, c in enumerate(names):
        out[:, k] = rows[c]
    return out


