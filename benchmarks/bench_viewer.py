"""Viewer benchmark: time to first frame, moving (LOD) and resting frame times, thumbnail.

Meshes of ~100k, ~1M and ~4M triangles are made by subdividing a real corpus scan
(nefertiti-lowres.obj, 70k triangles; midpoint subdivision x4 per level, 100k by decimating
the first subdivision). Frames are 640x480 through the backend chosen by
``viewer.create_renderer`` (legacy GL; headless EGL when there is no display).

Run: ``.venv/bin/python benchmarks/bench_viewer.py [--sizes 100k,1m,4m]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import open3d as o3d

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from viewer import ViewerSession, default_service, load_model  # noqa: E402
from viewer.lod import decimate  # noqa: E402

SCAN = Path(__file__).resolve().parents[2] / "shared/corpus/odedstein-meshes/nefertiti/nefertiti-lowres.obj"
W, H = 640, 480


def make_mesh(label: str) -> o3d.geometry.TriangleMesh:
    base = o3d.io.read_triangle_mesh(SCAN)
    if label == "100k":
        return decimate(base.subdivide_midpoint(1), 100_000)
    return base.subdivide_midpoint({"1m": 2, "4m": 3}[label])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def bench(label: str, tmp: Path) -> dict[str, float]:
    path = tmp / f"nefertiti-{label}.ply"
    mesh = make_mesh(label)
    o3d.io.write_triangle_mesh(path, mesh, write_ascii=False, compressed=False)
    svc = default_service()
    session = ViewerSession()
    t0 = time.perf_counter()
    session.set_model(load_model(path))
    t_load = time.perf_counter() - t0
    svc.call(lambda: session.render(W, H, renderer=svc.renderer))
    t_first = time.perf_counter() - t0
    t1 = time.perf_counter()
    session.build_lod()
    t_lod = time.perf_counter() - t1

    def frames(moving: bool, n: int) -> list[float]:
        out = []
        for _ in range(n):
            session.camera.orbit(4.0, 1.0)
            t = time.perf_counter()
            svc.call(lambda: session.render(W, H, moving, renderer=svc.renderer))
            out.append(time.perf_counter() - t)
        return out

    moving = frames(True, 12)[2:]  # the first LOD frames upload the level
    level = session.last_frame
    rest = frames(False, 5)[1:]
    svc.call(lambda: session.thumbnail(256, renderer=svc.renderer))  # upload at 256 px
    thumbs = []
    for _ in range(5):
        t = time.perf_counter()
        svc.call(lambda: session.thumbnail(256, renderer=svc.renderer))
        thumbs.append(time.perf_counter() - t)
    tris = session.model.n_primitives if session.model else 0
    print(f"{label:>5} {tris:>10,} tris | load {ms(t_load)} | first frame {ms(t_first)} | "
          f"LOD build {ms(t_lod)} | moving {ms(statistics.median(moving))} "
          f"(level {level['level']}, {int(level['primitives']):,} tris) | "  # type: ignore[call-overload]
          f"rest {ms(statistics.median(rest))} | thumbnail {ms(statistics.median(thumbs))} ms",
          flush=True)
    return {"moving": statistics.median(moving), "thumb": statistics.median(thumbs)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100k,1m,4m")
    args = ap.parse_args()
    if not SCAN.exists():
        print(f"corpus scan missing: {SCAN}", file=sys.stderr)
        return 1
    print(f"renderer: {default_service().call(lambda: default_service().renderer.name)}, {W}x{H}; "
          "all times in ms (median)")
    with tempfile.TemporaryDirectory() as tmp:
        for label in args.sizes.split(","):
            bench(label, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
