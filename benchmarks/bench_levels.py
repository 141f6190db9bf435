"""Levels of detail against gltfpack's simplification, on one generated big mesh.

    python benchmarks/bench_levels.py [--triangles 12700000] [--work /tmp/bench-levels]

Makes a binary PLY of about ``--triangles`` by subdividing a corpus scan (the Stanford bunny
when present, else an icosphere) under ``--work`` (never committed), and its GLB for gltfpack.
Each step runs in its own process; time and peak memory (the summed resident memory of the
process and its children: the levels build simplifies big meshes in worker processes) are
measured by :func:`bigscan.measure`. Prints, side by side and as ratios measured in the same run:

* building the levels (``archive.levels.build_levels``) vs ``gltfpack -si R`` to the first
  level's size (target: <= 2x gltfpack's time, bounded memory);
* the first picture from the levels (``heritage snapshot LEVEL``, 1024 px; target <= 3 s)
  vs ``heritage snapshot MASTER`` (the full master, cold).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import trimesh

ROOT = Path(__file__).resolve().parents[1]
GLTFPACK = ROOT / "tools/node/node_modules/.bin/gltfpack"
CORPUS = ROOT.parent / "shared/corpus"


def make_input(work: Path, triangles: int) -> Path:
    ply = work / f"big-{triangles}.ply"
    if ply.exists():
        return ply
    found = sorted(CORPUS.rglob("bun_zipper.ply")) or sorted(CORPUS.rglob("*bunny*.ply"))
    mesh = trimesh.load(found[0], process=False) if found else trimesh.creation.icosphere(5)
    vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    while len(faces) * 4 <= triangles * 1.05:
        vertices, faces = trimesh.remesh.subdivide(vertices, faces)
    trimesh.Trimesh(vertices.astype(np.float32), faces, process=False).export(ply)
    return ply


def timed(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak resident GB of the command and its children)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bigscan import measure

    run = measure(cmd)
    return run.seconds, run.gb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--triangles", type=int, default=12_700_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-levels"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    ply = make_input(args.work, args.triangles)
    n = len(trimesh.load(ply, process=False).faces)
    glb = ply.with_suffix(".glb")
    if not glb.exists():
        trimesh.load(ply, process=False).export(glb)
    py = sys.executable
    folder = args.work / "levels"
    for f in folder.glob("*"):
        f.unlink()
    build = [py, "-c", f"from pathlib import Path; from archive.levels import build_levels; "
             f"print(build_levels(Path({str(ply)!r}), 'bench' * 12 + 'abcd', Path({str(folder)!r})))"]
    t_lv, m_lv = timed(build)
    first = min(1_000_000, n // 2)
    ratio = first / n
    t_gp, m_gp = timed([str(GLTFPACK), "-i", str(glb), "-o", str(args.work / "gp.glb"), "-si", f"{ratio:.5f}"])
    level = sorted(folder.glob("*.L1.ply"))[0]
    heritage = str(Path(py).parent / "heritage")
    t_pic, m_pic = timed([heritage, "snapshot", str(level), "--out", str(args.work / "level.png"), "--size", "1024"])
    print(f"input: {n:,} triangles ({ply.stat().st_size / 1e6:.0f} MB binary PLY)")
    print(f"build levels: {t_lv:.1f} s, {m_lv:.2f} GB | gltfpack -si {ratio:.4f}: {t_gp:.1f} s, {m_gp:.2f} GB "
          f"| ratio {t_lv / t_gp:.2f}x time (target <= 2), {m_lv / m_gp:.2f}x memory")
    print(f"first picture from level 1 (1024 px, cold process): {t_pic:.1f} s, {m_pic:.2f} GB (target <= 3 s)")


if __name__ == "__main__":
    main()
