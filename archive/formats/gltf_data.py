"""glTF declared sizes checked against the bytes really there and against the limits:
buffers, sparse accessors, meshopt-compressed views and Draco-compressed primitives.

A glTF is a list of promises (``byteLength``, ``count``); export later allocates what they
say. Each promise is checked here before it is accepted, so a 640-byte file cannot pass
import as a billion vertices and a buffer cannot claim 500 MB it does not hold.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from archive.errors import CorruptFile, LimitExceeded
from archive.formats import _common as C
from archive.formats.base import Limits

Json = dict[str, Any]
MESHOPT = ("EXT_meshopt_compression", "KHR_meshopt_compression")
DRACO = "KHR_draco_mesh_compression"
_INDEX_SIZE = {5121: 1, 5123: 2, 5125: 4}


def items(doc: Json, key: str, name: str) -> list[Json]:
    """``doc[key]`` as a list of objects (empty when absent)."""
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CorruptFile(f"{name}: glTF '{key}' is not a list of objects.")
    return value


def index(obj: Json, key: str, n: int, what: str, name: str) -> int | None:
    """A reference to item ``key`` of ``obj``, checked to lie in ``range(n)``."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < n:
        raise CorruptFile(f"{name}: glTF {what} index {value!r} does not exist.")
    return value


def number(obj: Json, key: str, name: str, default: int = 0) -> int:
    """Non-negative integer field (``default < 0``: required)."""
    if key not in obj and default < 0:
        raise CorruptFile(f"{name}: glTF object lacks the required field {key!r}.")
    value = obj.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CorruptFile(f"{name}: glTF field {key!r} = {value!r} is not a non-negative integer.")
    return value


def extension(obj: Json, names: tuple[str, ...]) -> Json | None:
    """The first of the extensions ``names`` present on ``obj`` (None when none is)."""
    exts = obj.get("extensions")
    if not isinstance(exts, dict):
        return None
    for ext_name in names:
        if isinstance(exts.get(ext_name), dict):
            found: Json = exts[ext_name]
            return found
    return None


@dataclass
class Buffer:
    """Where a glTF buffer's bytes really are. ``real`` is None when the file is missing
    (already a warning); a buffer with no uri (other than a GLB's first) is a placeholder
    holding no bytes, to be filled by an extension such as meshopt's fallback."""

    declared: int
    real: int | None
    path: Path | None = None
    offset: int = 0
    data_uri: str | None = None
    placeholder: bool = False

    @property
    def usable(self) -> int:
        """Bytes a plain bufferView may read: what is declared and really there."""
        return self.declared if self.real is None else min(self.declared, self.real)

    def read(self, start: int, length: int) -> bytes:
        """``length`` bytes from ``start`` (the caller checked the range against ``real``)."""
        if self.data_uri is not None:
            return decode_data_uri(self.data_uri)[start:start + length]
        if self.path is None:
            return b""
        with open(self.path, "rb") as fh:
            fh.seek(self.offset + start)
            return fh.read(length)


def decode_data_uri(uri: str) -> bytes:
    """The bytes of a ``data:`` URI (its size was checked against the limits before)."""
    head, _, payload = uri.partition(",")
    if head.lower().endswith(";base64"):
        return base64.b64decode(payload)
    return unquote(payload).encode("latin-1", "replace")


def buffer_warning(i: int, buf: Buffer) -> str | None:
    """A warning for a buffer declaring more bytes than it holds (views are checked against
    what it holds, so nothing beyond is ever read or counted)."""
    if buf.placeholder or buf.real is None or buf.declared <= buf.real:
        return None
    return f"buffer {i} declares {buf.declared:,} bytes but holds only {buf.real:,}; only those are used"


def check_view(start: int, end: int, buf: Buffer, what: str, name: str) -> None:
    """Refuse a bufferView range beyond the bytes its buffer really holds."""
    if end > buf.declared:
        raise CorruptFile(f"{name}: a {what} reaches past the end of its buffer.")
    if end > buf.usable:
        raise CorruptFile(
            f"{name}: a {what} reads bytes {start:,}–{end:,} of a buffer that holds only {buf.usable:,}; "
            "the file is truncated or its header lies."
        )


def check_sparse(acc: Json, count: int, value_size: int, view_sizes: list[int], name: str) -> None:
    """A sparse accessor's substitutions must fit its count and its bufferViews
    (``value_size``: bytes of one element)."""
    sparse = acc.get("sparse")
    if sparse is None:
        return
    if not isinstance(sparse, dict):
        raise CorruptFile(f"{name}: an accessor's 'sparse' is not an object.")
    n = number(sparse, "count", name, -1)
    if n > count:
        raise CorruptFile(f"{name}: a sparse accessor replaces {n:,} values of an accessor holding {count:,}.")
    indices, values = sparse.get("indices"), sparse.get("values")
    if not isinstance(indices, dict) or not isinstance(values, dict):
        raise CorruptFile(f"{name}: a sparse accessor lacks its indices or values.")
    index_size = _INDEX_SIZE.get(indices.get("componentType", 0))
    if index_size is None:
        raise CorruptFile(f"{name}: a sparse accessor's indices have an invalid componentType.")
    for part, size in ((indices, index_size), (values, value_size)):
        v = index(part, "bufferView", len(view_sizes), "bufferView", name)
        if v is None:
            raise CorruptFile(f"{name}: a sparse accessor's indices or values have no bufferView.")
        if number(part, "byteOffset", name) + n * size > view_sizes[v]:
            raise CorruptFile(f"{name}: a sparse accessor reads past the end of its bufferView.")


def check_meshopt(comp: Json, view_length: int, limits: Limits, name: str) -> None:
    """A meshopt-compressed view: declared count × byteStride within the limits and equal
    to the view it decompresses into (EXT/KHR_meshopt_compression)."""
    count, stride = number(comp, "count", name, -1), number(comp, "byteStride", name, -1)
    C.check_count(count, max(limits.max_vertices, 3 * limits.max_faces), "compressed elements", name)
    mode = comp.get("mode")
    valid = (mode == "ATTRIBUTES" and 0 < stride <= 256 and stride % 4 == 0) or (
        mode in ("TRIANGLES", "INDICES") and stride in (2, 4) and (mode == "INDICES" or count % 3 == 0))
    if not valid:
        raise CorruptFile(f"{name}: a meshopt-compressed bufferView has an invalid mode {mode!r} or byteStride.")
    if count * stride > limits.max_file_bytes:
        raise LimitExceeded(
            f"{name}: a meshopt-compressed bufferView decompresses to {count * stride:,} bytes; "
            f"the archive accepts at most {limits.max_file_bytes:,}."
        )
    if count * stride != view_length:
        raise CorruptFile(
            f"{name}: a meshopt-compressed bufferView declares {count:,} × {stride} bytes but its "
            f"bufferView holds {view_length:,}."
        )


def check_draco(doc: Json, buffers: list[Buffer], name: str) -> None:
    """Decode every Draco-compressed primitive once and refuse data that is garbage or whose
    vertex or index count differs from its accessors (export would trust the accessors)."""
    for mesh in items(doc, "meshes", name):
        prims = mesh.get("primitives")
        for prim in prims if isinstance(prims, list) else []:
            ext = extension(prim, (DRACO,)) if isinstance(prim, dict) else None
            if ext is not None:
                _check_draco_primitive(doc, prim, ext, buffers, name)


def _check_draco_primitive(doc: Json, prim: Json, ext: Json, buffers: list[Buffer], name: str) -> None:
    views, accs = doc.get("bufferViews", []), doc.get("accessors", [])
    v = index(ext, "bufferView", len(views), "bufferView", name)
    if v is None:
        raise CorruptFile(f"{name}: a Draco-compressed primitive names no bufferView.")
    view = views[v]
    buf = buffers[view["buffer"]]
    if buf.real is None:  # its file is missing: already a warning
        return
    points, corners = _draco_counts(buf.read(view.get("byteOffset", 0), view["byteLength"]), name)
    attrs = prim.get("attributes")
    if not isinstance(attrs, dict):
        raise CorruptFile(f"{name}: a mesh primitive has no attributes.")
    p = index(attrs, "POSITION", len(accs), "accessor", name)
    if p is not None and accs[p].get("count") != points:
        raise CorruptFile(
            f"{name}: Draco data decodes to {points:,} vertices but its accessor declares {accs[p].get('count'):,}."
        )
    i = index(prim, "indices", len(accs), "accessor", name)
    if i is not None and accs[i].get("count") != corners:
        raise CorruptFile(
            f"{name}: Draco data decodes to {corners // 3:,} triangles but its accessor declares "
            f"{accs[i].get('count'):,} indices."
        )


def _draco_counts(data: bytes, name: str) -> tuple[int, int]:
    """(vertices, triangle corners) of Draco-compressed ``data``; garbage is ``CorruptFile``."""
    import DracoPy

    try:
        decoded = DracoPy.decode(data)
    except Exception as exc:  # noqa: BLE001 - DracoPy raises its own untyped errors
        raise CorruptFile(f"{name}: Draco-compressed data cannot be decoded ({exc}).") from None
    faces = getattr(decoded, "faces", None)
    return len(decoded.points), 0 if faces is None else 3 * len(faces)
