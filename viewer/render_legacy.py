"""Backend on Open3D's legacy OpenGL ``Visualizer`` in a hidden window.

With no X display Open3D 0.20 creates a headless EGL context (Mesa llvmpipe on CPU);
with a display (or Xvfb) it uses a hidden GLFW window. Either way no window is shown.
Every call must come from the thread that created the renderer (GL contexts are bound to a
thread); :class:`viewer.service.RenderService` guarantees that.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import open3d as o3d

from .camera import Camera
from .errors import RenderUnavailable
from .gl_readback import ByteReadback, same_picture
from .renderer import RenderOptions, SceneBounds


def _quiet_runtime_dir() -> None:
    """GLFW prints an error line on every start when XDG_RUNTIME_DIR is unset (containers,
    cron); give it a private directory so command-line output stays clean."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = os.path.join(tempfile.gettempdir(), f"runtime-{os.getuid()}")
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = path


_quiet_runtime_dir()


def to_rgb8(img: np.ndarray) -> np.ndarray:
    """(h, w, 3) float32 colours in 0..1 -> (h, w, 3) uint8, rounded; ``img`` is overwritten.

    Open3D hands back a fresh float buffer per capture, so it is scaled in place: one pass
    each for scale, round and clip and a single uint8 copy, instead of the three float
    temporaries ``(clip(img) * 255 + 0.5).astype(uint8)`` makes (1280x800: ~5 ms -> ~2 ms on
    2 cores). The clip stays because a driver may keep float colour targets unclamped.
    """
    np.multiply(img, 255.0, out=img)
    np.add(img, 0.5, out=img)
    np.clip(img, 0.0, 255.0, out=img)
    return img.astype(np.uint8)


@dataclass
class _Slot:
    vis: o3d.visualization.Visualizer
    width: int
    height: int
    layer_ids: list[int] = field(default_factory=list)
    bounds: SceneBounds | None = None
    kept: dict[int, o3d.geometry.Geometry3D] = field(default_factory=dict)
    #: whether frames are read as bytes (:mod:`.gl_readback`): None until the first frame
    #: compares that read with Open3D's own capture
    bytes_ok: bool | None = None


class LegacyRenderer:
    """:class:`~viewer.renderer.Renderer` on ``open3d.visualization.Visualizer``."""

    name = "legacy"

    def __init__(self, readback: ByteReadback | None = None) -> None:
        self._slots: dict[str, _Slot] = {}
        self._readback = readback if readback is not None else ByteReadback()

    def render(self, layers: Sequence[o3d.geometry.Geometry3D], camera: Camera,
               bounds: SceneBounds, width: int, height: int, options: RenderOptions,
               slot: str = "full") -> np.ndarray:
        s = self._slot(slot, width, height)
        vis = s.vis
        as_bytes = s.bytes_ok is not False and self._readback.available
        if as_bytes:
            vis.poll_events()  # makes this view's GL context current (several views share the thread)
        self._sync_layers(s, layers, bounds)
        self._apply_options(vis, options)
        self._apply_camera(vis, camera, width, height)
        if not as_bytes:
            return self._captured(s)
        img = None
        if self._readback.begin(vis, width, height):
            vis.update_renderer()
            vis.poll_events()  # draws the frame, into the framebuffer just bound
            img = self._readback.finish(width, height)
        if img is not None and s.bytes_ok:
            return img
        # First frame of this view (or GL refused): trust the byte read only where it shows
        # what Open3D's own capture shows.
        reference = self._captured(s)
        s.bytes_ok = img is not None and same_picture(img, reference)
        return reference

    @staticmethod
    def _captured(s: _Slot) -> np.ndarray:
        """Open3D's own capture: drawn into a framebuffer of its own, read as floats."""
        return to_rgb8(np.asarray(s.vis.capture_screen_float_buffer(do_render=True)))

    @property
    def reads_bytes(self) -> dict[str, bool | None]:
        """Per view: frames read as bytes (True), through Open3D's capture (False), not yet known."""
        return {name: s.bytes_ok for name, s in self._slots.items()}

    def close(self) -> None:
        for s in self._slots.values():
            self._readback.forget(s.vis)
            s.vis.destroy_window()
        self._slots.clear()

    # -----------------------------------------------------------------------------------
    def _slot(self, name: str, width: int, height: int) -> _Slot:
        s = self._slots.get(name)
        if s is not None and (s.width, s.height) == (width, height):
            return s
        if s is not None:
            self._readback.forget(s.vis)  # its framebuffer ends with its context
            s.vis.destroy_window()
        vis = o3d.visualization.Visualizer()
        if not vis.create_window(window_name="heritage-viewer", width=width, height=height,
                                 visible=False):
            raise RenderUnavailable("OpenGL context could not be created (no EGL or X display).")
        s = _Slot(vis, width, height)
        self._slots[name] = s
        return s

    def _sync_layers(self, s: _Slot, layers: Sequence[o3d.geometry.Geometry3D],
                     bounds: SceneBounds) -> None:
        ids = [id(g) for g in layers]
        if ids == s.layer_ids and bounds == s.bounds:
            return
        vis = s.vis
        if bounds != s.bounds:
            vis.clear_geometries()
            s.layer_ids = []
            s.kept.clear()
            self._set_bounds(vis, bounds)
        old = set(s.layer_ids)
        new = set(ids)
        # Geometry objects are immutable once handed over, so identity tells what changed.
        for g_id in old - new:
            vis.remove_geometry(s.kept.pop(g_id), reset_bounding_box=False)
        for g in layers:
            if id(g) not in old:
                vis.add_geometry(g, reset_bounding_box=False)
                s.kept[id(g)] = g
        s.layer_ids = ids
        s.bounds = bounds

    @staticmethod
    def _set_bounds(vis: o3d.visualization.Visualizer, bounds: SceneBounds) -> None:
        """Make the view control's bounding box exactly ``bounds``.

        The legacy view control derives near/far planes and zoom limits from the union of
        every geometry ever added; a two-point anchor added and removed pins it to the
        model's box so the camera maths in :mod:`viewer.camera` hold.
        """
        c = np.asarray(bounds.center, dtype=float)
        h = bounds.extent / 2.0
        anchor = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.stack([c - h, c + h])))
        vis.add_geometry(anchor, reset_bounding_box=True)
        vis.remove_geometry(anchor, reset_bounding_box=True)  # empties the box
        vis.add_geometry(anchor, reset_bounding_box=True)  # box == anchor
        vis.remove_geometry(anchor, reset_bounding_box=False)

    @staticmethod
    def _apply_options(vis: o3d.visualization.Visualizer, o: RenderOptions) -> None:
        ro = vis.get_render_option()
        ro.background_color = np.asarray(o.background, dtype=float)
        ro.light_on = o.light_on
        ro.point_size = float(o.point_size)
        ro.mesh_show_back_face = o.show_back_face
        ro.mesh_show_wireframe = o.wireframe

    @staticmethod
    def _apply_camera(vis: o3d.visualization.Visualizer, cam: Camera, w: int, h: int) -> None:
        vc = vis.get_view_control()
        if vc.get_field_of_view() <= 5.0 + 1e-6:
            vc.change_field_of_view(step=2.0)  # leave orthographic, else convert refuses
        params = o3d.camera.PinholeCameraParameters()
        f = (h / 2.0) / np.tan(np.radians(cam.fov_deg) / 2.0)
        params.intrinsic = o3d.camera.PinholeCameraIntrinsic(w, h, f, f, w / 2.0 - 0.5,
                                                             h / 2.0 - 0.5)
        params.extrinsic = cam.extrinsic()
        vc.convert_from_pinhole_camera_parameters(params, allow_arbitrary=True)
        if cam.projection == "orthographic":
            vc.change_field_of_view(step=-90.0)
            vc.set_lookat(cam.target)
            vc.set_zoom(cam.zoom)
