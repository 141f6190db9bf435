"""Fallback backend: Open3D's Filament ``OffscreenRenderer`` in a worker process.

Used only when no legacy GL context exists (see :mod:`viewer.renderer`). Filament needs no
display but is slow on CPU (seconds per frame under llvmpipe) and has been seen to hang,
so each frame runs in a child process that is killed after ``timeout`` seconds.

Run as ``python -m viewer.render_filament SCENE.ply CAMERA.json OUT.png``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import open3d as o3d

from .camera import Camera
from .errors import RenderTimeout, RenderUnavailable
from .renderer import RenderOptions, SceneBounds


class FilamentProcessRenderer:
    """:class:`~viewer.renderer.Renderer` that renders each frame in a child process."""

    name = "filament-process"

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout

    def render(self, layers: Sequence[o3d.geometry.Geometry3D], camera: Camera,
               bounds: SceneBounds, width: int, height: int, options: RenderOptions,
               slot: str = "full") -> np.ndarray:
        from PIL import Image

        with tempfile.TemporaryDirectory(prefix="viewer-filament-") as tmp:
            scene = Path(tmp) / "scene.ply"
            g = layers[0]
            if isinstance(g, o3d.geometry.TriangleMesh):
                ok = o3d.io.write_triangle_mesh(scene, g)
            elif isinstance(g, o3d.geometry.PointCloud):
                ok = o3d.io.write_point_cloud(scene, g)
            else:
                ok = False
            if not ok:
                raise RenderUnavailable("Could not hand the model to the Filament renderer.")
            spec = {"eye": camera.eye.tolist(), "target": camera.target.tolist(),
                    "up": camera.up.tolist(), "fov": camera.fov_deg, "width": width,
                    "height": height, "background": list(options.background),
                    "points": not isinstance(g, o3d.geometry.TriangleMesh),
                    "point_size": options.point_size}
            (Path(tmp) / "camera.json").write_text(json.dumps(spec))
            out = Path(tmp) / "out.png"
            cmd = [sys.executable, "-m", "viewer.render_filament", str(scene),
                   str(Path(tmp) / "camera.json"), str(out)]
            try:
                subprocess.run(cmd, timeout=self.timeout, check=True, capture_output=True)
            except subprocess.TimeoutExpired as exc:
                raise RenderTimeout(f"Rendering took longer than {self.timeout:.0f} s.") from exc
            except subprocess.CalledProcessError as exc:
                raise RenderUnavailable("The Filament renderer failed: "
                                        + exc.stderr.decode(errors="replace")[-300:]) from exc
            return np.asarray(Image.open(out).convert("RGB"))

    def close(self) -> None:
        pass


def _main(argv: list[str]) -> int:
    from open3d.visualization import rendering

    scene_path, cam_path, out_path = (Path(a) for a in argv)
    spec = json.loads(Path(cam_path).read_text())
    r = rendering.OffscreenRenderer(int(spec["width"]), int(spec["height"]))
    mat = rendering.MaterialRecord()
    if spec["points"]:
        mat.shader = "defaultUnlit"
        mat.point_size = float(spec["point_size"])
        r.scene.add_geometry("model", o3d.io.read_point_cloud(scene_path), mat)
    else:
        mat.shader = "defaultLit"
        r.scene.add_geometry("model", o3d.io.read_triangle_mesh(scene_path), mat)
    r.scene.set_background(np.array([*spec["background"], 1.0], dtype=np.float32))
    r.setup_camera(float(spec["fov"]), np.array(spec["target"], dtype=np.float32),
                   np.array(spec["eye"], dtype=np.float32), np.array(spec["up"], dtype=np.float32))
    o3d.io.write_image(out_path, r.render_to_image())
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
