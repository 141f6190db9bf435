"""Memory a master's reader is expected to hold, from what the file says it holds: one
implementation for the archive (:mod:`archive.memory_estimate`) and the viewer
(:mod:`viewer.isolated`), which may not import each other.

A GLB is compact (float32 positions, uint32 indices, a JPEG texture), so its size says little
of what reading it takes: trimesh's float64 and int64 copies, the decimation's quadrics, the
decoded texture. A glTF's JSON names every count, an image's header its width and height and
an OBJ its faces (counted, one ``f`` a line), without reading the data.

The files are untrusted: the JSON read is capped (:data:`MAX_JSON_BYTES`), a declared count is
believed only as far as the data behind it holds (an accessor's count is clipped to its buffer
view, a view to its buffer, a buffer to the real bytes), an image is read from its header only,
and nothing outside the master's folder is opened: how a reference is resolved and an image
measured is the caller's :class:`Lookups` (the archive's safe-path and image-check rules, or
:data:`PLAIN`). Anything unreadable counts 0, so the caller's file-size rule stands.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import struct
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import unquote


@dataclass(frozen=True)
class Lookups:
    """How the files a master names are found and measured.

    inside(path, ref, uri, root)
        The file ``ref`` written in ``path`` (a URI when ``uri``), inside ``root`` (``path``'s
        folder when None), or None.
    image_bytes(source)
        An image file or its first bytes, decoded: width x height x :data:`BYTES_PER_TEXEL`
        (0 when unreadable).
    texture_refs(mtl)
        The texture names an MTL file writes ([] when unreadable).
    """

    inside: Callable[[Path, str, bool, Path | None], Path | None]
    image_bytes: Callable[[Path | bytes], int]
    texture_refs: Callable[[Path], list[str]]


#: Bytes held per vertex position while a glTF master is read and decimated (trimesh's
#: float64 copy, the float32 level copy, the concatenation; the PLY rule's 100)
GLTF_BYTES_PER_VERTEX = 100
#: per triangle: int64 and int32 copies of the indices and the decimation's quadrics and
#: heap (the PLY rule's 300)
GLTF_BYTES_PER_TRIANGLE = 300
#: per texture coordinate or normal: float64 copies (trimesh's, the flipped v) and a float32 one
GLTF_BYTES_PER_UV = 40
GLTF_BYTES_PER_NORMAL = 40
#: copies of a GLB's binary chunk the reader holds at once (the file's bytes, the chunk,
#: the re-tagged document handed to trimesh)
GLB_COPIES = 3
#: an image decoded as RGBA, twice (the decoded texture and the level's atlas or RGBA copy)
BYTES_PER_TEXEL = 8
#: the longest glTF JSON read here (in the app's process, not the worker: a JSON's objects
#: take many times its bytes); a longer one is not estimated (file-size rule). A scan's JSON
#: is a few KB; import takes up to 64 MB (``formats.Limits.max_json_bytes``)
MAX_JSON_BYTES = 8 * 1024**2
#: bytes of an image given to Pillow to find its size (its header is in the first few KB)
IMAGE_HEAD_BYTES = 1024**2
#: bytes of an OBJ searched for its ``mtllib`` lines (exporters write them first)
OBJ_HEAD_BYTES = 64 * 1024

_COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".tga", ".webp"}


def contents_expected(paths: Iterable[Path], look: Lookups) -> tuple[int, int]:
    """(what each glTF/GLB among ``paths`` holds: its accessors, binary chunk and images,
    decoded; the textures beside the master, decoded: each OBJ's MTL textures and each image
    file listed) in bytes, every image counted once. The first stands in for the file-size
    rule (it says what that rule guesses); the second comes on top of it (an OBJ's size says
    nothing of its textures)."""
    paths = list(paths)
    images: dict[Any, int] = {}
    counted = sum(gltf_expected(p, look, images) for p in paths if p.suffix.lower() in (".glb", ".gltf"))
    counted += sum(images.values())
    beside: dict[Any, int] = {}
    for path in paths:
        suffix = path.suffix.lower()
        if suffix == ".obj":
            _obj_textures(path, beside, look)
        elif suffix in _IMAGE_SUFFIXES and path.resolve() not in images:
            beside.setdefault(path.resolve(), look.image_bytes(path))
    return counted, sum(v for k, v in beside.items() if k not in images)


def gltf_expected(path: Path, look: Lookups, images: dict[Any, int] | None = None) -> int:
    """Bytes reading the glTF/GLB ``path`` and decimating it hold: its accessors' counts times
    :data:`GLTF_BYTES_PER_VERTEX` and the rest, :data:`GLB_COPIES` times its binary chunk, and
    its images decoded (added to ``images`` when given, keyed by file or by embedded index, so
    an image also listed as a file is counted once). 0 when the file cannot be read."""
    held: dict[Any, int] = {} if images is None else images
    try:
        parsed = _read_document(path)
    except (OSError, ValueError, struct.error, RecursionError):  # RecursionError: nested too deep
        return 0
    if parsed is None:
        return 0
    doc, bin_offset, bin_length = parsed
    buffers = _buffer_sizes(doc, path, bin_length, look)
    views = _view_sizes(doc, buffers)
    total = _accessor_bytes(doc, views) + GLB_COPIES * bin_length
    for index, image in enumerate(_list(doc, "images")):
        key, size = _gltf_image(path, image, doc, bin_offset, buffers, index, look)
        if key is not None:
            held.setdefault(key, size)
    return total if images is not None else total + sum(held.values())


# --- the glTF document ----------------------------------------------------------------------

def _read_document(path: Path) -> tuple[dict[str, Any], int, int] | None:
    """(JSON document, file offset of the BIN chunk's data, its length); None when the file is
    not a glTF this can estimate (too long a JSON, truncated, not JSON)."""
    with open(path, "rb") as fh:
        head = fh.read(20)
        if not head.startswith(b"glTF"):
            if path.stat().st_size > MAX_JSON_BYTES:
                return None
            return _object(json.loads((head + fh.read()).decode("utf-8-sig"))), 0, 0
        if len(head) < 20 or head[16:20] != b"JSON":
            return None
        length = struct.unpack_from("<I", head, 12)[0]
        if length > MAX_JSON_BYTES:
            return None
        raw = fh.read(length)
        if len(raw) < length:  # truncated
            return None
        doc = _object(json.loads(raw.decode("utf-8")))
        fh.seek(20 + length + (-length % 4))
        chunk = fh.read(8)
    if len(chunk) < 8 or chunk[4:8] != b"BIN\0":
        return doc, 0, 0
    offset = 20 + length + (-length % 4) + 8
    real = max(0, path.stat().st_size - offset)  # a declared length beyond the file is not believed
    return doc, offset, min(struct.unpack_from("<I", chunk, 0)[0], real)


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("not a glTF document")
    return value


def _list(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = doc.get(key)
    return [v if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _buffer_sizes(doc: dict[str, Any], path: Path, bin_length: int, look: Lookups) -> list[int]:
    """Each buffer's real bytes: the GLB's BIN chunk, a data URI's decoded length, an external
    file inside the master's folder; never more than it declares."""
    sizes = []
    for i, buf in enumerate(_list(doc, "buffers")):
        uri, declared = buf.get("uri"), _int(buf.get("byteLength"))
        if uri is None:
            real = bin_length if i == 0 else 0
        elif not isinstance(uri, str):
            real = 0
        elif uri.startswith("data:"):
            real = len(uri.partition(",")[2]) * 3 // 4
        else:
            target = look.inside(path, uri, True, None)
            real = target.stat().st_size if target is not None else 0
        sizes.append(min(declared, real))
    return sizes


def _view_sizes(doc: dict[str, Any], buffers: list[int]) -> list[int]:
    """Each buffer view's bytes, clipped to what its buffer holds after its offset."""
    sizes = []
    for view in _list(doc, "bufferViews"):
        buf = view.get("buffer")
        room = buffers[buf] - _int(view.get("byteOffset")) if _index(buf, buffers) else 0
        sizes.append(max(0, min(_int(view.get("byteLength")), room)))
    return sizes


def _index(value: Any, items: list[Any]) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(items)


def _accessor_bytes(doc: dict[str, Any], views: list[int]) -> int:
    """What the reader holds for every primitive's positions, indices (or triangles of an
    unindexed one), texture coordinates and normals."""
    accessors = _list(doc, "accessors")
    counts = [_accessor_count(a, views) for a in accessors]

    def count(ref: Any) -> int:
        return counts[ref] if _index(ref, counts) else 0

    total = 0
    for mesh in _list(doc, "meshes"):
        for prim in _list(mesh, "primitives"):
            given = prim.get("attributes")
            attrs: dict[str, Any] = given if isinstance(given, dict) else {}
            positions = count(attrs.get("POSITION"))
            corners = count(prim.get("indices")) if "indices" in prim else positions
            uvs = sum(count(v) for k, v in attrs.items() if str(k).startswith("TEXCOORD_"))
            total += (positions * GLTF_BYTES_PER_VERTEX + corners // 3 * GLTF_BYTES_PER_TRIANGLE
                      + uvs * GLTF_BYTES_PER_UV + count(attrs.get("NORMAL")) * GLTF_BYTES_PER_NORMAL)
    return total


def _accessor_count(accessor: dict[str, Any], views: list[int]) -> int:
    """The accessor's count, no more than its buffer view holds (an accessor without a view
    (all zeros, or sparse) is not believed: 0)."""
    view = accessor.get("bufferView")
    element = _COMPONENT_BYTES.get(_int(accessor.get("componentType")), 4) * _TYPE_COMPONENTS.get(
        str(accessor.get("type")), 1)
    if not _index(view, views):
        return 0
    room = max(0, views[view] - _int(accessor.get("byteOffset")))
    return min(_int(accessor.get("count")), room // element)


# --- images -----------------------------------------------------------------------------------

def _gltf_image(path: Path, image: dict[str, Any], doc: dict[str, Any], bin_offset: int,
                buffers: list[int], index: int, look: Lookups) -> tuple[Any, int]:
    """(key, decoded bytes) of one glTF image: embedded in a buffer view of the GLB's BIN
    chunk, a data URI or a file inside the master's folder."""
    uri, view = image.get("uri"), image.get("bufferView")
    if isinstance(uri, str) and uri.startswith("data:"):
        text = uri.partition(",")[2][: IMAGE_HEAD_BYTES * 4 // 3]
        try:
            head = base64.b64decode(text[: len(text) // 4 * 4])
        except (binascii.Error, ValueError):
            return None, 0
        return (path.resolve(), "image", index), look.image_bytes(head)
    if isinstance(uri, str):
        target = look.inside(path, uri, True, None)
        return (None, 0) if target is None else (target.resolve(), look.image_bytes(target))
    views = _list(doc, "bufferViews")
    if not bin_offset or not _index(view, views) or views[view].get("buffer", 0) != 0 or not buffers:
        return None, 0
    start = _int(views[view].get("byteOffset"))
    length = min(_int(views[view].get("byteLength")), buffers[0] - start, IMAGE_HEAD_BYTES)
    if length <= 0:
        return None, 0
    with open(path, "rb") as fh:
        fh.seek(bin_offset + start)
        head = fh.read(length)
    return (path.resolve(), "image", index), look.image_bytes(head)


def _obj_textures(path: Path, images: dict[Any, int], look: Lookups) -> None:
    """Add the textures of the material libraries named at the head of the OBJ ``path``."""
    with open(path, "rb") as fh:
        head = fh.read(OBJ_HEAD_BYTES).decode("utf-8", errors="replace")
    for line in head.splitlines():
        if not (line.startswith("mtllib") and line[6:7].isspace()):
            continue
        for name in line[7:].split():
            mtl = look.inside(path, name, False, None)
            if mtl is None:
                continue
            for ref in look.texture_refs(mtl):
                texture = look.inside(mtl, ref, False, path.parent)
                if texture is not None and texture.resolve() not in images:
                    images[texture.resolve()] = look.image_bytes(texture)


# --- OBJ faces ------------------------------------------------------------------------------

#: bytes of an OBJ read at a time while its faces are counted
OBJ_COUNT_CHUNK = 16 * 1024**2


def obj_face_count(path: Path) -> int:
    """The number of ``f`` lines of the OBJ ``path`` (each face at least one triangle), read
    a chunk at a time (a 440 MB OBJ in about a second); 0 when unreadable."""
    count, last = 0, b"\n"
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(OBJ_COUNT_CHUNK):
                text = last + chunk
                count += text.count(b"\nf ") + text.count(b"\nf\t")
                last = chunk[-1:]  # a line start that falls on the chunk border
    except OSError:
        return 0
    return count


# --- plain lookups (the viewer's) -------------------------------------------------------------

#: the largest image counted (100 megapixels, as the archive's image check): a header claiming
#: more counts this much (the reader refuses it or runs out of memory, within its limit)
MAX_PIXELS = 100_000_000


def plain_inside(path: Path, ref: str, uri: bool, root: Path | None) -> Path | None:
    """The existing file ``ref`` names from ``path``'s folder, if it resolves inside ``root``
    (``path``'s folder by default); no data URI, no absolute path, no way out."""
    name = unquote(ref) if uri else ref
    if not name or ":" in name or name.startswith(("/", "\\")):
        return None
    base = (root or path.parent).resolve()
    target = (path.parent / name.replace("\\", "/")).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def header_image_bytes(source: Path | bytes) -> int:
    """An image decoded (RGBA, twice: :data:`BYTES_PER_TEXEL`), from its header only; 0 when
    not an image, :data:`MAX_PIXELS` when it claims more."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        return MAX_PIXELS * BYTES_PER_TEXEL
    except (OSError, ValueError, SyntaxError):  # Pillow's errors for a damaged header
        return 0
    return min(width * height, MAX_PIXELS) * BYTES_PER_TEXEL


#: references resolved inside the master's folder, images measured by Pillow, and no MTL
#: parser: a caller without one counts the image files beside an OBJ instead
PLAIN = Lookups(plain_inside, header_image_bytes, lambda _mtl: [])


__all__ = ["Lookups", "PLAIN", "contents_expected", "gltf_expected", "header_image_bytes", "obj_face_count",
           "plain_inside"]
