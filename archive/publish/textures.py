"""Textures for web copies: keep the original bytes when they fit, else downscale and re-encode.

Original bytes are found by matching decoded pixels against the asset's texture files (OBJ
and glTF side files) or the images embedded in a GLB, so no path from the master ever
reaches the output. Metadata blocks (EXIF, XMP, PNG text chunks, JPEG comments) are removed
without touching the pixel data: a copied texture is byte-identical to the original unless
it carried metadata, which could hold a private note or a user name.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

PNG_SIG = b"\x89PNG\r\n\x1a\n"
#: PNG chunks that carry text or metadata, dropped from copied textures.
PNG_METADATA = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}
#: JPEG markers dropped: APP1..APP15 (EXIF, XMP, Photoshop…) and COM. APP0 (JFIF) stays.
JPEG_DROP = set(range(0xE1, 0xF0)) | {0xFE}


@dataclass
class Texture:
    """An encoded texture ready to embed: ``data`` (PNG or JPEG bytes), how it was made."""

    data: bytes
    mime: str
    size: tuple[int, int]
    how: str  # "copied", "copied (metadata removed)", "re-encoded", "downscaled"


def original_candidates(files: list[Path]) -> list[bytes]:
    """Encoded PNG/JPEG images among ``files`` and inside any GLB among them."""
    out: list[bytes] = []
    for path in files:
        suffix = path.suffix.lower()
        if suffix in (".png", ".jpg", ".jpeg"):
            out.append(path.read_bytes())
        elif suffix == ".glb":
            out.extend(_glb_images(path.read_bytes()))
    return out


def _glb_images(data: bytes) -> list[bytes]:
    import json

    if len(data) < 20 or data[:4] != b"glTF":
        return []
    json_len = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + json_len])
    offset = 20 + json_len
    if offset + 8 > len(data):
        return []
    bin_chunk = data[offset + 8:]
    views = doc.get("bufferViews", [])
    images = []
    for image in doc.get("images", []):
        if "bufferView" in image and image.get("mimeType") in ("image/png", "image/jpeg"):
            view = views[image["bufferView"]]
            start = view.get("byteOffset", 0)
            images.append(bytes(bin_chunk[start:start + view["byteLength"]]))
    return images


def find_original(image: Image.Image, candidates: list[bytes]) -> bytes | None:
    """The candidate encoding ``image``: the only one of its size, else the one whose decoded
    pixels are equal; None when there is none."""
    same_size = []
    for data in candidates:
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.size == image.size and probe.format in ("PNG", "JPEG"):
                    same_size.append(data)
        except OSError:
            continue
    if len(same_size) == 1:
        # The image was loaded from one of the asset's own files, so a single candidate of
        # its size is that file; decoding it again would double the export time.
        return same_size[0]
    target = np.asarray(image.convert("RGBA"))
    for data in same_size:
        with Image.open(io.BytesIO(data)) as probe:
            if np.array_equal(np.asarray(probe.convert("RGBA")), target):
                return data
    return None


def strip_metadata(data: bytes) -> bytes:
    """``data`` without metadata blocks; the compressed pixel data is untouched."""
    if data.startswith(PNG_SIG):
        return _strip_png(data)
    if data[:2] == b"\xff\xd8":
        return _strip_jpeg(data)
    return data


def _strip_png(data: bytes) -> bytes:
    out = [PNG_SIG]
    pos = len(PNG_SIG)
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if kind not in PNG_METADATA:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


def _strip_jpeg(data: bytes) -> bytes:
    out = [data[:2]]
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            out.append(data[pos:])
            return b"".join(out)
        length = struct.unpack_from(">H", data, pos + 2)[0]
        if marker not in JPEG_DROP:
            out.append(data[pos:pos + 2 + length])
        pos += 2 + length
    out.append(data[pos:])
    return b"".join(out)


def prepare_texture(image: Image.Image, original: bytes | None, max_px: int | None, quality: int,
                    force_reencode: bool = False) -> Texture:
    """Encode ``image`` for a GLB: the original bytes when they fit ``max_px``, else a
    downscaled (Lanczos) re-encode: JPEG when opaque, PNG when the alpha channel is used."""
    fits = max_px is None or max(image.size) <= max_px
    if original is not None and fits and not force_reencode:
        clean = strip_metadata(original)
        mime = "image/png" if clean.startswith(PNG_SIG) else "image/jpeg"
        return Texture(clean, mime, image.size, "copied" if clean == original else "copied (metadata removed)")
    how = "re-encoded"
    if not fits and max_px is not None:
        scale = max_px / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
        how = "downscaled"
    return encode(image, quality, how)


def encode(image: Image.Image, quality: int, how: str = "re-encoded") -> Texture:
    """Encode without any metadata: JPEG when opaque, else PNG."""
    buf = io.BytesIO()
    if _has_alpha(image):
        image.convert("RGBA").save(buf, "PNG", optimize=False, compress_level=6)
        return Texture(buf.getvalue(), "image/png", image.size, how)
    image.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True, progressive=False)
    return Texture(buf.getvalue(), "image/jpeg", image.size, how)


def _has_alpha(image: Image.Image) -> bool:
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return False
    alpha = image.convert("RGBA").getchannel("A")
    low = alpha.getextrema()[0]
    return isinstance(low, (int, float)) and low < 255


def shrink(texture: Texture, image: Image.Image, factor: float, quality: int) -> Texture:
    """``image`` re-encoded at ``factor`` of ``texture``'s size (to meet a byte budget)."""
    w, h = texture.size
    size = (max(1, int(w * factor)), max(1, int(h * factor)))
    return encode(image.resize(size, Image.Resampling.LANCZOS), quality, "downscaled")
