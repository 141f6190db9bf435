"""What a master's material says beyond its base colour, in glTF 2.0 terms.

A :class:`~.geometry.Part` keeps its base colour (factor and image) and ``double_sided`` as
before; :class:`MaterialDetails` holds the rest: metallic-roughness, normal, occlusion and
emissive maps with their factors, texture coordinates, strengths and ``KHR_texture_transform``,
alpha mode and cutoff, KTX2/BasisU images (carried encoded, never decoded) and the material
extensions that hold only numbers. The readers (:mod:`.gltfmaterials`, :mod:`.mtlmaterials`)
fill it; :mod:`.glbmaterial` writes it.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from archive.imagesafe import decode, open_image

BASE_COLOR = "baseColorTexture"
METALLIC_ROUGHNESS = "metallicRoughnessTexture"
NORMAL = "normalTexture"
OCCLUSION = "occlusionTexture"
EMISSIVE = "emissiveTexture"
#: every texture slot of a glTF 2.0 material, in the order they are written
SLOTS = (BASE_COLOR, METALLIC_ROUGHNESS, NORMAL, OCCLUSION, EMISSIVE)
#: maps that hold data rather than colour: kept lossless (PNG), never JPEG's chroma subsampling
DATA_MAPS = frozenset({METALLIC_ROUGHNESS, NORMAL, OCCLUSION})
#: what each slot is called in notes
SLOT_NAMES = {BASE_COLOR: "base-colour map", METALLIC_ROUGHNESS: "metallic-roughness map",
              NORMAL: "normal map", OCCLUSION: "occlusion map", EMISSIVE: "emissive map"}
KTX2_MAGIC = b"\xabKTX 20\xbb\r\n\x1a\n"


@dataclass
class TextureMap:
    """One texture of a material.

    ``image`` is the decoded picture (None when only a KTX2 image is carried); ``encoded``
    the master's own PNG/JPEG bytes when known (copied when they fit the profile); ``ktx2``
    a KHR_texture_basisu image, passed through as it is. ``amount`` is a normal map's
    ``scale`` or an occlusion map's ``strength``.
    """

    image: Image.Image | None
    encoded: bytes | None = None
    ktx2: bytes | None = None
    tex_coord: int = 0
    amount: float | None = None
    transform: dict[str, Any] | None = None
    sampler: dict[str, Any] | None = None


@dataclass
class MaterialDetails:
    """A material's properties other than the base colour factor and image (see module doc).

    ``metallic``/``roughness`` None means the master does not say (scans): the writer then
    uses a matte, non-metallic default.
    """

    metallic: float | None = None
    roughness: float | None = None
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    alpha_mode: str | None = None
    alpha_cutoff: float | None = None
    maps: dict[str, TextureMap] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def has_textures(self) -> bool:
        return bool(self.maps)


def decoded(data: bytes, what: str) -> Image.Image:
    """``data`` decoded within the archive's image limits (a copy, detached from the stream)."""
    with open_image(data, what) as image:
        return decode(image, what).copy()


def is_ktx2(data: bytes) -> bool:
    return data.startswith(KTX2_MAGIC)


def ktx2_size(data: bytes) -> tuple[int, int]:
    """Width and height from a KTX2 header (pixelWidth, pixelHeight)."""
    width, height = struct.unpack_from("<II", data, 20)
    return int(width), max(int(height), 1)


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()
