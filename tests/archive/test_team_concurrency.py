"""Many writers at once, on either engine (a team archive on the PostgreSQL pass): imports and edits
from several processes lose nothing and store nothing twice. The minute-long version with ten
writers is benchmarks/bench_team_soak.py."""

from __future__ import annotations

import json
from pathlib import Path

from archive import Archive

from .faults import start
from .helpers import write_box_ply
from .team_writers import check, prepare, run

# Imports one scan; having staged and checked it, it waits until the other process got there too,
# so both commit at the same moment.
IMPORT_TOGETHER = """
import json, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from archive import Archive
from archive.importer import ImportOptions, import_paths
root, barrier, tag, scan = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
archive = Archive.open(root)
place = archive.store.place
def together(staged):
    (barrier / tag).touch()
    end = time.time() + 60
    while len(list(barrier.iterdir())) < 2 and time.time() < end:
        time.sleep(0.01)
    return place(staged)
archive.store.place = together
report = import_paths(archive, [scan], ImportOptions(isolate=False))
print(json.dumps({{"imported": report.imported, "errors": report.errors}}), flush=True)
"""


def test_two_pcs_importing_the_same_scan_at_once_keep_one_and_tell_the_other(tmp_path: Path):
    root = tmp_path / "arch"
    Archive.create(root).close()
    (tmp_path / "barrier").mkdir()
    copies = [write_box_ply(tmp_path / pc, "bowl.ply") for pc in ("pc1", "pc2")]  # the same bytes, two places
    children = [start(IMPORT_TOGETHER, str(root), str(tmp_path / "barrier"), pc, str(scan))
                for pc, scan in zip(("pc1", "pc2"), copies, strict=True)]
    outputs = [child.communicate(timeout=300) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _out, err in outputs]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]
    assert sorted(len(r["imported"]) for r in reports) == [0, 1]
    winner = next(r for r in reports if r["imported"])["imported"][0]
    told = next(r for r in reports if not r["imported"])["errors"]
    with Archive.open(root) as archive:
        accession = archive.get(winner)["accession"]
        assert archive.count() == 1 and len(archive.get(winner)["assets"]) == 1
        assert archive.verify().ok
    assert [e["type"] for e in told] == ["DuplicateImport"]
    assert f"already in the archive as {accession}" in told[0]["error"]


def test_writers_importing_and_editing_at_once_lose_nothing_and_double_nothing(tmp_path: Path):
    root = tmp_path / "arch"
    Archive.create(root).close()
    prepare(root, tmp_path / "pool", pool_size=3)
    results = run(root, writers=4, seconds=4, pool=tmp_path / "pool", work=tmp_path / "work")
    assert check(root, results) == []
    assert all(r["imported"] and r["edits"] for r in results)  # every writer got work done
    assert any(r["refused"] for r in results)  # 4 writers, 3 shared scans: someone was told it is there
