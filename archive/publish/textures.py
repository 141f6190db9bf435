"""Textures for web copies: keep the original bytes when they fit, else downscale and re-encode.

Original bytes are found by matching decoded pixels against the asset's texture files (OBJ
and glTF side files) or the images embedded in a GLB, so no path from the master ever
reaches the output. Copied bytes keep only the blocks needed to decode (an allow-list, so
an unknown private chunk, an ICC profile's text or a comment between progressive scans never
leaves the archive); a file that cannot be walked is re-encoded from its pixels. A copied
texture is byte-identical to the original unless it carried anything else.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from archive.errors import ArchiveError
from archive.imagesafe import open_image

PNG_SIG = b"\x89PNG\r\n\x1a\n"
#: The only PNG chunks copied: those needed to decode, and fixed-size numeric colour
#: information (no text can hide in them). iCCP, text, EXIF and private chunks are dropped.
PNG_KEEP = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB", b"sBIT"}
#: The only JPEG marker segments copied: DQT, DHT, DAC, DRI and every SOFn (C0..CF less the
#: non-frame markers C4 DHT, C8 JPG, CC DAC, which are listed on their own). APP0 only when it
#: is exactly JFIF without a thumbnail; SOS is followed by its entropy-coded data.
JPEG_KEEP = {0xDB, 0xC4, 0xCC, 0xDD} | (set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC})
_JFIF = b"\xff\xe0\x00\x10JFIF\x00"  # APP0 of 16 bytes: JFIF with a 0×0 thumbnail


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
            with open_image(data, "a texture") as probe:  # size read from the header only
                if probe.size == image.size and probe.format in ("PNG", "JPEG"):
                    same_size.append(data)
        except ArchiveError:  # unreadable or too large: it cannot be the decoded image
            continue
    if len(same_size) == 1:
        # The image was loaded from one of the asset's own files, so a single candidate of
        # its size is that file; decoding it again would double the export time.
        return same_size[0]
    target = np.asarray(image.convert("RGBA"))
    for data in same_size:
        with open_image(data, "a texture") as probe:
            if np.array_equal(np.asarray(probe.convert("RGBA")), target):
                return data
    return None


def strip_metadata(data: bytes) -> bytes | None:
    """``data`` with only the blocks needed to decode (see :data:`PNG_KEEP`, :data:`JPEG_KEEP`);
    the compressed pixel data is untouched. None when ``data`` is not a PNG or JPEG that can be
    walked to its end: the caller re-encodes it from pixels."""
    try:
        if data.startswith(PNG_SIG):
            return _strip_png(data)
        if data[:2] == b"\xff\xd8":
            return _strip_jpeg(data)
    except (struct.error, ValueError):
        return None
    return None


def _strip_png(data: bytes) -> bytes | None:
    out = [PNG_SIG]
    pos = len(PNG_SIG)
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            return None
        if kind in PNG_KEEP:
            out.append(data[pos:end])
        if kind == b"IEND":
            return b"".join(out)  # anything after IEND is dropped
        pos = end
    return None


def _strip_jpeg(data: bytes) -> bytes | None:
    """Walk every segment, also those between and after the scans of a progressive JPEG."""
    out = [data[:2]]
    pos = 2
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:  # EOI: trailing bytes are dropped
            out.append(b"\xff\xd9")
            return b"".join(out)
        length = struct.unpack_from(">H", data, pos + 2)[0]
        end = pos + 2 + length
        if length < 2 or end > len(data):
            return None
        if marker == 0xDA:
            end = _scan_end(data, end)
            out.append(data[pos:end])
        elif marker in JPEG_KEEP or (length == 16 and data[pos:pos + len(_JFIF)] == _JFIF):
            out.append(data[pos:end])
        pos = end
    return None


def _scan_end(data: bytes, pos: int) -> int:
    """Offset of the first marker after the entropy-coded data starting at ``pos`` (byte
    stuffing FF00 and restart markers RST0..7 belong to the data)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise ValueError("entropy-coded data runs to the end of the file")
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
            continue
        if following == 0xFF:
            pos += 1
            continue
        return pos


def prepare_texture(image: Image.Image, original: bytes | None, max_px: int | None, quality: int,
                    force_reencode: bool = False, lossless: bool = False) -> Texture:
    """Encode ``image`` for a GLB: the original bytes when they fit ``max_px``, else a
    downscaled (Lanczos) re-encode: JPEG when opaque, PNG when the alpha channel is used or
    ``lossless`` (data maps: normals, metallic-roughness, occlusion)."""
    fits = max_px is None or max(image.size) <= max_px
    clean = strip_metadata(original) if original is not None and fits and not force_reencode else None
    if original is not None and clean is not None:
        mime = "image/png" if clean.startswith(PNG_SIG) else "image/jpeg"
        return Texture(clean, mime, image.size, "copied" if clean == original else "copied (metadata removed)")
    how = "re-encoded"
    if not fits and max_px is not None:
        scale = max_px / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
        how = "downscaled"
    return encode(image, quality, how, lossless)


def encode(image: Image.Image, quality: int, how: str = "re-encoded", lossless: bool = False) -> Texture:
    """Encode without any metadata: JPEG when opaque, else (or when ``lossless``) PNG."""
    buf = io.BytesIO()
    alpha = _has_alpha(image)
    if lossless or alpha:
        _bare(image.convert("RGBA" if alpha else "RGB")).save(buf, "PNG", optimize=False, compress_level=6)
        return Texture(buf.getvalue(), "image/png", image.size, how)
    _bare(image.convert("RGB")).save(buf, "JPEG", quality=quality, optimize=True, progressive=False)
    return Texture(buf.getvalue(), "image/jpeg", image.size, how)


def _bare(image: Image.Image) -> Image.Image:
    """``image`` (a converted copy) without the source's metadata, which Pillow would write
    back (an ICC profile, EXIF)."""
    image.info.clear()
    return image


def _has_alpha(image: Image.Image) -> bool:
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return False
    alpha = image.convert("RGBA").getchannel("A")
    low = alpha.getextrema()[0]
    return isinstance(low, (int, float)) and low < 255


def shrink(texture: Texture, image: Image.Image, factor: float, quality: int, lossless: bool = False) -> Texture:
    """``image`` re-encoded at ``factor`` of ``texture``'s size (to meet a byte budget)."""
    w, h = texture.size
    size = (max(1, int(w * factor)), max(1, int(h * factor)))
    return encode(image.resize(size, Image.Resampling.LANCZOS), quality, "downscaled", lossless)
