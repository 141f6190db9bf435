"""Read-only media and full disks are not damage: an archive on a read-only medium opens for
browsing, searching, viewing and exporting elsewhere, every write says "read-only media",
nothing tries to write; a full disk is reported as a full disk.

Tests run as root, where ``chmod a-w`` stops nothing: the genuine test mounts the archive
read-only with a bind mount inside ``unshare -rm`` (a user namespace; skipped where that is
not allowed); the portable tests make the write probe report EROFS."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import Archive, CatalogueDamaged, SearchQuery, StorageError
from archive.importer import ImportOptions, import_paths

from .faults import ROOT
from .helpers import write_box_ply

READ_ONLY_CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from archive import Archive, SearchQuery, StorageError
from archive.csvio import export_csv
from archive.importer import import_paths
root, out, scan = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
result = {{}}
with Archive.open(root) as archive:
    ids = archive.search_ids()
    result["read_only"] = archive.read_only
    result["warnings"] = archive.warnings
    result["listed"] = len(archive.rows(ids))
    result["found"] = archive.search_ids(SearchQuery(text="chuong"))
    result["master"] = archive.master_path(ids[0]).read_bytes()[:3].decode()
    export_csv(archive, out / "all.csv")
    for name, write in [("update", lambda: archive.update(ids[0], {{"title_en": "x"}})),
                        ("delete", lambda: archive.delete(ids[0], confirmed=True)),
                        ("import", lambda: import_paths(archive, [scan])),
                        ("add", lambda: archive.add_item({{"kind": "relic", "title_vi": "y"}}))]:
        try:
            write()
            result[name] = "written"
        except StorageError as exc:
            result[name] = str(exc)
print(json.dumps(result))
"""


@pytest.fixture
def archive_root(tmp_path: Path) -> Path:
    root = tmp_path / "media" / "arch"
    with Archive.create(root) as archive:
        report = import_paths(archive, [write_box_ply(tmp_path / "src")], ImportOptions(isolate=False))
        archive.update(report.imported[0], {"title_vi": "Chuông đồng"})
    return root


def snapshot(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*")}


def test_an_archive_on_a_read_only_mount_can_be_browsed_and_refuses_writes(archive_root, tmp_path):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode != 0:
        pytest.skip("user namespaces (unshare -rm) are not available here")
    media, out = archive_root.parent, tmp_path / "out"
    out.mkdir()
    script = READ_ONLY_CHILD.format(root=str(ROOT))
    before = snapshot(media)
    mount = f"mount --bind {media} {media} && mount -o remount,ro,bind {media} && exec \"$@\""
    done = subprocess.run(["unshare", "-rm", "sh", "-c", mount, "sh", sys.executable, "-c", script,
                           str(archive_root), str(out), str(write_box_ply(tmp_path / "new", size=3))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["read_only"] and any("read-only media" in w for w in result["warnings"])
    assert result["listed"] == 1 and len(result["found"]) == 1 and result["master"] == "ply"
    for write in ("update", "delete", "import", "add"):
        assert "read-only media" in result[write], result[write]
    assert "Chuông đồng" in (out / "all.csv").read_text(encoding="utf-8-sig")
    assert snapshot(media) == before


def test_read_only_media_gets_no_recovery_or_cleanup_writes(archive_root, monkeypatch):
    leftover = archive_root / "staging" / "0123abcd"
    leftover.mkdir()
    (leftover / "half-copied.ply").write_bytes(b"ply")
    marker = archive_root / "deleted" / "x.deleting"
    marker.write_text("{}")
    monkeypatch.setattr("archive.health.tempfile.mkstemp", _erofs)
    with Archive.open(archive_root) as archive:
        assert archive.read_only
        assert archive.search_ids(SearchQuery(text="chuong"))
        with pytest.raises(StorageError, match="read-only media"):
            archive.update(archive.search_ids()[0], {"title_en": "Bell"})
        archive.record_event("export")  # reading and exporting work; their events cannot be kept
        assert archive.ensure_thumbnails(lambda path: b"png") == 0
    assert leftover.exists() and marker.exists()  # left for a writable open to clean


def _erofs(*args: object, **kwargs: object) -> None:
    raise OSError(30, "Read-only file system")


def test_a_full_catalogue_is_reported_as_a_full_disk_not_damage(archive_root):
    with Archive.open(archive_root) as archive:
        pages = archive.db.execute("PRAGMA page_count").fetchone()[0]
        archive.db.execute(f"PRAGMA max_page_count = {pages}")
        count = archive.count()
        with pytest.raises(StorageError, match="disk holding the archive is full"):
            archive.add_items([{"kind": "dish", "title_vi": "Bánh " * 200} for _ in range(200)])
        assert archive.count() == count
    with Archive.open(archive_root) as archive:  # not damaged: it opens, nothing was half-written
        assert archive.count() == count


def test_a_catalogue_that_cannot_be_opened_is_not_called_damaged(archive_root, monkeypatch):
    def cannot_open(path: Path, read_only: bool) -> sqlite3.Connection:  # a drive gone mid-way
        return sqlite3.connect(f"{(archive_root / 'gone' / path.name).as_uri()}?mode=ro", uri=True)

    monkeypatch.setattr("archive.catalogue.sqlite_files._open_for_check", cannot_open)
    with pytest.raises(StorageError) as caught:
        Archive.open(archive_root).close()
    assert not isinstance(caught.value, CatalogueDamaged)
    assert "not damaged" in str(caught.value)
    assert not list(archive_root.glob("catalogue.sqlite.damaged-*"))


def test_a_corrupt_catalogue_is_still_called_damaged(archive_root):
    with open(archive_root / "catalogue.sqlite", "r+b") as f:
        f.write(b"not a database at all" * 10)
    with pytest.raises(CatalogueDamaged):
        Archive.open(archive_root)


def test_sqlite_full_codes_are_not_damage():
    from archive.catalogue.sqlite_db import is_damage

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13  # type: ignore[attr-defined]
    assert not is_damage(full)


def test_an_older_archive_on_read_only_media_is_browsed_from_an_updated_private_copy(tmp_path, monkeypatch):
    from sqlite_utils import Database

    from archive.schema import migrations
    from archive.store import FileStore

    root = tmp_path / "media" / "old"
    root.mkdir(parents=True)
    FileStore(root).create_dirs()
    db = Database(sqlite3.connect(root / "catalogue.sqlite", isolation_level=None))
    migrations.apply(db, stop_before="004_item_version")
    db.execute("INSERT INTO items (accession, kind, title_vi, status, created_at, updated_at, sort_title)"
               " VALUES ('A-1', 'relic', 'Ấn vàng', 'draft', 't', 't', 'an vang')")
    db.conn.close()
    before = (root / "catalogue.sqlite").read_bytes()
    monkeypatch.setattr("archive.health.tempfile.mkstemp", _erofs)
    with Archive.open(root) as archive:
        assert archive.read_only
        found = archive.search_ids(SearchQuery(sort="title"))
        assert [archive.get(i)["accession"] for i in found] == ["A-1"]
        with pytest.raises(StorageError, match="read-only media"):
            archive.update(found[0], {"title_en": "Seal"})
    assert (root / "catalogue.sqlite").read_bytes() == before
