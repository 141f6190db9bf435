"""A glTF master's materials as :class:`~.materials.MaterialDetails`, and what export cannot keep.

trimesh reads the geometry but keeps only part of each material (no texCoord, scales,
transforms, KTX2 images). Here the glTF document is read directly: every material, its
textures' own bytes (from buffer views, data URIs or files inside the master's folder only)
and the notes naming what a web copy does not carry (skins, animations, morph targets,
cameras, lights, other extensions, a second UV set).
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from archive.errors import ArchiveError, CorruptFile
from archive.safepaths import safe_target

from .materials import BASE_COLOR, SLOT_NAMES, SLOTS, MaterialDetails, TextureMap, decoded, is_ktx2

TRANSFORM = "KHR_texture_transform"
BASISU = "KHR_texture_basisu"
#: extensions whose content reaches the web copy: decoded by the reader (geometry, WebP
#: pixels) or carried (texture transform, KTX2)
CARRIED = frozenset({TRANSFORM, BASISU, "KHR_draco_mesh_compression", "EXT_meshopt_compression",
                     "KHR_meshopt_compression", "KHR_mesh_quantization", "EXT_texture_webp", "KHR_materials_unlit"})
#: material extensions that are carried as they are when they hold only numbers (no textures)
NUMERIC_MATERIAL_EXTENSIONS = frozenset({
    "KHR_materials_emissive_strength", "KHR_materials_ior", "KHR_materials_specular", "KHR_materials_transmission",
    "KHR_materials_volume", "KHR_materials_clearcoat", "KHR_materials_sheen", "KHR_materials_iridescence",
    "KHR_materials_anisotropy", "KHR_materials_dispersion", "KHR_materials_unlit"})
TAG = "\u241fheritage-material-"  # marks a material's index in the copy trimesh reads


@dataclass
class GltfMaterials:
    """The document's materials (by index) and the notes on what is not carried."""

    materials: list[MaterialDetails]
    double_sided: list[bool]
    base_colors: list[tuple[float, float, float, float]]
    notes: list[str] = field(default_factory=list)
    carried_extensions: set[str] = field(default_factory=set)


def split_glb(data: bytes) -> tuple[dict[str, Any], bytes | None]:
    """The JSON document and BIN chunk of GLB ``data``; a ``.gltf``'s JSON when not a GLB."""
    if not data.startswith(b"glTF"):
        return json.loads(data.decode("utf-8-sig")), None
    length = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + length].decode("utf-8"))
    rest = 20 + length + (-length % 4)
    binary = None
    if len(data) >= rest + 8 and data[rest + 4:rest + 8] == b"BIN\0":
        binary = data[rest + 8:rest + 8 + struct.unpack_from("<I", data, rest)[0]]
    return doc, binary


def tagged(doc: dict[str, Any], binary: bytes | None) -> tuple[bytes, str]:
    """The document with each material named by its index (so the parts trimesh returns can be
    matched to their materials), as bytes and trimesh's file type."""
    copy = dict(doc)
    copy["materials"] = [{**m, "name": f"{TAG}{i}"} for i, m in enumerate(doc.get("materials", []))]
    js = json.dumps(copy, separators=(",", ":")).encode("utf-8")
    if binary is None:
        return js, "gltf"
    js += b" " * (-len(js) % 4)
    blob = binary + b"\0" * (-len(binary) % 4)
    total = 12 + 8 + len(js) + 8 + len(blob)
    return (struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(js), b"JSON") + js
            + struct.pack("<I4s", len(blob), b"BIN\0") + blob), "glb"


def material_index(material: object) -> int | None:
    """The glTF index :func:`tagged` gave ``material`` (a trimesh material), or None."""
    name = str(getattr(material, "name", None) or "")
    return int(name[len(TAG):]) if name.startswith(TAG) and name[len(TAG):].isdigit() else None


def read_materials(path: Path, doc: dict[str, Any], binary: bytes | None) -> GltfMaterials:
    """Every material of ``doc`` (the master at ``path``) and the notes on what is dropped."""
    reader = _Images(path, doc, binary)
    notes = dropped_features(doc)
    out = GltfMaterials([], [], [], notes)
    for n, mat in enumerate(doc.get("materials", [])):
        out.materials.append(_material(mat, n, reader, out))
        out.double_sided.append(bool(mat.get("doubleSided", False)))
        pbr = mat.get("pbrMetallicRoughness", {})
        r, g, b, a = (float(x) for x in pbr.get("baseColorFactor", (1.0, 1.0, 1.0, 1.0)))
        out.base_colors.append((r, g, b, a))
    return out


def _material(mat: dict[str, Any], n: int, reader: _Images, out: GltfMaterials) -> MaterialDetails:
    pbr = mat.get("pbrMetallicRoughness", {})
    emissive = tuple(float(x) for x in mat.get("emissiveFactor", (0.0, 0.0, 0.0)))
    details = MaterialDetails(metallic=float(pbr.get("metallicFactor", 1.0)),
                              roughness=float(pbr.get("roughnessFactor", 1.0)),
                              emissive=(emissive[0], emissive[1], emissive[2]),
                              alpha_mode=mat.get("alphaMode", "OPAQUE"), alpha_cutoff=mat.get("alphaCutoff"))
    for slot in SLOTS:
        info = pbr.get(slot) if slot in (BASE_COLOR, "metallicRoughnessTexture") else mat.get(slot)
        if info is not None:
            texture = _texture_map(info, slot, n, reader, out)
            if texture is not None:
                details.maps[slot] = texture
    for name, ext in mat.get("extensions", {}).items():
        if name in NUMERIC_MATERIAL_EXTENSIONS and '"index"' not in json.dumps(ext):
            details.extensions[name] = ext
            out.carried_extensions.add(name)
        else:
            out.notes.append(f"material {n}: the {name} extension is not carried (it uses textures or is unknown)")
    return details


def _texture_map(info: dict[str, Any], slot: str, n: int, reader: _Images, out: GltfMaterials) -> TextureMap | None:
    transform = info.get("extensions", {}).get(TRANSFORM)
    tex_coord = int((transform or {}).get("texCoord", info.get("texCoord", 0)))
    if tex_coord != 0:
        out.notes.append(f"material {n}: the {SLOT_NAMES[slot]} uses a second UV set (TEXCOORD_{tex_coord}), "
                         "which is not carried; the map was left out")
        return None
    texture = reader.doc.get("textures", [])[info["index"]]
    sampler_index = texture.get("sampler")
    sampler = reader.doc["samplers"][sampler_index] if sampler_index is not None else None
    amount = info.get("scale", info.get("strength"))
    if transform is not None:  # its texCoord was checked above: every map is on TEXCOORD_0
        transform = {k: v for k, v in transform.items() if k != "texCoord"}
    result = TextureMap(None, amount=None if amount is None else float(amount), transform=transform, sampler=sampler)
    basisu = texture.get("extensions", {}).get(BASISU)
    if "source" in texture:
        data = reader.data(texture["source"])
        if is_ktx2(data):
            result.ktx2 = result.ktx2 or data
        else:
            try:
                result.image, result.encoded = decoded(data, f"material {n}'s {SLOT_NAMES[slot]}"), data
            except ArchiveError as exc:
                out.notes.append(f"material {n}: the {SLOT_NAMES[slot]} cannot be read and was left out ({exc})")
    if basisu is not None and result.image is not None:
        # the PNG/JPEG carries the same picture in full; the GPU-compressed twin is left out
        out.notes.append(f"material {n}: the KTX2 copy of the {SLOT_NAMES[slot]} is not carried "
                         "(its PNG/JPEG image is)")
    elif basisu is not None:
        result.ktx2 = reader.data(basisu["source"])  # the only image: carried as it is, not decoded
    if result.image is None and result.ktx2 is None:
        return None
    return result


class _Images:
    """Encoded bytes of the document's images, from buffer views, data URIs or files inside
    the master's folder (any other URI is refused)."""

    def __init__(self, path: Path, doc: dict[str, Any], binary: bytes | None):
        self.path, self.doc, self.binary = path, doc, binary
        self._buffers: dict[int, bytes] = {}

    def data(self, index: int) -> bytes:
        image = self.doc["images"][index]
        if "bufferView" in image:
            view = self.doc["bufferViews"][image["bufferView"]]
            buffer = self._buffer(view["buffer"])
            start = view.get("byteOffset", 0)
            if start + view["byteLength"] > len(buffer):
                raise CorruptFile(f"{self.path.name}: image {index} points past its buffer")
            return buffer[start:start + view["byteLength"]]
        return self._uri(image["uri"])

    def _buffer(self, index: int) -> bytes:
        if index not in self._buffers:
            uri = self.doc["buffers"][index].get("uri")
            self._buffers[index] = (self.binary or b"") if uri is None else self._uri(uri)
        return self._buffers[index]

    def _uri(self, uri: str) -> bytes:
        if uri.startswith("data:"):
            return base64.b64decode(uri.split(",", 1)[1])
        return safe_target(self.path.parent, unquote(uri), f"{self.path.name}'s image").read_bytes()


def dropped_features(doc: dict[str, Any]) -> list[str]:
    """Notes naming what the web copy does not carry: it holds static meshes and materials."""
    notes = []
    counts = {"skins": "skin(s)", "animations": "animation(s)", "cameras": "camera(s)"}
    for key, label in counts.items():
        if doc.get(key):
            notes.append(f"{len(doc[key])} {label} not carried: the web copy is a static model")
    prims = [p for m in doc.get("meshes", []) for p in m.get("primitives", [])]
    morphs = sum(1 for p in prims if p.get("targets"))
    if morphs:
        notes.append(f"morph targets of {morphs} primitive(s) not carried: the web copy keeps the base shape")
    lines = sum(1 for p in prims if p.get("mode") in (1, 2, 3))
    if lines:
        notes.append(f"{lines} line primitive(s) not carried: the web copy holds triangles and points")
    if any("TEXCOORD_1" in p.get("attributes", {}) for p in prims):
        notes.append("a second UV set (TEXCOORD_1) is not carried")
    for name in doc.get("extensionsUsed", []):
        if name not in CARRIED and name not in NUMERIC_MATERIAL_EXTENSIONS:
            notes.append(f"the {name} extension is not carried")
    return notes
