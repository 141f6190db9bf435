"""One door for opening images: dimensions are checked from the header before any pixel is
decoded (textures at import and export, photos, thumbnails' inputs).

Pillow's ``Image.open`` is lazy: it reads the header and the size, and decodes only on
``load()``. A 5 MB PNG can declare 13000×13000 pixels (680 MB once decoded), so the size is
checked here first, and Pillow's own decompression-bomb guard becomes a typed error.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from archive.errors import CorruptFile, LimitExceeded

#: Largest image decoded anywhere (100 megapixels: a 10,000 × 10,000 texture or photo,
#: 400 MB as RGBA). Larger images are refused before decoding.
MAX_PIXELS = 100_000_000

ImageSource = Path | bytes | BinaryIO


def check_image(source: ImageSource, what: str, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """Width and height of the image at ``source``, read from its header only.

    Raises
    ------
    LimitExceeded
        The image has more than ``max_pixels`` pixels (or Pillow calls it a decompression bomb).
    CorruptFile
        ``source`` is not a readable image.
    """
    with open_image(source, what, max_pixels) as image:
        return image.size


def open_image(source: ImageSource, what: str, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The image at ``source``, opened lazily after its size was checked (see :func:`check_image`).

    The caller decodes it (``load()``, ``convert()``) and should close it (``with``).
    """
    fp: str | Path | BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            # Our own limit below replaces Pillow's warning; its hard error still applies.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fp)
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(
            f"{what} is larger than the {max_pixels // 1_000_000}-megapixel limit for images ({exc})"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"{what} is not a readable image ({exc})") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise LimitExceeded(
            f"{what} is {width}×{height} px, more than the {max_pixels // 1_000_000}-megapixel limit for images"
        )
    return image


def decode(image: Image.Image, what: str) -> Image.Image:
    """``image`` with its pixels loaded; a damaged or bomb-like stream becomes a typed error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(f"{what} is too large to decode ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"{what} cannot be decoded ({exc})") from None
    return image
