"""Memory a master's reader is expected to hold, from what the file says it holds.

The counting (a glTF's accessors and images, an OBJ's MTL textures, from their headers) is
:mod:`glbtools.contents`, shared with the viewer's isolated reader; here it runs with the
archive's own rules for what a master may reference (:func:`.formats.refs.resolve_ref`, inside
the master's folder) and for images (:func:`.imagesafe.check_image`). :func:`.isolation.limits_for`
takes the larger of this and its file-size rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from glbtools import contents
from glbtools.contents import (
    BYTES_PER_TEXEL,
    GLB_COPIES,
    GLTF_BYTES_PER_NORMAL,
    GLTF_BYTES_PER_TRIANGLE,
    GLTF_BYTES_PER_UV,
    GLTF_BYTES_PER_VERTEX,
    IMAGE_HEAD_BYTES,
    MAX_JSON_BYTES,
    OBJ_HEAD_BYTES,
)


def contents_expected(paths: Iterable[Path]) -> tuple[int, int]:
    """(what each glTF/GLB among ``paths`` holds, decoded; the textures beside the master,
    decoded) in bytes: :func:`glbtools.contents.contents_expected` with the archive's rules."""
    return contents.contents_expected(paths, ARCHIVE_LOOKUPS)


def gltf_expected(path: Path, images: dict[Any, int] | None = None) -> int:
    """Bytes reading the glTF/GLB ``path`` and decimating it hold
    (:func:`glbtools.contents.gltf_expected` with the archive's rules); 0 when unreadable."""
    return contents.gltf_expected(path, ARCHIVE_LOOKUPS, images)


def _image_bytes(source: Path | bytes) -> int:
    """An image decoded, from its header's width and height (0 when unreadable; the
    largest image the archive decodes when it claims more)."""
    from .errors import CorruptFile, LimitExceeded
    from .imagesafe import MAX_PIXELS, check_image

    try:
        width, height = check_image(source, "texture")
    except LimitExceeded:
        return MAX_PIXELS * BYTES_PER_TEXEL
    except (CorruptFile, OSError, ValueError):
        return 0
    return width * height * BYTES_PER_TEXEL


def _inside(path: Path, ref: str, uri: bool, root: Path | None) -> Path | None:
    """The file ``ref`` (written in ``path``) inside ``root`` (``path``'s folder), or None."""
    from .errors import UnsafeReference
    from .formats.refs import resolve_ref

    try:
        target = resolve_ref(ref, path.parent, root or path.parent, uri=uri)
    except UnsafeReference:
        return None
    return target if target is not None and target.is_file() else None


def _texture_refs(mtl: Path) -> list[str]:
    from .errors import ArchiveError
    from .formats.mtl import texture_refs

    try:
        return texture_refs(mtl)
    except (ArchiveError, OSError):
        return []


ARCHIVE_LOOKUPS = contents.Lookups(_inside, _image_bytes, _texture_refs)

__all__ = ["BYTES_PER_TEXEL", "GLB_COPIES", "GLTF_BYTES_PER_NORMAL", "GLTF_BYTES_PER_TRIANGLE", "GLTF_BYTES_PER_UV",
           "GLTF_BYTES_PER_VERTEX", "IMAGE_HEAD_BYTES", "MAX_JSON_BYTES", "OBJ_HEAD_BYTES", "contents_expected",
           "gltf_expected"]
