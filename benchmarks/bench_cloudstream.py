"""Big PTS, PCD and E57 clouds against a LAZ of the same points: first level, pick index and
3D Tiles read a chunk at a time (issue 12).

    flock /tmp/bigbench.lock .venv/bin/python benchmarks/bench_cloudstream.py \
        [--points 10000000,30000000] [--formats pts,pcd,pcd-compressed,e57] [--steps ...] \
        [--work /tmp/bench-cloudstream] [--keep]

For each size a LAZ is made by :func:`bigscan.make_cloud` (the Guanyin scan of the corpus,
tiled), and from it, a chunk at a time, one file per format asked (all by default), under
``--work`` (kept for the next run; never committed):

* ``pts``: a PTS text cloud (count line, ``x y z intensity r g b``, the LAZ's 0.1 mm);
* ``pcd``: a binary PCD (x y z float32, rgb packed in a float: PCL's PointXYZRGB);
* ``pcd-compressed``: the same PCD ``binary_compressed`` (LZF by Open3D's writer, which holds
  the whole cloud while writing it: that memory is the file's making, not a measured step);
* ``e57``: an E57 of two scans (the two halves of the points), coordinates as doubles, 8-bit
  colours, each scan with a pose (a quarter turn about z for the second, so the reader must
  apply it), written through libe57 in blocks.

Each step runs in its own process, timed, with the peak resident memory of it and its children:

* **first level**: :func:`archive.publish.cloudstream.thin_cloud_master` to the first level's
  points (what :func:`archive.levels.build_levels` does while reading a big cloud);
* **pick index**: :func:`archive.pickindex_read.build_pick_index_for` (every point spilled,
  sorted out of core, written);
* **3D Tiles**: :func:`archive.publish.tiles3d.write_tileset` of
  :func:`archive.publish.cloudstream.master_source` (the archive's 3D Tiles export).

A text cloud is first read once to measure it (count, bounds, colour rule); each process does
that pass itself here (a levels build does it once for the level and its pick index).

Printed: time and peak memory of each step per format with its ratio to the LAZ's (same run,
same load), and each format's peak at the largest size over the smallest: memory must stay
flat (1.0x, not growing with the points). The load average is printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bigscan import make_cloud, measure  # noqa: E402

PY = sys.executable
SHA = "c0" * 32
BLOCK = 1_000_000
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


def _laz_blocks(laz: Path) -> tuple[int, object]:
    import laspy

    reader = laspy.open(str(laz))
    return int(reader.header.point_count), reader


def _rgb(block: object) -> np.ndarray:
    return np.column_stack([np.asarray(getattr(block, c)) >> 8 for c in ("red", "green", "blue")]).astype(np.uint32)


def write_pts(laz: Path, pts: Path) -> Path:
    """``pts`` written from ``laz`` a chunk at a time: a count line, then x y z intensity r g b."""
    if pts.exists():
        return pts
    n, reader = _laz_blocks(laz)
    tmp = pts.with_suffix(".tmp")
    with reader, open(tmp, "w") as out:  # type: ignore[attr-defined]
        out.write(f"{n}\n")
        for block in reader.chunk_iterator(BLOCK):  # type: ignore[attr-defined]
            rows = np.column_stack([block.x, block.y, block.z, np.asarray(block.intensity), _rgb(block)])
            out.write(("%.4f %.4f %.4f %d %d %d %d\n" * len(rows)) % tuple(rows.ravel()))
    tmp.rename(pts)
    return pts


def write_pcd(laz: Path, pcd: Path) -> Path:
    """A binary PCD of the LAZ's points (x y z float32, rgb packed in a float)."""
    if pcd.exists():
        return pcd
    n, reader = _laz_blocks(laz)
    tmp = pcd.with_suffix(".tmp")
    head = (f"# .PCD v0.7\nVERSION 0.7\nFIELDS x y z rgb\nSIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\n"
            f"WIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA binary\n")
    rows = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("rgb", "<u4")])
    with reader, open(tmp, "wb") as out:  # type: ignore[attr-defined]
        out.write(head.encode())
        for block in reader.chunk_iterator(BLOCK):  # type: ignore[attr-defined]
            out_rows = np.empty(len(block), rows)
            for axis in "xyz":
                out_rows[axis] = np.asarray(getattr(block, axis))
            rgb = _rgb(block)
            out_rows["rgb"] = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
            out.write(out_rows.tobytes())
    tmp.rename(pcd)
    return pcd


def write_compressed_pcd(pcd: Path, out: Path) -> Path:
    """The binary PCD again, ``binary_compressed`` by Open3D (which holds it whole)."""
    if out.exists():
        return out
    import open3d as o3d

    cloud = o3d.io.read_point_cloud(str(pcd))
    tmp = out.with_name(out.stem + ".tmp.pcd")
    o3d.io.write_point_cloud(str(tmp), cloud, compressed=True)
    tmp.rename(out)
    return out


def write_e57(laz: Path, e57_path: Path) -> Path:
    """An E57 of the LAZ's points in two scans (its halves), each with a pose, in blocks."""
    if e57_path.exists():
        return e57_path
    import pye57
    from pye57 import libe57

    n, reader = _laz_blocks(laz)
    tmp = e57_path.with_name(e57_path.stem + ".tmp.e57")
    e57 = pye57.E57(str(tmp), mode="w")
    imf = e57.image_file
    blocks = reader.chunk_iterator(BLOCK)  # type: ignore[attr-defined]
    pending: list[np.ndarray] = []
    for index, count in enumerate((n // 2, n - n // 2)):
        points = _scan_node(imf, e57, index)
        names = ["cartesianX", "cartesianY", "cartesianZ", "colorRed", "colorGreen", "colorBlue"]
        arrays = {k: np.empty(BLOCK, "d" if k.startswith("cart") else "B") for k in names}
        buffers = libe57.VectorSourceDestBuffer()
        for k in names:
            buffers.append(libe57.SourceDestBuffer(imf, k, arrays[k], BLOCK, True, True))
        writer = points.writer(buffers)
        left = count
        while left:
            rows = pending.pop(0) if pending else _rows(next(blocks))
            if len(rows) > min(left, BLOCK):
                rows, rest = rows[:min(left, BLOCK)], rows[min(left, BLOCK):]
                pending.insert(0, rest)
            for j, k in enumerate(names):
                arrays[k][:len(rows)] = rows[:, j]
            writer.write(len(rows))
            left -= len(rows)
        writer.close()
    e57.close()
    reader.close()  # type: ignore[attr-defined]
    tmp.rename(e57_path)
    return e57_path


def _rows(block: object) -> np.ndarray:
    xyz = np.column_stack([np.asarray(getattr(block, a)) for a in "xyz"])
    return np.column_stack([xyz, _rgb(block)])


def _scan_node(imf: object, e57: object, index: int) -> object:
    """A scan with a pose (a quarter turn about z for the second) and its points' prototype."""
    from pye57 import libe57

    node = libe57.StructureNode(imf)
    node.set("guid", libe57.StringNode(imf, f"{{bench-scan-{index}}}"))
    pose, rotation, translation = libe57.StructureNode(imf), libe57.StructureNode(imf), libe57.StructureNode(imf)
    quaternion = (1.0, 0.0, 0.0, 0.0) if index == 0 else (0.7071067811865476, 0.0, 0.0, 0.7071067811865476)
    for k, v in zip("wxyz", quaternion, strict=True):
        rotation.set(k, libe57.FloatNode(imf, v))
    for k in "xyz":
        translation.set(k, libe57.FloatNode(imf, 0.0))
    pose.set("rotation", rotation)
    pose.set("translation", translation)
    node.set("pose", pose)
    prototype = libe57.StructureNode(imf)
    for k in ("cartesianX", "cartesianY", "cartesianZ"):
        prototype.set(k, libe57.FloatNode(imf, 0.0, libe57.E57_DOUBLE))
    for k in ("colorRed", "colorGreen", "colorBlue"):
        prototype.set(k, libe57.IntegerNode(imf, 0, 0, 255))
    points = libe57.CompressedVectorNode(imf, prototype, libe57.VectorNode(imf, True))
    node.set("points", points)
    e57.data3d.append(node)  # type: ignore[attr-defined]
    return points


# Each format's file made from the size's LAZ; all named cloud-<n>.* under --work (cleanup relies on it).
MAKERS: dict[str, Callable[[Path, Path, int], Path]] = {
    "pts": lambda laz, work, n: write_pts(laz, work / f"cloud-{n}.pts"),
    "pcd": lambda laz, work, n: write_pcd(laz, work / f"cloud-{n}.pcd"),
    "pcd-compressed": lambda laz, work, n: write_compressed_pcd(write_pcd(laz, work / f"cloud-{n}.pcd"),
                                                                work / f"cloud-{n}.z.pcd"),
    "e57": lambda laz, work, n: write_e57(laz, work / f"cloud-{n}.e57"),
}


def run_step(name: str, master: Path, out: Path) -> tuple[float, float, str]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom pathlib import Path\n"
            f"MASTER, OUT, SHA = Path({str(master)!r}), Path({str(out)!r}), {SHA!r}\n" + STEPS[name])
    run = measure([PY, "-c", code])
    shutil.rmtree(out, ignore_errors=True)
    return run.seconds, run.gb, run.stdout.strip()


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", default="10000000,30000000", help="sizes, comma-separated (smallest first)")
    ap.add_argument("--formats", default=",".join(MAKERS), help="of " + ", ".join(MAKERS) + ", comma-separated")
    ap.add_argument("--steps", default=",".join(STEPS), help="of " + ", ".join(STEPS))
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-cloudstream"))
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args()
    for option, given, known in (("--formats", args.formats, MAKERS), ("--steps", args.steps, STEPS)):
        unknown = [x for x in given.split(",") if x not in known]
        if unknown:
            ap.error(f"{option}: unknown {', '.join(unknown)} (known: {', '.join(known)})")
    return args


def main() -> int:
    args = parse_args()
    sizes, formats, steps = [int(s) for s in args.points.split(",")], args.formats.split(","), args.steps.split(",")
    width = max(len(f) for f in ("laz", *formats))
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, int, str], tuple[float, float]] = {}
    for n in sizes:
        start = time.perf_counter()
        masters = {"laz": make_cloud(args.work / f"cloud-{n}.laz", n)}
        masters |= {fmt: MAKERS[fmt](masters["laz"], args.work, n) for fmt in formats}
        sizes_mb = ", ".join(f"{fmt.upper()} {p.stat().st_size / 1e6:,.0f} MB" for fmt, p in masters.items())
        print(f"== {n:,} points: {sizes_mb} (ready in {time.perf_counter() - start:.0f} s) [{load()}]", flush=True)
        for step in steps:
            for fmt, master in masters.items():
                seconds, gb, said = run_step(step, master, args.work / "out")
                results[(fmt, n, step)] = (seconds, gb)
                print(f"  {step:12} {fmt:{width}}: {seconds:7.1f} s, peak {gb:5.2f} GB  {said} [{load()}]", flush=True)
            ls, lg = results[("laz", n, step)]
            for fmt in formats:
                s, g = results[(fmt, n, step)]
                print(f"  {step:12} {fmt} / laz: time {s / ls:.2f}x, peak memory {g / lg:.2f}x", flush=True)
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        print(f"== peak memory at {big:,} over {small:,} points ({big / small:.1f}x the points; flat is 1.0x)")
        for step in steps:
            line = ", ".join(f"{fmt} {results[(fmt, big, step)][1] / results[(fmt, small, step)][1]:.2f}x"
                             for fmt in ("laz", *formats))
            print(f"  {step:12} {line}")
    if not args.keep:
        for n in sizes:  # every file made for a size, the PCD under a compressed one included
            for path in args.work.glob(f"cloud-{n}.*"):
                path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
