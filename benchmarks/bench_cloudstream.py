"""A big PTS text cloud against a LAZ of the same points: first level, pick index and 3D Tiles
read a chunk at a time (issue 12).

    flock /tmp/bigbench.lock .venv/bin/python benchmarks/bench_cloudstream.py \
        [--points 10000000,30000000] [--work /tmp/bench-cloudtext] [--keep]

For each size a LAZ is made by :func:`bigscan.make_cloud` (the Guanyin scan of the corpus,
tiled) and a PTS written from it (count line, ``x y z intensity r g b``, the LAZ's
0.1 mm), both under ``--work`` (kept for the next run; never committed). Each step runs in its
own process, timed, with the peak resident memory of it and its children:

* **first level**: :func:`archive.publish.cloudstream.thin_cloud_master` to the first level's
  points (what :func:`archive.levels.build_levels` does while reading a big cloud);
* **pick index**: :func:`archive.pickindex_read.build_pick_index_for` (every point spilled,
  sorted out of core, written);
* **3D Tiles**: :func:`archive.publish.tiles3d.write_tileset` of
  :func:`archive.publish.cloudstream.master_source` (the archive's 3D Tiles export).

A text cloud is first read once to measure it (count, bounds, colour rule); each process does
that pass itself here (a levels build does it once for the level and its pick index).

Printed: time and peak memory of each step for PTS and LAZ with their ratio (same run, same
load), and each format's peak at the largest size over the smallest: memory must stay flat
(not grow with the points). The load average is printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bigscan import make_cloud, measure  # noqa: E402

PY = sys.executable
SHA = "c0" * 32
STEPS = {
    "first level": "from archive.levels import LEVEL_POINTS\n"
                   "from archive.publish.cloudstream import thin_cloud_master\n"
                   "thin = thin_cloud_master(MASTER, LEVEL_POINTS[0])\n"
                   "print(f'{len(thin.points):,} of {thin.total:,} points kept')",
    "pick index": "from archive.pickindex_read import build_pick_index_for\n"
                  "build_pick_index_for(MASTER, SHA, OUT)",
    "3D Tiles": "from archive.formats.identify import identify\n"
                "from archive.publish.cloudstream import master_source\n"
                "from archive.publish.modelframe import model_frame\n"
                "from archive.publish.tiles3d import write_tileset\n"
                "r = write_tileset(master_source(MASTER, model_frame(identify(MASTER), 'm', 'z')), OUT)\n"
                "print(f'{r.points:,} points in {r.tiles:,} tiles, {r.levels} levels, {r.bytes / 1e6:.0f} MB')",
}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def write_pts(laz: Path, pts: Path) -> Path:
    """``pts`` written from ``laz`` a chunk at a time: a count line, then x y z intensity r g b."""
    if pts.exists():
        return pts
    import laspy
    import numpy as np

    tmp = pts.with_suffix(".tmp")
    with laspy.open(str(laz)) as reader, open(tmp, "w") as out:
        out.write(f"{reader.header.point_count}\n")
        for block in reader.chunk_iterator(1_000_000):
            rows = np.column_stack([block.x, block.y, block.z, np.asarray(block.intensity),
                                    np.asarray(block.red) >> 8, np.asarray(block.green) >> 8,
                                    np.asarray(block.blue) >> 8])
            out.write(("%.4f %.4f %.4f %d %d %d %d\n" * len(rows)) % tuple(rows.ravel()))
    tmp.rename(pts)
    return pts


def run_step(name: str, master: Path, out: Path) -> tuple[float, float, str]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom pathlib import Path\n"
            f"MASTER, OUT, SHA = Path({str(master)!r}), Path({str(out)!r}), {SHA!r}\n" + STEPS[name])
    run = measure([PY, "-c", code])
    shutil.rmtree(out, ignore_errors=True)
    return run.seconds, run.gb, run.stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", default="10000000,30000000", help="sizes, comma-separated (smallest first)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-cloudtext"))
    ap.add_argument("--keep", action="store_true", help="keep the generated LAZ and PTS files")
    args = ap.parse_args()
    sizes = [int(s) for s in args.points.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, int, str], tuple[float, float]] = {}
    made: list[Path] = []
    for n in sizes:
        start = time.perf_counter()
        laz = make_cloud(args.work / f"cloud-{n}.laz", n)
        pts = write_pts(laz, args.work / f"cloud-{n}.pts")
        made += [laz, pts]
        print(f"== {n:,} points: LAZ {laz.stat().st_size / 1e6:,.0f} MB, PTS {pts.stat().st_size / 1e6:,.0f} MB "
              f"(ready in {time.perf_counter() - start:.0f} s) [{load()}]", flush=True)
        for step in STEPS:
            for fmt, master in (("laz", laz), ("pts", pts)):
                seconds, gb, said = run_step(step, master, args.work / "out")
                results[(fmt, n, step)] = (seconds, gb)
                print(f"  {step:12} {fmt}: {seconds:7.1f} s, peak {gb:5.2f} GB  {said} [{load()}]", flush=True)
            (ls, lg), (ps, pg) = results[("laz", n, step)], results[("pts", n, step)]
            print(f"  {step:12} pts / laz: time {ps / ls:.2f}x, peak memory {pg / lg:.2f}x", flush=True)
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        print(f"== peak memory at {big:,} over {small:,} points ({big / small:.1f}x the points; flat is 1.0x)")
        for step in STEPS:
            line = ", ".join(f"{fmt} {results[(fmt, big, step)][1] / results[(fmt, small, step)][1]:.2f}x"
                             for fmt in ("laz", "pts"))
            print(f"  {step:12} {line}")
    if not args.keep:
        for path in made:
            path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
