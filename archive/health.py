"""Keeping an archive trustworthy: damage detection at open, automatic rotating backups,
and warnings about folders where SQLite is not safe (network shares, sync folders)."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from platform_support import filesystem, remove_tree

from .catalogue.sqlite_files import check_file
from .errors import ArchiveError, CatalogueDamaged, StorageError
from .records import now

if TYPE_CHECKING:
    from .service import Archive

NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "fuse.sshfs", "afpfs", "9p", "davfs", "fuse.rclone",
                       "webdav"}
SYNC_FOLDER_NAMES = ("dropbox", "onedrive", "google drive", "googledrive", "icloud", "mega", "nextcloud", "owncloud")
AUTO_PREFIX = "auto-"


def probe_writable(folder: Path) -> bool:
    """Whether files can be created in ``folder``, found by trying (``os.access`` says yes to
    root on a read-only mount). A full disk still counts as writable: its writes say "full"."""
    try:
        fd, name = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return False
        return True
    os.close(fd)
    os.unlink(name)
    return True


def check_catalogue(path: Path, read_only: bool = False) -> list[str]:
    """Problems SQLite's integrity check finds in the catalogue file (empty list: healthy).
    Opens it read-only. A catalogue that cannot be opened or read because of the medium
    (missing drive, permissions, read-only, full) raises StorageError: that is not damage."""
    return check_file(path, read_only)


def set_aside(path: Path) -> Path:
    """Copy a damaged catalogue (and its WAL) aside so that nothing overwrites the evidence."""
    stamp = now().replace(":", "")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    shutil.copy2(path, kept)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.copy2(side, kept.with_name(kept.name + suffix))
    return kept


def latest_good_backup(root: Path) -> Path | None:
    for candidate in sorted(_backups(root), reverse=True):
        try:
            if not check_catalogue(candidate / "catalogue.sqlite"):
                return candidate
        except StorageError:
            continue
    return None


def damaged_error(root: Path, catalogue: Path, problems: list[str], writable: bool = True) -> CatalogueDamaged:
    backup = latest_good_backup(root)
    advice = (f"restore the latest backup with: heritage restore {backup} NEW_FOLDER" if backup
              else "restore it from your latest backup (heritage restore BACKUP NEW_FOLDER)")
    # On read-only media the evidence cannot be moved aside, and nothing else can change it.
    kept = f"A copy was kept as {set_aside(catalogue).name}; " if writable else ""
    return CatalogueDamaged(
        f"The catalogue is damaged ({problems[0]}); nothing was changed and writing is blocked. {kept}{advice}.")


def _backups(root: Path) -> list[Path]:
    folder = root / "backups"
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.is_dir() and p.name.startswith(AUTO_PREFIX)]


def auto_backup(archive: Archive, keep: int = 5, min_age_hours: float = 20.0) -> Path | None:
    """Make an automatic backup under ``backups/`` unless a recent one exists; keep the newest
    ``keep``. A new backup that fails its integrity check is removed and never replaces a
    good one. On a team archive only one PC at a time runs this (a lock in the catalogue's
    server); the others return None at once."""
    if archive.read_only:
        return None  # read-only media: there is nowhere to put one
    one_pc = getattr(archive.catalogue, "only_one", None)  # a team archive: one PC at a time backs it up
    with one_pc("auto-backup") if one_pc else nullcontext(True) as ours:
        if not ours:
            return None  # another PC of the team is making it now
        return _auto_backup(archive, keep, min_age_hours)


def _auto_backup(archive: Archive, keep: int, min_age_hours: float) -> Path | None:
    from .backup import backup

    existing = sorted(_backups(archive.root))  # read once the job is ours: another PC may have just made one
    if existing and _age_hours(existing[-1]) < min_age_hours:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = archive.root / "backups" / f"{AUTO_PREFIX}{stamp}"
    try:
        backup(archive, target, link=True)
    except ArchiveError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    if check_catalogue(target / "catalogue.sqlite"):
        shutil.rmtree(target, ignore_errors=True)
        raise CatalogueDamaged("the new automatic backup failed its integrity check; older backups were kept")
    for old in sorted(_backups(archive.root))[:-keep]:
        _remove_backup(old)
    return target


def _remove_backup(folder: Path) -> None:
    # Files may be hard links to read-only originals: changing their mode would change the
    # originals' mode too, so remove_tree leaves it (except where Windows demands it).
    remove_tree(folder)


def _age_hours(folder: Path) -> float:
    import time

    return (time.time() - folder.stat().st_mtime) / 3600


def location_warnings(root: Path) -> list[str]:
    """Warnings for folders where SQLite's locking is unreliable."""
    warnings = []
    lowered = str(root.resolve()).lower()
    if any(name in lowered for name in SYNC_FOLDER_NAMES):
        warnings.append("The archive is inside a sync folder (Dropbox, OneDrive…): syncing a live database can "
                        "damage it. Keep the archive on a local disk and sync backups instead.")
    fs = _filesystem_type(root)
    if fs is not None and (fs.lower() in NETWORK_FILESYSTEMS or fs.startswith("network")):
        warnings.append(f"The archive is on a network drive ({fs}): two computers writing to it can damage "
                        "the catalogue. Keep it on a local disk.")
    return warnings


def _filesystem_type(path: Path) -> str | None:
    """The type of the file system holding ``path`` ("network" for a drive the system marks
    remote without naming its protocol, as Windows does), or None when unknown."""
    fs = filesystem(path)
    if fs is None:
        return None
    return fs.type if fs.type.lower() in NETWORK_FILESYSTEMS or not fs.remote else f"network ({fs.type or 'remote'})"


def unknown_stored_folders(archive: Archive) -> list[str]:
    """Asset folders in ``objects/`` that no catalogue row refers to. After crash recovery
    there should be none: if there are, the catalogue lost committed changes (for example
    its ``-wal`` file was deleted after a crash)."""
    folders = [f"objects/{d.name}/{a.name}" for d in _scandirs(archive.store.objects) for a in _scandirs(Path(d.path))]
    if len(folders) <= archive.catalogue.asset_count():
        return []  # the usual case, decided without loading every path
    referenced = archive.catalogue.storage_dirs()
    return sorted(set(folders) - referenced)


def _scandirs(path: Path) -> list[os.DirEntry[str]]:
    try:
        return [e for e in os.scandir(path) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def lost_changes_warning(archive: Archive) -> list[str]:
    unknown = unknown_stored_folders(archive)
    if not unknown:
        return []
    return [f"{len(unknown)} stored scan folder(s) are not in the catalogue (first: {unknown[0]}). The catalogue "
            "may have lost recent changes, for example after a crash that removed its -wal file. Nothing was "
            "deleted; run `heritage verify` and restore the latest backup if items are missing."]
