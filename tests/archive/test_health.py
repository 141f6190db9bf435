"""A damaged catalogue is detected at open and never silently replaced; backups rotate."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, CatalogueDamaged
from archive.health import auto_backup, latest_good_backup, location_warnings


def make_archive(root: Path, items: int = 30) -> None:
    with Archive.create(root) as archive:
        archive.add_items([{"kind": "dish", "title_vi": f"Bánh {n}", "description_vi": "x" * 500}
                           for n in range(items)])
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 3]))
    elif how == "header":
        data[:16] = b"not a database!!"
        path.write_bytes(bytes(data))
    else:  # flip bytes across the middle page of the items table's b-tree
        # (the file's middle byte may fall in an FTS5 blob, whose content quick_check cannot judge)
        with sqlite3.connect(path) as conn:
            pages = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'items' ORDER BY pageno")]
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
        start = (pages[len(pages) // 2] - 1) * page_size
        for offset in range(start, start + 2000, 7):
            data[offset] ^= 0x5A
        path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncate", "header", "flip"])
def test_a_damaged_catalogue_is_refused_kept_aside_and_a_backup_named(tmp_path, how):
    root = tmp_path / "arch"
    make_archive(root)
    with Archive.open(root) as archive:
        auto_backup(archive)
    catalogue = root / "catalogue.sqlite"
    damage(catalogue, how)
    damaged_bytes = catalogue.read_bytes()
    with pytest.raises(CatalogueDamaged) as err:
        Archive.open(root)
    message = str(err.value)
    assert "heritage restore" in message and "backups/auto-" in message
    kept = [p for p in root.iterdir() if p.name.startswith("catalogue.sqlite.damaged-")
            and not p.name.endswith(("-wal", "-shm"))]
    assert kept and kept[0].read_bytes() == damaged_bytes
    assert catalogue.read_bytes() == damaged_bytes  # never silently replaced by an empty archive


def test_auto_backups_rotate_and_skip_when_recent(tmp_path):
    root = tmp_path / "arch"
    make_archive(root, items=3)
    with Archive.open(root) as archive:
        made = []
        for n in range(7):
            made.append(auto_backup(archive, keep=3, min_age_hours=0))
            os.utime(made[-1], (n, n))  # distinct ages, oldest first
        assert auto_backup(archive, keep=3, min_age_hours=1e9) is None
    remaining = sorted((root / "backups").iterdir())
    assert len(remaining) == 3
    assert latest_good_backup(root) == remaining[-1]


def test_a_damaged_backup_is_never_chosen_for_restore(tmp_path):
    root = tmp_path / "arch"
    make_archive(root, items=3)
    with Archive.open(root) as archive:
        good = auto_backup(archive, min_age_hours=0)
        newer = auto_backup(archive, min_age_hours=0)
    damage(newer / "catalogue.sqlite", "header")
    assert latest_good_backup(root) == good


def test_sync_folders_get_a_warning(tmp_path):
    assert location_warnings(tmp_path) == []
    assert "sync folder" in location_warnings(tmp_path / "Dropbox" / "arch")[0]


def test_a_catalogue_that_lost_its_wal_after_a_crash_is_detected(tmp_path):
    import sqlite3
    import subprocess
    import sys

    from .helpers import write_box_ply

    root = tmp_path / "arch"
    Archive.create(root).close()
    scan = write_box_ply(tmp_path / "in")
    # A child imports (committing into the WAL) and dies without checkpointing.
    code = ("import os, sys; from pathlib import Path; sys.path.insert(0, sys.argv[3])\n"
            "from archive import Archive; from archive.importer import import_paths\n"
            "a = Archive.open(Path(sys.argv[1])); import_paths(a, [Path(sys.argv[2])]); os._exit(0)")
    from .faults import ROOT

    subprocess.run([sys.executable, "-c", code, str(root), str(scan), str(ROOT)], check=True, timeout=120)
    (root / "catalogue.sqlite-wal").unlink()  # lost with the crash
    (root / "catalogue.sqlite-shm").unlink(missing_ok=True)
    assert sqlite3.connect(root / "catalogue.sqlite").execute("PRAGMA quick_check").fetchone()[0] == "ok"
    with Archive.open(root) as archive:
        assert archive.count() == 0
        assert any("lost recent changes" in w for w in archive.warnings)
        assert list((root / "objects").rglob("box.ply"))  # nothing was deleted


def test_automatic_backups_link_originals_and_removing_them_leaves_originals_read_only(tmp_path):
    import stat

    from archive.importer import import_paths

    from .helpers import write_box_ply

    root = tmp_path / "arch"
    with Archive.create(root) as archive:
        import_paths(archive, [write_box_ply(tmp_path / "in")])
        first = auto_backup(archive, keep=1, min_age_hours=0)
        original = next((root / "objects").rglob("box.ply"))
        linked = next(first.rglob("box.ply"))
        assert linked.stat().st_ino == original.stat().st_ino  # no second copy on the same disk
        auto_backup(archive, keep=1, min_age_hours=0)  # rotates the first one out
    assert not first.exists()
    assert original.read_bytes() and not original.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
