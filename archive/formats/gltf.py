"""glTF 2.0 (.gltf and .glb): counts, bounds and files from the JSON alone.

Vertex and triangle counts come from accessors, the box from the POSITION accessors'
min/max carried through the node hierarchy, so meshopt and quantized files inspect like
plain ones. Declared sizes are checked against the bytes really there (gltf_data); Draco
primitives are decoded once to check that they hold what their accessors declare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archive.errors import CorruptFile, EmptyModel, LimitExceeded, UnsupportedFormat
from archive.formats import _common as C
from archive.formats import gltf_geometry as G
from archive.formats.base import Limits, ScanInfo
from archive.formats.glb import read_glb
from archive.formats.gltf_data import (
    MESHOPT,
    Buffer,
    buffer_warning,
    check_draco,
    check_meshopt,
    check_sparse,
    check_view,
    extension,
    index,
    items,
    number,
)
from archive.formats.refs import data_uri_size, is_data_uri, rel_posix, resolve_ref
from archive.formats.units import declare

__all__ = ["index", "inspect_glb", "inspect_gltf", "items", "load_json", "number"]

Json = dict[str, Any]
_COMPONENT = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_NCOMP = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def inspect_gltf(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect a ``.gltf`` file; see :func:`archive.formats.inspect_scan`."""
    if C.file_size(path) > limits.max_json_bytes:
        raise LimitExceeded(f"{path.name}: glTF JSON larger than {limits.max_json_bytes:,} bytes.")
    info = ScanInfo(format="gltf", geometry="mesh", files=[rel_posix(path, root)])
    return _inspect(load_json(path.read_bytes(), path.name, info), path, root, limits, info, None)


def inspect_glb(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect a ``.glb`` file; see :func:`archive.formats.inspect_scan`."""
    info = ScanInfo(format="glb", geometry="mesh", files=[rel_posix(path, root)])
    raw, bin_chunk = read_glb(path, limits, info.warnings)
    glb_bin = Buffer(0, 0, path) if bin_chunk is None else Buffer(0, bin_chunk[1], path, bin_chunk[0])
    return _inspect(load_json(raw, path.name, info), path, root, limits, info, glb_bin)


def load_json(raw: bytes, name: str, info: ScanInfo) -> Json:
    """Decode the glTF JSON object; anything else is ``CorruptFile``."""
    if raw.startswith(b"\xef\xbb\xbf"):
        info.warnings.append("JSON starts with a byte order mark")
        raw = raw[3:]
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CorruptFile(f"{name}: glTF JSON cannot be read ({exc}).") from None
    if not isinstance(doc, dict):
        raise CorruptFile(f"{name}: glTF JSON is not an object.")
    return doc


def _inspect(doc: Json, path: Path, root: Path, limits: Limits, info: ScanInfo, glb_bin: Buffer | None) -> ScanInfo:
    _asset(doc, path.name, info)
    declare(info, "m", "glTF 2.0 defines metres")
    buffers = _buffers(doc, path, root, limits, info, glb_bin)
    views = _buffer_views(doc, buffers, path.name, limits)
    _accessors(doc, views, path.name, limits)
    G.geometry(doc, path.name, info)
    if info.vertices == 0:
        raise EmptyModel(f"{path.name}: the glTF holds no mesh geometry; there is nothing to import.")
    # Per-accessor counts may each be within the limits while the scene adds up beyond them.
    C.check_count(info.vertices, limits.max_vertices, "vertices", path.name)
    C.check_count(info.faces, limits.max_faces, "triangles", path.name)
    check_draco(doc, buffers, path.name)
    _images(doc, path, root, limits, info)
    return info


def _asset(doc: Json, name: str, info: ScanInfo) -> None:
    asset = doc.get("asset")
    if not isinstance(asset, dict):
        info.warnings.append("glTF has no 'asset' object")
        asset = {}
    version = str(asset.get("version", ""))
    if version.startswith("1") or version.startswith("0"):
        raise UnsupportedFormat(
            f"{name} is glTF {version}; only glTF 2.0 is supported. Convert it with a current "
            "exporter or gltf-pipeline."
        )
    for key in ("generator", "copyright", "version", "minVersion"):
        if isinstance(asset.get(key), str):
            info.details[key] = asset[key]
    for key in ("extensionsUsed", "extensionsRequired"):
        if isinstance(doc.get(key), list):
            info.details[key] = [str(x) for x in doc[key]]


def _buffers(doc: Json, path: Path, root: Path, limits: Limits, info: ScanInfo, glb_bin: Buffer | None) -> list[Buffer]:
    buffers = []
    for i, item in enumerate(items(doc, "buffers", path.name)):
        declared = number(item, "byteLength", path.name, -1)
        uri = item.get("uri")
        if uri is None and i == 0 and glb_bin is not None:
            buf = Buffer(declared, glb_bin.real, path, glb_bin.offset)
        elif uri is None:
            buf = Buffer(declared, 0, placeholder=True)
        elif not isinstance(uri, str):
            raise CorruptFile(f"{path.name}: buffer {i} uri is not a string.")
        elif is_data_uri(uri):
            buf = Buffer(declared, _data_uri(uri, limits, path.name), data_uri=uri)
        else:
            target = _external_buffer(uri, path, root, info)
            buf = Buffer(declared, None if target is None else C.file_size(target), target)
        warning = buffer_warning(i, buf)
        if warning:
            info.warnings.append(warning)
        buffers.append(buf)
    return buffers


def _data_uri(uri: str, limits: Limits, name: str) -> int:
    size = data_uri_size(uri)
    if size > limits.max_data_uri_bytes:
        raise LimitExceeded(
            f"{name}: an embedded data: URI holds {size:,} bytes; at most {limits.max_data_uri_bytes:,} are accepted."
        )
    return size


def _external_buffer(uri: str, path: Path, root: Path, info: ScanInfo) -> Path | None:
    target = resolve_ref(uri, path.parent, root, uri=True)
    if target is None:
        info.warnings.append(f"buffer {uri} is missing")
        return None
    rel = rel_posix(target, root)
    if rel not in info.files:
        info.files.append(rel)
    return target


def _buffer_views(doc: Json, buffers: list[Buffer], name: str, limits: Limits) -> list[int]:
    sizes = []
    for view in items(doc, "bufferViews", name):
        b = index(view, "buffer", len(buffers), "buffer", name)
        start, length = number(view, "byteOffset", name), number(view, "byteLength", name, -1)
        if b is None:
            raise CorruptFile(f"{name}: a bufferView names no buffer.")
        comp = extension(view, MESHOPT)
        if comp is None:
            check_view(start, start + length, buffers[b], "bufferView", name)
        else:  # the bytes are decompressed into a (possibly placeholder) buffer
            if start + length > buffers[b].declared:
                raise CorruptFile(f"{name}: a bufferView reaches past the end of its buffer.")
            cb = index(comp, "buffer", len(buffers), "buffer", name)
            cstart, clength = number(comp, "byteOffset", name), number(comp, "byteLength", name, -1)
            if cb is None:
                raise CorruptFile(f"{name}: a compressed bufferView names no buffer.")
            check_view(cstart, cstart + clength, buffers[cb], "compressed bufferView", name)
            check_meshopt(comp, length, limits, name)
        sizes.append(length)
    return sizes


def _accessors(doc: Json, views: list[int], name: str, limits: Limits) -> None:
    most = max(limits.max_vertices, 3 * limits.max_faces)
    for acc in items(doc, "accessors", name):
        count = number(acc, "count", name, -1)
        C.check_count(count, most, "accessor elements", name)
        comp, ncomp = _COMPONENT.get(acc.get("componentType", 0)), _NCOMP.get(acc.get("type", ""))
        if comp is None or ncomp is None:
            raise CorruptFile(f"{name}: accessor has an unknown componentType or type.")
        check_sparse(acc, count, comp * ncomp, views, name)
        v = index(acc, "bufferView", len(views), "bufferView", name)
        if v is None or count == 0:
            continue
        view = doc["bufferViews"][v]
        stride = number(view, "byteStride", name) or comp * ncomp
        need = number(acc, "byteOffset", name) + stride * (count - 1) + comp * ncomp
        if need > views[v]:
            raise CorruptFile(f"{name}: an accessor reads past the end of its bufferView.")


def _images(doc: Json, path: Path, root: Path, limits: Limits, info: ScanInfo) -> None:
    available = []
    for img in items(doc, "images", path.name):
        uri = img.get("uri")
        if isinstance(uri, str) and is_data_uri(uri):
            _data_uri(uri, limits, path.name)
            available.append(True)
        elif isinstance(uri, str):
            target = resolve_ref(uri, path.parent, root, uri=True)
            if target is None:
                info.warnings.append(f"texture {uri} is missing")
            else:
                rel = rel_posix(target, root)
                if rel not in info.textures:
                    info.textures.append(rel)
            available.append(target is not None)
        else:
            available.append(img.get("bufferView") is not None)
    info.files.extend(t for t in info.textures if t not in info.files)
    used = G.material_textures(doc, path.name)
    sources = [G.texture_sources(t) for t in items(doc, "textures", path.name)]
    info.textured = any(
        0 <= s < len(available) and available[s] for t in used if 0 <= t < len(sources) for s in sources[t]
    )
    info.details["images"] = len(available)
