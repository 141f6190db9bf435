"""Frames read back as bytes (viewer.gl_readback) show what Open3D's own capture shows, and
where the byte read is wrong or refused the renderer keeps Open3D's capture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import open3d as o3d
import pytest
import trimesh

from viewer import default_service
from viewer.camera import Camera
from viewer.gl_readback import ByteReadback, same_picture
from viewer.render_legacy import LegacyRenderer, to_rgb8
from viewer.renderer import RenderOptions, SceneBounds

pytestmark = pytest.mark.gl

W, H = 320, 200  # not square, so a transposed or unflipped read cannot pass


def _scene() -> tuple[list[o3d.geometry.Geometry3D], SceneBounds]:
    """A box and a sphere in different colours: every view has edges, shading and background."""
    box = trimesh.creation.box(extents=[40.0, 20.0, 10.0])
    ball = trimesh.creation.icosphere(subdivisions=3, radius=6.0)
    ball.apply_translation([14.0, 12.0, 0.0])
    layers = []
    for tm, colour in ((box, (0.8, 0.3, 0.2)), (ball, (0.2, 0.5, 0.9))):
        m = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.asarray(tm.vertices, float)),
                                      o3d.utility.Vector3iVector(np.asarray(tm.faces, np.int32)))
        m.compute_vertex_normals()
        m.paint_uniform_color(colour)
        layers.append(m)
    return layers, SceneBounds((0.0, 4.0, 0.0), 60.0)


def _cameras() -> list[Camera]:
    cams = []
    for yaw, pitch in ((0, 0), (35, 20), (120, -30), (250, 60)):
        cam = Camera()
        cam.frame(np.array([-20.0, -10.0, -6.0]), np.array([20.0, 18.0, 6.0]))
        cam.orbit(yaw, pitch)
        cams.append(cam)
    return cams


def _on_render_thread(job: Callable[[], Any]) -> Any:
    return default_service().call(job)  # GL contexts belong to the thread that made them


def _frames(readback: ByteReadback | None) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, bool | None]]:
    """(frames as rendered, Open3D's float capture of each same view, what each slot reads)."""
    layers, bounds = _scene()

    def job() -> tuple[list[np.ndarray], list[np.ndarray], dict[str, bool | None]]:
        r = LegacyRenderer(readback)
        try:
            got, want = [], []
            for cam in _cameras():
                got.append(np.array(r.render(layers, cam, bounds, W, H, RenderOptions(), "test")))
                vis = r._slots["test"].vis
                want.append(to_rgb8(np.asarray(vis.capture_screen_float_buffer(do_render=True))))
            return got, want, r.reads_bytes
        finally:
            r.close()

    return _on_render_thread(job)


def test_byte_frames_match_open3d_capture() -> None:
    got, want, reads = _frames(None)
    if not ByteReadback().available:
        pytest.skip("no system OpenGL library to read frames from")
    assert reads == {"test": True}
    for g, w in zip(got, want, strict=True):
        assert g.shape == (H, W, 3) and g.dtype == np.uint8
        assert np.abs(g.astype(int) - w.astype(int)).max() <= 1  # float vs byte rounding only
    assert len({g.tobytes() for g in got}) == len(got)  # each view drawn afresh, never a stale frame
    assert (got[0] != got[0][0, 0]).any(axis=2).mean() > 0.1  # the scene, not just background


class _WrongBytes(ByteReadback):
    """A driver whose framebuffer reads back something else than was drawn."""

    def finish(self, width: int, height: int) -> np.ndarray | None:
        super().finish(width, height)  # binds the window's framebuffer again
        return np.full((height, width, 3), 7, dtype=np.uint8)


class _RefusedBytes(ByteReadback):
    """A driver without framebuffer objects (or one answering with a GL error)."""

    def begin(self, view: object, width: int, height: int) -> bool:
        return False


@pytest.mark.parametrize("readback", [_WrongBytes, _RefusedBytes])
def test_wrong_or_refused_byte_read_falls_back_to_open3d_capture(readback: type[ByteReadback]) -> None:
    rb = readback()
    if not rb.available:
        pytest.skip("no system OpenGL library to read frames from")
    got, want, reads = _frames(rb)
    assert reads == {"test": False}
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)


def test_two_views_on_one_thread_each_read_their_own_frames() -> None:
    """The viewer keeps a view per size and level; each has its own GL context and framebuffer,
    drawn alternately on the render thread."""
    layers, bounds = _scene()
    cams = _cameras()

    def job() -> list[tuple[np.ndarray, np.ndarray]]:
        r = LegacyRenderer()
        try:
            out = []
            for k in range(4):
                for slot, (w, h) in (("a", (W, H)), ("b", (H, W))):
                    img = np.array(r.render(layers, cams[k], bounds, w, h, RenderOptions(), slot))
                    vis = r._slots[slot].vis
                    out.append((img, to_rgb8(np.asarray(vis.capture_screen_float_buffer(do_render=True)))))
            assert r.reads_bytes in ({"a": True, "b": True}, {"a": False, "b": False})
            return out
        finally:
            r.close()

    for img, want in _on_render_thread(job):
        assert img.shape == want.shape
        assert np.abs(img.astype(int) - want.astype(int)).max() <= 1


def test_same_picture_tolerates_rounding_and_edges_only() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (100, 100, 3), dtype=np.uint8)
    b = a.copy()
    b[::2] = np.clip(a[::2].astype(int) + 1, 0, 255).astype(np.uint8)  # rounding everywhere
    b[0, :50] = 255 - a[0, :50]  # a few anti-aliased edge pixels (0.5%)
    assert same_picture(a, b)
    assert not same_picture(a, np.zeros_like(a))  # a stale or empty buffer
    assert not same_picture(a, a[::-1])  # an unflipped read
    assert not same_picture(a, a[:, :99])
