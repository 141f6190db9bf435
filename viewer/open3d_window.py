"""Open a file in Open3D's own viewer window: ``python -m viewer.open3d_window FILE``.

Started by the app's "Open in Open3D" button in a separate process, so a crash or a slow
window there never affects the app. Needs a display.
"""

from __future__ import annotations

import sys

from .errors import ViewerError
from .loading import load_model


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m viewer.open3d_window FILE", file=sys.stderr)
        return 2
    try:
        model = load_model(argv[0])
    except ViewerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    import open3d as o3d

    o3d.visualization.draw_geometries([model.geometry], window_name=f"Open3D - {argv[0]}",
                                      width=1280, height=900)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
