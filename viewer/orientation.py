"""Which way is up: the viewer draws in a Y-up frame (glTF's, and its standard views');
scans recorded Z-up (most scanners, CAD, photogrammetry) are turned into it when loaded.

Only the copy in memory is rotated; file coordinates (landmarks) are mapped back through
:meth:`viewer.model.Model.to_file`, so what a user records stays in the file's own frame.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import open3d as o3d

from glbtools.frames import UP_AXES, normalise_up_axis, to_y_up

from .model import Geometry, Model

__all__ = ["UP_AXES", "display_rotation", "normalise_up_axis", "orient", "reoriented"]

def display_rotation(up_axis: str | None) -> np.ndarray:
    """(3, 3) rotation from the file's frame to the viewer's Y-up display frame."""
    return to_y_up(up_axis)


def orient(model: Model, up_axis: str | None) -> Model:
    """Turn ``model`` (in place) so that the file's ``up_axis`` points up on screen.

    Calling it again with another axis undoes the previous turn first, so a correction
    never stacks on a wrong one. Returns the same model.
    """
    wanted = display_rotation(up_axis)
    step = wanted @ model.rotation.T  # back to the file frame, then into the new display frame
    if not np.allclose(step, np.eye(3)):
        model.geometry.rotate(step, center=np.zeros(3))
        model.geometry_changed()
    model.rotation = wanted
    model.up_axis = normalise_up_axis(up_axis)
    return model


def reoriented(model: Model, up_axis: str | None) -> Model:
    """A new model with its own copy of the geometry, turned for ``up_axis``.

    Used for a correction while the model is on screen: the shown model (and any level of
    detail still being built from it) is never changed underneath its readers.
    """
    g = model.geometry
    copy: Geometry = (o3d.geometry.TriangleMesh(g) if isinstance(g, o3d.geometry.TriangleMesh)
                      else o3d.geometry.PointCloud(g))
    return orient(replace(model, geometry=copy), up_axis)
