"""glTF 2.0 (.gltf and .glb): counts, bounds and files from the JSON alone.

Nothing is decoded: vertex and triangle counts come from accessors, the box from the
POSITION accessors' min/max carried through the node hierarchy, so Draco, meshopt and
quantized files inspect like plain ones.
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
from archive.formats.refs import data_uri_size, is_data_uri, rel_posix, resolve_ref

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
    raw, bin_len = read_glb(path, limits, info.warnings)
    return _inspect(load_json(raw, path.name, info), path, root, limits, info, bin_len)


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


def _inspect(doc: Json, path: Path, root: Path, limits: Limits, info: ScanInfo, bin_len: int | None) -> ScanInfo:
    _asset(doc, path.name, info)
    info.units = "m"  # glTF 2.0 specifies metres
    lengths = _buffers(doc, path, root, limits, info, bin_len)
    views = _buffer_views(doc, lengths, path.name)
    _accessors(doc, views, path.name, limits)
    G.geometry(doc, path.name, info)
    if info.vertices == 0:
        raise EmptyModel(f"{path.name}: the glTF holds no mesh geometry; there is nothing to import.")
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
    """Non-negative integer field."""
    if key not in obj and default < 0:
        raise CorruptFile(f"{name}: glTF object lacks the required field {key!r}.")
    value = obj.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CorruptFile(f"{name}: glTF field {key!r} = {value!r} is not a non-negative integer.")
    return value


def _buffers(doc: Json, path: Path, root: Path, limits: Limits, info: ScanInfo, bin_len: int | None) -> list[int]:
    lengths = []
    for i, buf in enumerate(items(doc, "buffers", path.name)):
        declared = number(buf, "byteLength", path.name, -1)
        uri = buf.get("uri")
        if uri is None:
            if i == 0 and bin_len is not None and bin_len < declared:
                raise CorruptFile(f"{path.name}: GLB BIN chunk is shorter than buffer 0 declares.")
        elif not isinstance(uri, str):
            raise CorruptFile(f"{path.name}: buffer {i} uri is not a string.")
        elif is_data_uri(uri):
            _data_uri(uri, limits, path.name)
        else:
            _external_buffer(uri, declared, path, root, info)
        lengths.append(declared)
    return lengths


def _data_uri(uri: str, limits: Limits, name: str) -> None:
    size = data_uri_size(uri)
    if size > limits.max_data_uri_bytes:
        raise LimitExceeded(
            f"{name}: an embedded data: URI holds {size:,} bytes; at most {limits.max_data_uri_bytes:,} are accepted."
        )


def _external_buffer(uri: str, declared: int, path: Path, root: Path, info: ScanInfo) -> None:
    target = resolve_ref(uri, path.parent, root, uri=True)
    if target is None:
        info.warnings.append(f"buffer {uri} is missing")
        return
    if C.file_size(target) < declared:
        raise CorruptFile(f"{path.name}: buffer {uri} is shorter than the {declared:,} bytes declared.")
    rel = rel_posix(target, root)
    if rel not in info.files:
        info.files.append(rel)


def _buffer_views(doc: Json, lengths: list[int], name: str) -> list[int]:
    sizes = []
    for view in items(doc, "bufferViews", name):
        b = index(view, "buffer", len(lengths), "buffer", name)
        end = number(view, "byteOffset", name) + number(view, "byteLength", name, -1)
        if b is None or end > lengths[b]:
            raise CorruptFile(f"{name}: a bufferView reaches past the end of its buffer.")
        for ext in ("EXT_meshopt_compression", "KHR_meshopt_compression"):
            comp = view.get("extensions", {}).get(ext) if isinstance(view.get("extensions"), dict) else None
            if isinstance(comp, dict):
                cb = index(comp, "buffer", len(lengths), "buffer", name)
                cend = number(comp, "byteOffset", name) + number(comp, "byteLength", name, -1)
                if cb is None or cend > lengths[cb]:
                    raise CorruptFile(f"{name}: compressed bufferView reaches past its buffer.")
        sizes.append(number(view, "byteLength", name))
    return sizes


def _accessors(doc: Json, views: list[int], name: str, limits: Limits) -> None:
    most = max(limits.max_vertices, 3 * limits.max_faces)
    for acc in items(doc, "accessors", name):
        count = number(acc, "count", name, -1)
        C.check_count(count, most, "accessor elements", name)
        comp, ncomp = _COMPONENT.get(acc.get("componentType", 0)), _NCOMP.get(acc.get("type", ""))
        if comp is None or ncomp is None:
            raise CorruptFile(f"{name}: accessor has an unknown componentType or type.")
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
