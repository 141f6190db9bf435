"""The export's reader for the usual photogrammetry OBJ (one textured material): the
geometry comes from :func:`glbtools.objfast.read_textured_obj` (float32, one vertex per
distinct position/texture-coordinate pair), the material from trimesh's MTL parser.
Anything that reader declines gives ``None``: the caller falls back to trimesh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glbtools.objfast import read_textured_obj


def textured_obj_parts(path: Path) -> list[Any] | None:
    """The master's one part (:class:`.geometry.Part`) from :func:`read_textured_obj`, its
    material read as the export's OBJ reader reads it (trimesh's MTL parser, then
    :func:`.geometry._to_part` and the MTL's details); None when the file needs the full
    reader. Notes on what of the material is not kept ride on the returned list."""
    import trimesh
    from trimesh.exchange.obj import parse_mtl
    from trimesh.visual.material import SimpleMaterial

    from .geometry import Parts, _mtl, _SideFiles, _to_part

    obj = read_textured_obj(path)
    if obj is None:
        return None
    resolver = _SideFiles(str(path))
    material = None
    if obj.mtllib is not None:
        try:
            kwargs = parse_mtl(resolver[obj.mtllib], resolver=resolver)
            material = {k: SimpleMaterial(**v) for k, v in kwargs.items()}.get(obj.material or "")
        except Exception:  # noqa: BLE001 - as trimesh: an MTL that cannot be read leaves the mesh plain
            material = None
    if material is not None and getattr(material, "image", None) is not None:
        _name_source(material.image, path, obj.mtllib, obj.material)
    visual = trimesh.visual.TextureVisuals(uv=obj.uv, material=material)
    vertices = obj.vertices + obj.origin if obj.origin.any() else obj.vertices  # float64 only when far off
    geom = trimesh.Trimesh(vertices, obj.faces, visual=visual, process=False)
    del obj
    parts = Parts()
    part = _to_part(geom)
    if part is not None:
        _mtl(part, geom, path.parent, parts.notes)
        parts.append(part)
    return parts


def _name_source(image: Any, path: Path, mtllib: str | None, material: str | None) -> None:
    """Give the texture trimesh read from bytes the name of its file (as if opened from it),
    so that a level keeping it at its size copies the file instead of encoding it again
    (:func:`glbtools.leveltexture.save_texture`)."""
    from glbtools.objmaterial import obj_texture

    found = obj_texture(path, mtllib, material)
    if found is not None and found.image is not None and not getattr(image, "filename", ""):
        image.filename = str(found.image)


__all__ = ["textured_obj_parts"]
