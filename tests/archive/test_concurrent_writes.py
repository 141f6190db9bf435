"""Two writers at once: edits merge or conflict (never a silent overwrite or a stale search
index), the same bytes imported by two processes are stored once, and id lists of any
length work whatever SQLite's variable limit."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from archive import Archive, SearchQuery
from archive.errors import EditConflict
from archive.verify import verify

from .faults import check_invariants, start
from .helpers import write_box_ply


@pytest.fixture
def two(tmp_path: Path):
    root = tmp_path / "arch"
    with Archive.create(root, agent="setup") as archive:
        item_id = archive.add_item({"kind": "relic", "accession": "C-1", "title_vi": "Chuông đồng"})
    a, b = Archive.open(root, agent="an"), Archive.open(root, agent="binh")
    yield a, b, item_id
    a.close()
    b.close()


def fts_text(archive: Archive, item_id: int) -> str:
    return str(archive.db.execute("SELECT text FROM items_fts WHERE rowid = ?", [item_id]).fetchone()[0])


def test_same_field_saved_by_someone_else_is_a_conflict_with_both_values(two):
    a, b, item_id = two
    loaded = a.get(item_id)["version"]
    b.update(item_id, {"title_en": "Bronze bell"})
    with pytest.raises(EditConflict) as caught:
        a.update(item_id, {"title_en": "Temple bell"}, expected_version=loaded)
    conflict = caught.value.conflicts[0]
    assert (conflict["field"], conflict["theirs"], conflict["yours"], conflict["agent"]) == (
        "title_en", "Bronze bell", "Temple bell", "binh")
    assert "changed by binh at" in str(caught.value) and "Bronze bell" in str(caught.value)
    assert a.get(item_id)["title_en"] == "Bronze bell"  # nothing of the loser was saved
    # Keeping one's own value is an explicit save over the version just seen.
    a.update(item_id, {"title_en": "Temple bell"}, expected_version=caught.value.current_version)
    assert b.get(item_id)["title_en"] == "Temple bell"


def test_different_fields_merge_and_search_text_holds_both(two):
    a, b, item_id = two
    loaded = a.get(item_id)["version"]
    b.update(item_id, {"title_en": "Bronze bell"})
    a.update(item_id, {"culture": "Champa"}, expected_version=loaded)
    item = b.get(item_id)
    assert (item["title_en"], item["culture"]) == ("Bronze bell", "Champa")
    assert item["version"] == loaded + 2
    assert "bronze" in fts_text(a, item_id) and "champa" in fts_text(a, item_id)
    assert a.search_ids(SearchQuery(text="bronze champa")) == [item_id]


def test_an_edit_waiting_for_the_lock_rebuilds_search_text_from_the_saved_row(two):
    a, b, item_id = two
    b.db.conn.execute("BEGIN IMMEDIATE")  # b holds the write lock with its edit not yet committed
    b.update(item_id, {"title_en": "Bronze bell"})
    waiting = threading.Thread(target=a.update, args=(item_id, {"culture": "Champa"}))
    waiting.start()
    time.sleep(0.5)  # a has started and waits for the lock
    b.db.conn.execute("COMMIT")
    waiting.join(timeout=30)
    text = fts_text(a, item_id)
    assert "bronze" in text and "champa" in text


def test_same_value_saved_twice_is_no_conflict(two):
    a, b, item_id = two
    loaded = a.get(item_id)["version"]
    b.update(item_id, {"title_en": "Bronze bell"})
    assert a.update(item_id, {"title_en": "Bronze bell"}, expected_version=loaded).fields == {}


# -- id lists -------------------------------------------------------------------------------
def test_rows_and_search_take_more_ids_than_sqlite_has_variables(tmp_path):
    with Archive.create(tmp_path / "arch") as archive:
        archive.add_items([{"kind": "dish", "title_vi": f"Bánh {n}"} for n in range(1000)])
        archive.db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
        ids = archive.search_ids()
        assert len(ids) == 1000
        rows = archive.rows(ids)
        assert [r["id"] for r in rows] == ids
        found = archive.search_ids(SearchQuery(text="banh", sort="title"))
        assert len(archive.rows(found)) == 1000
        assert [r["id"] for r in archive.rows(ids[::-1][:200])] == ids[::-1][:200]  # a page keeps its order


# -- the same bytes from two processes ------------------------------------------------------------
IMPORT_AT_ONCE = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from archive import Archive
from archive.importer import ImportOptions, import_paths
root, barrier, tag = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
files = [Path(p) for p in sys.argv[4:]]
def wait_for_all(done, total, message):
    # Both processes pass the early duplicate check for every file before either commits.
    if done == total - 1:
        (barrier / tag).touch()
        end = time.time() + 60
        while len(list(barrier.iterdir())) < 2 and time.time() < end:
            time.sleep(0.02)
archive = Archive.open(root)
report = import_paths(archive, files, ImportOptions(isolate=False), progress=wait_for_all)
print(len(report.imported), sorted({{e["type"] for e in report.errors}}), flush=True)
"""


def test_two_processes_importing_the_same_files_store_each_once(tmp_path):
    root = tmp_path / "arch"
    Archive.create(root).close()
    files = [write_box_ply(tmp_path / "src", f"box{n}.ply", size=n + 1) for n in range(6)]
    (tmp_path / "barrier").mkdir()
    children = [start(IMPORT_AT_ONCE, str(root), str(tmp_path / "barrier"), tag, *map(str, files))
                for tag in ("A", "B")]
    outputs = [c.communicate(timeout=300) for c in children]
    assert all(c.returncode == 0 for c in children), [err for _out, err in outputs]
    counts = [int(out.split()[0]) for out, _err in outputs]
    assert sum(counts) == len(files), outputs  # the loser reports DuplicateImport for each file
    assert any("DuplicateImport" in out for out, _err in outputs)
    with Archive.open(root) as archive:
        assert archive.count() == len(files)
        assert verify(archive).ok
    assert check_invariants(root) == []
