"""Open a file in Open3D's own viewer window: ``python -m viewer.open3d_window FILE [--up z]``.

Started by the app's "Open in Open3D" button in a separate process, so a crash or a slow
window there never affects the app. Needs a display.
"""

from __future__ import annotations

import sys

import numpy as np
import open3d as o3d

from .display import neutral_colours
from .errors import ViewerError
from .loading import load_model
from .model import Geometry, Model


def window_geometry(model: Model) -> Geometry:
    """What Open3D's window draws: the model, a cloud without colours given the viewer's
    neutral height shading (Open3D would paint it in rainbow colours of its own)."""
    g = model.geometry
    if isinstance(g, o3d.geometry.PointCloud) and not g.has_colors():
        g = o3d.geometry.PointCloud(g)
        g.colors = o3d.utility.Vector3dVector(neutral_colours(np.asarray(g.points)))
    return g


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[1] != "--up"):
        print("usage: python -m viewer.open3d_window FILE [--up y|z]", file=sys.stderr)
        return 2
    try:
        model = load_model(argv[0], up_axis=argv[2] if len(argv) == 3 else None)
    except (ViewerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    o3d.visualization.draw_geometries([window_geometry(model)], window_name=f"Open3D - {argv[0]}",
                                      width=1280, height=900)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
