"""Images are size-checked before decoding, and textures leave the archive with no metadata."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
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


# ------------------------------------------------------------------ texture metadata allow-list

CANARY = b"CANARY-private-note"


def png_with_everything() -> tuple[bytes, bytes]:
    """A PNG carrying the canary in every kind of ancillary chunk, and the plain PNG."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 8), (10, 120, 200)).save(buf, "PNG")
    plain = buf.getvalue()
    ihdr_end = 8 + 25
    extra = b"".join([
        png_chunk(b"tEXt", b"Author\x00" + CANARY), png_chunk(b"iTXt", b"Note\x00\x00\x00\x00\x00" + CANARY),
        png_chunk(b"zTXt", CANARY + b"\x00\x00" + zlib.compress(b"x")),
        png_chunk(b"iCCP", CANARY + b"\x00\x00" + zlib.compress(CANARY * 4)),
        png_chunk(b"prVt", CANARY), png_chunk(b"eXIf", b"MM\x00*" + CANARY),
        png_chunk(b"tIME", b"\x07\xe8\x01\x01\x00\x00\x00"),
    ])  # fmt: skip
    return plain[:ihdr_end] + extra + plain[ihdr_end:] + CANARY, plain


def jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def progressive_jpeg_with_everything() -> tuple[bytes, bytes]:
    """A progressive JPEG with the canary in APP0 (not JFIF), APP1, APP2 ICC, APP15, a COM
    after the first scan, and after EOI; and the plain JPEG."""
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(buf, "JPEG", progressive=True)
    plain = buf.getvalue()
    head = jpeg_segment(0xE0, b"JFXX\x00" + CANARY) + jpeg_segment(0xE1, b"Exif\x00\x00" + CANARY)
    head += jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + CANARY) + jpeg_segment(0xEF, CANARY)
    first_sos = plain.index(b"\xff\xda")
    second_sos = plain.index(b"\xff\xda", first_sos + 2)
    second = plain.rfind(b"\xff\xc4", first_sos, second_sos)  # a DHT between the scans, if any
    cut = second if second > 0 else second_sos
    data = plain[:2] + head + plain[2:cut] + jpeg_segment(0xFE, CANARY) + plain[cut:] + CANARY
    return data, plain


def png_chunk_types(data: bytes) -> set[bytes]:
    kinds, pos = set(), 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        kinds.add(kind)
        pos += 12 + length
    return kinds


@pytest.mark.parametrize("make", [png_with_everything, progressive_jpeg_with_everything], ids=["png", "jpeg"])
def test_copied_texture_keeps_only_what_decodes(make) -> None:  # type: ignore[no-untyped-def]
    from archive.publish.textures import PNG_KEEP, strip_metadata

    hostile, plain = make()
    assert hostile.count(CANARY) >= 5
    clean = strip_metadata(hostile)
    assert clean is not None and CANARY not in clean
    with Image.open(io.BytesIO(clean)) as a, Image.open(io.BytesIO(plain)) as b:
        assert a.tobytes() == b.tobytes()
    if clean.startswith(b"\x89PNG"):
        assert png_chunk_types(clean) <= PNG_KEEP


@pytest.mark.parametrize("make", [png_with_everything, progressive_jpeg_with_everything], ids=["png", "jpeg"])
def test_texture_in_web_copies_carries_no_canary(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from archive.publish.textures import find_original, prepare_texture

    hostile, plain = make()
    with Image.open(io.BytesIO(hostile)) as image:
        image.load()
        original = find_original(image, [hostile])
        texture = prepare_texture(image, original, None, 90)
        assert texture.how == "copied (metadata removed)" and CANARY not in texture.data
        with Image.open(io.BytesIO(texture.data)) as copied:
            assert copied.tobytes() == image.tobytes()


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", b"\x00" * 13)[:-6],
                                  b"\xff\xd8\xff\xe1\x00\x40" + CANARY, b"\xff\xd8" + CANARY])
def test_texture_that_cannot_be_walked_is_re_encoded(data: bytes) -> None:
    from archive.publish.textures import prepare_texture, strip_metadata

    assert strip_metadata(data) is None
    image = Image.new("RGB", (4, 4), (9, 9, 9))
    texture = prepare_texture(image, data, None, 90)
    assert texture.how == "re-encoded" and CANARY not in texture.data
