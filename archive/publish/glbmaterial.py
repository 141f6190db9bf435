"""A part's material as glTF 2.0 JSON, every map and factor its master gave (see :mod:`.materials`).

Parts without :class:`~.materials.MaterialDetails` (scans) keep the matte, non-metallic
material they always had. KTX2 images travel with ``KHR_texture_basisu``: as the texture's
only image (the extension then required) or beside a PNG/JPEG fallback, as in the master.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from .geometry import Part
from .materials import BASE_COLOR, METALLIC_ROUGHNESS, NORMAL, OCCLUSION, SLOTS, TextureMap
from .textures import Texture

BASISU = "KHR_texture_basisu"
TRANSFORM = "KHR_texture_transform"
UNLIT = "KHR_materials_unlit"
DEFAULT_SAMPLER = {"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}
SCAN_METALLIC, SCAN_ROUGHNESS = 0.0, 0.9  # scans say nothing of their surface: matte, not metal


class Builder(Protocol):
    doc: dict[str, Any]
    used: set[str]
    required: set[str]
    images: dict[bytes, int]

    def view(self, data: bytes, target: int | None = None) -> int: ...


def material(b: Builder, part: Part, tex: Texture | None, maps: Mapping[str, Texture]) -> dict[str, Any]:
    """The glTF material of ``part``; ``tex`` is its encoded base colour, ``maps`` its other
    maps encoded (by slot). Textures and images are added to ``b``."""
    d = part.details
    pbr: dict[str, Any] = {"metallicFactor": SCAN_METALLIC if d is None or d.metallic is None else d.metallic,
                           "roughnessFactor": SCAN_ROUGHNESS if d is None or d.roughness is None else d.roughness}
    if part.base_color != (1.0, 1.0, 1.0, 1.0):
        pbr["baseColorFactor"] = list(part.base_color)
    out: dict[str, Any] = {"pbrMetallicRoughness": pbr}
    for slot in SLOTS:
        source = d.maps.get(slot) if d is not None else None
        pixels = tex if slot == BASE_COLOR else maps.get(slot)
        ktx2 = source.ktx2 if source is not None else None
        if pixels is not None or ktx2 is not None:
            info = _texture_info(b, slot, pixels, ktx2, source)
            (pbr if slot in (BASE_COLOR, METALLIC_ROUGHNESS) else out)[slot] = info
    if d is not None and d.emissive != (0.0, 0.0, 0.0):
        out["emissiveFactor"] = list(d.emissive)
    _alpha(out, part)
    extensions = dict(d.extensions) if d is not None else {}
    if part.faces is None:
        extensions[UNLIT] = {}  # points have no normals: show their colour as scanned
    if extensions:
        out["extensions"] = extensions
        b.used.update(extensions)
    if part.double_sided or part.faces is None:
        out["doubleSided"] = True
    return out


def has_textures(part: Part, tex: Texture | None, maps: Mapping[str, Texture]) -> bool:
    """Whether the material uses texture coordinates (so TEXCOORD_0 is written)."""
    ktx2 = part.details is not None and any(m.ktx2 is not None for m in part.details.maps.values())
    return tex is not None or bool(maps) or ktx2


def _alpha(out: dict[str, Any], part: Part) -> None:
    mode = part.details.alpha_mode if part.details is not None else None
    if mode is None:
        mode = "BLEND" if part.base_color[3] < 1.0 else "OPAQUE"
    if mode != "OPAQUE":
        out["alphaMode"] = mode
    cutoff = part.details.alpha_cutoff if part.details is not None else None
    if mode == "MASK" and cutoff is not None:
        out["alphaCutoff"] = cutoff


def _texture_info(b: Builder, slot: str, pixels: Texture | None, ktx2: bytes | None,
                  source: TextureMap | None) -> dict[str, Any]:
    texture: dict[str, Any] = {"sampler": _sampler(b, source.sampler if source is not None else None)}
    if pixels is not None:
        texture["source"] = _image(b, pixels.data, pixels.mime)
    if ktx2 is not None:
        texture["extensions"] = {BASISU: {"source": _image(b, ktx2, "image/ktx2")}}
        b.used.add(BASISU)
        if pixels is None:  # no fallback image: a viewer must understand KTX2
            b.required.add(BASISU)
    b.doc.setdefault("textures", []).append(texture)
    info: dict[str, Any] = {"index": len(b.doc["textures"]) - 1}
    if source is not None and source.amount is not None and slot in (NORMAL, OCCLUSION):
        info["scale" if slot == NORMAL else "strength"] = source.amount
    if source is not None and source.transform is not None:
        info["extensions"] = {TRANSFORM: source.transform}
        b.used.add(TRANSFORM)
    return info


def _image(b: Builder, data: bytes, mime: str) -> int:
    """Index of the image holding ``data``; one image shared by maps that use the same bytes
    (an occlusion-roughness-metallic texture serves two slots)."""
    images = b.doc.setdefault("images", [])
    known = b.images.get(data)
    if known is not None:
        return known
    images.append({"bufferView": b.view(data), "mimeType": mime})
    b.images[data] = len(images) - 1
    return len(images) - 1


def _sampler(b: Builder, sampler: dict[str, Any] | None) -> int:
    """Index of ``sampler`` (the master's, else the default: linear, mipmapped, repeat), shared."""
    wanted = {k: v for k, v in (sampler or DEFAULT_SAMPLER).items() if k in DEFAULT_SAMPLER}
    samplers = b.doc.setdefault("samplers", [])
    key = json.dumps(wanted, sort_keys=True)
    for n, existing in enumerate(samplers):
        if json.dumps(existing, sort_keys=True) == key:
            return n
    samplers.append(wanted)
    return len(samplers) - 1


def needs_tangents(part: Part, maps: Mapping[str, Texture]) -> bool:
    """A normal map needs a tangent space; written with the mesh rather than left to each viewer."""
    ktx2 = part.details is not None and NORMAL in part.details.maps and part.details.maps[NORMAL].ktx2 is not None
    return part.faces is not None and part.uv is not None and (NORMAL in maps or ktx2)


def tangents(vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(n, 4) float32 unit tangents with handedness in w, accumulated per face from the UV
    gradients (Lengyel's method) and made orthogonal to ``normals`` (n, 3). Vertices whose UVs
    give no direction get any tangent orthogonal to their normal."""
    tri, tuv = vertices[faces], uv[faces]
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    d1, d2 = tuv[:, 1] - tuv[:, 0], tuv[:, 2] - tuv[:, 0]
    det = d1[:, 0] * d2[:, 1] - d2[:, 0] * d1[:, 1]
    r = np.divide(1.0, det, out=np.zeros_like(det), where=np.abs(det) > 1e-20)[:, None]
    sdir, tdir = (e1 * d2[:, 1:2] - e2 * d1[:, 1:2]) * r, (e2 * d1[:, 0:1] - e1 * d2[:, 0:1]) * r
    n = len(vertices)
    acc_s = np.column_stack([np.bincount(faces.ravel(), np.repeat(sdir[:, k], 3), minlength=n) for k in range(3)])
    acc_t = np.column_stack([np.bincount(faces.ravel(), np.repeat(tdir[:, k], 3), minlength=n) for k in range(3)])
    t = acc_s - normals * np.sum(normals * acc_s, axis=1, keepdims=True)
    length = np.linalg.norm(t, axis=1)
    flat = ~(length > 1e-12)
    if flat.any():  # any direction orthogonal to the normal
        other = np.where(np.abs(normals[flat, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
        t[flat] = np.cross(normals[flat], other)
        length[flat] = np.linalg.norm(t[flat], axis=1)
    t = t / length[:, None]
    w = np.where(np.sum(np.cross(normals, t) * acc_t, axis=1) < 0.0, -1.0, 1.0)
    out = np.column_stack([t, w]).astype(np.float32)
    out[:, :3] /= np.linalg.norm(out[:, :3], axis=1, keepdims=True)  # unit again after float32 rounding
    return out
