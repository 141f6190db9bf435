"""The renderer interface and how a backend is chosen.

Measured on the CPU-only development machine (Mesa llvmpipe, 2 cores), 640x480:

==========================  ==============================================================
Open3D legacy Visualizer     ~15 ms at 40k triangles, ~29 ms at 100k, ~64 ms at 250k,
(hidden window)              ~850 ms at 4.5M. Works with no display at all: Open3D 0.20
                             falls back to a headless EGL context (Mesa); under X/Xvfb it
                             uses a hidden GLFW window.
Filament OffscreenRenderer   ~4.3 s per frame at 70k triangles on the same machine (and
                             >=80 ms for an empty scene on faster ones; it hung in 2 of 49
                             runs in earlier measurements).
==========================  ==============================================================

At 1280x800 (llvmpipe, 2 cores) a legacy frame costs ~10 ms before any geometry: Open3D
renders into a fresh float framebuffer, reads it back as floats and flips it (about 12 ms of a
trivial frame under load; reading the window's own buffer instead saved nothing measurable),
then :func:`viewer.render_legacy.to_rgb8` makes bytes (~2 ms). Lighting on or off costs the
same (one Phong shader either way); drawing back faces costs most: skipping them on a closed
mesh takes a third to a half off a frame (:mod:`viewer.lod`).

So frames, snapshots and thumbnails use the legacy Visualizer (:mod:`viewer.render_legacy`)
everywhere. Filament (:mod:`viewer.render_filament`) is only a fallback when no legacy GL
context can be created, and then it always runs in a worker process with a timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import open3d as o3d

from .camera import Camera


@dataclass(frozen=True)
class RenderOptions:
    """Per-frame switches that are not geometry."""

    background: tuple[float, float, float] = (0.16, 0.17, 0.19)
    light_on: bool = True
    point_size: float = 2.0
    show_back_face: bool = True
    wireframe: bool = False


@dataclass(frozen=True)
class SceneBounds:
    """Bounds of the model: (3,) centre and largest side. Fixes clipping and zoom limits."""

    center: tuple[float, float, float]
    extent: float


class Renderer(Protocol):
    """Turns geometry and a camera into an RGB frame. Not thread-safe: one thread only."""

    name: str

    def render(self, layers: Sequence[o3d.geometry.Geometry3D], camera: Camera,
               bounds: SceneBounds, width: int, height: int, options: RenderOptions,
               slot: str = "full") -> np.ndarray:
        """Render ``layers`` and return a (height, width, 3) uint8 image.

        ``slot`` names a cached GPU scene ("full", "lod"): switching between slots does
        not re-upload geometry, so the LOD and the full model can alternate cheaply.
        """
        ...

    def close(self) -> None:
        """Release windows and GL contexts."""
        ...


_legacy_ok: bool | None = None


def legacy_available() -> bool:
    """True when a legacy OpenGL context can be created here (EGL headless or X)."""
    global _legacy_ok
    if _legacy_ok is None:
        from . import render_legacy  # noqa: F401  (sets up the GL environment)

        vis = o3d.visualization.Visualizer()
        _legacy_ok = bool(vis.create_window(width=16, height=16, visible=False))
        if _legacy_ok:
            vis.destroy_window()
    return _legacy_ok


def create_renderer(prefer: str = "auto") -> Renderer:
    """Return the fastest working backend (see module docstring).

    Parameters
    ----------
    prefer
        ``"auto"`` (legacy if a GL context works, else Filament in a subprocess),
        ``"legacy"`` or ``"filament"``.
    """
    from .errors import RenderUnavailable

    if prefer in ("auto", "legacy") and legacy_available():
        from .render_legacy import LegacyRenderer

        return LegacyRenderer()
    if prefer == "legacy":
        raise RenderUnavailable("No OpenGL context could be created for the viewer.")
    from .render_filament import FilamentProcessRenderer

    return FilamentProcessRenderer()
