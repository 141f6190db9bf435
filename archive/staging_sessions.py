"""Who is staging: the claim each ``FileStore`` holds on its ``staging/<session>/`` folder, so that
recovery (at open) cleans up only the sessions of runs that are over.

A single-user archive claims a session with a file lock beside its folder
(``staging/<session>.lock``, through ``platform_support``): the folder is on a local disk, and the
system drops a dead process's locks. A team archive's shared folder cannot be trusted with file
locks (SMB and NFS differ: a lock may be invisible to other PCs, or outlive its client), so there
the catalogue's server holds the claims (``archive.catalogue.postgres_locks``) and nothing on the
share is ever locked.

The order that makes recovery safe: a session is claimed *before* its folder is made, and recovery
lists the folders *before* asking which claims are held. A folder in the listing whose claim is not
held belongs to a run that is over.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from platform_support import HeldLock, hold_lock, lock_held


class StagingClaim(Protocol):
    """One held session: its folder is ``staging/<name>``."""

    name: str

    def alive(self) -> bool:
        """Whether the claim has been held without a break since it was made. Once False, it
        stays False: another process may have cleaned the session up, so its files are lost."""

    def release(self) -> None: ...


class StagingSessions(Protocol):
    def claim(self) -> StagingClaim:
        """A new session name, held by this process until ``release`` (or its end)."""

    def in_use(self, names: Iterable[str]) -> set[str]:
        """Those of ``names`` whose sessions are held by a running store, here or elsewhere."""

    def exclusive(self) -> AbstractContextManager[bool]:
        """Held while recovery removes what ended sessions left, so that no commit runs meanwhile;
        yields False when that cannot be had now (recovery then waits for a later open)."""


class _FileClaim:
    def __init__(self, name: str, lock: HeldLock, lock_file: Path):
        self.name = name
        self._lock: HeldLock | None = lock
        self._lock_file = lock_file

    def alive(self) -> bool:
        return self._lock is not None  # a local lock is only lost with the process itself

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()  # before the unlink: Windows cannot remove a locked file
            self._lock = None
            self._lock_file.unlink(missing_ok=True)


class FileLockSessions:
    """Sessions of a single-user archive: ``staging/<name>.lock``, locked while the store lives."""

    def __init__(self, staging: Path):
        self.staging = staging

    def claim(self) -> StagingClaim:
        name = uuid.uuid4().hex
        self.staging.mkdir(parents=True, exist_ok=True)
        lock_file = self.staging / f"{name}.lock"
        return _FileClaim(name, hold_lock(lock_file), lock_file)

    def in_use(self, names: Iterable[str]) -> set[str]:
        return {name for name in names if lock_held(self.staging / f"{name}.lock")}

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        yield True  # one computer: a held lock is never lost while its process runs


def remove_ended_sessions(staging: Path, own: str | None, sessions: StagingSessions,
                          undo_placement: Callable[[str], list[str]]) -> list[str]:
    """Remove from ``staging`` what sessions that are over left (but ``own``, and those still held):
    each placement a session's intent names goes through ``undo_placement(storage_dir)`` first,
    which removes it unless its row was committed. Returns what was removed."""
    if not staging.exists():
        return []
    # Listed before the claims are asked: a session claims before it makes its folder.
    entries = [e for e in sorted(staging.iterdir()) if e.name.split(".")[0] != own]
    if not entries:
        return []
    ended = {e.name.split(".")[0] for e in entries} - sessions.in_use({e.name.split(".")[0] for e in entries})
    removed: list[str] = []
    if not ended:
        return removed  # the usual open: others are importing, nothing to clean
    with sessions.exclusive() as exclusive:  # no commit runs while placements are undone
        if exclusive:  # (an ended session never comes back: its name is never claimed again)
            for entry in entries:
                if entry.name.split(".")[0] in ended:
                    removed += _remove_ended(entry, undo_placement)
    return removed


def _remove_ended(entry: Path, undo_placement: Callable[[str], list[str]]) -> list[str]:
    removed: list[str] = []
    for intent in (entry.glob("*.intent") if entry.is_dir() else [entry] if entry.suffix == ".intent" else []):
        removed += undo_placement(intent.read_text().strip())
    if entry.is_dir():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)
    return [*removed, f"staging/{entry.name}"]


__all__ = ["FileLockSessions", "StagingClaim", "StagingSessions", "remove_ended_sessions"]
