"""The texture a PLY master names in its header (``comment TextureFile NAME``), found or noted.

trimesh looks the name up literally and, when the file is missing, gives the mesh a 2×2 grey
placeholder that an export would embed without a word. Here the name is resolved as the
importer does (``<this>`` stands for the PLY's own name without extension; only files inside
the master's folder), and a texture that cannot be found is a note naming it instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from archive.errors import ArchiveError
from archive.safepaths import safe_target

from .materials import decoded

_HEADER_LIMIT = 1 << 16


def header_texture_names(path: Path) -> list[str]:
    """The files the header's TextureFile comments name, ``<this>`` replaced."""
    with open(path, "rb") as f:
        head = f.read(_HEADER_LIMIT)
    text = head.split(b"end_header", 1)[0].decode("latin-1")
    names = []
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if len(words) < 2 or words[0] != "comment" or not words[1].lower().startswith("texturefile"):
            continue
        name = words[1][len("texturefile"):].strip().lstrip(":").strip()
        if name:
            names.append(re.sub(r"<this>", lambda _m: path.stem, name, flags=re.I))
    return names


def ply_texture(path: Path, notes: list[str]) -> tuple[bool, Image.Image | None]:
    """(whether the header names a texture, the first one that can be read or None). Each
    named file that cannot be found or read is a note."""
    names = header_texture_names(path)
    for name in names:
        try:
            target = safe_target(path.parent, name.replace("\\", "/"), f"{path.name}'s TextureFile")
            return True, decoded(target.read_bytes(), name)
        except (ArchiveError, OSError):
            notes.append(f"texture {name} (named by the PLY header's TextureFile) is missing; "
                         "the model is exported without it")
    return bool(names), None
