"""Writer processes hammering one archive: the concurrency test (test_team_concurrency.py) runs a
few for seconds, the soak benchmark (benchmarks/bench_team_soak.py) ten for a minute.

Each writer imports small generated meshes, half of them its own and half taken from a pool whose
bytes every writer has (so several processes import the same scan at the same moment), and appends
a token of its own to the description of a shared item with ``expected_version``: a save made
meanwhile by another writer is an ``EditConflict``, after which it reloads and tries again. What
each writer was told (imported, refused as a duplicate, edit accepted, conflict) goes to a JSON
file, and :func:`check` proves from the archive that none of it was lost or doubled.

Run one writer: ``python -m tests.archive.team_writers ROOT TAG SECONDS POOL GATE OUT``.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED_ITEMS = 4
EDIT_TRIES = 200  # reloads before a writer gives an edit up (counted, never a failure)


def prepare(root: Path, pool: Path, pool_size: int) -> None:
    """The shared items every writer edits, and the pool of scans every writer imports too."""
    from archive import Archive

    from .helpers import write_box_ply

    with Archive.open(root, agent="setup") as archive:
        archive.add_items([{"kind": "dish", "accession": f"SHARED-{k}", "title_vi": f"Món chung {k}"}
                           for k in range(SHARED_ITEMS)])
    for k in range(pool_size):
        write_box_ply(pool, f"shared{k}.ply", size=0.25 + k / 1000)  # sizes below 1: never a writer's own


def run(root: Path, writers: int, seconds: float, pool: Path, work: Path) -> list[dict[str, Any]]:
    """Start ``writers`` processes, let them all begin at once, wait; their results."""
    gate = work / "gate"
    gate.mkdir(parents=True, exist_ok=True)
    tags = [f"w{n}" for n in range(writers)]
    children = [subprocess.Popen([sys.executable, "-m", "tests.archive.team_writers", str(root), tag, str(seconds),
                                  str(pool), str(gate), str(work / f"{tag}.json")], cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in tags]
    end = time.monotonic() + 300
    while len(list(gate.glob("*.ready"))) < writers and time.monotonic() < end:
        if any(c.poll() is not None for c in children):
            break
        time.sleep(0.05)
    (gate / "go").touch()
    outputs = [c.communicate(timeout=seconds + 600) for c in children]
    for child, (_out, err) in zip(children, outputs, strict=True):
        if child.returncode != 0:
            raise RuntimeError(f"a writer ended with {child.returncode}: {err[-2000:]}")
    return [json.loads((work / f"{tag}.json").read_text()) for tag in tags]


def check(root: Path, results: list[dict[str, Any]]) -> list[str]:
    """Everything that must hold after writers ran, as a list of violations (empty: all good)."""
    from archive import Archive

    problems = [f"{r['tag']}: {f}" for r in results for f in r["failures"]]
    with Archive.open(root) as archive:  # a fresh open: its recovery must find nothing to do
        report = archive.verify()
        problems += report.database + [f["message"] for f in report.files if f["status"] != "ok"]
        problems += [f"staging not cleaned: {p.name}" for p in archive.store.staging.iterdir()]
        problems += _duplicates(archive, results) + _lost_edits(archive, results)
    return problems


def _duplicates(archive: Any, results: list[dict[str, Any]]) -> list[str]:
    masters = {(d, rel): sha for _item, d, rel, sha, _size in archive.catalogue.fixity_rows()}
    by_asset = Counter()
    for item_id in archive.search_ids():
        for asset in archive.get(item_id)["assets"]:
            by_asset[masters[(asset["storage_dir"], asset["main_file"])]] += 1
    problems = [f"{count} assets hold the bytes {sha[:12]}" for sha, count in by_asset.items() if count > 1]
    imported = Counter(sha for r in results for sha, _item, _name in r["imported"])
    problems += [f"{sha[:12]} was reported imported {n} times" for sha, n in imported.items() if n > 1]
    problems += [f"{sha[:12]} was reported imported but is not in the archive"
                 for sha in imported if sha not in by_asset]
    for r in results:
        problems += [f"{r['tag']}: refused {sha[:12]} with {message!r}" for sha, message in r["refused"]
                     if "already in the archive" not in message or sha not in by_asset]
    return problems


def _lost_edits(archive: Any, results: list[dict[str, Any]]) -> list[str]:
    problems = []
    accepted: dict[int, list[str]] = {}
    for r in results:
        for item_id, token in r["edits"]:
            accepted.setdefault(item_id, []).append(token)
    for item_id, tokens in accepted.items():
        saved = Counter((archive.get(item_id, with_assets=False)["description_en"] or "").split())
        problems += [f"item {item_id}: accepted edit {t} is missing" for t in tokens if saved[t] == 0]
        problems += [f"item {item_id}: edit {t} saved {n} times" for t, n in saved.items() if n > 1]
        events = [e for e in archive.history(item_id) if e["type"] == "edit" and e["field"] == "description_en"]
        if len(events) != len(tokens):
            problems.append(f"item {item_id}: {len(tokens)} edits accepted, {len(events)} edit events")
    return problems


# -- one writer ---------------------------------------------------------------------------------------
def main(argv: list[str]) -> None:
    from archive import Archive

    root, tag, seconds, pool, gate, out = Path(argv[0]), argv[1], float(argv[2]), Path(argv[3]), Path(argv[4]), \
        Path(argv[5])
    rng = random.Random(tag)
    archive = Archive.open(root, agent=tag)
    shared_items = [archive.find_by_accession(f"SHARED-{k}") for k in range(SHARED_ITEMS)]
    pool_scans = sorted(pool.glob("*.ply"))
    rng.shuffle(pool_scans)
    own = Path(tempfile.mkdtemp(prefix=f"writer-{tag}-"))
    result: dict[str, Any] = {"tag": tag, "imported": [], "refused": [], "edits": [], "conflicts": 0,
                              "given_up": 0, "seconds": seconds, "failures": []}
    _warm_up(own)
    (gate / f"{tag}.ready").touch()
    while not (gate / "go").exists():
        time.sleep(0.01)
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            _import_one(archive, _next_scan(own, tag, n, pool_scans), result)
            _edit_one(archive, rng.choice(shared_items), f"{tag}.{n}", result)
        except Exception as exc:  # noqa: BLE001 - every unexpected error is a finding, reported by check()
            result["failures"].append(f"{type(exc).__name__}: {exc}")
    archive.close()
    out.write_text(json.dumps(result))


def _warm_up(folder: Path) -> None:
    """Make and read one mesh: trimesh and SciPy load on first use, seconds on a busy machine."""
    from archive import formats

    from .helpers import write_box_ply

    formats.inspect_scan(write_box_ply(folder, "warm-up.ply"), folder)


def _next_scan(own: Path, tag: str, n: int, pool_scans: list[Path]) -> Path:
    from .helpers import write_box_ply

    if n % 2 == 0 and pool_scans:
        return pool_scans.pop()
    return write_box_ply(own, f"{tag}-{n}.ply", size=1000 * int(tag[1:]) + n + 1)


def _import_one(archive: Any, scan: Path, result: dict[str, Any]) -> None:
    from archive.importer import ImportOptions, import_paths

    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    report = import_paths(archive, [scan], ImportOptions(isolate=False))
    result["imported"] += [[sha, item_id, scan.name] for item_id in report.imported]
    for error in report.errors:
        if error["type"] == "DuplicateImport":
            result["refused"].append([sha, error["error"]])
        else:
            result["failures"].append(f"import of {scan.name}: {error['type']}: {error['error']}")


def _edit_one(archive: Any, item_id: int, token: str, result: dict[str, Any]) -> None:
    from archive.errors import EditConflict

    for _try in range(EDIT_TRIES):
        item = archive.get(item_id, with_assets=False)
        text = f"{item['description_en'] or ''} {token}".strip()
        try:
            archive.update(item_id, {"description_en": text}, expected_version=item["version"])
        except EditConflict:
            result["conflicts"] += 1
            continue
        result["edits"].append([item_id, token])
        return
    result["given_up"] += 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main(sys.argv[1:])
