"""Ten writer processes importing and editing one team archive for a minute (issue 13's target):
no failure, no lost update, no duplicate, ``verify`` clean; throughput reported.

Run: .venv/bin/python benchmarks/bench_team_soak.py [--writers 10] [--seconds 60] [--reference-seconds 20]

Starts a throwaway PostgreSQL server (tests/archive/pg.py; commits acknowledged only once written,
fsync off). The writers (tests/archive/team_writers.py) import small generated meshes, half their
own and half from a pool every writer imports too (duplicates across processes), and append a
token to the description of four shared items with ``expected_version``, retrying on the conflict
error. At the end the archive is opened afresh and checked: every reported import present once,
every duplicate refusal pointing at the kept scan, every accepted edit present exactly once in the
value and as one edit event, ``verify`` clean, staging empty. The reference, measured in the same
run: one writer doing the same work alone on a fresh team archive of the same server, and one
writer on a single-user (SQLite) archive.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive import Archive  # noqa: E402
from tests.archive.pg import Server, find_bin_dir  # noqa: E402
from tests.archive.team_writers import check, prepare, run  # noqa: E402

POOL = 30  # scans every writer imports too


def soak(root: Path, writers: int, seconds: float, work: Path) -> tuple[dict[str, float], list[str]]:
    """Run ``writers`` for ``seconds`` on the archive at ``root``; its figures and violations."""
    prepare(root, work / "pool", POOL)
    results = run(root, writers, seconds, work / "pool", work / "run")
    problems = check(root, results)
    return figures(results, seconds), problems


def figures(results: list[dict[str, Any]], seconds: float) -> dict[str, float]:
    def total(key: str) -> int:
        return sum(len(r[key]) if isinstance(r[key], list) else r[key] for r in results)

    return {"imports": total("imported"), "refused": total("refused"), "edits": total("edits"),
            "conflicts": total("conflicts"), "given_up": total("given_up"), "failures": total("failures"),
            "imports/s": total("imported") / seconds, "attempts/s": (total("imported") + total("refused")) / seconds,
            "edits/s": total("edits") / seconds}


def show(name: str, f: dict[str, float]) -> None:
    print(f"{name:<34} imports {f['imports']:>6.0f} ({f['imports/s']:6.1f}/s; {f['attempts/s']:6.1f} attempts/s, "
          f"{f['refused']:.0f} duplicates refused)  edits {f['edits']:>6.0f} ({f['edits/s']:6.1f}/s; "
          f"{f['conflicts']:.0f} conflicts retried, {f['given_up']:.0f} given up)  failures {f['failures']:.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reference-seconds", type=float, default=20)
    args = parser.parse_args()
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("no PostgreSQL server binaries (initdb, pg_ctl): install postgresql")
        return 2
    server = Server(bin_dir, durable=True).start()
    os.environ["PGUSER"] = "postgres"
    failed = False
    try:
        with tempfile.TemporaryDirectory(prefix="heritage-soak-") as tmp:
            base = Path(tmp)
            runs = [("1 writer, team archive (reference)", 1, args.reference_seconds, server.new_database()),
                    ("1 writer, single-user archive", 1, args.reference_seconds, None),
                    (f"{args.writers} writers, team archive", args.writers, args.seconds, server.new_database())]
            measured = {}
            for n, (name, writers, seconds, url) in enumerate(runs):
                root = base / f"run{n}" / "archive"
                Archive.create(root, catalogue=url).close()
                began = time.perf_counter()
                measured[name], problems = soak(root, writers, seconds, base / f"run{n}")
                show(name, measured[name])
                print(f"{'':<34} checked in {time.perf_counter() - began - seconds:.1f} s: "
                      + ("no lost update, no duplicate, verify clean, staging empty" if not problems
                         else f"{len(problems)} PROBLEM(S): {problems[:10]}"))
                failed = failed or bool(problems)
            ours, alone = measured[runs[2][0]], measured[runs[0][0]]
            print(f"\n{args.writers} writers vs 1 writer on the same server: imports "
                  f"{ratio(ours, alone, 'imports/s')}, edits {ratio(ours, alone, 'edits/s')} "
                  f"(machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    finally:
        server.stop()
    return 1 if failed else 0


def ratio(ours: dict[str, float], reference: dict[str, float], key: str) -> str:
    return f"{ours[key] / reference[key]:.2f}×" if reference[key] else "n/a"


if __name__ == "__main__":
    sys.exit(main())
