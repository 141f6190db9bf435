"""A texture whose header claims a huge size is never decoded by the viewer's readers."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from viewer.readers import read_with_trimesh


def _png_header_only(width: int, height: int) -> bytes:
    """A small PNG file that claims ``width``×``height`` pixels (its data is one short row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_texture_bomb_is_not_decoded(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(_png_header_only(13000, 13000))
    (tmp_path / "m.mtl").write_text("newmtl a\nmap_Kd big.png\n")
    obj = tmp_path / "m.obj"
    obj.write_text("mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nusemtl a\nf 1/1 2/2 3/3\n")
    geometry = read_with_trimesh(obj)
    assert geometry is not None and len(geometry.triangles) == 1
    assert not geometry.textures, "a 169-megapixel texture was decoded"
