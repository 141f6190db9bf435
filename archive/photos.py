"""Photographs as assets of an item (reference photos, labels, the dish as served)."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import CorruptFile, LimitExceeded, UnsupportedFormat
from .formats import ScanInfo

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp"}
MAX_PIXELS = 400_000_000  # a 20,000 × 20,000 photo; larger is refused before decoding


def is_photo(path: Path) -> bool:
    return path.suffix.lower() in {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}


def inspect_photo(path: Path, root: Path) -> ScanInfo:
    """Check that ``path`` is a readable photograph; its size and format, without decoding
    more than the header (Pillow's decompression-bomb guard stays on)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                fmt = PHOTO_FORMATS.get(image.format or "")
                if fmt is None:
                    raise UnsupportedFormat(
                        f"{path.name} is a {image.format} image; photos must be JPEG, PNG, TIFF or WebP")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise LimitExceeded(f"{path.name} is {width}×{height} pixels, more than the archive accepts")
                image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise LimitExceeded(f"{path.name} is too large to be a photograph ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"{path.name} is not a readable image ({exc})") from exc
    rel = path.relative_to(root).as_posix()
    return ScanInfo(format=fmt, geometry="image", files=[rel], details={"width": width, "height": height})
