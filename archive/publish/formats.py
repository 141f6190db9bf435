"""OBJ (+MTL, textures), PLY, STL and (for clouds) LAS/LAZ copies of a master, for other software and printing.

Written by small writers here (not trimesh's), so that no name from the source file, no
comment and no path ends up in the output. OBJ and PLY are y-up metres like the GLB; STL is
z-up millimetres, which is what slicers for 3D printing expect. 3D Tiles (``3dtiles``) are a
folder made by :mod:`.tilespage`, which reads the master itself in chunks.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .geometry import Z_UP_TO_Y_UP, Model
from .profiles import PublishError
from .textures import Texture
from .tilespage import TILES_WRITER

HEADER = "Heritage & Cuisine 3D Archive"


def write_obj(model: Model, textures: list[Texture | None], folder: Path, stem: str) -> list[Path]:
    """``stem.obj``, ``stem.mtl`` and one image per textured part; returns the files."""
    obj, mtl = io.StringIO(), io.StringIO()
    obj.write(f"# {HEADER} (units: metres, +Y up)\nmtllib {stem}.mtl\n")
    files = [folder / f"{stem}.obj", folder / f"{stem}.mtl"]
    base = 1
    for n, (part, tex) in enumerate(zip(model.parts, textures, strict=True)):
        name = f"material_{n}"
        mtl.write(f"newmtl {name}\nKd {part.base_color[0]:.4f} {part.base_color[1]:.4f} {part.base_color[2]:.4f}\n"
                  f"d {part.base_color[3]:.4f}\nillum 1\n")
        if tex is not None:
            image = f"{stem}_{n}.{'png' if tex.mime == 'image/png' else 'jpg'}"
            (folder / image).write_bytes(tex.data)
            files.append(folder / image)
            mtl.write(f"map_Kd {image}\n")
        obj.write(f"o part_{n}\nusemtl {name}\n")
        vertices = part.vertices
        if part.colors is not None:  # the common "v x y z r g b" extension
            rows = np.column_stack([vertices, part.colors[:, :3] / 255.0])
            np.savetxt(obj, rows, fmt="v %.7g %.7g %.7g %.4f %.4f %.4f")
        else:
            np.savetxt(obj, vertices, fmt="v %.7g %.7g %.7g")
        if part.faces is None:
            np.savetxt(obj, np.arange(base, base + len(vertices))[:, None], fmt="p %d")
            base += len(vertices)
            continue
        has_uv = part.uv is not None and tex is not None
        if has_uv:
            assert part.uv is not None
            np.savetxt(obj, np.column_stack([part.uv[:, 0], 1.0 - part.uv[:, 1]]), fmt="vt %.6f %.6f")
        normals = part.vertex_normals()
        if normals is not None:
            np.savetxt(obj, normals, fmt="vn %.5f %.5f %.5f")
        f = part.faces + base
        if has_uv and normals is not None:
            np.savetxt(obj, np.repeat(f, 3, axis=1), fmt="f %d/%d/%d %d/%d/%d %d/%d/%d")
        elif normals is not None:
            np.savetxt(obj, np.repeat(f, 2, axis=1), fmt="f %d//%d %d//%d %d//%d")
        else:
            np.savetxt(obj, f, fmt="f %d %d %d")
        base += len(vertices)
    files[0].write_text(obj.getvalue(), encoding="utf-8")
    files[1].write_text(mtl.getvalue(), encoding="utf-8")
    return files


PLY_TYPES = {"<f4": "float", "<f8": "double", "u1": "uchar"}
_RGBA = ("red", "green", "blue", "alpha")


def ply_coordinate_type(reach: float) -> str:
    """"<f8" where float32 would not keep a tenth of a millimetre at ``reach`` (the largest
    absolute coordinate, metres: beyond ~1.7 km, as a georeferenced scan), else "<f4"."""
    return "<f8" if reach * 2.0**-24 > 1e-4 else "<f4"


def ply_vertex_fields(real: str, coloured: bool) -> list[tuple[str, str]]:
    """The vertex properties of our PLY exports: x y z in ``real``, then RGBA bytes if coloured."""
    return [("x", real), ("y", real), ("z", real)] + ([(c, "u1") for c in _RGBA] if coloured else [])


def ply_vertex_rows(fields: list[tuple[str, str]], points: np.ndarray, colours: np.ndarray | None) -> np.ndarray:
    """Rows of ``fields`` for ``points`` and their RGBA ``colours`` (white where None)."""
    rows = np.zeros(len(points), dtype=fields)
    rows["x"], rows["y"], rows["z"] = np.asarray(points).T
    if len(fields) > 3:
        rgba = colours if colours is not None else np.full((len(points), 4), 255, np.uint8)
        for k, name in enumerate(_RGBA):
            rows[name] = rgba[:, k]
    return rows


def write_ply(model: Model, path: Path) -> Path:
    """Binary PLY of every part merged (positions, normals, RGBA); texture images are not
    part of PLY, so textured parts keep their geometry only. Positions are doubles where
    float32 would not keep a tenth of a millimetre (coordinates beyond ~1.7 km)."""
    parts = model.parts
    merged = np.concatenate([p.vertices for p in parts])
    real = ply_coordinate_type(float(np.abs(merged).max()) if merged.size else 0.0)
    has_faces = any(p.faces is not None for p in parts)
    colors = np.concatenate([p.colors if p.colors is not None else np.full((len(p.vertices), 4), 255, np.uint8)
                             for p in parts]) if any(p.colors is not None for p in parts) else None
    fields = ply_vertex_fields(real, colors is not None)
    vertex = ply_vertex_rows(fields, merged.astype(real), colors)
    header = ["ply", "format binary_little_endian 1.0", f"comment {HEADER} (units: metres, +Y up)",
              f"element vertex {len(vertex)}"]
    header += [f"property {PLY_TYPES[t]} {n}" for n, t in fields]
    faces = None
    if has_faces:
        offsets = np.cumsum([0] + [len(p.vertices) for p in parts])[:-1]
        faces = np.concatenate([p.faces + o for p, o in zip(parts, offsets, strict=True)
                                if p.faces is not None])
        header += [f"element face {len(faces)}", "property list uchar int vertex_indices"]
    header.append("end_header")
    with open(path, "wb") as f:
        f.write(("\n".join(header) + "\n").encode("ascii"))
        f.write(vertex.tobytes())
        if faces is not None:
            rec = np.zeros(len(faces), dtype=[("n", "u1"), ("v", "<i4", (3,))])
            rec["n"], rec["v"] = 3, faces
            f.write(rec.tobytes())
    return path


def write_stl(model: Model, path: Path) -> Path:
    """Binary STL in millimetres, +Z up (for slicers); colours and textures are dropped."""
    tris = [p.vertices[p.faces] for p in model.parts if p.faces is not None]
    if not tris:
        raise PublishError("STL holds triangles only; this item is a point cloud. Export PLY instead.")
    tri = np.concatenate(tris) @ Z_UP_TO_Y_UP * 1000.0  # back from y-up metres to z-up millimetres
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
    rec = np.zeros(len(tri), dtype=[("n", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    rec["n"], rec["v"] = normals, tri
    with open(path, "wb") as f:
        f.write(f"{HEADER} (mm, +Z up)".encode("ascii").ljust(80, b" "))
        f.write(np.uint32(len(tri)).tobytes())
        f.write(rec.tobytes())
    return path


def las_header(lowest_z_up: np.ndarray, coloured: bool) -> Any:
    """The LAS 1.2 header of our exports: metres, millimetre scale, offsets at the whole metres
    below ``lowest_z_up`` (the lowest corner, Z-up), 16-bit RGB when coloured."""
    import laspy

    header = laspy.LasHeader(point_format=2 if coloured else 0, version="1.2")
    header.offsets = np.floor(lowest_z_up) if np.isfinite(lowest_z_up).all() else np.zeros(3)
    header.scales = np.array([0.001, 0.001, 0.001])
    return header


def las_rgb(colours: np.ndarray | None, n: int) -> np.ndarray:
    """(n, 3) 16-bit LAS colours of RGBA bytes (white where None)."""
    rgb = colours[:, :3] if colours is not None else np.full((n, 3), 255, np.uint8)
    return rgb.astype(np.uint16) * 257


def write_las(model: Model, path: Path) -> Path:
    """LAS 1.2 (LAZ when ``path`` ends in .laz, compressed by lazrs) of every point-cloud part
    at full resolution, for archive-to-archive transfer: metres, +Z up as surveying software
    expects, millimetre precision (scale 0.001), 16-bit RGB when the master has colours."""
    import laspy

    clouds = [p for p in model.parts if p.faces is None]
    if not clouds:
        raise PublishError("LAS and LAZ hold point clouds; this item is a mesh. Export PLY or OBJ instead.")
    points = np.concatenate([p.vertices for p in clouds]) @ Z_UP_TO_Y_UP  # back from y-up to z-up
    coloured = any(p.colors is not None for p in clouds)
    header = las_header(points.min(0), coloured)
    las = laspy.LasData(header)
    las.x, las.y, las.z = points[:, 0], points[:, 1], points[:, 2]
    if coloured:
        rgb = np.concatenate([las_rgb(p.colors, len(p.vertices)) for p in clouds])
        las.red, las.green, las.blue = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    las.write(str(path))
    return path


ModelWriter = Callable[[Model, list[Texture | None], Path, str], list[Path]]
"""``(model, textures, folder, stem) -> files written``; ``textures[i]`` belongs to ``model.parts[i]``."""

WRITERS: dict[str, ModelWriter] = {
    "obj": write_obj,
    "ply": lambda model, textures, folder, stem: [write_ply(model, folder / f"{stem}.ply")],
    "stl": lambda model, textures, folder, stem: [write_stl(model, folder / f"{stem}.stl")],
    "las": lambda model, textures, folder, stem: [write_las(model, folder / f"{stem}.las")],
    "laz": lambda model, textures, folder, stem: [write_las(model, folder / f"{stem}.laz")],
    "3dtiles": TILES_WRITER,  # a folder; reads an item's master a chunk at a time (its from_master)
}
"""Model files other than the web GLB, by export format (the GLB is :mod:`.webcopy`'s)."""
