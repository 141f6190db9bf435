"""A 100-million-point LAZ end to end through the command line, as a museum worker would (issue 12).

    flock /tmp/bigbench.lock .venv/bin/python benchmarks/bench_cloud100m.py [--points 100000000]
        [--work /tmp/bench-viewer] [--keep] [--skip-tiles]

The LAZ is made by :func:`bigscan.make_cloud` under ``--work`` (the same file as
``bench_viewer.py --only cloud --keep``, reused when it is there). Each step is its own process,
timed, with the peak resident memory of it and its children (the isolated worker included):

* reference: laspy read + SHA-256 + copy of the LAZ (the import's target is <= 2x this);
* ``heritage init`` + ``heritage import``, then the web GLB before any level exists;
* ``heritage levels`` (``Archive.build_levels``, as the app calls it after an import): levels and
  pick index in the isolated worker; the worker's memory limit is printed;
* the viewer's first picture and memory (``bench_viewer.py``'s viewer child on this archive);
* ``heritage snapshot ITEM`` (from the kept level);
* ``heritage export ITEM --format glb --profile web`` (target <= 60 s, within the budget);
* ``heritage export ITEM --format 3dtiles``.

The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_big import FLOOR  # noqa: E402
from bigscan import make_cloud, measure  # noqa: E402

PY = sys.executable
HERITAGE = str(Path(PY).parent / "heritage")
GB = 1024**3


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def step(name: str, cmd: list[str]) -> tuple[object, str]:
    run = measure(cmd)
    print(f"{name}: {run.seconds:.1f} s, peak {run.gb:.2f} GB (process tree) [{load()}]", flush=True)
    return run, run.stdout


def web_glb(arc: Path, to: Path, name: str) -> None:
    _, text = step(name, [HERITAGE, "--archive", str(arc), "export", "1", "--format", "glb", "--profile", "web",
                          "--json", "--to", str(to)])
    web = json.loads(text)["web"]
    print(f"  {web['points']:,} of {web['master_points']:,} points, spacing {web['point_spacing']:.4g} m, "
          f"{web['bytes'] / 1e6:.2f} MB (target <= 60 s within the budget)")


def worker_limit(laz: Path) -> str:
    from archive.levels_limits import levels_limits

    limits = levels_limits(laz)
    return (f"memory limit {limits.memory / GB:.1f} GiB (needs {limits.needed / GB:.1f} GiB), "
            f"time limit {limits.timeout:.0f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=100_000_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-viewer"))
    ap.add_argument("--keep", action="store_true", help="keep the archive and the outputs")
    ap.add_argument("--skip-tiles", action="store_true")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    laz = make_cloud(args.work / f"big-{args.points}.laz", args.points)
    arc, out = args.work / "archive-cloud100m", args.work / "out-cloud100m"
    shutil.rmtree(arc, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    print(f"== {laz.name}: {args.points:,} points, {laz.stat().st_size / 1e6:,.0f} MB [{load()}]", flush=True)
    try:
        ref, _ = step("reference: laspy read + sha256 + copy", [PY, "-c", FLOOR, str(laz), str(out / "copy.laz")])
        (out / "copy.laz").unlink()
        measure([HERITAGE, "init", str(arc)])
        imp, _ = step("import", [HERITAGE, "--archive", str(arc), "import", str(laz), "--title", "cloud 100M"])
        print(f"  import / reference: {imp.seconds / ref.seconds:.2f}x (target <= 2x)")  # type: ignore[attr-defined]
        web_glb(arc, out / "glb-cold", "export web GLB, no levels yet (thinned while read)")
        print(f"  levels worker: {worker_limit(laz)}")
        _, text = step("levels + pick index (heritage levels)", [HERITAGE, "--archive", str(arc), "levels"])
        print("  " + text.strip().replace("\n", "\n  "))
        _, text = step("viewer (first picture, moving, at rest, picks)",
                       [PY, str(ROOT / "benchmarks" / "bench_viewer.py"), "--child", "viewer", str(arc), "1", "40"])
        v = json.loads(next(ln for ln in text.splitlines() if ln.startswith("RESULT "))[7:])
        print(f"  first picture L{v['first_level'][0]} ({v['first_level'][1]:,} points): {v['first_picture_s']:.2f} s; "
              f"with process start {v['first_picture_with_start_s']:.2f} s (target <= 3 s); at rest "
              f"L{v['finest_level'][0]} in {v['finest_load_s']:.2f} s; moving {v['moving_ms']:.0f} ms; "
              f"target memory <= {1.5 + 16 * args.points / GB:.2f} GB")
        step("snapshot ITEM", [HERITAGE, "--archive", str(arc), "snapshot", "1", "--out", str(out / "snapshot.png")])
        web_glb(arc, out / "glb", "export web GLB, levels present")
        if not args.skip_tiles:
            _, text = step("export 3D Tiles", [HERITAGE, "--archive", str(arc), "export", "1", "--format", "3dtiles",
                                               "--json", "--to", str(out / "tiles")])
            print("  " + text.strip()[:600].replace("\n", " "))
        print(f"snapshot picture: {out / 'snapshot.png'}")
    finally:
        if not args.keep:
            shutil.rmtree(arc, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
