"""Helpers for fault tests: child processes that import or write, and archive invariants."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from archive import Archive
from archive.catalogue.sqlite_db import integrity_problems

ROOT = Path(__file__).resolve().parents[2]

IMPORT_CHILD = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from archive import Archive
from archive.importer import import_paths
archive = Archive.open(Path(sys.argv[1]))
print("ready", flush=True)
import_paths(archive, [Path(p) for p in sys.argv[2:]])
print("done", flush=True)
"""

WRITER_CHILD = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from archive import Archive
archive = Archive.open(Path(sys.argv[1]))
tag, count = sys.argv[2], int(sys.argv[3])
for n in range(count):
    archive.add_item({{"kind": "dish", "title_vi": f"Món {{tag}} {{n}}", "accession": f"{{tag}}-{{n}}"}})
    if n % 5 == 0:
        archive.update(archive.find_by_accession(f"{{tag}}-{{n}}"), {{"region": "Huế"}})
print("done", flush=True)
"""


def start(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-c", script.format(root=str(ROOT)), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def check_invariants(root: Path) -> list[str]:
    """Everything that must hold after any crash, as a list of violations."""
    problems: list[str] = []
    with Archive.open(root) as archive:  # opening runs the crash recovery
        problems += integrity_problems(archive.db, quick=True)
        referenced = set()
        for item_id in archive.search_ids():
            for asset in archive.get(item_id)["assets"]:
                referenced.add(asset["storage_dir"])
                for f in asset["files"]:
                    path = archive.store.path(asset["storage_dir"], f["path"])
                    if not path.is_file():
                        problems.append(f"missing {path}")
                    elif hashlib.sha256(path.read_bytes()).hexdigest() != f["sha256"]:
                        problems.append(f"changed {path}")
        orphans = {p.relative_to(root).as_posix() for p in root.glob("objects/*/*")} - referenced
        problems += [f"orphan folder {o}" for o in sorted(orphans)]
        problems += [f"staging not cleaned: {p.name}" for p in archive.store.staging.iterdir()]
        imported_without_assets = archive.db.execute(
            "SELECT count(*) FROM events WHERE type = 'import' AND item_id NOT IN (SELECT item_id FROM assets)"
        ).fetchone()[0]
        if imported_without_assets:
            problems.append(f"{imported_without_assets} imported item(s) without their asset")
    return problems
