"""Conversion from trimesh objects (glTF/GLB, fall-back readers) to Open3D geometry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import open3d as o3d

if TYPE_CHECKING:
    import trimesh  # imported when a file is read through trimesh: importing it (and SciPy) costs over a second


def _texture_image(visual: Any) -> np.ndarray | None:
    """(h, w, 3) uint8 base colour texture of a trimesh visual, or None."""
    mat = getattr(visual, "material", None)
    if mat is None:
        return None
    img = getattr(mat, "baseColorTexture", None) or getattr(mat, "image", None)
    if img is None:
        return None
    arr = np.asarray(img.convert("RGB"))
    return np.ascontiguousarray(arr)


def _base_colour(visual: Any) -> np.ndarray:
    """(3,) uint8 base colour of a material (white when none is declared)."""
    mat = getattr(visual, "material", None)
    for name in ("baseColorFactor", "diffuse", "main_color"):
        value = getattr(mat, name, None) if mat is not None else None
        if value is not None:
            c = np.asarray(value, dtype=np.float64).ravel()[:3]
            return (c * 255 if c.max() <= 1.0 else c).clip(0, 255).astype(np.uint8)
    return np.full(3, 200, dtype=np.uint8)


def meshes_to_o3d(parts: list[trimesh.Trimesh]) -> o3d.geometry.TriangleMesh:
    """Merge trimesh meshes into one Open3D mesh, keeping textures and vertex colours.

    Textured parts keep their base colour texture (one texture per part, selected through
    ``triangle_material_ids``). When any part is textured, untextured parts get a 1x1
    texture of their base colour so the whole model renders with one shader.

    Parameters
    ----------
    parts
        Meshes already transformed into the model frame.
    """
    textures = [_texture_image(p.visual) if getattr(p.visual, "uv", None) is not None else None
                for p in parts]
    any_texture = any(t is not None for t in textures)
    verts: list[np.ndarray] = []
    tris: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    uvs: list[np.ndarray] = []
    mids: list[np.ndarray] = []
    images: list[o3d.geometry.Image] = []
    offset = 0
    for part, tex in zip(parts, textures, strict=True):
        v = np.asarray(part.vertices, dtype=np.float64)
        f = np.asarray(part.faces, dtype=np.int32).reshape(-1, 3)
        verts.append(v)
        tris.append(f + offset)
        offset += len(v)
        cols.append(_vertex_colours(part, len(v)))
        if any_texture:
            if tex is None:
                tex = np.tile(_base_colour(part.visual), (1, 1, 1))
                uv = np.zeros((len(v), 2))
            else:
                uv = np.asarray(getattr(part.visual, "uv", None), dtype=np.float64)
            # trimesh already converted glTF UVs to the OBJ convention Open3D expects.
            # Wrapped into [0, 1): the legacy renderer clamps rather than repeats.
            corner_uv = uv[f.ravel()] % 1.0
            uvs.append(corner_uv)
            mids.append(np.full(len(f), len(images), dtype=np.int32))
            images.append(o3d.geometry.Image(np.ascontiguousarray(tex)))  # type: ignore[call-overload]
    mesh = o3d.geometry.TriangleMesh(
        o3d.utility.Vector3dVector(np.concatenate(verts)),
        o3d.utility.Vector3iVector(np.concatenate(tris)),
    )
    colour = np.concatenate(cols)
    if not np.allclose(colour, colour[:1]) or not any_texture:
        if not np.all(colour == 1.0):
            mesh.vertex_colors = o3d.utility.Vector3dVector(colour)
    if any_texture:
        mesh.triangle_uvs = o3d.utility.Vector2dVector(np.concatenate(uvs))
        mesh.triangle_material_ids = o3d.utility.IntVector(np.concatenate(mids))
        mesh.textures = images
    return mesh


def _vertex_colours(part: trimesh.Trimesh, n: int) -> np.ndarray:
    """(n, 3) float64 vertex colours in 0..1 (ones when the part has none)."""
    visual = part.visual
    if getattr(visual, "kind", None) == "vertex":
        c = np.asarray(getattr(visual, "vertex_colors", None), dtype=np.float64)[:, :3] / 255.0
        if len(c) == n:
            return c
    if getattr(visual, "kind", None) == "face":
        fc = np.asarray(getattr(visual, "face_colors", None), dtype=np.float64)[:, :3] / 255.0
        out = np.ones((n, 3))
        out[np.asarray(part.faces).ravel()] = np.repeat(fc, 3, axis=0)
        return out
    return np.ones((n, 3))


def _promote_colour_attribute(geometry: Any) -> None:
    """glTF COLOR_0 on a primitive that also has a material (and no texture) is kept by
    trimesh as a vertex attribute, which ``Scene.dump`` drops: make it the visual."""
    visual = getattr(geometry, "visual", None)
    attrs = getattr(visual, "vertex_attributes", None)
    stored = attrs.get("color") if attrs is not None else None
    if stored is None or getattr(visual, "uv", None) is not None or len(stored) != len(geometry.vertices):
        return
    colours = np.asarray(stored)
    if colours.dtype.kind == "f":
        colours = np.clip(colours * 255.0, 0, 255)
    import trimesh

    geometry.visual = trimesh.visual.ColorVisuals(geometry, vertex_colors=colours.astype(np.uint8))


def points_to_o3d(points: np.ndarray, colours: np.ndarray | None = None) -> o3d.geometry.PointCloud:
    """Open3D cloud from (n, 3) points and optional (n, 3|4) colours (0..1 or 0..255)."""
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(points, dtype=np.float64)))
    if colours is not None and len(colours) == len(points):
        c = np.asarray(colours, dtype=np.float64)[:, :3]
        if c.max(initial=0.0) > 1.0:
            c = c / (65535.0 if c.max() > 255 else 255.0)
        pc.colors = o3d.utility.Vector3dVector(c)
    return pc


def scene_to_o3d(loaded: Any) -> o3d.geometry.TriangleMesh | o3d.geometry.PointCloud | None:
    """Convert what ``trimesh.load`` returned into Open3D geometry (None when empty)."""
    import trimesh

    if isinstance(loaded, trimesh.Scene):
        for geometry in loaded.geometry.values():
            _promote_colour_attribute(geometry)
        geoms = loaded.dump(concatenate=False) if loaded.geometry else []
    else:
        geoms = [loaded]
    meshes = [g for g in geoms if isinstance(g, trimesh.Trimesh) and len(g.faces)]
    if meshes:
        return meshes_to_o3d(meshes)
    clouds = [g for g in geoms if isinstance(g, trimesh.PointCloud) and len(g.vertices)]
    if clouds:
        pts = np.concatenate([c.vertices for c in clouds])
        cols = [np.asarray(c.colors) for c in clouds if len(c.colors) == len(c.vertices)]
        colours = np.concatenate(cols) if len(cols) == len(clouds) else None
        return points_to_o3d(pts, colours)
    return None
