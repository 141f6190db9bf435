"""A viewing session: one model, its camera, settings, LOD, picks and measurements.

This is what the Qt widget drives. Camera moves and picks are cheap and may run on any
thread; :meth:`ViewerSession.render` must run on the render thread
(:class:`viewer.service.RenderService`); pass it copies of the camera and settings taken
when the frame was requested.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import open3d as o3d

from .camera import Camera
from .display import build_layers, display_key, render_options, resolve_mode
from .loading import load_model
from .lod import Level, build_levels, choose_level, frame_cost
from .measure import Landmarks, Measurement
from .model import Model
from .picking import IndexPicker, Pick, Picker
from .progress import CancelToken, ProgressFn
from .renderer import Renderer, RenderOptions, SceneBounds
from .section import section_plane
from .settings import Settings

#: Moving frames are drawn at this share of the view's size when even the coarsest level
#: misses the frame budget (software GL is bound by pixels there); the view stretches them.
SHRUNK_SCALE = 0.5


@dataclass(frozen=True)
class Shown:
    """What is on screen, replaced whole (never edited), so the render thread always sees one
    consistent state: the model drawn at rest, the lighter levels drawn while moving (finest
    first), and the bounds the camera and renderer keep while levels replace each other."""

    model: Model | None = None
    levels: list[Level] = field(default_factory=list)
    bounds: SceneBounds | None = None


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
        self.shown = Shown()
        self.picker: Picker | IndexPicker | None = None
        self.measurement = Measurement()
        self.landmarks = Landmarks()
        self._layers: OrderedDict[tuple[object, ...], list[o3d.geometry.Geometry3D]] = OrderedDict()
        self._last_slot_layers: dict[str, int] = {}
        self.ms_per_million: float | None = None
        self.fixed_ms: float | None = None  # part of a full-size frame that does not follow primitives
        self.frame_ms: dict[int, float] = {}  # id(geometry) drawn -> its measured full-size frame time
        self._frame_prims: dict[int, int] = {}  # id(geometry) drawn -> its primitives
        self._recent_ms: dict[int, list[float]] = {}  # id(geometry) drawn -> its last full-size frame times
        self._frame_size = (0, 0)  # the size frame_ms was measured at
        self.moving_scale = 1.0
        self.last_frame: dict[str, object] = {}

    @property
    def model(self) -> Model | None:
        """The model drawn at rest (None while a new one is on its way)."""
        return self.shown.model

    @property
    def levels(self) -> list[Level]:
        """Lighter levels drawn while the camera moves, finest first."""
        return self.shown.levels

    @levels.setter
    def levels(self, levels: list[Level]) -> None:
        self.shown = Shown(self.shown.model, list(levels), self.shown.bounds)

    # -- model ---------------------------------------------------------------------------
    def load(self, path: str | Path, units: str | None = None,
             progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Model:
        """Load a file (any thread) and make it the session's model."""
        model = load_model(path, units=units, progress=progress, cancel=cancel)
        self.set_model(model)
        return model

    def set_model(self, model: Model, picker: Picker | IndexPicker | None | str = "model") -> None:
        """Show a new model: camera framed on it, measurements cleared. ``picker`` is the
        picker to use ("model": one on this model; None: picking off until one is given)."""
        self.shown = Shown(model, [], _bounds_of(model))
        # New dicts, never cleared in place: the render thread may be reading the old ones.
        self.frame_ms, self._frame_prims, self._recent_ms = {}, {}, {}
        self.picker = Picker(model) if picker == "model" else picker  # type: ignore[assignment]
        self.measurement = Measurement(model_units=model.units)
        self.landmarks = Landmarks(units=model.units)
        self.moving_scale = 1.0
        self.reset_view()

    def show_level(self, model: Model, moving: list[Model], lighter: list[Level] | None = None) -> None:
        """Swap in another level of the model on screen (same frame): camera, measurements,
        landmarks and picker stay; ``moving`` are the coarser levels drawn while moving,
        ``lighter`` still lighter copies made in memory (coarsest last)."""
        bounds = self.shown.bounds or _bounds_of(model)
        # Lighter copies are made from the coarsest of these levels: a closed scan is closed in all.
        closed = bool(lighter) and all(lv.closed for lv in lighter or [])
        levels = [Level(m.geometry, m.n_primitives, closed) for m in moving] + list(lighter or [])
        self.shown = Shown(model, levels, bounds)

    def clear_model(self) -> None:
        """Show nothing (a new model is on its way): the old one must not be drawn meanwhile."""
        self.shown = Shown()
        self.picker = None

    def build_lod(self, progress: ProgressFn | None = None,
                  cancel: CancelToken | None = None, cache_dir: Path | None = None) -> int:
        """Build the lighter levels (background thread); returns how many were built.

        Levels finished for a model that is no longer shown are dropped, never given to the
        new one."""
        model = self.model
        if model is None:
            return 0
        levels = build_levels(model, progress, cancel, cache_dir)
        shown = self.shown
        if shown.model is not model:
            return 0
        self.shown = Shown(model, levels, shown.bounds)
        return len(levels)

    @property
    def bounds(self) -> SceneBounds:
        assert self.shown.bounds is not None
        return self.shown.bounds

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
               renderer: Renderer | None = None, shrink: bool = False) -> np.ndarray:
        """Render a (height, width, 3) uint8 frame. Call on the render thread.

        While ``moving`` the largest lighter level that fits ``settings.frame_budget_ms`` is
        drawn; at rest the model. With ``shrink`` (interactive moving frames) the frame may
        come back smaller (:data:`SHRUNK_SCALE`) when even the lightest level misses the
        budget: the caller stretches it to the view.
        """
        cam = camera or self.camera
        s = settings or self.settings
        r = renderer or self._get_renderer()
        shown = self.shown  # one read: a level swapped in meanwhile waits for the next frame
        if shown.model is None or shown.bounds is None:
            bg = (np.asarray(s.background) * 255).astype(np.uint8)
            return np.tile(bg, (height, width, 1))
        self._forget_layers(shown)
        self._measure_at(width, height)
        model = shown.model
        fixed = self.fixed_ms if self.fixed_ms is not None else frame_cost([], width * height)[0]
        level = choose_level(shown.levels, model.n_primitives, self.ms_per_million, s.frame_budget_ms,
                             self.frame_ms, id(model.geometry), fixed) if moving else None
        geometry = level.geometry if level is not None else model.geometry
        prims = level.primitives if level is not None else model.n_primitives
        scale = self.moving_scale if moving and shrink else 1.0
        w, h = (max(16, round(width * scale)), max(16, round(height * scale))) if scale < 1 else (width, height)
        mode = resolve_mode(s, model.textured, model.has_colors, model.kind)
        layers = self._model_layers(model, geometry, s, mode, cam)
        # Each slot keeps its geometry on the GPU and its size: a shrunk frame of the whole
        # model gets its own, so the full-size one is not resized (and re-uploaded) each time.
        slot = "lod" if level is not None else ("full" if scale == 1 else "shrunk")
        options = _moving_options(render_options(s, mode), level, s, mode)
        t0 = time.perf_counter()
        img = r.render(layers, cam, shown.bounds, w, h, options, slot)
        ms = (time.perf_counter() - t0) * 1000.0
        uploaded = self._uploaded(slot, id(layers[0]))
        if not uploaded and scale == 1:
            self._learn_cost(id(geometry), prims, ms, w * h, fit=moving)
        if moving and shrink and not uploaded:
            lightest = level is None or level is shown.levels[-1]
            # At full size the median of the level's last frames decides: one slow frame (other
            # work on the machine) must not halve the picture for the rest of the session.
            recent = self._recent_ms.get(id(geometry), [ms])
            self._learn_scale(float(np.median(recent)) if scale == 1 else ms, s.frame_budget_ms, lightest)
        self.last_frame = {"level": slot, "primitives": prims, "ms": ms, "mode": mode, "scale": scale,
                           "back_faces": options.show_back_face}
        return img

    def _get_renderer(self) -> Renderer:
        if self._renderer is None:
            from .renderer import create_renderer

            self._renderer = create_renderer()
        return self._renderer

    def _model_layers(self, model: Model, geometry: o3d.geometry.Geometry3D, s: Settings, mode: str,
                      cam: Camera) -> list[o3d.geometry.Geometry3D]:
        key = (id(geometry), display_key(s, mode, cam.front))
        layers = self._layers.get(key)
        if layers is None:
            layers = build_layers(geometry, s, mode, model.bbox, cam.front)  # type: ignore[arg-type]
            self._layers[key] = layers
            while len(self._layers) > 6:
                self._layers.popitem(last=False)
        self._layers.move_to_end(key)
        return list(layers)

    def _forget_layers(self, shown: Shown) -> None:
        """Drop drawn copies of levels no longer shown (their memory goes with them, and a
        new level can never be mistaken for an old one that had the same id)."""
        assert shown.model is not None
        live = {id(shown.model.geometry), *(id(lv.geometry) for lv in shown.levels)}
        for key in [k for k in self._layers if k[0] not in live]:
            del self._layers[key]
        for times in (self.frame_ms, self._frame_prims, self._recent_ms):
            for gid in [g for g in list(times) if g not in live]:
                times.pop(gid, None)

    def _uploaded(self, slot: str, layers_id: int) -> bool:
        """True when this frame uploaded its geometry (its time says nothing about later ones)."""
        uploaded = self._last_slot_layers.get(slot) != layers_id
        self._last_slot_layers[slot] = layers_id
        return uploaded

    def _measure_at(self, width: int, height: int) -> None:
        """Frame times hold for one size: a new size starts over (new dicts, see set_model)."""
        if (width, height) != self._frame_size:
            self._frame_size = (width, height)
            self.frame_ms, self._frame_prims, self._recent_ms = {}, {}, {}
            self.fixed_ms = None

    def _learn_cost(self, key: int, prims: int, ms: float, pixels: int, fit: bool = True) -> None:
        """Keep a full-size frame's time for the geometry drawn (smoothed) and, for moving frames
        (``fit``: drawn as moving frames are, back faces skipped on closed scans), refit the fixed
        and per-primitive parts of the frame cost to all levels drawn so at this size."""
        times = self.frame_ms
        times[key] = ms if key not in times else 0.7 * times[key] + 0.3 * ms
        self._recent_ms[key] = [*self._recent_ms.get(key, [])[-2:], ms]
        if not fit:
            return
        self._frame_prims[key] = prims
        samples = [(self._frame_prims[k], t) for k, t in list(times.items()) if k in self._frame_prims]
        self.fixed_ms, self.ms_per_million = frame_cost(samples, pixels, self.ms_per_million)

    def _learn_scale(self, ms: float, budget_ms: float, lightest: bool) -> None:
        """Shrink moving frames when the lightest level still misses the budget; grow them
        back when a shrunk one would fit at full size (pixels cost about 4x)."""
        if self.moving_scale >= 1 and lightest and ms > budget_ms:
            self.moving_scale = SHRUNK_SCALE
        elif self.moving_scale < 1 and ms / SHRUNK_SCALE**2 < 0.8 * budget_ms:
            self.moving_scale = 1.0

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


def _moving_options(options: RenderOptions, level: Level | None, s: Settings, mode: str) -> RenderOptions:
    """A moving frame of a closed surface skips back faces (none shows from outside; software
    GL then shades half the fragments) unless a section opens it."""
    if level is None or not level.closed or s.section_enabled or mode in ("wireframe", "points"):
        return options
    return replace(options, show_back_face=False)


def _bounds_of(model: Model) -> SceneBounds:
    return SceneBounds(tuple(float(c) for c in model.center), model.extent)  # type: ignore[arg-type]
