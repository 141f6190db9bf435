"""3D Tiles of a big point cloud: time and peak memory against reading and writing the same points once.

    python benchmarks/bench_tiles.py [--points 100000000] [--work /tmp/bench-tiles] [--keep]

Makes a LAZ of ``--points`` coloured points under ``--work`` (the Guanyin scan of the corpus,
tiled and jittered: :func:`bigscan.make_cloud`; deleted afterwards unless ``--keep``), then
runs, each in its own process with time and peak memory (resident, with children):

* **tiles**: :func:`archive.publish.tiles3d.write_tileset` from the LAZ master read in chunks
  (z-up millimetres: the web GLB's frame), with script copies of the levels that fit 10 MB;
* **reference**: the same LAZ read once with laspy's chunk iterator (the same decompression)
  and every point written once into one GLB (float32 positions and RGBA, interleaved), the
  least any tiler must do: read every point, write every point.

Prints both, their ratios (same run, same machine load), points per second and what the
tileset holds (tiles, levels, bytes, spacings). Memory target: a few GB whatever the size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bigscan import GUANYIN, make_cloud, measure  # noqa: E402


def run_tiles(laz: Path, out: Path) -> None:
    """Child process: the tileset of ``laz`` in ``out``; prints its report as JSON."""
    from archive.publish.cloudstream import master_source
    from archive.publish.modelframe import model_frame
    from archive.publish.tiles3d import write_tileset

    start = time.perf_counter()
    phases: dict[str, float] = {}

    def progress(done: int, total: int, message: str) -> None:  # the time each phase starts
        phases[message] = time.perf_counter() - start

    report = write_tileset(master_source(laz, model_frame("laz", "m", "z")), out, {}, local_budget=10 * 1024**2,
                           progress=progress)
    print(json.dumps({**report.__dict__, "seconds": time.perf_counter() - start, "phases": phases}))


def run_reference(laz: Path, glb: Path) -> None:
    """Child process: every point of ``laz`` read once and written once into one GLB."""
    import laspy
    import numpy as np

    start = time.perf_counter()
    with laspy.open(str(laz)) as reader:
        n = int(reader.header.point_count)
        lo, hi = np.asarray(reader.header.mins), np.asarray(reader.header.maxs)
        doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
               "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "COLOR_0": 1}, "mode": 0}]}],
               "buffers": [{"byteLength": n * 16}],
               "bufferViews": [{"buffer": 0, "byteLength": n * 16, "byteStride": 16, "target": 34962}],
               "accessors": [{"bufferView": 0, "componentType": 5126, "count": n, "type": "VEC3",
                              "min": (lo - lo).tolist(), "max": (hi - lo).tolist()},
                             {"bufferView": 0, "byteOffset": 12, "componentType": 5121, "count": n,
                              "type": "VEC4", "normalized": True}]}
        js = json.dumps(doc).encode()
        js += b" " * (-len(js) % 4)
        record = np.dtype([("p", "<f4", (3,)), ("c", "u1", (4,))])
        with open(glb, "wb") as fh:
            fh.write(struct.pack("<4sII", b"glTF", 2, 12 + 8 + len(js) + 8 + n * 16))
            fh.write(struct.pack("<I4s", len(js), b"JSON") + js + struct.pack("<I4s", n * 16, b"BIN\0"))
            for block in reader.chunk_iterator(2_000_000):
                rows = np.empty(len(block), dtype=record)
                rows["p"] = np.column_stack([np.asarray(block.x) - lo[0], np.asarray(block.y) - lo[1],
                                             np.asarray(block.z) - lo[2]])
                rows["c"][:, :3] = np.column_stack([block.red, block.green, block.blue]) >> 8
                rows["c"][:, 3] = 255
                rows.tofile(fh)
    print(json.dumps({"points": n, "seconds": time.perf_counter() - start}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-tiles"))
    ap.add_argument("--keep", action="store_true", help="keep the generated LAZ and the outputs")
    args = ap.parse_args()
    if not GUANYIN.is_file():
        raise SystemExit(f"the corpus scan {GUANYIN} is needed to generate the cloud")
    args.work.mkdir(parents=True, exist_ok=True)
    laz = args.work / f"cloud-{args.points}.laz"
    try:
        made = time.perf_counter()
        make_cloud(laz, args.points)
        print(f"input: {laz.name}, {args.points:,} points, {laz.stat().st_size / 1e6:.0f} MB "
              f"(generated in {time.perf_counter() - made:.0f} s)", flush=True)
        me = [sys.executable, __file__]
        ref = measure([*me, "_reference", str(laz), str(args.work / "reference.glb")])
        shutil.rmtree(args.work / "tiles", ignore_errors=True)
        tiles = measure([*me, "_tiles", str(laz), str(args.work / "tiles")])
        report = json.loads(tiles.stdout.strip().splitlines()[-1])
        report_glb = (args.work / "reference.glb").stat().st_size
        print(f"{'':12}{'seconds':>10}{'peak GB':>10}{'Mpoints/s':>12}{'output GB':>11}")
        for name, run, size in (("reference", ref, report_glb), ("tiles", tiles, report["bytes"])):
            rate = args.points / run.seconds / 1e6
            print(f"{name:12}{run.seconds:10.1f}{run.gb:10.2f}{rate:12.2f}{size / 1e9:11.2f}")
        print(f"ratio tiles / reference: time {tiles.seconds / ref.seconds:.2f}x, peak memory {tiles.gb / ref.gb:.2f}x")
        marks = sorted(report["phases"].items(), key=lambda kv: kv[1]) + [("end", report["seconds"])]
        print("tiles' phases: " + "; ".join(f"{name.lower()} {b - a:.1f} s"
                                             for (name, a), (_, b) in zip(marks, marks[1:], strict=False)))
        print(f"tileset: {report['tiles']:,} tiles, {report['levels']} levels, root spacing "
              f"{report['root_spacing'] * 1000:.1f} mm, finest {report['finest_spacing'] * 1000:.2f} mm; "
              f"file:// copies: {report['local_levels']} levels, {report['local_bytes'] / 1e6:.1f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] in ("_tiles", "_reference"):
        (run_tiles if sys.argv[1] == "_tiles" else run_reference)(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
