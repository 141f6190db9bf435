"""Camera maths: framing, orbit, pan, zoom, views, rays and projection agree."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.camera import STANDARD_VIEWS, ZOOM_RANGE, Camera


@pytest.fixture
def cam() -> Camera:
    c = Camera()
    c.frame(np.array([-1.0, -2.0, -0.5]), np.array([1.0, 2.0, 0.5]))
    return c


def test_frame_centres_on_box(cam: Camera) -> None:
    assert np.allclose(cam.target, 0)
    assert cam.extent == pytest.approx(4.0)
    # every corner projects inside a square image
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-2, 2) for z in (-0.5, 0.5)])
    px = cam.project(corners, 100, 100)
    assert (px >= 0).all() and (px <= 100).all()


@pytest.mark.parametrize("name", sorted(STANDARD_VIEWS))
def test_standard_views_are_orthonormal(cam: Camera, name: str) -> None:
    cam.set_view(name)
    to_eye, _ = STANDARD_VIEWS[name]
    assert np.allclose(cam.eye - cam.target, np.asarray(to_eye) * cam.distance)
    assert abs(cam.front @ cam.up) < 1e-12
    r = cam.extrinsic()[:3, :3]
    assert np.allclose(r @ r.T, np.eye(3))


def test_orbit_keeps_distance_and_target(cam: Camera) -> None:
    eye0 = cam.eye.copy()
    cam.orbit(90, 0)
    assert np.linalg.norm(cam.eye - cam.target) == pytest.approx(cam.distance)
    assert np.allclose(cam.target, 0)
    assert not np.allclose(cam.eye, eye0)
    assert np.allclose(cam.eye / cam.distance, [1, 0, 0], atol=1e-9) or np.allclose(
        cam.eye / cam.distance, [-1, 0, 0], atol=1e-9)
    cam.orbit(-90, 0)
    assert np.allclose(cam.eye, eye0)


def test_pan_moves_target_with_the_cursor(cam: Camera) -> None:
    before = cam.project(np.zeros(3), 200, 200)[0]
    cam.pan(10, 0, 200)
    after = cam.project(np.zeros(3), 200, 200)[0]
    assert after[0] == pytest.approx(before[0] + 10, abs=0.01)


def test_zoom_is_clamped(cam: Camera) -> None:
    for _ in range(200):
        cam.dolly(0.5)
    assert cam.zoom == pytest.approx(ZOOM_RANGE[0])
    for _ in range(200):
        cam.dolly(2.0)
    assert cam.zoom == pytest.approx(ZOOM_RANGE[1])


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
def test_ray_through_projected_point_hits_it(cam: Camera, projection: str) -> None:
    cam.set_projection(projection)  # type: ignore[arg-type]
    cam.orbit(33, -21)
    p = np.array([0.3, -0.7, 0.2])
    px, py = cam.project(p, 640, 480)[0]
    o, d = cam.ray(px, py, 640, 480)
    closest = o + d * ((p - o) @ d)
    assert np.linalg.norm(closest - p) < 1e-9


def test_orthographic_rays_are_parallel(cam: Camera) -> None:
    cam.set_projection("orthographic")
    _, d = cam.rays(np.array([0, 639]), np.array([0, 479]), 640, 480)
    assert np.allclose(d[0], d[1])


def test_recentre(cam: Camera) -> None:
    cam.recentre(np.array([1.0, 1.0, 0.0]))
    assert np.allclose(cam.project(np.array([1.0, 1.0, 0.0]), 100, 100)[0], [49.5, 49.5])


def test_unknown_view_is_refused(cam: Camera) -> None:
    with pytest.raises(ValueError):
        cam.set_view("diagonal")
