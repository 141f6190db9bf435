"""3D models for the demo archive, generated here (no third-party scans).

Each builder writes one scan into a folder and returns its main file name. Units: mm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from PIL import Image, ImageDraw

RNG = np.random.default_rng(1802)  # the year Gia Long founded the Nguyễn dynasty in Huế


def _paint(mesh: trimesh.Trimesh, colours: np.ndarray) -> trimesh.Trimesh:
    """Give ``mesh`` per-vertex RGBA colours, shape (n, 4) or (4,)."""
    colours = np.asarray(colours, dtype=np.uint8)
    if colours.ndim == 1:
        colours = np.tile(colours, (len(mesh.vertices), 1))
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=colours)
    return mesh


def _join(parts: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    joined = trimesh.util.concatenate(parts)
    assert isinstance(joined, trimesh.Trimesh)
    return joined


Z_UP_TO_Y_UP = trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0])


def _y_up(geometry: trimesh.Trimesh | trimesh.PointCloud) -> trimesh.Trimesh | trimesh.PointCloud:
    """The models are built Z-up (revolved around Z); glTF and our viewer expect Y-up."""
    geometry.apply_transform(Z_UP_TO_Y_UP)
    return geometry


def _revolve(profile: list[tuple[float, float]], sections: int = 96) -> trimesh.Trimesh:
    """A surface of revolution around Z from (radius, height) pairs, in mm."""
    return trimesh.creation.revolve(np.array(profile, dtype=float), sections=sections)


def _cylindrical_uv(mesh: trimesh.Trimesh) -> np.ndarray:
    v = mesh.vertices
    u = (np.arctan2(v[:, 1], v[:, 0]) / (2 * np.pi)) % 1.0
    z = (v[:, 2] - v[:, 2].min()) / max(np.ptp(v[:, 2]), 1e-9)
    return np.column_stack([u, z])


def _blue_white_texture(size: int = 512) -> Image.Image:
    """Bleu de Huế: cobalt motifs on white porcelain."""
    img = Image.new("RGB", (size, size), (238, 240, 236))
    draw = ImageDraw.Draw(img)
    blue = (28, 58, 140)
    for y in (40, size - 60):
        draw.rectangle([0, y, size, y + 18], fill=blue)
    for i in range(8):
        cx = int((i + 0.5) * size / 8)
        draw.ellipse([cx - 22, size // 2 - 40, cx + 22, size // 2 + 40], outline=blue, width=6)
        draw.line([cx, size // 2 - 80, cx, size // 2 + 80], fill=blue, width=3)
    return img


def _bronze_colours(mesh: trimesh.Trimesh) -> np.ndarray:
    z = (mesh.vertices[:, 2] - mesh.vertices[:, 2].min()) / max(np.ptp(mesh.vertices[:, 2]), 1e-9)
    patina = RNG.random(len(mesh.vertices)) * 0.25
    r = 120 + 60 * z - 60 * patina
    g = 90 + 40 * z + 80 * patina
    b = 50 + 30 * z + 40 * patina
    return np.column_stack([r, g, b, np.full_like(r, 255)]).clip(0, 255).astype(np.uint8)


def bell(folder: Path) -> str:
    mesh = _revolve([(0, 0), (160, 0), (150, 40), (120, 200), (110, 380), (60, 420), (20, 470), (0, 470)])
    _paint(mesh, _bronze_colours(mesh))
    _y_up(mesh).export(folder / "chuong_dong.ply")
    return "chuong_dong.ply"


def vase(folder: Path) -> str:
    mesh = _revolve([(0, 0), (70, 0), (110, 80), (120, 160), (80, 260), (45, 300), (60, 340), (55, 345), (0, 345)])
    mesh.visual = trimesh.visual.TextureVisuals(uv=_cylindrical_uv(mesh), image=_blue_white_texture())
    _y_up(mesh).export(folder / "binh_men_lam.obj")
    return "binh_men_lam.obj"


def incense_burner(folder: Path) -> str:
    body = _revolve([(0, 0), (90, 0), (130, 60), (140, 150), (120, 170), (0, 170)])
    legs = [trimesh.creation.cylinder(radius=14, height=60).apply_translation([95 * np.cos(a), 95 * np.sin(a), -25])
            for a in (0, 2.09, 4.19)]
    mesh = _join([body, *legs])
    _paint(mesh, _bronze_colours(mesh))
    _y_up(mesh).export(folder / "lu_huong.glb")
    return "lu_huong.glb"


def cannon(folder: Path) -> str:
    mesh = _revolve([(0, 0), (210, 0), (230, 60), (200, 400), (170, 4800), (190, 4900), (0, 4900)], sections=64)
    mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    _y_up(mesh).export(folder / "sung_than_cong.stl")
    return "sung_than_cong.stl"


def seal(folder: Path) -> str:
    base = trimesh.creation.box(extents=[140, 140, 60])
    knob = trimesh.creation.icosphere(subdivisions=3, radius=45).apply_translation([0, 0, 70])
    mesh = _paint(_join([base, knob]), np.array([212, 175, 55, 255]))
    _y_up(mesh).export(folder / "an_vang.ply", encoding="ascii")
    return "an_vang.ply"


def roof_fragment(folder: Path) -> str:
    """A point cloud of a curved glazed roof tile with a dragon-scale relief."""
    u, v = RNG.random(60_000) * np.pi, RNG.random(60_000) * 300
    relief = 4 * np.sin(v / 12) * np.sin(u * 8)
    r = 120 + relief
    pts = np.column_stack([r * np.cos(u), v, r * np.sin(u)])
    colours = np.column_stack([40 + 30 * np.sin(u * 8), 120 + 40 * np.sin(v / 12), 60 + 0 * u]).clip(0, 255)
    cloud = trimesh.PointCloud(pts, colors=np.column_stack([colours, np.full(len(pts), 255)]).astype(np.uint8))
    _y_up(cloud).export(folder / "ngoi_luu_ly.ply")
    return "ngoi_luu_ly.ply"


def _bowl(radius: float = 90, height: float = 70) -> trimesh.Trimesh:
    return _revolve([(0, 0), (radius * 0.45, 0), (radius * 0.5, 8), (radius, height), (radius - 4, height),
                     (radius * 0.46, 12), (0, 12)])


def soup_bowl(folder: Path, name: str, broth: tuple[int, int, int], toppings: int) -> str:
    bowl = _bowl()
    _paint(bowl, np.array([240, 240, 232, 255]))
    soup = trimesh.creation.cylinder(radius=74, height=4, sections=64).apply_translation([0, 0, 55])  # inside the wall
    _paint(soup, np.array([*broth, 255]))
    parts = [bowl, soup]
    for _ in range(toppings):
        piece = trimesh.creation.icosphere(subdivisions=1, radius=RNG.uniform(6, 12))
        piece.apply_scale([1.6, 1.0, 0.4]).apply_translation([*RNG.uniform(-50, 50, 2), 58])
        _paint(piece, np.array([*RNG.integers(60, 230, 3), 255]))
        parts.append(piece)
    _y_up(_join(parts)).export(folder / name)
    return name


def small_cakes(folder: Path, name: str, count: int, colour: tuple[int, int, int]) -> str:
    parts = []
    for i in range(count):
        a = 2 * np.pi * i / count
        dish = _bowl(radius=30, height=12).apply_translation([110 * np.cos(a), 110 * np.sin(a), 0])
        _paint(dish, np.array([245, 245, 240, 255]))
        cake = trimesh.creation.icosphere(subdivisions=2, radius=22).apply_scale([1, 1, 0.3])
        cake.apply_translation([110 * np.cos(a), 110 * np.sin(a), 12])
        _paint(cake, np.array([*colour, 255]))
        parts += [dish, cake]
    _y_up(_join(parts)).export(folder / name)
    return name


def leaf_parcel(folder: Path) -> str:
    """Bánh nậm: a flat rice cake wrapped in banana leaf, textured."""
    mesh = trimesh.creation.box(extents=[160, 60, 12])
    mesh = mesh.subdivide().subdivide()
    uv = (mesh.vertices[:, :2] - mesh.vertices[:, :2].min(0)) / np.ptp(mesh.vertices[:, :2], 0)
    img = Image.new("RGB", (256, 256), (70, 130, 50))
    draw = ImageDraw.Draw(img)
    for x in range(0, 256, 9):
        draw.line([x, 0, x + 30, 256], fill=(90, 160, 70), width=2)
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=img)
    _y_up(mesh).export(folder / "banh_nam.obj")
    return "banh_nam.obj"
