"""Identify a 3D scan format by its signature first and its extension second."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from archive.errors import EmptyModel, UnsupportedFormat
from archive.formats.registry import SCAN_SUFFIXES, SIGNATURE_ONLY_SUFFIXES, format_list, not_supported_yet

IMAGE_SUFFIXES = frozenset(
    ".png .jpg .jpeg .jpe .tga .bmp .tif .tiff .gif .webp .ktx .ktx2 .dds .exr .hdr .svg .basis .psd".split()
)
SIDE_FILE_SUFFIXES: frozenset[str] = IMAGE_SUFFIXES | frozenset({".mtl", ".bin"})
"""Files that are never scans on their own (materials, textures, glTF buffers)."""

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"), (b"\xabKTX 20\xbb", "KTX2 texture"), (b"\xabKTX 11\xbb", "KTX texture"),
    (b"DDS ", "DDS texture"), (b"BM", "BMP image"), (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"), (b"%PDF", "PDF document"), (b"PK\x03\x04", "ZIP archive"),
    (b"# vtk DataFile", "VTK file"),
)  # fmt: skip
_OFF_HEAD = re.compile(rb"^(?:ST)?C?N?4?n?OFF(?:\d+|\s|$)")
_GLTF_VERSION = re.compile(rb'"asset"\s*:\s*\{[^{}]*"version"\s*:\s*"(\d+)')
_OBJ_LINE = re.compile(rb"^(?:v|vn|vt|f|o|g|mtllib|usemtl)\s", re.M)


def is_side_file(path: Path) -> bool:
    """Whether ``path`` is a material, texture or buffer that is only part of a scan."""
    return path.suffix.lower() in SIDE_FILE_SUFFIXES


def identify(path: Path) -> str:
    """Format of ``path``: a key of :data:`archive.formats.registry.IMPORT_FORMATS`.

    Raises
    ------
    UnsupportedFormat
        Images, materials, buffers, documents, glTF 1.0 and anything unknown.
    EmptyModel
        A zero-byte file with a scan extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    with open(path, "rb") as fh:
        head = fh.read(4096)
        size = fh.seek(0, 2)
    if not head:
        if suffix in SCAN_SUFFIXES:
            raise EmptyModel(f"{path.name} is empty (0 bytes).")
        raise UnsupportedFormat(f"{path.name} is empty and not a 3D scan.")
    found = _by_binary_signature(path, head, size)
    if found is None:
        found = _by_text_signature(path, head, suffix)
    if found is not None:
        return found
    if suffix in SCAN_SUFFIXES and suffix not in SIGNATURE_ONLY_SUFFIXES:
        return SCAN_SUFFIXES[suffix]
    raise UnsupportedFormat(_unsupported_message(path, head, suffix))


def _by_binary_signature(path: Path, head: bytes, size: int) -> str | None:
    if head.startswith(b"glTF"):
        version = struct.unpack("<I", head[4:8])[0] if len(head) >= 8 else 2
        if version == 1:
            raise UnsupportedFormat(
                f"{path.name} is a glTF 1.0 binary (GLB v1); only glTF 2.0 is supported. "
                "Convert it with a current exporter or gltf-pipeline."
            )
        if version != 2:
            raise UnsupportedFormat(f"{path.name}: GLB version {version} is not glTF 2.0.")
        return "glb"
    if head.startswith(b"LASF"):
        compressed = len(head) > 104 and head[104] & 0x80
        return "laz" if compressed or path.suffix.lower() == ".laz" else "las"
    if head.startswith(b"ASTM-E57"):
        return "e57"
    if len(head) >= 84:
        count = struct.unpack("<I", head[80:84])[0]
        if size == 84 + 50 * count:
            return "stl"  # exact binary STL size, even when the header says "solid"
    return None


def _by_text_signature(path: Path, head: bytes, suffix: str) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if re.match(rb"ply\s", text):
        return "ply"
    if _OFF_HEAD.match(text):
        return "off"
    if text.startswith(b"# .PCD") or re.match(rb"(#[^\n]*\n)*VERSION\s", text):
        return "pcd"
    if text.startswith(b"solid") and (b"facet" in text or b"endsolid" in text):
        return "stl"
    if text.startswith(b"{") and (suffix == ".gltf" or b'"asset"' in text):
        _refuse_gltf1(path, head)
        return "gltf"
    if suffix == "" and _OBJ_LINE.search(text):
        return "obj"
    return None


def _refuse_gltf1(path: Path, head: bytes) -> None:
    data = head
    if len(head) == 4096:
        with open(path, "rb") as fh:
            data = fh.read(1 << 20)
    for match in _GLTF_VERSION.finditer(data):
        if match.group(1) == b"1":
            raise UnsupportedFormat(
                f"{path.name} is glTF 1.0; only glTF 2.0 is supported. Convert it with a "
                "current exporter or gltf-pipeline."
            )


def _unsupported_message(path: Path, head: bytes, suffix: str) -> str:
    known = not_supported_yet(path)
    if known:  # first: a 3MF or USDZ is a zip inside, and must not be called "a ZIP archive"
        return f"{path.name}: {known}."
    for magic, what in _IMAGE_MAGIC:
        if head.startswith(magic):
            return f"{path.name} is a {what}, not a 3D scan."
    if suffix == ".mtl":
        return f"{path.name} is an OBJ material library; import the .obj that uses it."
    if suffix == ".bin":
        return f"{path.name} is a glTF buffer; import the .gltf that uses it."
    if suffix in SIDE_FILE_SUFFIXES:
        return f"{path.name} is an image/texture, not a 3D scan."
    if suffix in SCAN_SUFFIXES:
        return f"{path.name} does not look like a {suffix[1:].upper()} file (bad signature)."
    return f"{path.name} is not a 3D format the archive reads (supported: {format_list()})."
