"""Photographs as assets of an item (reference photos, labels, the dish as served)."""

from __future__ import annotations

from pathlib import Path

from PIL import UnidentifiedImageError

from .errors import CorruptFile, UnsupportedFormat
from .formats import ScanInfo
from .imagesafe import MAX_PIXELS, open_image

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp"}

__all__ = ["MAX_PIXELS", "PHOTO_FORMATS", "inspect_photo", "is_photo"]


def is_photo(path: Path) -> bool:
    return path.suffix.lower() in {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}


def inspect_photo(path: Path, root: Path) -> ScanInfo:
    """Check that ``path`` is a readable photograph; its size and format, without decoding
    more than the header (sizes beyond :data:`archive.imagesafe.MAX_PIXELS` are refused)."""
    with open_image(path, path.name) as image:
        fmt = PHOTO_FORMATS.get(image.format or "")
        if fmt is None:
            raise UnsupportedFormat(f"{path.name} is a {image.format} image; photos must be JPEG, PNG, TIFF or WebP")
        width, height = image.size
        try:
            image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise CorruptFile(f"{path.name} is not a readable image ({exc})") from exc
    rel = path.relative_to(root).as_posix()
    return ScanInfo(format=fmt, geometry="image", files=[rel], details={"width": width, "height": height})
