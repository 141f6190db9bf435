"""meshopt-compressed glTF masters as plain GLBs, with the archive's typed errors.

The decoding itself lives in :mod:`glbtools` (shared with the viewer, which may not import
the archive); sizes were checked at import (:mod:`archive.formats.gltf`).
"""

from __future__ import annotations

from pathlib import Path

import glbtools
from archive.errors import CorruptFile, UnsafeReference, UnsupportedFormat

_ERRORS: dict[type[glbtools.GlbError], type[Exception]] = {
    glbtools.UnsafeReference: UnsafeReference, glbtools.UnsupportedFormat: UnsupportedFormat}


def decoded_glb(path: Path) -> bytes | None:
    """``path`` as a plain GLB when it uses meshopt compression, else None (read it as is)."""
    try:
        return glbtools.decoded_glb(path)
    except glbtools.GlbError as exc:
        raise _ERRORS.get(type(exc), CorruptFile)(str(exc)) from exc
