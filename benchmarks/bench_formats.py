"""Benchmark archive.formats.inspect_scan against raw reads and Open3D's readers.

Run: ``.venv/bin/python benchmarks/bench_formats.py``. Test files are generated in
/tmp (never in the repository) from the corpus at ../shared/corpus. Each figure is the
best of several warm runs, measured in the same process.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import trimesh

from archive.formats import inspect_scan

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
NEFERTITI = CORPUS / "odedstein-meshes/nefertiti/nefertiti-lowres.obj"
TMP = Path(tempfile.gettempdir()) / "bench_formats"


def best(fn: Callable[[], object], runs: int = 5) -> float:
    """Fastest of ``runs`` calls, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def big_mesh() -> trimesh.Trimesh:
    """Nefertiti subdivided to about 1M triangles."""
    mesh = trimesh.load(NEFERTITI, force="mesh", process=False)
    while len(mesh.faces) < 1_000_000:
        mesh = mesh.subdivide()
    return mesh


def files() -> tuple[Path, Path]:
    TMP.mkdir(exist_ok=True)
    ply, obj = TMP / "big.ply", TMP / "big.obj"
    if not ply.exists() or not obj.exists():
        mesh = big_mesh()
        mesh.export(ply, encoding="binary")
        mesh.export(obj, include_normals=False, include_texture=False)
    return ply, obj


def read_hash_copy(path: Path) -> None:
    """What the importer does anyway: read, SHA-256, copy."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    shutil.copyfile(path, TMP / "copy.tmp")


def main() -> None:
    import open3d as o3d

    ply, obj = files()
    inspect_ply = best(lambda: inspect_scan(ply, ply.parent))
    raw = best(lambda: ply.read_bytes())
    rhc = best(lambda: read_hash_copy(ply))
    info = inspect_scan(ply, ply.parent)
    print(f"PLY {ply.stat().st_size / 1e6:.1f} MB, {info.faces:,} tris")
    print(f"  inspect {inspect_ply * 1e3:.1f} ms | raw read {raw * 1e3:.1f} ms | read+hash+copy {rhc * 1e3:.1f} ms")
    print(f"  inspect/raw read = {inspect_ply / raw:.2f}; (rhc+inspect)/rhc = {(rhc + inspect_ply) / rhc:.2f}")
    for path in (NEFERTITI, obj):
        ours = best(lambda p=path: inspect_scan(p, p.parent), 3)
        o3d_time = best(lambda p=path: o3d.io.read_triangle_mesh(str(p)), 3)
        faces = inspect_scan(path, path.parent).faces
        print(f"OBJ {path.name} {path.stat().st_size / 1e6:.1f} MB, {faces:,} tris")
        print(f"  inspect {ours * 1e3:.1f} ms | open3d {o3d_time * 1e3:.1f} ms | ratio {ours / o3d_time:.2f}")


if __name__ == "__main__":
    main()
