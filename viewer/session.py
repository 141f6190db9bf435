"""A viewing session: one model, its camera, settings, LOD, picks and measurements.

This is what the Qt widget drives. Camera moves and picks are cheap and may run on any
thread; :meth:`ViewerSession.render` must run on the render thread
(:class:`viewer.service.RenderService`); pass it copies of the camera and settings taken
when the frame was requested.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import open3d as o3d

from .camera import Camera
from .display import build_layers, display_key, marker_layers, render_options, resolve_mode
from .loading import load_model
from .lod import Level, build_levels, choose_level
from .measure import Landmarks, Measurement
from .model import Model
from .picking import Pick, Picker
from .progress import CancelToken, ProgressFn
from .renderer import Renderer, SceneBounds
from .section import section_plane
from .settings import Settings


class ViewerSession:
    """State of one viewer.

    Parameters
    ----------
    renderer
        Backend to draw with; created on first render when None (on the calling thread).
    settings
        Initial settings.
    """

    def __init__(self, renderer: Renderer | None = None,
                 settings: Settings | None = None) -> None:
        self._renderer = renderer
        self.settings = settings or Settings()
        self.camera = Camera()
        self.model: Model | None = None
        self.picker: Picker | None = None
        self.levels: list[Level] = []
        self.measurement = Measurement()
        self.landmarks = Landmarks()
        self._layers: OrderedDict[tuple[object, ...], list[o3d.geometry.Geometry3D]] = OrderedDict()
        self._last_slot_layers: dict[str, int] = {}
        self.ms_per_million: float | None = None
        self.last_frame: dict[str, object] = {}

    # -- model ---------------------------------------------------------------------------
    def load(self, path: str | Path, units: str | None = None,
             progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Model:
        """Load a file (any thread) and make it the session's model."""
        model = load_model(path, units=units, progress=progress, cancel=cancel)
        self.set_model(model)
        return model

    def set_model(self, model: Model) -> None:
        self.model = model
        self.picker = Picker(model)
        self.levels = []
        self._layers.clear()
        self.measurement = Measurement(model_units=model.units)
        self.landmarks = Landmarks(units=model.units)
        self.reset_view()

    def clear_model(self) -> None:
        """Show nothing (a new model is on its way): the old one must not be drawn meanwhile."""
        self.model = None
        self.picker = None
        self.levels = []
        self._layers.clear()

    def build_lod(self, progress: ProgressFn | None = None,
                  cancel: CancelToken | None = None, cache_dir: Path | None = None) -> int:
        """Build the lighter levels (background thread); returns how many were built.

        Levels finished for a model that is no longer shown are dropped, never given to the
        new one."""
        model = self.model
        if model is None:
            return 0
        levels = build_levels(model, progress, cancel, cache_dir)
        if self.model is not model:
            return 0
        self.levels = levels
        return len(self.levels)

    @property
    def bounds(self) -> SceneBounds:
        assert self.model is not None
        return SceneBounds(tuple(float(c) for c in self.model.center),  # type: ignore[arg-type]
                           self.model.extent)

    # -- settings and camera -------------------------------------------------------------
    def apply(self, settings: Settings) -> None:
        """The one path by which settings change; cached builds are keyed, so only what
        depends on a changed field is rebuilt on the next frame."""
        self.settings = settings
        self.camera.set_projection(settings.projection)

    def reset_view(self, view: str = "front") -> None:
        """Frame the whole model from a standard view."""
        if self.model is None:
            return
        self.camera.frame(*self.model.bbox, view=view)
        self.camera.set_projection(self.settings.projection)

    def section_keep(self, camera: Camera | None = None,
                     settings: Settings | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """The active section plane as ((3,) point, (3,) normal), or None."""
        s = settings or self.settings
        if not s.section_enabled or self.model is None:
            return None
        cam = camera or self.camera
        return section_plane(s.section_axis, s.section_offset, *self.model.bbox,
                             view_front=cam.front, flip=s.section_flip)

    # -- picking -------------------------------------------------------------------------
    def pick(self, px: float, py: float, width: int, height: int,
             camera: Camera | None = None) -> Pick | None:
        """Surface point under pixel (px, py), ray cast on the full-resolution model."""
        if self.picker is None:
            return None
        cam = camera or self.camera
        return self.picker.pick(cam, px, py, width, height, keep=self.section_keep(cam))

    def file_coordinates(self, point: np.ndarray) -> np.ndarray:
        """(3,) geometry coordinates -> the file's own frame (undoes the turn to "up" and the
        load offset)."""
        assert self.model is not None
        return self.model.to_file(point)

    # -- rendering -----------------------------------------------------------------------
    def render(self, width: int, height: int, moving: bool = False,
               camera: Camera | None = None, settings: Settings | None = None,
               renderer: Renderer | None = None) -> np.ndarray:
        """Render a (height, width, 3) uint8 frame. Call on the render thread.

        While ``moving`` the largest LOD that fits ``settings.frame_budget_ms`` is drawn;
        at rest the full-resolution model.
        """
        cam = camera or self.camera
        s = settings or self.settings
        r = renderer or self._get_renderer()
        if self.model is None:
            bg = (np.asarray(s.background) * 255).astype(np.uint8)
            return np.tile(bg, (height, width, 1))
        level = choose_level(self.levels, self.model.n_primitives, self.ms_per_million,
                             s.frame_budget_ms) if moving else None
        geometry = level.geometry if level is not None else self.model.geometry
        prims = level.primitives if level is not None else self.model.n_primitives
        mode = resolve_mode(s, self.model.textured, self.model.has_colors, self.model.kind)
        layers = self._model_layers(geometry, s, mode, cam) + self._overlay_layers()
        slot = "lod" if level is not None else "full"
        t0 = time.perf_counter()
        img = r.render(layers, cam, self.bounds, width, height, render_options(s, mode), slot)
        ms = (time.perf_counter() - t0) * 1000.0
        self._learn_rate(slot, id(layers[0]), prims, ms)
        self.last_frame = {"level": slot, "primitives": prims, "ms": ms, "mode": mode}
        return img

    def _get_renderer(self) -> Renderer:
        if self._renderer is None:
            from .renderer import create_renderer

            self._renderer = create_renderer()
        return self._renderer

    def _model_layers(self, geometry: o3d.geometry.Geometry3D, s: Settings, mode: str,
                      cam: Camera) -> list[o3d.geometry.Geometry3D]:
        assert self.model is not None
        key = (id(geometry), display_key(s, mode, cam.front))
        layers = self._layers.get(key)
        if layers is None:
            layers = build_layers(geometry, s, mode, self.model.bbox, cam.front)  # type: ignore[arg-type]
            self._layers[key] = layers
            while len(self._layers) > 6:
                self._layers.popitem(last=False)
        self._layers.move_to_end(key)
        return list(layers)

    def _overlay_layers(self) -> list[o3d.geometry.Geometry3D]:
        assert self.model is not None
        pts = [p for p in self.measurement.points]
        pts_lm = [self.model.from_file(lm.point) for lm in self.landmarks.items]
        key = ("overlay", tuple(map(tuple, pts)), tuple(map(tuple, pts_lm)))
        layers = self._layers.get(key)
        if layers is None:
            r = self.model.extent * 0.006
            layers = marker_layers(pts, r, polyline=True) + marker_layers(
                pts_lm, r, polyline=False, colour=(0.2, 0.75, 1.0))
            self._layers[key] = layers
        return list(layers)

    def _learn_rate(self, slot: str, layers_id: int, prims: int, ms: float) -> None:
        """Update the measured cost per million primitives (skipping upload frames)."""
        uploaded = self._last_slot_layers.get(slot) != layers_id
        self._last_slot_layers[slot] = layers_id
        if uploaded or prims < 20_000:
            return
        rate = ms / prims * 1e6
        self.ms_per_million = rate if self.ms_per_million is None else (
            0.7 * self.ms_per_million + 0.3 * rate)

    def thumbnail(self, size: int = 256, renderer: Renderer | None = None) -> bytes:
        """PNG of the current view, ``size`` pixels square. Call on the render thread.

        Uses the lighter level when one exists: a 256 px picture cannot show more detail,
        and it keeps thumbnails of multi-million-triangle scans under ~300 ms.
        """
        from .thumbnail import png_bytes

        return png_bytes(self.render(size, size, moving=True, renderer=renderer))

    def snapshot(self, path: str | Path, width: int, height: int) -> None:
        """Render the current view at the given size and save it as PNG."""
        from PIL import Image

        Image.fromarray(self.render(width, height)).save(str(path), format="PNG")
