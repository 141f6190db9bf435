"""Picking against full-resolution geometry, measurements in units, landmarks export."""

from __future__ import annotations

import json

import numpy as np
import open3d as o3d
import pytest

from viewer import Landmarks, Measurement, Picker, convert
from viewer.camera import Camera
from viewer.measure import bbox_dimensions, polyline_length
from viewer.model import Model


def _cam(model: Model, view: str = "front") -> Camera:
    c = Camera()
    c.frame(*model.bbox, view=view)
    return c


def test_pick_centre_of_sphere_hits_analytic_point(sphere_model: Model) -> None:
    cam = _cam(sphere_model)
    pick = Picker(sphere_model).pick(cam, 319.5, 239.5, 640, 480)
    assert pick is not None
    # Ray along -Z through (10, 0) meets the unit sphere at z = 1 (icosphere: chord error)
    assert np.allclose(pick.point, [10, 0, 1], atol=2e-3)
    assert pick.normal @ np.array([0, 0, 1]) > 0.99


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
def test_pick_off_centre_matches_ray_sphere_intersection(sphere_model: Model, projection: str) -> None:
    cam = _cam(sphere_model)
    cam.set_projection(projection)  # type: ignore[arg-type]
    cam.orbit(25, 15)
    o, d = cam.ray(400, 200, 640, 480)
    c = np.array([10.0, 0, 0])
    b = d @ (o - c)
    t = -b - np.sqrt(b * b - ((o - c) @ (o - c) - 1.0))
    pick = Picker(sphere_model).pick(cam, 400, 200, 640, 480)
    assert pick is not None
    assert np.linalg.norm(pick.point - (o + t * d)) < 2e-3  # facet vs sphere


def test_pick_box_face_is_exact(box_model: Model) -> None:
    cam = _cam(box_model, "top")
    pick = Picker(box_model).pick(cam, 300, 200, 640, 480)
    assert pick is not None
    assert pick.point[1] == pytest.approx(10.0, abs=1e-9)  # top face at y = +10 mm


def test_pick_misses_return_none(box_model: Model) -> None:
    assert Picker(box_model).pick(_cam(box_model), 0, 0, 640, 480) is None


def test_pick_skips_cut_away_part(box_model: Model) -> None:
    cam = _cam(box_model)
    keep = (np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]))  # front half removed
    pick = Picker(box_model).pick(cam, 319.5, 239.5, 640, 480, keep=keep)
    assert pick is not None
    assert pick.point[2] == pytest.approx(-5.0, abs=1e-9)  # back face seen from inside


def test_point_cloud_pick_nearest_to_camera() -> None:
    pts = np.array([[0, 0, 0], [0, 0, 1.0], [0.5, 0.5, 0], [3, 3, 3]], dtype=float)
    model = Model(o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts)), "points")
    cam = Camera()
    cam.frame(pts.min(0), pts.max(0))
    px, py = cam.project(np.array([0, 0, 1.0]), 640, 480)[0]
    pick = Picker(model).pick(cam, px, py, 640, 480)
    assert pick is not None and pick.index == 1


def test_distance_in_units(box_model: Model) -> None:
    m = Measurement(model_units="mm")
    m.add(np.array([-20.0, 0, 0]))
    m.add(np.array([20.0, 0, 0]))
    assert m.last_segment() == pytest.approx(40.0)
    assert m.last_segment("cm") == pytest.approx(4.0)
    assert m.last_segment("m") == pytest.approx(0.04)


def test_polyline_and_bbox_dimensions(box_model: Model) -> None:
    assert polyline_length(np.array([[0, 0, 0], [3, 4, 0], [3, 4, 12]])) == pytest.approx(17)
    assert np.allclose(bbox_dimensions(*box_model.bbox, "mm", "cm"), [4, 2, 1])
    assert convert(1.5, "m", "mm") == pytest.approx(1500)
    with pytest.raises(ValueError):
        convert(1, "mm", "inch")


def test_landmarks_export_csv_and_json(tmp_path) -> None:
    lm = Landmarks(units="mm")
    lm.add("nose tip", np.array([1.0, 2.0, 3.5]), "chipped")
    lm.add("", np.array([0.0, 0.0, 0.0]))
    lm.export(tmp_path / "l.csv")
    lm.export(tmp_path / "l.json")
    rows = (tmp_path / "l.csv").read_text().splitlines()
    assert rows[0] == "name,x,y,z,units,note"
    assert rows[1].startswith("nose tip,1.0,2.0,3.5,mm,chipped")
    data = json.loads((tmp_path / "l.json").read_text())
    assert data["units"] == "mm" and data["landmarks"][1]["name"] == "L2"
