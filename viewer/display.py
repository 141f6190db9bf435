"""Build what the renderer draws from a model (or its LOD), the settings and overlays.

Lighting: ``headlight`` uses Open3D's own Phong lighting (follows the camera);
``directional`` bakes a movable directional light (azimuth/elevation in model space) into
vertex colours, so a raking light stays put while the object turns; ``flat`` is unlit.
Textured meshes keep Open3D's lighting (textures cannot be re-lit per vertex).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import open3d as o3d

from .model import Geometry
from .renderer import RenderOptions
from .section import cap_mesh, clip, outline_lineset, outline_segments, section_plane
from .settings import Settings

SHADED_ALBEDO = np.array([0.78, 0.76, 0.72])  # warm plaster grey reads surface detail well


def neutral_colours(points: np.ndarray) -> np.ndarray:
    """(n, 3) colours for a cloud that has none: the plaster grey, darker low and lighter high
    (display +Y is up), so shape reads without inventing colours (never Open3D's rainbow)."""
    heights = np.asarray(points, dtype=float)[:, 1]
    span = float(np.ptp(heights)) if len(heights) else 0.0
    ramp = (heights - heights.min()) / span if span > 0 else np.full(len(heights), 0.5)
    return np.clip(SHADED_ALBEDO * (0.6 + 0.4 * ramp)[:, None], 0.0, 1.0)


def resolve_mode(settings: Settings, textured: bool, has_colors: bool, kind: str) -> str:
    """Turn ``"auto"`` (and modes the model cannot show) into a concrete display mode."""
    mode = settings.mode
    if mode == "auto":
        mode = "textured" if textured else ("vertex_colors" if has_colors else "shaded")
        if kind == "points":
            mode = "points"
    if mode == "textured" and not textured:
        mode = "vertex_colors" if has_colors else "shaded"
    if kind == "points" and mode in ("wireframe", "textured"):
        mode = "points"
    return mode


def light_direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """(3,) unit vector towards the light; azimuth about +Y from +Z, elevation above XZ."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])


def shade(normals: np.ndarray, albedo: np.ndarray, light: np.ndarray, ambient: float
          ) -> np.ndarray:
    """Lambert shading: (n, 3) normals, (n, 3) or (3,) albedo -> (n, 3) colours in 0..1."""
    lambert = np.clip(normals @ light, 0.0, 1.0)
    return np.clip(albedo * (ambient + (1.0 - ambient) * lambert)[:, None], 0.0, 1.0)


@dataclass(frozen=True)
class DisplayKey:
    """What the built geometry depends on; equal keys reuse the cached build."""

    mode: str
    lighting: tuple[object, ...]
    section: tuple[object, ...]


def display_key(settings: Settings, mode: str, view_front: np.ndarray) -> DisplayKey:
    light: tuple[object, ...] = (settings.lighting, settings.light_azimuth, settings.light_elevation,
                                 settings.ambient)
    if settings.lighting != "directional":
        light = (settings.lighting,)
    section: tuple[object, ...] = ()
    if settings.section_enabled:
        section = (settings.section_axis, round(settings.section_offset, 4),
                   settings.section_flip, settings.section_outline)
        if settings.section_axis == "view":
            section += tuple(np.round(view_front, 3))
    return DisplayKey(mode, light, section)


def build_layers(geometry: Geometry, settings: Settings, mode: str, bbox: tuple[np.ndarray, np.ndarray],
                 view_front: np.ndarray) -> list[o3d.geometry.Geometry3D]:
    """Geometry to draw for one model level: clipped, coloured and lit as asked.

    Parameters
    ----------
    geometry
        Full model or LOD (never modified).
    bbox
        (3,), (3,) model bounds, used to place the section plane.
    view_front
        (3,) camera direction, for the view-aligned section.
    """
    g: o3d.geometry.Geometry3D = geometry
    layers: list[o3d.geometry.Geometry3D] = []
    if settings.section_enabled:
        point, normal = section_plane(settings.section_axis, settings.section_offset, *bbox,
                                      view_front=view_front, flip=settings.section_flip)
        g = clip(geometry, point, normal)
        if settings.section_outline and isinstance(geometry, o3d.geometry.TriangleMesh):
            segs = outline_segments(np.asarray(geometry.vertices), np.asarray(geometry.triangles),
                                    point, normal)
            if len(segs):
                layers.append(outline_lineset(segs))
        if settings.section_cap and isinstance(geometry, o3d.geometry.TriangleMesh):
            # The cut face filled, so a vessel's wall reads as solid material in the section.
            cap = cap_mesh(np.asarray(geometry.vertices), np.asarray(geometry.triangles), point, normal)
            if len(cap.triangles):
                layers.append(cap)
    if mode == "points" and isinstance(g, o3d.geometry.TriangleMesh):
        g = _mesh_points(g)
    layers.insert(0, _coloured(g, settings, mode))
    return layers


def render_options(settings: Settings, mode: str) -> RenderOptions:
    """Renderer switches for these settings and the resolved mode."""
    # Points are drawn unlit: scanned colours already carry shading, and estimated cloud
    # normals have ambiguous signs (Open3D's headlight turns half of them black).
    lit = (settings.lighting == "headlight" and mode != "points") or mode == "textured"
    return RenderOptions(background=settings.background, light_on=lit,
                         point_size=settings.point_size, show_back_face=True,
                         wireframe=(mode == "wireframe"))


def _mesh_points(mesh: o3d.geometry.TriangleMesh) -> o3d.geometry.PointCloud:
    pc = o3d.geometry.PointCloud(mesh.vertices)
    pc.normals = mesh.vertex_normals
    if mesh.has_vertex_colors():
        pc.colors = mesh.vertex_colors
    return pc


def _coloured(g: o3d.geometry.Geometry3D, settings: Settings, mode: str) -> o3d.geometry.Geometry3D:
    """Copy of ``g`` whose vertex colours implement the mode and lighting."""
    is_mesh = isinstance(g, o3d.geometry.TriangleMesh)
    if mode == "textured" and is_mesh:
        return g
    if _drawn_as_is(g, settings, mode, is_mesh):
        return g  # its own colours, lit by the renderer: a copy would only double its memory
    out: Any = o3d.geometry.TriangleMesh(g) if is_mesh else o3d.geometry.PointCloud(g)  # type: ignore[call-overload]
    if is_mesh:
        out.textures = []
        out.triangle_uvs = o3d.utility.Vector2dVector()
    n = len(out.vertices) if is_mesh else len(out.points)
    src = out.vertex_colors if is_mesh else out.colors
    if mode in ("vertex_colors", "points") and len(src) == n:
        albedo = np.asarray(src)
    elif not is_mesh:
        albedo = neutral_colours(np.asarray(out.points))
    else:
        albedo = np.tile(SHADED_ALBEDO, (n, 1))
    normals = np.asarray(out.vertex_normals if is_mesh else out.normals)
    directional = settings.lighting == "directional"
    grey_points = mode == "points" and settings.lighting == "headlight" and len(src) != n
    if (directional or grey_points) and len(normals) == n:
        light = light_direction(settings.light_azimuth, settings.light_elevation)
        if not is_mesh:  # cloud normals may point either way
            normals = np.abs(normals @ light)[:, None] * light
        colours = shade(normals, albedo, light, settings.ambient)
    else:
        colours = albedo
    vec = o3d.utility.Vector3dVector(np.ascontiguousarray(colours))
    if is_mesh:
        out.vertex_colors = vec
    else:
        out.colors = vec
    return out


def _drawn_as_is(g: Any, settings: Settings, mode: str, is_mesh: bool) -> bool:
    """Whether ``g`` can be drawn unchanged: it has the colours the mode shows, no texture to
    drop, and no directional light to bake into them."""
    if settings.lighting == "directional" or mode not in ("vertex_colors", "points"):
        return False
    if is_mesh:
        return bool(mode == "vertex_colors" and g.has_vertex_colors() and not g.has_textures())
    return bool(g.has_colors())
