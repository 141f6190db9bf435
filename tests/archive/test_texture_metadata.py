"""Images are size-checked before decoding, and textures leave the archive with no metadata."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from archive.errors import CorruptFile, LimitExceeded
from archive.imagesafe import MAX_PIXELS, check_image, open_image
from archive.photos import inspect_photo


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int, height: int) -> bytes:
    """A PNG header declaring ``width``×``height`` RGB pixels, with a few bytes of data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [13000, 20000, 60000])
def test_image_dimensions_are_refused_before_decoding(side: int) -> None:
    start = time.monotonic()
    with pytest.raises(LimitExceeded, match="megapixel limit"):
        check_image(bomb_png(side, side), "texture bomb.png")
    assert time.monotonic() - start < 2


def test_image_sources_path_bytes_and_stream_give_the_size(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (7, 5), (1, 2, 3)).save(buf, "PNG")
    (tmp_path / "t.png").write_bytes(buf.getvalue())
    assert check_image(tmp_path / "t.png", "t.png") == (7, 5)
    assert check_image(buf.getvalue(), "t.png") == (7, 5)
    with open_image(io.BytesIO(buf.getvalue()), "t.png") as image:
        assert image.convert("RGB").getpixel((0, 0)) == (1, 2, 3)


def test_a_smaller_limit_is_obeyed_and_garbage_is_corrupt() -> None:
    with pytest.raises(LimitExceeded, match="100×100 px"):
        check_image(bomb_png(100, 100), "t.png", max_pixels=5000)
    with pytest.raises(CorruptFile):
        check_image(b"not an image at all", "t.png")
    assert check_image(bomb_png(100, 100), "t.png") == (100, 100) and MAX_PIXELS >= 100 * 100


def test_photo_bomb_is_refused_typed(tmp_path: Path) -> None:
    (tmp_path / "label.png").write_bytes(bomb_png(13000, 13000))
    with pytest.raises(LimitExceeded, match="13000×13000"):
        inspect_photo(tmp_path / "label.png", tmp_path)
