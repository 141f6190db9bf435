"""Real heritage sizes (issue 12): big meshes and clouds against Open3D and gltfpack, one run.

    .venv/bin/python benchmarks/bench_big.py [--jobs snapshot,levels,web,cloud]
        [--triangles 12700000] [--big-triangles 50000000] [--points 100000000]
        [--work /tmp/bench-big] [--keep]

Inputs are generated under ``--work`` from corpus scans (:mod:`bigscan`; never committed) and
deleted afterwards unless ``--keep``. Every step runs as its own command; its wall time, CPU
time and peak memory (the summed resident memory of the command and all its children) are
measured the same way for ours and for the peer, in the same run:

* ``snapshot``: cold ``heritage snapshot FILE`` of the mesh (1024 px) against Open3D's own
  read + normals + render (``Visualizer``, hidden window); target <= 0.5x time and memory.
  The picture is compared with ``--every-triangle`` (the whole mesh drawn). Then the archive
  form ``heritage --archive A snapshot ITEM`` once the levels exist.
* ``levels``: ``heritage levels`` (all levels) against ``gltfpack -si`` to the first level's
  size, at ``--triangles`` and ``--big-triangles`` (0 to skip); target <= 2x gltfpack's time.
* ``web``: ``heritage export --format glb --profile web`` from the master (cold, no levels) and
  with levels present, against ``gltfpack -si`` to the same triangle count; targets: time
  <= 1.2x, memory <= 1.5x, mean error <= gltfpack's (two-sided, 100k samples a side, exact
  distance to the master's triangles, the same sampler for both copies).
* ``cloud``: import of a LAZ of ``--points`` against laspy read + SHA-256 + copy (target
  <= 2x), and its web GLB (target <= 60 s, within the profile's 10 MB), cold and from levels.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bigscan import GLTFPACK, Run, make_cloud, make_mesh, measure  # noqa: E402

PY = sys.executable
HERITAGE = str(Path(PY).parent / "heritage")
WEB_BUDGET = 10 * 1024 * 1024

OPEN3D_PICTURE = r"""
import sys, numpy as np, open3d as o3d
from PIL import Image
path, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
mesh = o3d.io.read_triangle_mesh(path)
mesh.compute_vertex_normals()
vis = o3d.visualization.Visualizer()
vis.create_window(width=size, height=size, visible=False)
vis.add_geometry(mesh)
img = np.asarray(vis.capture_screen_float_buffer(do_render=True))
Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(out)
vis.destroy_window()
"""

FLOOR = r"""
import hashlib, os, sys, laspy
src, dst = sys.argv[1], sys.argv[2]
las = laspy.read(src)
assert len(las.points)
digest = hashlib.sha256()
with open(src, "rb") as fh, open(dst, "wb") as out:
    while chunk := fh.read(4 * 1024 * 1024):
        digest.update(chunk)
        out.write(chunk)
    out.flush(); os.fsync(out.fileno())
"""

COPY_ONLY = FLOOR.replace("las = laspy.read(src)\nassert len(las.points)\n", "")


def row(job: str, ours: Run, peer: Run, peer_name: str, target_time: float | None,
        target_memory: float | None = None) -> dict[str, object]:
    t, m = ours.seconds / peer.seconds, ours.peak_bytes / max(peer.peak_bytes, 1)
    ok = (target_time is None or t <= target_time) and (target_memory is None or m <= target_memory)
    print(f"  {job}: ours {ours.seconds:.1f} s wall / {ours.cpu:.1f} s CPU, {ours.gb:.2f} GB | {peer_name} "
          f"{peer.seconds:.1f} s / {peer.cpu:.1f} s CPU, {peer.gb:.2f} GB | ratio {t:.2f}x time, "
          f"{ours.cpu / max(peer.cpu, 1e-9):.2f}x CPU, {m:.2f}x memory"
          + (f" (target <= {target_time}x time" + (f", <= {target_memory}x memory" if target_memory else "") + ")"
             if target_time else "") + (" MET" if ok else " NOT MET"), flush=True)
    return {"job": job, "ours_s": round(ours.seconds, 1), "ours_gb": round(ours.gb, 2), "peer": peer_name,
            "peer_s": round(peer.seconds, 1), "peer_gb": round(peer.gb, 2), "time_ratio": round(t, 2),
            "memory_ratio": round(m, 2), "met": ok}


def picture_difference(a: Path, b: Path) -> str:
    """Mean absolute difference per channel (0-255) over all pixels and over the model's,
    the share of pixels off by more than 32, and the mean after 4x4 box filtering."""
    from PIL import Image

    x = np.asarray(Image.open(a).convert("RGB")).astype(np.int16)
    y = np.asarray(Image.open(b).convert("RGB")).astype(np.int16)
    d = np.abs(x - y)
    background = (x == x[0, 0]).all(2) & (y == y[0, 0]).all(2)
    h, w = x.shape[0] // 4 * 4, x.shape[1] // 4 * 4

    def box(z: np.ndarray) -> np.ndarray:
        return z[:h, :w].reshape(h // 4, 4, w // 4, 4, 3).mean((1, 3))

    return (f"mean difference {d.mean():.2f}/255 (over the model's pixels {d[~background].mean():.2f}), "
            f"{(d.max(2) > 32).mean() * 100:.2f} % of pixels off by > 32, after 4x4 averaging "
            f"{np.abs(box(x) - box(y)).mean():.2f}")


def archive_with(work: Path, name: str, source: Path) -> Path:
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    measure([HERITAGE, "init", str(folder)])
    measure([HERITAGE, "--archive", str(folder), "import", str(source), "--title", source.stem])
    return folder


def gltf_triangles(path: Path) -> int:
    data = path.read_bytes()
    doc = json.loads(data[20:20 + int.from_bytes(data[12:16], "little")])
    return sum(doc["accessors"][p["indices"]]["count"] // 3 for m in doc["meshes"] for p in m["primitives"])


# --- jobs -------------------------------------------------------------------------------------

def job_snapshot(work: Path, triangles: int, rows: list) -> None:
    ply = make_mesh(work / f"mesh-{triangles}.ply", triangles, glb=True)
    print(f"\n== snapshot: {triangles:,}-triangle binary PLY ({ply.stat().st_size / 1e6:.0f} MB), 1024 px, "
          "cold process")
    peer = measure([PY, "-c", OPEN3D_PICTURE, str(ply), str(work / "open3d.png"), "1024"])
    ours = measure([HERITAGE, "snapshot", str(ply), "--out", str(work / "ours.png"), "--size", "1024"])
    rows.append(row("cold snapshot FILE", ours, peer, "Open3D read+render", 0.5, 0.5))
    every = measure([HERITAGE, "snapshot", str(ply), "--out", str(work / "every.png"), "--size", "1024",
                     "--every-triangle"])
    print(f"  every triangle drawn (--every-triangle, the old way): {every.seconds:.1f} s, {every.gb:.2f} GB")
    print(f"  picture vs every triangle drawn: {picture_difference(work / 'every.png', work / 'ours.png')}")
    folder = archive_with(work, "archive-snapshot", ply)
    measure([HERITAGE, "--archive", str(folder), "levels"])
    item = measure([HERITAGE, "--archive", str(folder), "snapshot", "1", "--out", str(work / "item.png")])
    print(f"  heritage --archive A snapshot ITEM (from its kept level): {item.seconds:.1f} s, {item.gb:.2f} GB; "
          f"vs every triangle: {picture_difference(work / 'every.png', work / 'item.png')}")
    shutil.rmtree(folder, ignore_errors=True)


def job_levels(work: Path, triangles: int, rows: list) -> None:
    ply = make_mesh(work / f"mesh-{triangles}.ply", triangles, glb=True)
    print(f"\n== levels of detail: {triangles:,} triangles")
    folder = archive_with(work, "archive-levels", ply)
    ours = measure([HERITAGE, "--archive", str(folder), "levels"])
    kept = sorted((folder / "derived" / "levels").rglob("*.L1.ply"))
    first = min(1_000_000, triangles)
    ratio = first / triangles
    peer = measure([str(GLTFPACK), "-i", str(ply.with_suffix(".glb")), "-o", str(work / "gp-levels.glb"),
                    "-si", f"{ratio:.6f}"], check=False)
    print(f"  levels kept: {', '.join(p.name.split('.')[-2] for p in sorted((folder / 'derived').rglob('*.ply')))}"
          f" (first: {kept[0].stat().st_size / 1e6:.0f} MB)" if kept else "  no level kept")
    if peer.returncode == 0:
        rows.append(row(f"build levels ({triangles / 1e6:.1f}M)", ours, peer, f"gltfpack -si {ratio:.4f}", 2.0))
    else:  # gltfpack's WebAssembly build has 4 GB of memory at most
        print(f"  build levels ({triangles / 1e6:.1f}M): ours {ours.seconds:.1f} s wall / {ours.cpu:.1f} s CPU, "
              f"{ours.gb:.2f} GB | gltfpack failed after {peer.seconds:.1f} s, {peer.gb:.2f} GB "
              f"({peer.stderr.strip()[-200:]!r}): no ratio")
        rows.append({"job": f"build levels ({triangles / 1e6:.1f}M)", "ours_s": round(ours.seconds, 1),
                     "ours_gb": round(ours.gb, 2), "peer": "gltfpack failed", "met": None})
    shutil.rmtree(folder, ignore_errors=True)


def job_web(work: Path, triangles: int, rows: list) -> None:
    from archive.publish import budget
    from archive.publish.geometry import load_model

    ply = make_mesh(work / f"mesh-{triangles}.ply", triangles, glb=True)
    print(f"\n== web GLB (profile web, 10 MB) from a {triangles:,}-triangle master")
    folder = archive_with(work, "archive-web", ply)
    out = work / "web-cold"
    shutil.rmtree(out, ignore_errors=True)
    export = [HERITAGE, "--archive", str(folder), "export", "1", "--format", "glb", "--profile", "web",
              "--validate", "no", "--json"]
    cold = measure([*export, "--to", str(out)])
    report = json.loads(cold.stdout)["web"] if cold.stdout.strip().startswith("{") else \
        json.loads(cold.stdout)[0]["web"]
    ours_glb = next(out.glob("*.glb"))
    ratio = report["triangles"] / triangles
    peer = measure([str(GLTFPACK), "-i", str(ply.with_suffix(".glb")), "-o", str(work / "gp-web.glb"),
                    "-si", f"{ratio:.6f}"])
    print(f"  ours: {report['triangles']:,} triangles, {report['bytes'] / 1e6:.2f} MB; gltfpack: "
          f"{gltf_triangles(work / 'gp-web.glb'):,} triangles, {(work / 'gp-web.glb').stat().st_size / 1e6:.2f} MB")
    rows.append(row("web GLB, cold (no levels)", cold, peer, "gltfpack -si", 1.2, 1.5))
    measure([str(GLTFPACK), "-i", str(ply.with_suffix(".glb")), "-o", str(work / "gp-web-noq.glb"),
             "-si", f"{ratio:.6f}", "-noq"])  # the same simplification, readable without dequantising
    budget.ERROR_CHUNK = 10**10  # the benchmark measures both against every triangle of the master
    master = load_model(ply, "m", "y")
    errors = {name: budget.geometric_error(master, load_model(path, "m", "y"))
              for name, path in (("ours", ours_glb), ("gltfpack", work / "gp-web-noq.glb"))}
    del master
    for name, e in errors.items():
        print(f"  error against the master, {name}: mean {e.mean_rel:.3e}, max {e.max_rel:.3e} of the diagonal")
    met = errors["ours"].mean_rel <= errors["gltfpack"].mean_rel
    print(f"  mean error ratio {errors['ours'].mean_rel / errors['gltfpack'].mean_rel:.2f}x (target <= 1) "
          + ("MET" if met else "NOT MET"))
    rows.append({"job": "web GLB mean error", "ours": errors["ours"].mean_rel, "peer": errors["gltfpack"].mean_rel,
                 "met": met})
    measure([HERITAGE, "--archive", str(folder), "levels"])
    out2 = work / "web-levels"
    shutil.rmtree(out2, ignore_errors=True)
    warm = measure([*export, "--to", str(out2)])
    rows.append(row("web GLB, levels present", warm, peer, "gltfpack -si", 1.2, 1.5))
    warm_glb = next(out2.glob("*.glb"))
    master = load_model(ply, "m", "y")
    e = budget.geometric_error(master, load_model(warm_glb, "m", "y"))
    print(f"  levels present: {gltf_triangles(warm_glb):,} triangles; error against the master (not the level): "
          f"mean {e.mean_rel:.3e}, max {e.max_rel:.3e}")
    shutil.rmtree(folder, ignore_errors=True)


def job_cloud(work: Path, points: int, rows: list) -> None:
    laz = make_cloud(work / f"cloud-{points}.laz", points)
    print(f"\n== point cloud: {points:,}-point LAZ ({laz.stat().st_size / 1e6:.0f} MB)")
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        peer = measure([PY, "-c", FLOOR, str(laz), str(Path(tmp) / "copy.laz")])
        (Path(tmp) / "copy.laz").unlink()
        plain = measure([PY, "-c", COPY_ONLY, str(laz), str(Path(tmp) / "copy.laz")])
        (Path(tmp) / "copy.laz").unlink()
    folder = work / "archive-cloud"
    shutil.rmtree(folder, ignore_errors=True)
    measure([HERITAGE, "init", str(folder)])
    ours = measure([HERITAGE, "--archive", str(folder), "import", str(laz), "--title", "cloud"])
    rows.append(row("import LAZ", ours, peer, "laspy read+sha256+copy", 2.0))
    print(f"  (sha256 + copy alone: {plain.seconds:.1f} s; import is {ours.seconds / plain.seconds:.2f}x that)")
    export = [HERITAGE, "--archive", str(folder), "export", "1", "--format", "glb", "--profile", "web",
              "--validate", "no", "--json"]
    for label, out in (("cold (no levels)", work / "cloud-cold"), ("levels present", work / "cloud-levels")):
        if label == "levels present":
            lv = measure([HERITAGE, "--archive", str(folder), "levels"])
            print(f"  levels of the cloud built in {lv.seconds:.1f} s, {lv.gb:.2f} GB")
        shutil.rmtree(out, ignore_errors=True)
        run = measure([*export, "--to", str(out)])
        web = json.loads(run.stdout)["web"]
        ok = run.seconds <= 60 and web["bytes"] <= WEB_BUDGET
        print(f"  web GLB {label}: {run.seconds:.1f} s, {run.gb:.2f} GB; {web['points']:,} of {web['master_points']:,} "
              f"points kept, spacing {web['point_spacing']:.4g} m, {web['bytes'] / 1e6:.2f} MB of "
              f"{WEB_BUDGET / 1e6:.2f} (target <= 60 s, within budget) {'MET' if ok else 'NOT MET'}")
        rows.append({"job": f"cloud web GLB, {label}", "ours_s": round(run.seconds, 1), "ours_gb": round(run.gb, 2),
                     "points": web["points"], "spacing_m": web["point_spacing"], "bytes": web["bytes"], "met": ok})
    shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", default="snapshot,levels,web,cloud")
    ap.add_argument("--triangles", type=int, default=12_700_000)
    ap.add_argument("--big-triangles", type=int, default=50_000_000, help="second size for the levels job (0: skip)")
    ap.add_argument("--points", type=int, default=100_000_000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-big")
    ap.add_argument("--keep", action="store_true", help="keep the generated inputs for the next run")
    args = ap.parse_args()
    if not GLTFPACK.exists():
        print("needs gltfpack (scripts/node-deps.sh)")
        return 1
    args.work.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    jobs = args.jobs.split(",")
    try:
        if "snapshot" in jobs:
            job_snapshot(args.work, args.triangles, rows)
        if "levels" in jobs:
            for n in (args.triangles, args.big_triangles):
                if n:
                    job_levels(args.work, n, rows)
        if "web" in jobs:
            job_web(args.work, args.triangles, rows)
        if "cloud" in jobs:
            job_cloud(args.work, args.points, rows)
    finally:
        if not args.keep:
            for f in args.work.glob("*"):
                shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink(missing_ok=True)
    print("\n" + json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
