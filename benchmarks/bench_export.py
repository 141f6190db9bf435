"""Benchmark: OBJ → web GLB, our export against gltfpack (npm, WebAssembly build).

Same inputs, same triangle budget, in one run: a textured scan (YCB banana, 4096² PNG) and
a ~1.1M-triangle scan (Nefertiti subdivided twice). For each: wall time, file size, bytes
per triangle (geometry only: embedded images excluded), mean/max geometric error against
the master (relative to its bbox diagonal), and glTF-Validator results.

Run: .venv/bin/python benchmarks/bench_export.py   (needs ../shared/corpus and tools/node)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trimesh

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.publish import get_profile, validate, validator_available  # noqa: E402
from archive.publish.budget import geometric_error  # noqa: E402
from archive.publish.export import asset_meta  # noqa: E402
from archive.publish.geometry import load_model  # noqa: E402
from archive.publish.glb import node_modules_dir  # noqa: E402
from archive.publish.textures import _glb_images, original_candidates  # noqa: E402
from archive.publish.webcopy import make_web_glb  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
GLTFPACK = node_modules_dir() / "gltfpack" / "cli.js"


def inputs(tmp: Path) -> list[tuple[str, Path, float]]:
    banana = CORPUS / "ycb-pybullet" / "YcbBanana" / "textured_simple_reoriented.obj"
    nef = trimesh.load(CORPUS / "odedstein-meshes" / "nefertiti" / "nefertiti-lowres.obj", force="mesh")
    v, f = trimesh.remesh.subdivide(nef.vertices, nef.faces)
    v, f = trimesh.remesh.subdivide(v, f)
    big = tmp / "nefertiti-1m.obj"
    trimesh.Trimesh(v, f, process=False).export(big)
    return [("textured scan (banana, 15.7k tris, 4096² PNG)", banana, 0.5),
            (f"1M-triangle scan (Nefertiti ×16, {len(f) / 1e6:.2f}M tris)", big, 0.1)]


def ours(src: Path, out: Path, ratio: float, compress: str) -> dict:
    start = time.perf_counter()
    master = load_model(src, "m")
    prof = get_profile("archive").with_overrides(max_triangles=int(master.triangles * ratio), compress=compress)
    report = make_web_glb(master, prof, original_candidates(list(src.parent.iterdir())), out,
                          asset_meta({"title_vi": src.stem}), measure_error=False)
    seconds = time.perf_counter() - start
    copy = load_model(out, "m") if compress == "none" else None
    return {"seconds": seconds, "bytes": report.bytes, "triangles": report.triangles, "master": master, "copy": copy}


def gltfpack(src: Path, out: Path, ratio: float, extra: list[str]) -> dict:
    start = time.perf_counter()
    subprocess.run(["node", str(GLTFPACK), "-i", str(src), "-o", str(out), "-si", str(ratio), *extra],
                   check=True, capture_output=True)
    seconds = time.perf_counter() - start
    doc = json.loads(out.read_bytes()[20:20 + int.from_bytes(out.read_bytes()[12:16], "little")])
    tris = sum(doc["accessors"][p["indices"]]["count"] // 3 for m in doc["meshes"] for p in m["primitives"])
    return {"seconds": seconds, "bytes": out.stat().st_size, "triangles": tris}


def geometry_bytes(path: Path, total: int) -> int:
    return total - sum(len(i) for i in _glb_images(path.read_bytes()))


def main() -> int:
    if not CORPUS.is_dir() or not GLTFPACK.exists():
        print("skipped: needs ../shared/corpus and tools/node (scripts/node-deps.sh)")
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for label, src, ratio in inputs(tmp):
            print(f"\n== {label}: OBJ -> web GLB at {ratio:.0%} of the triangles")
            plain = ours(src, tmp / "ours.glb", ratio, "none")
            draco = ours(src, tmp / "ours-draco.glb", ratio, "draco")
            packed = gltfpack(src, tmp / "gltfpack.glb", ratio, ["-cc"])
            gltfpack(src, tmp / "gltfpack-noq.glb", ratio, ["-noq"])  # same simplification, readable
            ours_err = geometric_error(plain["master"], plain["copy"])
            pack_err = geometric_error(plain["master"], load_model(tmp / "gltfpack-noq.glb", "m"))
            reports = validate([tmp / "ours.glb", tmp / "ours-draco.glb", tmp / "gltfpack.glb"]) \
                if validator_available() else {}
            for name, r, path, err in (("ours", plain, tmp / "ours.glb", ours_err),
                                       ("ours --compress draco", draco, tmp / "ours-draco.glb", ours_err),
                                       ("gltfpack -cc", packed, tmp / "gltfpack.glb", pack_err)):
                geo = geometry_bytes(path, r["bytes"])
                v = reports.get(path)
                row = {"input": label, "tool": name, "seconds": round(r["seconds"], 2), "bytes": r["bytes"],
                       "triangles": r["triangles"],
                       "geometry_bytes_per_triangle": round(geo / max(r["triangles"], 1), 2),
                       "mean_error_rel": f"{err.mean_rel:.2e}", "max_error_rel": f"{err.max_rel:.2e}",
                       "validator": f"{v.errors} errors, {v.warnings} warnings" if v else "not run"}
                rows.append(row)
                print(f"  {name:<22} {row['seconds']:>6.2f} s  {r['bytes'] / 1e6:7.2f} MB  {r['triangles']:>8} tris  "
                      f"{row['geometry_bytes_per_triangle']:>6.2f} B/tri  error mean {row['mean_error_rel']} "
                      f"max {row['max_error_rel']}  validator: {row['validator']}")
            t_ratio = draco["seconds"] / packed["seconds"]
            s_ratio = (geometry_bytes(tmp / "ours-draco.glb", draco["bytes"]) / draco["triangles"]) / \
                (geometry_bytes(tmp / "gltfpack.glb", packed["bytes"]) / packed["triangles"])
            print(f"  targets: time {t_ratio:.2f}x gltfpack (<= 1.5), size/tri {s_ratio:.2f}x (<= 1.2), "
                  f"mean error {ours_err.mean_rel / max(pack_err.mean_rel, 1e-12):.2f}x (<= 1.0)")
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
