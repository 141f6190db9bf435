"""The file store: originals byte for byte, read-only, under their original relative names.

An asset's files are copied into ``staging/<uid>/`` while being hashed, fsynced, then the
whole folder is renamed into ``objects/<uid[:2]>/<uid>/``. An *intent* file written before
that rename lets ``recover()`` remove a folder whose catalogue row never got committed
(the process was killed in between). Nothing here deletes a committed original except
``withdraw``, which moves it to ``deleted/`` when an item is deleted with confirmation.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import Cancelled, StorageError

CHUNK = 4 * 1024 * 1024
READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
READ_ONLY_DIR = READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


class CancelToken:
    """Set ``cancelled`` from another thread to stop a long operation at the next check."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled("cancelled by the user; nothing was changed")


@dataclass
class StoredFile:
    path: str  # POSIX path relative to the asset folder
    sha256: str
    bytes: int


@dataclass
class StagedAsset:
    uid: str
    staging_dir: Path
    files: list[StoredFile]

    @property
    def storage_dir(self) -> str:
        return f"objects/{self.uid[:2]}/{self.uid}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _disk_error(exc: OSError, what: str) -> StorageError:
    if exc.errno == errno.ENOSPC:
        return StorageError(f"The disk is full while {what}; nothing was imported. Free some space and try again.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(f"The archive folder cannot be written ({exc.strerror}) while {what}.")
    return StorageError(f"Could not write to the archive while {what}: {exc.strerror or exc}")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    def __init__(self, root: Path):
        self.root = root
        self.objects = root / "objects"
        self.staging = root / "staging"
        self.derived = root / "derived"
        self.deleted = root / "deleted"

    def create_dirs(self) -> None:
        for d in (self.objects, self.staging, self.derived, self.deleted):
            d.mkdir(parents=True, exist_ok=True)

    # -- import ---------------------------------------------------------------------------
    def stage(
        self,
        sources: Iterable[tuple[Path, str]],
        cancel: CancelToken | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> StagedAsset:
        """Copy ``(source, relative_path)`` pairs into a new staging folder, hashing and
        fsyncing each file. On any failure the staging folder is removed."""
        uid = uuid.uuid4().hex
        staged = StagedAsset(uid, self.staging / uid, [])
        staged.staging_dir.mkdir(parents=True)
        self.stage_more(staged, sources, cancel, on_bytes)
        return staged

    def stage_more(
        self,
        staged: StagedAsset,
        sources: Iterable[tuple[Path, str]],
        cancel: CancelToken | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        """Copy more files into an existing staging folder (see ``stage``)."""
        folder = staged.staging_dir
        rel = ""
        try:
            for source, rel in sources:
                if cancel:
                    cancel.check()
                staged.files.append(self._copy_one(source, folder, rel, cancel, on_bytes))
            fsync_dir(folder)
        except OSError as exc:
            self.discard(staged)
            raise _disk_error(exc, f"copying {PurePosixPath(rel).name}") from exc
        except BaseException:
            self.discard(staged)
            raise

    def _copy_one(
        self, source: Path, folder: Path, rel: str, cancel: CancelToken | None,
        on_bytes: Callable[[int], None] | None,
    ) -> StoredFile:
        target = folder.joinpath(*PurePosixPath(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        # O_NOFOLLOW: a symlink swapped in after inspection must not be followed.
        src_fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(src_fd, "rb") as src, open(target, "xb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
                if on_bytes:
                    on_bytes(len(chunk))
                if cancel:
                    cancel.check()
            dst.flush()
            os.fsync(dst.fileno())
        return StoredFile(rel, digest.hexdigest(), size)

    def discard(self, staged: StagedAsset) -> None:
        shutil.rmtree(staged.staging_dir, ignore_errors=True)

    def place(self, staged: StagedAsset) -> str:
        """Move a staged asset into ``objects/`` atomically; returns its storage_dir."""
        target = self.root / staged.storage_dir
        intent = self.staging / f"{staged.uid}.intent"
        try:
            intent.write_text(staged.storage_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staged.staging_dir, target)
            fsync_dir(target.parent)
        except OSError as exc:
            self.discard(staged)
            intent.unlink(missing_ok=True)
            raise _disk_error(exc, "moving files into the archive") from exc
        _make_read_only(target)
        return staged.storage_dir

    def confirm(self, staged: StagedAsset) -> None:
        """The catalogue row is committed: the intent is no longer needed."""
        (self.staging / f"{staged.uid}.intent").unlink(missing_ok=True)

    def unplace(self, staged: StagedAsset) -> None:
        """The catalogue commit failed: remove the folder that ``place`` created."""
        target = self.root / staged.storage_dir
        if target.exists():
            _make_writable(target)
            shutil.rmtree(target, ignore_errors=True)
        self.confirm(staged)

    def recover(self, committed: Callable[[str], bool]) -> list[str]:
        """Clean up after a crash: undo placements whose row was never committed, then
        empty ``staging/``. Returns what was removed, for the log."""
        removed: list[str] = []
        if not self.staging.exists():
            return removed
        for intent in self.staging.glob("*.intent"):
            storage_dir = intent.read_text().strip()
            target = self.root / storage_dir
            safe = storage_dir.startswith("objects/") and ".." not in storage_dir
            if safe and target.exists() and not committed(storage_dir):
                _make_writable(target)
                shutil.rmtree(target, ignore_errors=True)
                removed.append(storage_dir)
        for entry in self.staging.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(f"staging/{entry.name}")
        return removed

    # -- reading --------------------------------------------------------------------------
    def path(self, storage_dir: str, rel: str) -> Path:
        return self.root / storage_dir / Path(*PurePosixPath(rel).parts)

    def withdraw(self, storage_dir: str, label: str) -> Path:
        """Move an asset folder out of the store into ``deleted/`` (item deletion)."""
        source = self.root / storage_dir
        target = self.deleted / label / PurePosixPath(storage_dir).name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.exists():
            _make_writable(source)
            os.rename(source, target)
        return target


def _make_read_only(folder: Path) -> None:
    for dirpath, _dirs, filenames in os.walk(folder, topdown=False):
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), READ_ONLY_FILE)
        os.chmod(dirpath, READ_ONLY_DIR)


def _make_writable(folder: Path) -> None:
    for dirpath, _dirs, filenames in os.walk(folder):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
