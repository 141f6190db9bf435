"""The texture image of a photogrammetry OBJ's one material, found the way the viewer's OBJ
reader (Open3D's) finds it, but never outside the OBJ's folder.

Scans made on Windows write ``map_Kd .\\scan.jpg``, ``map_Kd textures\\scan.jpg`` or an
absolute ``C:\\...\\scan.jpg``: backslashes are separators here, and an absolute name is
looked up by its bare name next to the OBJ (as Open3D does). A name that leads out of the
OBJ's folder (``..``, a link pointing elsewhere) is refused: the mesh is shown without it,
with a note. Pure Python, shared by the viewer (which may not import the archive).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

#: bigger material libraries are not read (a scan's MTL is a few lines)
MAX_MTL_BYTES = 1024**2
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


class ObjTexture(NamedTuple):
    """``image``: the texture file inside the OBJ's folder, or None when there is none to
    show; ``note``: why a texture the file names is not shown (None when nothing to say)."""

    image: Path | None
    note: str | None


def obj_texture(obj: Path, mtllib: str | None, material: str | None) -> ObjTexture | None:
    """The texture of ``material`` (its ``map_Kd``) in the library ``mtllib`` named by ``obj``;
    None when the MTL says something this simple reader does not follow (texture options,
    several ``map_Kd`` names for the material): the caller reads the file the full way."""
    if mtllib is None:
        return ObjTexture(None, None)
    mtl = inside(obj.parent, mtllib)
    if mtl is None:
        return ObjTexture(None, f"{obj.name}: its material library {mtllib} lies outside its folder; not read.")
    if not mtl.is_file():
        return ObjTexture(None, f"{obj.name}: its material library {mtllib} is missing; shown without texture.")
    if mtl.stat().st_size > MAX_MTL_BYTES:
        return None
    refs = _map_kd(mtl.read_bytes().decode("utf-8", "replace"), material)
    if refs is None or len(refs) > 1 or (refs and refs[0].startswith("-")):
        return None
    if not refs:
        return ObjTexture(None, None)
    image = inside(obj.parent, refs[0])
    if image is None:
        return ObjTexture(None, f"{obj.name}: its texture {refs[0]} lies outside its folder; shown without it.")
    if not image.is_file():
        return ObjTexture(None, f"{obj.name}: its texture {refs[0]} is missing; shown without it.")
    return ObjTexture(image, None)


def inside(folder: Path, ref: str) -> Path | None:
    """``ref`` (as written in an OBJ or MTL) resolved in ``folder``; None when it leads outside.
    Backslashes count as separators; an absolute name is taken by its bare name."""
    text = ref.strip().replace("\\", "/")
    if text.startswith("/") or _DRIVE.match(ref.strip()):
        text = text.rsplit("/", 1)[-1]
    root = folder.resolve()
    target = (root / text).resolve()
    return target if target.is_relative_to(root) and target != root else None


def _map_kd(text: str, material: str | None) -> list[str] | None:
    """The ``map_Kd`` names of ``material`` (of the first material when None); None when the
    library does not define it."""
    found: list[str] | None = None
    current: str | None = None
    for line in text.splitlines():
        key, _, args = line.strip().partition(" ")
        if key == "newmtl":
            current = args.strip()
            if found is not None:
                break  # the wanted material's block has ended
            if material is None or current == material:
                found = []
        elif key.lower() == "map_kd" and found is not None and args.strip():
            found.append(args.strip())
    return found


__all__ = ["MAX_MTL_BYTES", "ObjTexture", "inside", "obj_texture"]
