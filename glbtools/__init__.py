"""meshopt-compressed glTF (EXT_/KHR_meshopt_compression) back to a plain GLB.

trimesh cannot read compressed buffer views, so a file that uses them is decoded here with
the ``meshopt`` package (MIT; meshoptimizer's own decoder) and handed on as a GLB that holds
the same document with plain views. Referenced images keep their URIs and are resolved by the
caller's resolver inside the file's folder. The decoder refuses views that disagree with the
data. Shared by the archive (export) and the viewer, which may not import each other; each
turns :class:`GlbError` into its own typed errors.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any
from urllib.parse import unquote


class GlbError(ValueError):
    """The file cannot be turned into a plain GLB; the message names it."""


class CorruptFile(GlbError):
    """Compressed or plain views disagree with the bytes really there."""


class UnsafeReference(GlbError):
    """A buffer URI leads outside the file's folder."""


class UnsupportedFormat(GlbError):
    """The meshopt decoder is not installed."""


MESHOPT = ("EXT_meshopt_compression", "KHR_meshopt_compression")


def read_document(path: Path) -> tuple[dict[str, Any], bytes | None]:
    """The glTF JSON of a ``.gltf`` or ``.glb`` file, and a GLB's BIN chunk (or None)."""
    data = path.read_bytes()
    if not data.startswith(b"glTF"):
        return json.loads(data.decode("utf-8-sig")), None
    length, kind = struct.unpack_from("<I4s", data, 12)
    doc = json.loads(data[20:20 + length].decode("utf-8"))
    rest = 20 + length + (-length % 4)
    binary = None
    if len(data) >= rest + 8 and data[rest + 4:rest + 8] == b"BIN\0":
        (blen,) = struct.unpack_from("<I", data, rest)
        binary = data[rest + 8:rest + 8 + blen]
    return doc, binary


def uses_meshopt(doc: dict[str, Any]) -> bool:
    return any(name in doc.get("extensionsUsed", []) for name in MESHOPT)


def decoded_glb(path: Path) -> bytes | None:
    """``path`` as a plain GLB when it uses meshopt compression, else None (read it as is).
    Raises :class:`GlbError` (never a bare parsing error) for a file that cannot be decoded."""
    try:
        return _decoded_glb(path)
    except GlbError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, struct.error) as exc:
        raise CorruptFile(f"{path.name}: the glTF document cannot be read ({type(exc).__name__}: {exc}).") from exc


def _decoded_glb(path: Path) -> bytes | None:
    with open(path, "rb") as f:
        head = f.read(1 << 24)  # a GLB's JSON chunk comes first; a .gltf is JSON throughout
    if not any(name.encode() in head for name in MESHOPT):
        return None  # the usual case, and every file that is not glTF at all: read it as it is
    doc, binary = read_document(path)
    if not uses_meshopt(doc):
        return None
    try:
        import meshopt
    except ImportError as exc:
        raise UnsupportedFormat(f"{path.name}: meshopt-compressed glTF needs the meshopt package.") from exc
    buffers = [_buffer(path, doc, i, binary) for i in range(len(doc.get("buffers", [])))]
    blob = bytearray()
    for view in doc.get("bufferViews", []):
        ext = next((view["extensions"][k] for k in MESHOPT if k in view.get("extensions", {})), None)
        if ext is not None:
            source = _slice(buffers, ext, path.name)
            try:
                rows = meshopt.decode_gltf_buffer(source, ext["count"], ext["byteStride"], ext["mode"],
                                                  ext.get("filter", "NONE"))
            except (ValueError, RuntimeError) as exc:
                raise CorruptFile(f"{path.name}: a meshopt-compressed buffer cannot be decoded ({exc}).") from exc
            chunk = rows.tobytes()
            if ext["mode"] != "ATTRIBUTES" and ext["byteStride"] == 2:
                chunk = rows.astype("<u2").tobytes()  # index views keep their 16-bit components
            view["extensions"] = {k: v for k, v in view["extensions"].items() if k not in MESHOPT}
        else:
            chunk = _slice(buffers, view, path.name)
        if len(chunk) < view["byteLength"]:
            raise CorruptFile(f"{path.name}: a decoded buffer view is shorter than it declares.")
        blob.extend(b"\0" * (-len(blob) % 4))
        view.update(buffer=0, byteOffset=len(blob))
        if not view.get("extensions"):
            view.pop("extensions", None)
        blob.extend(chunk[:view["byteLength"]])
    doc["buffers"] = [{"byteLength": len(blob)}]
    for key in ("extensionsUsed", "extensionsRequired"):
        kept = [e for e in doc.get(key, []) if e not in MESHOPT]
        doc[key] = kept
        if not kept:
            doc.pop(key)
    return _glb(doc, bytes(blob))


def _buffer(path: Path, doc: dict[str, Any], index: int, binary: bytes | None) -> bytes | None:
    """Bytes of buffer ``index``; None for a fallback buffer (no data: only decoded views use it)."""
    buf = doc["buffers"][index]
    uri = buf.get("uri")
    if uri is None:
        return binary if index == 0 and binary is not None else None
    if uri.startswith("data:"):
        return base64.b64decode(uri.split(",", 1)[1])
    folder = path.parent.resolve()
    target = (folder / unquote(uri)).resolve()
    if not target.is_relative_to(folder):
        raise UnsafeReference(f"{path.name}: buffer {uri!r} lies outside the model's folder.")
    return target.read_bytes()


def _slice(buffers: list[bytes | None], ref: dict[str, Any], name: str) -> bytes:
    data = buffers[ref["buffer"]]
    start = ref.get("byteOffset", 0)
    if data is None or start + ref["byteLength"] > len(data):
        raise CorruptFile(f"{name}: a buffer view points past the data it names.")
    return data[start:start + ref["byteLength"]]


def _glb(doc: dict[str, Any], blob: bytes) -> bytes:
    js = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    js += b" " * (-len(js) % 4)
    blob += b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(js) + 8 + len(blob)
    return (struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(js), b"JSON") + js
            + struct.pack("<I4s", len(blob), b"BIN\0") + blob)
