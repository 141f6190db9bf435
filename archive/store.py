"""The file store: originals byte for byte, read-only, under their original relative names
(or, for names Windows cannot hold or that collide by case, the portable names of
:mod:`archive.portable`; the catalogue keeps the original names).

An asset's files are copied into ``staging/<uid>/`` while being hashed, fsynced, then the
whole folder is renamed into ``objects/<uid[:2]>/<uid>/``. An *intent* file written before
that rename lets ``recover()`` remove a folder whose catalogue row never got committed
(the process was killed in between). Nothing here deletes a committed original except
``withdraw``, which moves it to ``deleted/`` when an item is deleted with confirmation.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from platform_support import (
    fsync_dir,
    make_read_only,
    make_writable,
)

from .errors import Cancelled, StorageError
from .portable import stored_name, stored_names
from .safepaths import resolve_inside
from .staging_sessions import FileLockSessions, StagingClaim, StagingSessions, remove_ended_sessions

CHUNK = 4 * 1024 * 1024
# Locks, read-only marking and directory fsync differ per system: platform_support owns them.
_make_read_only = make_read_only
_make_writable = make_writable


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


def unreachable_message(root: Path) -> str:
    return (f"The archive folder {root} cannot be reached: if it is on a network drive or a removable disk, "
            "connect it and try again. Nothing was changed; the catalogue can still be browsed.")


def _disk_error(exc: OSError, what: str, outcome: str = "nothing was imported", root: Path | None = None
                ) -> StorageError:
    if root is not None and not (root / "objects").is_dir():  # the shared drive went away: say so
        return StorageError(unreachable_message(root))
    if exc.errno == errno.ENOSPC:
        return StorageError(f"The disk is full while {what}; {outcome}. Free some space and try again.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(f"The archive folder cannot be written ({exc.strerror}) while {what}; {outcome}.")
    return StorageError(f"Could not write to the archive while {what}: {exc.strerror or exc}; {outcome}.")


class FileStore:
    def __init__(self, root: Path, sessions: StagingSessions | None = None):
        self.root = root
        self.objects = root / "objects"
        self.staging = root / "staging"
        self.derived = root / "derived"
        self.deleted = root / "deleted"
        self.sessions = sessions or FileLockSessions(self.staging)  # team archives: the catalogue's server
        self._session: tuple[Path, StagingClaim] | None = None  # (folder, its held claim)

    # -- staging sessions -------------------------------------------------------------------
    # Each FileStore stages inside its own ``staging/<session>/`` folder, claimed while it
    # lives (archive.staging_sessions). Recovery (at open) cleans only sessions whose claim
    # nobody holds: a crashed process loses its claim, a running import in another thread,
    # process or PC keeps it. A claim lost while running (a team archive's server restarted)
    # ends the session: what was staged in it fails at commit, and the next stage starts anew.
    def session_dir(self) -> Path:
        self.require_reachable()
        if self._session is not None and not self._session[1].alive():
            self.close()
        if self._session is None:
            claim = self.sessions.claim()  # before the folder: recovery lists folders first
            folder = self.staging / claim.name
            try:
                self.staging.mkdir(exist_ok=True)
                folder.mkdir()
            except OSError as exc:
                claim.release()
                raise _disk_error(exc, "starting an import", root=self.root) from exc
            self._session = (folder, claim)
        return self._session[0]

    def require_reachable(self) -> None:
        """Raise StorageError when the archive folder (a shared drive) is not there at all."""
        if not self.root.is_dir() or not self.objects.is_dir():
            raise StorageError(unreachable_message(self.root))

    def check_still_staged(self, staged: Iterable[StagedAsset]) -> None:
        """Before a commit (under the writers' lock): raise StorageError unless every asset was
        staged in this store's session, held without a break, and its placed folder is there."""
        current = self._session[0] if self._session is not None and self._session[1].alive() else None
        for asset in staged:
            if current is None or asset.staging_dir.parent != current:
                raise StorageError("The connection to the catalogue server was lost during the import, so its "
                                   "files may have been cleaned up by another computer; nothing was imported. "
                                   "Try again.")
            if not (self.root / asset.storage_dir).is_dir():
                raise StorageError(f"The files of this import disappeared from {self.root} before they were "
                                   "recorded (the shared folder was disconnected?); nothing was imported.")

    def leftovers(self) -> list[str]:
        """What lies in ``staging/`` besides this store's own empty session (for checks)."""
        own = self._session[0].name if self._session else None
        found = [e.name for e in self.staging.iterdir() if e.name.split(".")[0] != own]
        if self._session:
            found += [f"{own}/{e.name}" for e in self._session[0].iterdir()]
        return sorted(found)

    def close(self) -> None:
        """End this store's staging session (nothing may be staged any more)."""
        if self._session is not None:
            folder, claim = self._session
            self._session = None
            shutil.rmtree(folder, ignore_errors=True)
            claim.release()

    def abandon_session(self) -> None:
        """Let go of the session but keep its folder: what it holds (placements whose commit may
        or may not have happened) is settled by the next recovery, which asks the catalogue."""
        if self._session is not None:
            self._session[1].release()
            self._session = None

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
        staged = StagedAsset(uid, self.session_dir() / uid, [])
        staged.staging_dir.mkdir()
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
            sources = list(sources)
            # Stored names depend on the whole file list (case collisions): files already
            # staged move when a new one takes their name first in sorted order.
            before = stored_names([f.path for f in staged.files])
            names = stored_names([f.path for f in staged.files] + [r for _s, r in sources])
            for f in staged.files:
                if before[f.path] != names[f.path]:
                    self._move_staged(folder, before[f.path], names[f.path])
            for source, rel in sources:
                if cancel:
                    cancel.check()
                stored = self._copy_one(source, folder, names[rel], cancel, on_bytes)
                staged.files.append(StoredFile(rel, stored.sha256, stored.bytes))  # the original name
            fsync_dir(folder)
        except OSError as exc:
            self.discard(staged)
            raise _disk_error(exc, f"copying {PurePosixPath(rel).name}", root=self.root) from exc
        except BaseException:
            self.discard(staged)
            raise

    def _copy_one(
        self, source: Path, folder: Path, rel: str, cancel: CancelToken | None,
        on_bytes: Callable[[int], None] | None,
    ) -> StoredFile:
        # Names were checked where they came from; this re-check keeps the store itself from
        # ever writing outside the asset's staging folder, whoever calls it. ``rel`` here is
        # the portable stored name (archive.portable); the caller records the original one.
        target = resolve_inside(folder, rel, "a file to store")
        _make_folders_below(folder, target.parent)
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

    @staticmethod
    def _move_staged(folder: Path, old: str, new: str) -> None:
        source = resolve_inside(folder, old, "a file to store")
        target = resolve_inside(folder, new, "a file to store")
        _make_folders_below(folder, target.parent)
        os.rename(source, target)
        parent, top = source.parent, Path(os.path.realpath(folder))
        while parent != top and parent.is_relative_to(top) and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def discard(self, staged: StagedAsset) -> None:
        shutil.rmtree(staged.staging_dir, ignore_errors=True)

    def place(self, staged: StagedAsset) -> str:
        """Move a staged asset into ``objects/`` atomically; returns its storage_dir."""
        target = self.root / staged.storage_dir
        intent = staged.staging_dir.parent / f"{staged.uid}.intent"
        try:
            intent.write_text(staged.storage_dir)
            target.parent.mkdir(exist_ok=True)  # objects/ itself must be there: never made anew
            os.rename(staged.staging_dir, target)
            fsync_dir(target.parent)
        except OSError as exc:
            self.discard(staged)
            intent.unlink(missing_ok=True)
            raise _disk_error(exc, "moving files into the archive", root=self.root) from exc
        _make_read_only(target)
        return staged.storage_dir

    def confirm(self, staged: StagedAsset) -> None:
        """The catalogue row is committed: the intent is no longer needed."""
        (staged.staging_dir.parent / f"{staged.uid}.intent").unlink(missing_ok=True)

    def unplace(self, staged: StagedAsset) -> None:
        """The catalogue commit failed: remove the folder that ``place`` created."""
        target = self.root / staged.storage_dir
        if target.exists():
            _make_writable(target)
            shutil.rmtree(target, ignore_errors=True)
        self.confirm(staged)

    def recover(self, committed: Callable[[str], bool]) -> list[str]:
        """Clean up after a crash: in every staging session that nobody holds, undo the
        placements whose row was never committed, then remove the session. Sessions
        still in use (another thread, process or PC importing) are left alone."""
        own = self._session[0].name if self._session else None
        return remove_ended_sessions(self.staging, own, self.sessions, lambda d: self._undo_placement(d, committed))

    def _undo_placement(self, storage_dir: str, committed: Callable[[str], bool]) -> list[str]:
        target = self.root / storage_dir
        safe = storage_dir.startswith("objects/") and ".." not in storage_dir
        if safe and target.exists() and not committed(storage_dir):
            _make_writable(target)
            shutil.rmtree(target, ignore_errors=True)
            return [storage_dir]
        return []

    # -- reading --------------------------------------------------------------------------
    def path(self, storage_dir: str, rel: str, names: Iterable[str] | None = None) -> Path:
        """Where the file recorded as ``rel`` lies: under its portable stored name, computed
        from ``names``, the asset's recorded file paths (``rel`` alone when not given: right
        unless ``rel`` lost a case or normalisation collision to another file of the asset)."""
        stored = stored_name(rel, list(names) if names is not None else None)
        return self.root / storage_dir / Path(*PurePosixPath(stored).parts)

    def asset_file(self, asset: Mapping[str, Any], rel: str) -> Path:
        """``path`` for an asset row carrying its ``files`` (dicts with ``path``)."""
        return self.path(asset["storage_dir"], rel, [f["path"] for f in asset.get("files") or []])

    # -- withdrawing (item deletion) --------------------------------------------------------
    # A deletion is recoverable at every step: a marker ``deleted/<label>.deleting`` naming the
    # item and its folders is written first, then ``item.json``, then the folders move; the
    # catalogue commits last and the marker goes after. At open, an unfinished deletion is
    # completed when its row is gone (committed) and undone when the row is still there.
    def begin_withdrawal(self, label: str, item_id: int, record: dict[str, Any]) -> Path:
        """Write the marker and the record copy, then move the item's asset folders into
        ``deleted/<label>/``. On a disk error everything done so far is undone."""
        storage_dirs = [a["storage_dir"] for a in record.get("assets", [])]
        target = self.deleted / label
        try:
            _write_synced(self._marker(label), json.dumps({"item_id": item_id, "storage_dirs": storage_dirs}))
            target.mkdir(parents=True)
            _write_synced(target / "item.json", json.dumps(record, ensure_ascii=False, indent=2, default=str))
            for storage_dir in storage_dirs:
                self._withdraw(storage_dir, target)
        except OSError as exc:
            self.undo_withdrawal(label)
            raise _disk_error(exc, "moving the item's files to deleted/", "nothing was deleted") from exc
        return target

    def end_withdrawal(self, label: str) -> None:
        """The deletion is committed: the marker is no longer needed."""
        self._marker(label).unlink(missing_ok=True)

    def undo_withdrawal(self, label: str) -> None:
        """Put back what ``begin_withdrawal`` moved and remove only what it created."""
        marker = self._marker(label)
        marker.with_name(marker.name + ".tmp").unlink(missing_ok=True)
        if not marker.exists():
            return  # the marker comes first: without it, nothing else was done
        try:
            storage_dirs = json.loads(marker.read_text())["storage_dirs"]
        except (OSError, ValueError, KeyError, TypeError):
            storage_dirs = []
        target = self.deleted / label
        for storage_dir in storage_dirs:
            moved = target / PurePosixPath(storage_dir).name
            home = self.root / storage_dir
            if _inside(home, self.objects) and moved.is_dir() and not home.exists():
                os.rename(moved, home)
                fsync_dir(home.parent)
                _make_read_only(home)
        for name in ("item.json", "item.json.tmp"):
            (target / name).unlink(missing_ok=True)
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        marker.unlink(missing_ok=True)

    def pending_withdrawals(self) -> list[tuple[str, int | None]]:
        """(label, item id) of deletions that began but whose marker is still there."""
        found: list[tuple[str, int | None]] = []
        if not self.deleted.is_dir():
            return found
        for marker in sorted(self.deleted.glob("*.deleting*")):  # a half-written marker ends in .tmp
            try:
                item_id = None if marker.suffix == ".tmp" else int(json.loads(marker.read_text())["item_id"])
            except (OSError, ValueError, KeyError, TypeError):
                item_id = None
            found.append((marker.name.rsplit(".deleting", 1)[0], item_id))
        return found

    def free_label(self, label: str) -> str:
        """``label``, or a variant of it that names no existing deleted folder or marker."""
        while (self.deleted / label).exists() or self._marker(label).exists():
            label = f"{label}-{uuid.uuid4().hex[:6]}"
        return label

    def _marker(self, label: str) -> Path:
        return self.deleted / f"{label}.deleting"

    def _withdraw(self, storage_dir: str, target: Path) -> None:
        source = self.root / storage_dir
        if source.exists():
            _make_writable(source)
            os.rename(source, target / PurePosixPath(storage_dir).name)
            fsync_dir(source.parent)
            fsync_dir(target)


def stored_paths_of(rows: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """For (storage_dir, recorded path) rows of whole assets, ``storage_dir/stored name``."""
    names: dict[str, list[str]] = {}
    for storage_dir, rel in rows:
        names.setdefault(storage_dir, []).append(rel)
    return {(d, rel): f"{d}/{stored}" for d, rels in names.items() for rel, stored in stored_names(rels).items()}


def _make_folders_below(top: Path, folder: Path) -> None:
    """Make ``folder`` and its parents up to ``top``, which must exist: a shared drive that went
    away must fail the write, not have its folders made again on the local disk."""
    top = Path(os.path.realpath(top))  # as resolve_inside gives ``folder``
    for part in reversed([folder, *folder.parents]):
        if part.is_relative_to(top) and part != top:
            part.mkdir(exist_ok=True)


def _write_synced(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` durably: a temporary file, fsynced, renamed over it."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
