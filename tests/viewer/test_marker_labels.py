"""Labels of records that would cover one another (records on one point, a landmark at a
measurement's end) are moved apart a row at a time; a view frames a record's points."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.camera import Camera
from viewer.markers import (
    LABEL_CHAR_PX,
    LABEL_GAP_PX,
    LABEL_ROW_PX,
    MAX_MOVED,
    MAX_SHIFT_ROWS,
    MarkerRecord,
    framing_view,
    layout,
)

W, H = 640, 480


def _camera() -> Camera:
    cam = Camera()
    cam.frame(np.array([-1.0, -1, -1]), np.array([1.0, 1, 1]))
    return cam


def _labels(records: list[MarkerRecord]) -> dict[str, np.ndarray]:
    return {text: at for at, text, _c in layout(records, _camera(), W, H).labels}


def test_labels_on_one_point_are_stacked_a_row_apart() -> None:
    point = np.zeros((1, 3))
    labels = _labels([MarkerRecord("landmark", "Mouth", point), MarkerRecord("annotation", "Crack", point),
                      MarkerRecord("landmark", "Lip", point)])
    dot = _camera().project(point, W, H)[0]
    tops = sorted(at[1] for at in labels.values())
    assert np.allclose(tops, dot[1] + np.arange(3) * LABEL_ROW_PX)
    assert all(at[0] == dot[0] for at in labels.values())  # moved down only


def test_labels_apart_stay_at_their_points() -> None:
    records = [MarkerRecord("landmark", "Left", np.array([[-0.8, 0, 0]])),
               MarkerRecord("landmark", "Right", np.array([[0.8, 0, 0]]))]
    labels = _labels(records)
    expected = _camera().project(np.array([[-0.8, 0, 0], [0.8, 0, 0]]), W, H)
    assert np.allclose(labels["Left"], expected[0]) and np.allclose(labels["Right"], expected[1])


def test_a_label_moves_at_most_a_few_rows() -> None:
    point = np.zeros((1, 3))
    labels = _labels([MarkerRecord("landmark", f"L{i}", point) for i in range(MAX_SHIFT_ROWS + 3)])
    dot_y = _camera().project(point, W, H)[0][1]
    assert max(at[1] for at in labels.values()) - dot_y <= MAX_SHIFT_ROWS * LABEL_ROW_PX


def test_a_crowd_is_left_at_its_points() -> None:
    rng = np.random.default_rng(1)
    pts = rng.uniform(-0.05, 0.05, (MAX_MOVED + 10, 3))
    ov = layout([MarkerRecord("landmark", f"Label {i}", p[None, :]) for i, p in enumerate(pts)], _camera(), W, H)
    assert np.allclose(np.array([at for at, _t, _c in ov.labels]), ov.dots)


def test_framing_view_centres_the_points_at_half_the_height() -> None:
    cam = _camera()
    points = np.array([[0.2, 0.1, 0.3], [0.6, 0.5, 0.3]])
    view = framing_view(cam, points, min_size=0.01)
    framed = Camera(extent=cam.extent)
    framed.target, framed.front, framed.up = np.array(view["target"]), cam.front.copy(), cam.up.copy()
    framed.distance = float(np.linalg.norm(np.array(view["eye"]) - np.array(view["target"])))
    px = framed.project(np.array([[0.2, 0.1, 0.3], [0.2, 0.5, 0.3], [0.4, 0.3, 0.3]]), W, H)
    assert np.allclose(px[2], [W / 2, H / 2], atol=1.0)  # the box's centre in the middle
    assert abs(px[1][1] - px[0][1]) == pytest.approx(H / 2, abs=1.0)  # 0.4 high: half the picture


def test_a_label_at_the_right_edge_goes_on_the_points_left() -> None:
    cam = _camera()
    edge = cam.target + cam.right * 0.99 * cam.distance * np.tan(np.radians(cam.fov_deg) / 2) * W / H
    ov = layout([MarkerRecord("measurement", "Front width: 30.00 mm", np.stack([cam.target, edge]))], cam, W, H)
    (at, _text, _c), dot = ov.labels[0], ov.dots[1]
    assert dot[0] > W - 20  # the point is by the right edge
    plate_right = at[0] + LABEL_GAP_PX + LABEL_CHAR_PX * len("Front width: 30.00 mm") + 16
    assert plate_right <= dot[0] - LABEL_GAP_PX + 1 and at[0] + LABEL_GAP_PX >= 0
