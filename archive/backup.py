"""Consistent backups while the archive is in use, and restoring them.

The catalogue is copied with SQLite's online backup API (a consistent snapshot even while
others write); then the files that snapshot references are copied and their hashes
checked. Originals never change, so a file copied after the snapshot is still the one
the snapshot describes.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import StorageError
from .records import now
from .store import FileStore, _make_read_only, sha256_file

if TYPE_CHECKING:
    from .service import Archive

Progress = Callable[[int, int, str], None]
MANIFEST = "backup.json"


def backup(archive: Archive, dest: Path, progress: Progress | None = None, link: bool = False) -> Path:
    """Write a backup folder ``dest`` (must not exist or be empty); returns it.

    ``link``: hard-link the originals instead of copying them where the filesystem allows
    (automatic backups inside the archive: originals never change, so a link costs no space;
    it guards the catalogue, not the files, which a backup on another disk must guard)."""
    if dest.exists() and any(dest.iterdir()):
        raise StorageError(f"{dest} is not empty; choose a new folder for the backup")
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        snapshot = partial / "catalogue.sqlite"
        target = sqlite3.connect(snapshot)
        with target:
            archive.db.conn.backup(target)
        target.close()
        files = _copy_files(archive.root, partial, snapshot, progress, link)
        manifest = {"created_at": now(), "files": files, "format": "heritage-archive-backup/1"}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1))
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            dest.rmdir()
        partial.rename(dest)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise StorageError(f"the backup could not be written: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    archive.record_event("backup", detail={"files": files})
    return dest


def _copy_files(source_root: Path, dest_root: Path, snapshot: Path, progress: Progress | None,
                link: bool = False) -> int:
    conn = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT a.storage_dir, f.path, f.sha256 FROM files f JOIN assets a ON a.id = f.asset_id").fetchall()
    conn.close()
    for n, (storage_dir, rel, expected) in enumerate(rows):
        if progress:
            progress(n, len(rows), f"Copying {rel}")
        src = FileStore(source_root).path(storage_dir, rel)
        dst = FileStore(dest_root).path(storage_dir, rel)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if link and _hard_link(src, dst):
            continue  # the same bytes, not a copy: nothing to re-check
        shutil.copyfile(src, dst)
        if sha256_file(dst) != expected:
            raise StorageError(f"{storage_dir}/{rel} does not match its recorded hash; run verify before backing up")
    return len(rows)


def _hard_link(src: Path, dst: Path) -> bool:
    try:
        os.link(src, dst)
    except OSError:  # another filesystem, or links not allowed: copy instead
        return False
    return True


def restore(backup_dir: Path, dest: Path, progress: Progress | None = None) -> Path:
    """Rebuild an archive in ``dest`` (new or empty folder) from a backup; checks every hash."""
    snapshot = backup_dir / "catalogue.sqlite"
    if not snapshot.is_file() or not (backup_dir / MANIFEST).is_file():
        raise StorageError(f"{backup_dir} is not a backup made by `heritage backup`")
    if dest.exists() and any(dest.iterdir()):
        raise StorageError(f"{dest} is not empty; restore into a new or empty folder")
    conn = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    problems = integrity_problems_conn(conn)
    conn.close()
    if problems:
        raise StorageError(f"the backup's catalogue is damaged: {problems[0]}")
    dest.mkdir(parents=True, exist_ok=True)
    FileStore(dest).create_dirs()
    shutil.copyfile(snapshot, dest / "catalogue.sqlite")
    _copy_files(backup_dir, dest, dest / "catalogue.sqlite", progress)
    objects = dest / "objects"
    for asset_dir in (p for p in objects.glob("*/*") if p.is_dir()):
        _make_read_only(asset_dir)
    return dest


def integrity_problems_conn(conn: sqlite3.Connection) -> list[str]:
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows

