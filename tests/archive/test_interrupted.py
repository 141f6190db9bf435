"""A deletion killed at any step, or stopped by a full disk, is finished or undone at the next
open: the item is either whole (files verified) or fully deleted with its record and files in
``deleted/`` and an event pointing at that folder. Nothing is left untracked."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest

from archive import Archive, StorageError
from archive.importer import ImportOptions, import_paths
from archive.verify import verify

from .faults import start
from .helpers import write_box_ply, write_textured_obj

# Counts every file-system and commit step of the deletion and SIGKILLs itself just before
# step KILL_AT (0: never). A step past the last one is "after the commit".
DELETE_CHILD = """
import os, signal, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from archive import Archive
root, kill_at = Path(sys.argv[1]), int(sys.argv[2])
archive = Archive.open(root)
steps = 0
def step():
    global steps
    steps += 1
    if steps == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
def counted(original):
    def run(*args, **kwargs):
        step()
        return original(*args, **kwargs)
    return run
for name in ("rename", "replace", "fsync", "unlink", "mkdir", "rmdir"):
    setattr(os, name, counted(getattr(os, name)))
class Conn:
    def __init__(self, conn):
        self._conn = conn
    def execute(self, sql, *args):
        if sql == "COMMIT":
            step()
        result = self._conn.execute(sql, *args)
        if sql == "COMMIT":
            step()
        return result
    def __getattr__(self, name):
        return getattr(self._conn, name)
archive.db.conn = Conn(archive.db.conn)
archive.delete(archive.find_by_accession("D-1"), confirmed=True)
step()
print("steps", steps, flush=True)
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """An item with two scan versions (an OBJ with MTL and texture, a PLY) and a dish linked to it."""
    tmp = tmp_path_factory.mktemp("interrupted")
    root = tmp / "arch"
    with Archive.create(root) as archive:
        report = import_paths(archive, [write_textured_obj(tmp / "src")], ImportOptions(
            kind="relic", item_fields={"accession": "D-1"}, isolate=False))
        item_id = report.imported[0]
        import_paths(archive, [write_box_ply(tmp / "src2")], ImportOptions(item_id=item_id, isolate=False))
        archive.add_item({"kind": "dish", "accession": "D-2", "title_vi": "Chè", "serving_vessel": item_id})
    return root


def assert_whole_or_fully_deleted(root: Path) -> str:
    with Archive.open(root) as archive:  # opening finishes or undoes the deletion
        assert not list(archive.store.deleted.glob("*.deleting*"))
        report = verify(archive)
        assert report.ok, [f for f in report.files if f["status"] != "ok"]
        item_id = archive.find_by_accession("D-1")
        dish = archive.get(archive.find_by_accession("D-2"))
        if item_id is not None:
            assert len(archive.get(item_id)["assets"]) == 2
            assert dish["serving_vessel"] == item_id
            assert list(archive.store.deleted.iterdir()) == []
            return "intact"
        assert dish["serving_vessel"] is None
        event = next(e for e in archive.db.query("SELECT * FROM events WHERE type = 'delete'"))
        folder = root / json.loads(event["detail"])["moved_to"]
        record = json.loads((folder / "item.json").read_text())
        assert record["accession"] == "D-1"
        for asset in record["assets"]:
            for f in asset["files"]:
                assert (folder / asset["uid"] / f["path"]).is_file()
        return "deleted"


def run_delete(root: Path, kill_at: int) -> str:
    child = start(DELETE_CHILD, str(root), str(kill_at))
    out, err = child.communicate(timeout=120)
    assert child.returncode in (0, -9), err
    return out


def test_a_deletion_killed_at_every_step_is_finished_or_undone(base, tmp_path):
    clean = tmp_path / "clean"
    shutil.copytree(base, clean)
    total = int(run_delete(clean, 0).split()[1])
    assert assert_whole_or_fully_deleted(clean) == "deleted"
    outcomes = []
    for kill_at in range(1, total + 1):
        root = tmp_path / f"kill{kill_at}"
        shutil.copytree(base, root)
        assert run_delete(root, kill_at) == ""  # killed
        outcomes.append(assert_whole_or_fully_deleted(root))
    assert outcomes[0] == "intact" and outcomes[-1] == "deleted"  # killed before anything / after the commit


def test_a_full_disk_while_deleting_keeps_the_item_whole(base, tmp_path, monkeypatch):
    root = tmp_path / "arch"
    shutil.copytree(base, root)
    real_rename = __import__("os").rename
    moves = []

    def rename_then_full(src, dst):
        moves.append(src)
        if len(moves) == 2:  # the second asset folder cannot move
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(src, dst)

    with Archive.open(root) as archive:
        monkeypatch.setattr("archive.store.os.rename", rename_then_full)
        with pytest.raises(StorageError, match="disk is full"):
            archive.delete(archive.find_by_accession("D-1"), confirmed=True)
        monkeypatch.undo()
    assert assert_whole_or_fully_deleted(root) == "intact"


def test_a_failed_commit_puts_the_files_back(base, tmp_path):
    root = tmp_path / "arch"
    shutil.copytree(base, root)
    with Archive.open(root) as archive:
        item_id = archive.find_by_accession("D-1")
        archive.db.execute("CREATE TRIGGER refuse BEFORE DELETE ON items BEGIN SELECT RAISE(ABORT, 'refused'); END")
        with pytest.raises(Exception, match="refused"):
            archive.delete(item_id, confirmed=True)
        assert len(archive.get(item_id)["assets"]) == 2
        archive.db.execute("DROP TRIGGER refuse")
    assert assert_whole_or_fully_deleted(root) == "intact"
