"""Levels of detail of a big textured master against gltfpack, and what the viewer then costs.

    flock /tmp/bigbench.lock python benchmarks/bench_textured.py [--triangles 6000000]
        [--texture 4096] [--formats obj,glb] [--work /tmp/bench-textured]

Makes a textured photogrammetry-like mesh of about ``--triangles`` (OBJ + MTL + JPEG and the
same as GLB: :mod:`textured_scan`, from Spot in ../shared/corpus) under ``--work`` (never
committed). Each step runs in its own process; wall time and peak memory (summed resident
memory of the process and its children) come from :func:`bigscan.measure`. Prints, measured in
the same run, with ratios against the reference:

* building the levels (``archive.levels.build_levels``: texture coordinates and texture kept)
  of each format vs ``gltfpack -si R`` to the first level's size (which also keeps the UVs
  and the texture); target <= 2x gltfpack's time;
* the first picture: ``heritage snapshot`` of the coarsest level (what the viewer opens
  first) and of level 1, 1024 px, vs the same snapshot of the master (cold);
* viewing memory: a level read by the viewer (``viewer.level_files.load_level``, textured)
  vs the master read as the app opens it without levels (``viewer.load_model_isolated``);
  with ``--viewing`` only the master without levels, read by the viewer's lean textured-OBJ
  reader (``viewer.readers.read_textured_obj_lean``) vs Open3D's reader it replaced;
* mean error against the master of level 1 and of gltfpack's copy of the same size
  (``archive.publish.budget.geometric_error``, two-sided); target: ours <= gltfpack's.
* with ``isolated``: each format's levels built the archive's way, in the isolated worker
  under its memory limit (a textured master too big for one pass there goes in blocks).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bigscan import GLTFPACK, measure  # noqa: E402
from textured_scan import make_textured  # noqa: E402

SHA = "7e" * 32


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def build(master: Path, folder: Path, single_pass: int | None = None) -> tuple[float, float, list[Path]]:
    """(seconds, peak GB, level files finest first) of building ``master``'s levels afresh;
    ``single_pass`` replaces the size above which a textured mesh is decimated in blocks."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*"):
        f.unlink()
    force = "" if single_pass is None else f"import archive.publish.blocks_textured as b; b.SINGLE_PASS={single_pass};"
    run = measure(_py(f"{force}from pathlib import Path; from archive.levels import build_levels; "
                      f"print([(lv.level, lv.triangles) for lv in build_levels(Path({str(master)!r}), {SHA!r}, "
                      f"Path({str(folder)!r}))])"))
    print(f"  levels of {master.name}: {run.stdout.strip()}", flush=True)
    return run.seconds, run.gb, sorted(folder.glob(f"{SHA}.L*.ply"))


def isolated(master: Path, folder: Path) -> str:
    """The archive's own way: the levels built in the isolated worker under the memory limit
    it gives this master (``archive.levels.levels_limits``); what came of it, in words."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*"):
        f.unlink()
    code = (f"from pathlib import Path\nfrom archive.isolation import run_isolated\n"
            f"from archive.levels import _build_in_worker\nfrom archive.levels_limits import levels_limits\n"
            f"m, d = Path({str(master)!r}), Path({str(folder)!r})\nlim = levels_limits(m)\n"
            f"out = run_isolated(_build_in_worker, m, {SHA!r}, d, None, lim.memory, name=m.name, memory=lim.memory, "
            f"timeout=lim.timeout)\n"
            f"print(f'limit {{lim.memory / 1024**3:.2f}} GiB:', [(v.level, v.triangles) for v in out])")
    run = measure(_py(code), check=False)
    said = run.stdout.strip() if not run.returncode else "FAILED " + run.stderr.strip().splitlines()[-1]
    return f"{run.seconds:.1f} s, {run.gb:.2f} GB, {said}"


def snapshot(path: Path, out: Path) -> tuple[float, float, str]:
    """(seconds, peak GB, "" or the error) of ``heritage snapshot`` in a fresh process."""
    run = measure([str(Path(sys.executable).parent / "heritage"), "snapshot", str(path), "--out", str(out),
                   "--size", "1024"], check=False)
    return run.seconds, run.gb, run.stderr.strip().splitlines()[-1] if run.returncode else ""


def viewing(path: Path, level: bool) -> tuple[float, float, str]:
    """(seconds, peak GB, what was shown) of the viewer reading ``path`` (a level or a master)."""
    if level:
        code = (f"from viewer.level_files import load_level; m = load_level({str(path)!r}); "
                "print(m.n_primitives, m.textured, m.warnings)")
    else:
        code = (f"from viewer import load_model_isolated; m = load_model_isolated({str(path)!r}); "
                "print(m.n_primitives, m.textured, m.warnings)")
    run = measure(_py(code), check=False)
    return run.seconds, run.gb, run.stdout.strip() if not run.returncode else run.stderr.strip().splitlines()[-1]


def viewing_readers(obj: Path) -> None:
    """Time and peak memory of the viewer reading the textured master ``obj`` (no levels) with
    its lean reader and with Open3D's, each in a fresh process."""
    figures = {}
    for name, force in (("lean reader", ""), ("Open3D's reader", "r.read_textured_obj_lean = lambda p: None; ")):
        code = (f"import viewer.readers as r; {force}from viewer import load_model; m = load_model({str(obj)!r}); "
                "print(len(m.geometry.vertices), m.n_primitives, m.textured, m.warnings)")
        run = measure(_py(code), check=False)
        figures[name] = (run.seconds, run.gb)
        print(f"viewing memory, {obj.name} without levels, {name}: {run.seconds:.1f} s, {run.gb:.2f} GB "
              f"[vertices, triangles, textured, notes: {run.stdout.strip() or run.stderr.strip()[-200:]}]", flush=True)
    (t1, m1), (t0, m0) = figures["lean reader"], figures["Open3D's reader"]
    print(f"viewing memory ratio lean/Open3D: {m1 / m0:.2f}x memory, {t1 / t0:.2f}x time", flush=True)


def level_errors(obj: Path, level: Path, gltfpack_glb: Path) -> None:
    """Mean two-sided error against the master of ``level`` and of gltfpack's output."""
    code = f"""
from pathlib import Path
import numpy as np
from archive.publish.budget import geometric_error
from archive.publish.geometry import Model, Part, load_model
from glbtools.levelfile import read_level_arrays
from glbtools.objfast import read_textured_obj
o = read_textured_obj(Path({str(obj)!r}))
master = Model([Part(o.vertices.astype(np.float64) + o.origin, o.faces)])
del o
a = read_level_arrays(Path({str(level)!r}))
ours = Model([Part(np.asarray(a.vertices, np.float64) + a.origin, np.asarray(a.faces, np.int64))])
gp = load_model(Path({str(gltfpack_glb)!r}), "m", "y")
for name, copy in (("level 1", ours), ("gltfpack", gp)):
    e = geometric_error(master, copy)
    print(name, copy.triangles, e.mean_rel, e.max_rel)
"""
    run = measure(_py(code), check=False)
    if run.returncode:
        print(f"error measure FAILED: {run.stderr.strip().splitlines()[-1]}", flush=True)
        return
    rows = {ln.rsplit(" ", 3)[0]: [float(v) for v in ln.rsplit(" ", 3)[1:]] for ln in run.stdout.strip().splitlines()}
    for name, (tris, mean, worst) in rows.items():
        print(f"error against the master, {name} ({int(tris):,} triangles): mean {mean:.3e}, max {worst:.3e} "
              "of the diagonal", flush=True)
    print(f"mean error ratio level 1 / gltfpack: {rows['level 1'][1] / rows['gltfpack'][1]:.2f}x (target <= 1)",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--triangles", type=int, default=6_000_000)
    ap.add_argument("--texture", type=int, default=4096)
    ap.add_argument("--formats", default="obj,glb,blocks,isolated",
                    help="obj, glb, blocks (the OBJ in blocks), isolated (each format the archive's way)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-textured"))
    ap.add_argument("--pictures-only", action="store_true", help="reuse the levels of an earlier run")
    ap.add_argument("--viewing", action="store_true", help="only the viewer reading the master without levels")
    ap.add_argument("--no-pictures", action="store_true", help="stop after the builds and the error measure")
    args = ap.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    obj = make_textured(args.work, args.triangles, args.texture, glb="glb" in formats)
    if args.viewing:
        viewing_readers(obj)
        return
    archive_way = "isolated" in formats
    formats = [f for f in formats if f in ("obj", "glb", "blocks")]
    masters = {"obj": obj, "glb": obj.with_suffix(".glb")}
    print(f"input: {obj.name} ~{args.triangles:,} triangles, {args.texture} px texture; "
          f"OBJ {obj.stat().st_size / 1e6:.0f} MB" + (f", GLB {masters['glb'].stat().st_size / 1e6:.0f} MB"
                                                       if "glb" in formats else ""), flush=True)
    ratio = 1_000_000 / args.triangles
    if args.pictures_only:
        pictures(args.work, obj, sorted((args.work / "levels-obj").glob(f"{SHA}.L*.ply")))
        return
    gp = measure([str(GLTFPACK), "-i", str(obj), "-o", str(args.work / "gp.glb"), "-si", f"{ratio:.5f}"])
    print(f"gltfpack -si {ratio:.4f} (OBJ in, UVs and texture kept): {gp.seconds:.1f} s, {gp.gb:.2f} GB", flush=True)
    levels: list[Path] = []
    runs = [(fmt, fmt.upper() + " (one pass)", None) for fmt in formats if fmt != "blocks"]
    runs += [("obj", "OBJ in blocks (as above 8M triangles)", 2_000_000)] if "blocks" in formats else []
    for fmt, label, single_pass in runs:
        t, gb, levels = build(masters[fmt], args.work / f"levels-{fmt}{'-blocks' if single_pass else ''}", single_pass)
        print(f"build levels from {label}: {t:.1f} s, {gb:.2f} GB | ratio {t / gp.seconds:.2f}x gltfpack's time "
              f"(target <= 2), {gb / gp.gb:.2f}x its memory", flush=True)
    for fmt in [f for f in formats if f in ("obj", "glb")] if archive_way else []:
        print(f"levels of the {fmt.upper()} in the archive's isolated worker: "
              f"{isolated(masters[fmt], args.work / f'iso-{fmt}')}", flush=True)
    one_pass = sorted((args.work / "levels-obj").glob(f"{SHA}.L*.ply"))
    if one_pass:
        level_errors(obj, one_pass[0], args.work / "gp.glb")
    if (one_pass or levels) and not args.no_pictures:
        pictures(args.work, obj, one_pass or levels)


def pictures(work: Path, obj: Path, levels: list[Path]) -> None:
    """First pictures and viewing memory from ``levels`` (finest first) against the master."""
    t_master, m_master, failed = snapshot(obj, work / "master.png")
    master = f"{t_master:.1f} s, {m_master:.2f} GB" + (f" FAILED: {failed}" if failed else "")
    for name, level in (("coarsest level", levels[-1]), ("level 1", levels[0])):
        t, gb, err = snapshot(level, work / f"{level.stem}.png")
        print(f"first picture from the {name} ({level.name.split('.')[1]}, 1024 px, cold): {t:.1f} s, {gb:.2f} GB"
              f"{' FAILED: ' + err if err else ''} | master: {master} | ratio {t / t_master:.2f}x time", flush=True)
    t_full, m_full, what_full = viewing(obj, level=False)
    for level in (levels[-1], levels[0]):
        t, gb, what = viewing(level, level=True)
        print(f"viewer reads {level.name.split('.')[1]} [{what}]: {t:.1f} s, {gb:.2f} GB | master [{what_full}]: "
              f"{t_full:.1f} s, {m_full:.2f} GB | ratio {gb / m_full:.2f}x memory", flush=True)
    print(f"pictures in {work}")


if __name__ == "__main__":
    main()
