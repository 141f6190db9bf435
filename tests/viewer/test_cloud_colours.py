"""Point clouds without colours are drawn in the viewer's neutral height shading, in the app
and in Open3D's own window, never in Open3D's rainbow colours."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest

from viewer.loading import _ensure_normals
from viewer.model import Model
from viewer.open3d_window import window_geometry


def _colourless_sphere_cloud() -> Model:
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(4000, 3))
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    _ensure_normals(cloud)
    return Model(cloud, "points")


def test_open3d_window_cloud_gets_neutral_colours_lighter_with_height() -> None:
    model = _colourless_sphere_cloud()
    g = window_geometry(model)
    colours = np.asarray(g.colors)
    assert len(colours) == len(model.vertices)
    assert (colours.max(axis=1) - colours.min(axis=1)).max() < 0.1  # grey, not hues
    heights = np.asarray(g.points)[:, 1]
    assert colours[heights.argmax()].sum() > colours[heights.argmin()].sum()
    assert not model.geometry.has_colors()  # the loaded model itself is left as read


@pytest.mark.gl
def test_open3d_window_draws_a_colourless_cloud_without_saturated_colours() -> None:
    from viewer import render_legacy  # noqa: F401  (sets up the GL environment)

    vis = o3d.visualization.Visualizer()
    vis.create_window(width=160, height=120, visible=False)
    try:
        vis.add_geometry(window_geometry(_colourless_sphere_cloud()))
        vis.get_render_option().background_color = np.zeros(3)
        vis.get_render_option().point_size = 4.0
        img = (np.asarray(vis.capture_screen_float_buffer(do_render=True)) * 255).astype(int)
    finally:
        vis.destroy_window()
    drawn = img[img.sum(axis=2) > 30]
    assert len(drawn) > 500
    assert (drawn.max(axis=1) - drawn.min(axis=1)).mean() < 40  # Open3D's own colouring: ~180
