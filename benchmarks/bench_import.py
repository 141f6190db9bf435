"""Import speed and memory against the floor (read + SHA-256 + copy with fsync).

Run: .venv/bin/python benchmarks/bench_import.py
Targets (issue 2): 1M-triangle binary PLY import ≤ 3× the floor in time, extra peak memory
≤ 3× the file size; OBJ import within 1.2× of Open3D's reader. Thumbnails are excluded.
Each measurement runs in a fresh child process so peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SCAN = CORPUS / "odedstein-meshes" / "nefertiti" / "nefertiti-lowres.obj"

CHILD = r"""
import hashlib, json, os, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
mode, source, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
from archive import Archive
from archive.importer import import_paths
import open3d as o3d
def workers_peak():
    import psutil
    peak = 0
    for child in psutil.Process().children(recursive=True):
        try:
            for line in Path(f"/proc/{{child.pid}}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak += int(line.split()[1]) * 1024
        except OSError:
            pass
    return peak
# Warm up as a running app is: modules loaded, the parser worker started (its cold start is
# measured separately below).
import trimesh
(work / "w").mkdir()
trimesh.creation.box().export(work / "w" / "box.ply")
t_cold = time.perf_counter()
with Archive.create(work / "warm") as warm:
    import_paths(warm, [work / "w" / "box.ply"])
cold = time.perf_counter() - t_cold
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
workers0 = workers_peak()
start = time.perf_counter()
if mode == "floor":
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(work / "copy", "wb") as dst:
        while chunk := src.read(4 * 1024 * 1024):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush(); os.fsync(dst.fileno())
elif mode == "import":
    with Archive.create(work / "arch") as archive:
        report = import_paths(archive, [source])
        assert report.imported, report.errors
elif mode == "open3d":
    mesh = o3d.io.read_triangle_mesh(str(source))
    assert len(mesh.triangles)
elapsed = time.perf_counter() - start
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
extra = max(0, rss1 - rss0) + max(0, workers_peak() - workers0)
print(json.dumps({{"seconds": elapsed, "extra_bytes": extra, "cold_start": cold}}))
"""


def measure(mode: str, source: Path, repeat: int = 3) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as work:
            out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), mode, str(source), work],
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"seconds": min(r["seconds"] for r in runs), "extra_bytes": max(r["extra_bytes"] for r in runs),
            "cold_start": min(r["cold_start"] for r in runs)}


def make_inputs(folder: Path) -> tuple[Path, Path]:
    import trimesh

    mesh = trimesh.load(SCAN, process=False, force="mesh")
    while len(mesh.faces) < 1_000_000:
        mesh = mesh.subdivide()
    ply = folder / "nefertiti-1m.ply"
    ply.write_bytes(trimesh.exchange.ply.export_ply(mesh, encoding="binary"))
    return ply, SCAN


def main() -> None:
    if not SCAN.exists():
        sys.exit(f"needs the shared corpus at {CORPUS}")
    with tempfile.TemporaryDirectory() as tmp:
        ply, obj = make_inputs(Path(tmp))
        size = ply.stat().st_size
        floor = measure("floor", ply)
        ours = measure("import", ply)
        print(f"binary PLY {size / 1e6:.1f} MB (1.1M triangles, subdivided nefertiti):")
        print(f"  floor read+sha256+copy+fsync {floor['seconds'] * 1000:.0f} ms;"
              f" import {ours['seconds'] * 1000:.0f} ms -> {ours['seconds'] / floor['seconds']:.2f}× (target ≤ 3×)")
        print(f"  (once per app session: starting the isolated parser worker {ours['cold_start'] * 1000:.0f} ms)")
        print(f"  extra peak memory, app + parser worker: import {ours['extra_bytes'] / 1e6:.1f} MB"
              f" = {ours['extra_bytes'] / size:.2f}× file size (target ≤ 3×);"
              f" floor {floor['extra_bytes'] / 1e6:.1f} MB")
        for label, path in (("OBJ nefertiti 70k triangles", obj),):
            ref = measure("open3d", path)
            mine = measure("import", path)
            print(f"{label}: open3d read {ref['seconds'] * 1000:.0f} ms; import {mine['seconds'] * 1000:.0f} ms"
                  f" -> {mine['seconds'] / ref['seconds']:.2f}× (target ≤ 1.2×)")


if __name__ == "__main__":
    main()
