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
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from platform_support import hard_link, remove_tree

from .catalogue.sqlite_files import integrity_problems_of, stored_file_rows
from .comparisons_io import copy_comparison_files
from .errors import StorageError, UnsafeReference
from .records import now
from .safepaths import check_relative, resolve_inside
from .store import FileStore, _make_read_only, fsync_dir, sha256_file, stored_paths_of
from .workfolders import move_into_place

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
    partial = _new_work_folder(dest, "partial")
    try:
        snapshot = partial / "catalogue.sqlite"
        archive.catalogue.snapshot(snapshot)
        files = _copy_files(archive.root, partial, snapshot, progress, link)
        copy_comparison_files(archive.root, partial, snapshot, link)  # derived, but costly to rebuild
        manifest = {"created_at": now(), "files": files, "format": "heritage-archive-backup/1"}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1))
        move_into_place(partial, dest)
    except OSError as exc:
        _remove_work_folder(partial)
        raise StorageError(f"the backup could not be written: {exc.strerror or exc}") from exc
    except BaseException:
        _remove_work_folder(partial)
        raise
    archive.record_event("backup", detail={"files": files})
    return dest


def _new_work_folder(dest: Path, role: str) -> Path:
    """A fresh hidden folder beside ``dest`` that this run creates and alone may remove
    (a fixed name could be a user's folder, or another run's)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{dest.name}.{role}-", dir=dest.parent))


def _remove_work_folder(folder: Path) -> None:
    remove_tree(folder)  # files may be hard links to read-only originals: their mode stays


def _file_rows(snapshot: Path) -> list[tuple[str, str, str]]:
    """Every (storage_dir, path, sha256) of a catalogue, each path checked by the one door
    (a backup may come from anywhere: its rows are untrusted like a bag's)."""
    rows = stored_file_rows(snapshot)
    for storage_dir, rel, _sha in rows:
        parts = check_relative(storage_dir, "the backup's catalogue").parts
        if len(parts) != 3 or parts[0] != "objects":
            raise UnsafeReference(f"the backup's catalogue names the folder {storage_dir!r}, which is not in "
                                  "objects/; it was not made by this program and was not restored")
        check_relative(rel, "the backup's catalogue")
    return rows


def _copy_files(source_root: Path, dest_root: Path, snapshot: Path, progress: Progress | None,
                link: bool = False) -> int:
    rows = _file_rows(snapshot)
    stored = _stored_paths(rows)
    for n, (storage_dir, rel, expected) in enumerate(rows):
        if progress:
            progress(n, len(rows), f"Copying {rel}")
        where = stored[(storage_dir, rel)]  # the portable stored name (archive.portable)
        src = resolve_inside(source_root, where, "the backup's catalogue")
        dst = resolve_inside(dest_root, where, "the backup's catalogue")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if link and _hard_link(src, dst):
            continue  # the same bytes, not a copy: nothing to re-check
        shutil.copyfile(src, dst)
        _fsync(dst)
        if sha256_file(dst) != expected:
            raise StorageError(f"{storage_dir}/{rel} does not match its recorded hash; run verify before backing up")
    return len(rows)


def _stored_paths(rows: list[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
    """``storage_dir/stored name`` of every (storage_dir, path) row, as the store lays them out."""
    return stored_paths_of([(d, r) for d, r, _sha in rows])


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _hard_link(src: Path, dst: Path) -> bool:
    return hard_link(src, dst)  # False on another filesystem or one without links (FAT, exFAT): copy then


def restore(backup_dir: Path, dest: Path, progress: Progress | None = None) -> Path:
    """Rebuild an archive in ``dest`` (new or empty folder) from a backup; checks every hash.

    The work happens in a hidden folder beside ``dest`` that gets its catalogue last and is
    renamed to ``dest`` only when complete: an interrupted restore never looks like an
    archive. Every path in the backup's catalogue goes through :mod:`archive.safepaths`."""
    snapshot = backup_dir / "catalogue.sqlite"
    if not snapshot.is_file() or not (backup_dir / MANIFEST).is_file():
        raise StorageError(f"{backup_dir} is not a backup made by `heritage backup`")
    if dest.exists() and any(dest.iterdir()):
        raise StorageError(f"{dest} is not empty; restore into a new or empty folder")
    problems = integrity_problems_of(snapshot)
    if problems:
        raise StorageError(f"the backup's catalogue is damaged: {problems[0]}")
    _file_rows(snapshot)  # refuse a hostile backup before creating anything
    work = _new_work_folder(dest, "restoring")
    try:
        _restore_into(backup_dir, snapshot, work, progress)
        move_into_place(work, dest)
    except OSError as exc:
        _remove_work_folder(work)
        raise StorageError(f"the backup could not be restored: {exc.strerror or exc}") from exc
    except BaseException:
        _remove_work_folder(work)
        raise
    return dest


def _restore_into(backup_dir: Path, snapshot: Path, work: Path, progress: Progress | None) -> None:
    FileStore(work).create_dirs()
    _copy_files(backup_dir, work, snapshot, progress)
    copy_comparison_files(backup_dir, work, snapshot)
    for asset_dir in (p for p in (work / "objects").glob("*/*") if p.is_dir()):
        _make_read_only(asset_dir)
    # The catalogue comes last, under its real name only once complete: until then the
    # folder is not an archive (Archive.open refuses it).
    part = work / "catalogue.sqlite.part"
    shutil.copyfile(snapshot, part)
    _fsync(part)
    os.rename(part, work / "catalogue.sqlite")
    fsync_dir(work)
