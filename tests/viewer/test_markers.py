"""Markers and labels over the view: placed where the camera projects them, hidden behind the
surface, 200 records on a frame; saved views fly the camera."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.viewer.conftest import to_model
from viewer.camera import Camera
from viewer.markers import (
    MarkerRecord,
    apply_view,
    camera_to_view,
    draw_overlay,
    interpolate_views,
    layout,
    prepare,
)
from viewer.picking import Picker

W, H = 1280, 800


def _camera() -> Camera:
    cam = Camera()
    cam.frame(np.array([-1.0, -1, -1]), np.array([1.0, 1, 1]))
    return cam


def test_marker_lands_on_the_projected_pixel() -> None:
    cam = _camera()
    ov = layout([MarkerRecord("landmark", "L1", np.array([[0.0, 0, 0]]))], cam, W, H)
    np.testing.assert_allclose(ov.dots[0], [W / 2 - 0.5, H / 2 - 0.5], atol=1e-6)
    assert ov.labels[0][1] == "L1"


def test_lines_skip_records_with_a_point_out_of_sight() -> None:
    cam = _camera()
    behind = cam.eye - cam.front
    recs = [MarkerRecord("measurement", "a", np.array([[0, 0, 0.0], [0.2, 0, 0]])),
            MarkerRecord("measurement", "b", np.array([[0, 0.2, 0.0], behind])),
            MarkerRecord("measurement", "c", np.array([[0, -0.2, 0.0], [0.1, -0.2, 0], [0.2, -0.2, 0]]))]
    ov = layout(recs, cam, W, H)
    assert [len(line) for line, _ in ov.lines] == [2, 3]


def test_measurement_draws_its_line_and_labels_its_middle() -> None:
    pts = np.array([[-0.5, 0, 0], [0, 0, 0], [0.5, 0, 0]])
    ov = layout([MarkerRecord("measurement", "12.3 mm", pts)], _camera(), W, H)
    assert len(ov.lines) == 1 and len(ov.lines[0][0]) == 3
    np.testing.assert_allclose(ov.labels[0][0], ov.dots[1])


def test_points_behind_the_camera_are_not_drawn() -> None:
    cam = _camera()
    ov = layout([MarkerRecord("landmark", "behind", (cam.eye - cam.front)[None, :])], cam, W, H)
    assert len(ov.dots) == 0 and not ov.labels


def test_markers_hidden_by_the_surface_are_not_drawn() -> None:
    import trimesh

    model = to_model(trimesh.creation.icosphere(subdivisions=3, radius=1.0))
    cam = _camera()
    front_point = -cam.front * 1.0  # on the sphere, facing the camera
    back_point = cam.front * 1.0
    hidden = Picker(model).hidden
    ov = layout([MarkerRecord("landmark", "front", front_point[None]),
                 MarkerRecord("landmark", "back", back_point[None])], cam, W, H,
                hidden=lambda p: hidden(cam.eye, p))
    assert [t for _, t, _ in ov.labels] == ["front"]


def test_label_is_readable_on_white_and_on_black() -> None:
    for bg in (255, 0):
        img = Image.new("RGB", (200, 100), (bg, bg, bg))
        cam = _camera()
        draw_overlay(img, layout([MarkerRecord("landmark", "Lip", np.zeros((1, 3)))], cam, 200, 100))
        a = np.asarray(img).astype(int)
        plate = a[40:60, 110:130]
        assert (np.abs(plate - bg) > 100).any()  # the plate/text stand out from the background


def test_two_hundred_labels_are_all_laid_out_and_drawn() -> None:
    """Every one of 200 records gets its label on a full frame (how long that takes per frame
    is measured by benchmarks/bench_markers.py, not here)."""
    rng = np.random.default_rng(0)
    records = [MarkerRecord("measurement" if i % 4 == 0 else "landmark", f"L{i} {rng.random() * 100:.1f} mm",
                            rng.uniform(-1, 1, (2 if i % 4 == 0 else 1, 3))) for i in range(200)]
    img = Image.new("RGB", (W, H), (128, 128, 128))
    overlay = layout(prepare(records), _camera(), W, H)
    assert len(overlay.labels) == 200
    draw_overlay(img, overlay)
    assert (np.asarray(img) != 128).any(axis=2).sum() > 200 * 50  # plates and text on the frame


def test_saved_view_round_trips_through_the_camera() -> None:
    cam = _camera()
    cam.orbit(30, 10)
    view = camera_to_view(cam)
    other = _camera()
    apply_view(other, view)
    np.testing.assert_allclose(other.eye, cam.eye, atol=1e-9)
    np.testing.assert_allclose(other.front, cam.front, atol=1e-9)
    np.testing.assert_allclose(other.up, cam.up, atol=1e-9)


def test_flight_starts_and_ends_on_the_saved_views() -> None:
    a = {"eye": [0, 0, 5.0], "target": [0, 0, 0.0], "up": [0, 1.0, 0], "fov": 45.0}
    b = {"eye": [5.0, 0, 0], "target": [1.0, 0, 0], "up": [0, 1.0, 0], "fov": 30.0}
    for t, want in ((0.0, a), (1.0, b)):
        got = interpolate_views(a, b, t)
        for k in ("eye", "target", "up"):
            np.testing.assert_allclose(got[k], want[k], atol=1e-9)
    mid = interpolate_views(a, b, 0.5)
    dist = np.linalg.norm(np.subtract(mid["eye"], mid["target"]))
    assert dist == pytest.approx((5 + 4) / 2)  # distance moves evenly, not through the target


def test_a_degenerate_view_is_refused() -> None:
    with pytest.raises(ValueError):
        apply_view(_camera(), {"eye": [0, 0, 0], "target": [0, 0, 0], "up": [0, 1, 0], "fov": 45})
