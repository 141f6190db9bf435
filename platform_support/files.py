"""Files: locks, read-only marking, directory fsync, files replaced whole, links, and which file
system a folder is on."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filelock
import psutil

WINDOWS = sys.platform == "win32"
READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH  # on Windows: the read-only attribute
READ_ONLY_DIR = READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
WRITABLE_FILE = 0o644
WRITABLE_DIR = 0o755


# --- locks -------------------------------------------------------------------------------

class HeldLock:
    """An exclusive lock on a file, held until :meth:`release` (or the process ends: the
    system drops the locks of a dead process, so a crash never leaves a stale lock)."""

    def __init__(self, lock: filelock.BaseFileLock) -> None:
        self._lock = lock

    def release(self) -> None:
        self._lock.release(force=True)


def _new_lock(path: Path) -> filelock.BaseFileLock:
    # thread_local=False: held by the store, released from whichever thread closes it;
    # is_singleton=False: a second lock object on the same file is a real second claim.
    return filelock.FileLock(str(path), thread_local=False, is_singleton=False)


def hold_lock(path: Path) -> HeldLock:
    """Create ``path`` if needed and lock it exclusively (waiting for another holder)."""
    lock = _new_lock(path)
    lock.acquire()
    return HeldLock(lock)


def lock_held(path: Path) -> bool:
    """Whether some open lock holds ``path``, this very process included (a probe: it takes
    the lock for an instant when it is free). A missing file is not held."""
    if not path.exists():
        return False
    lock = _new_lock(path)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return True
    except OSError:
        return False
    lock.release(force=True)
    return False


# --- read-only marking -------------------------------------------------------------------

def make_read_only(folder: Path) -> None:
    """Mark every file under ``folder`` read-only, and the folders too where that means
    something (on Windows a folder's read-only attribute does not protect its files)."""
    for dirpath, _dirs, filenames in os.walk(folder, topdown=False):
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), READ_ONLY_FILE)
        if not WINDOWS:
            os.chmod(dirpath, READ_ONLY_DIR)


def make_writable(folder: Path) -> None:
    """Undo :func:`make_read_only` (folders and files) before moving or removing ``folder``."""
    for dirpath, _dirs, filenames in os.walk(folder):
        os.chmod(dirpath, WRITABLE_DIR)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), WRITABLE_FILE)


def make_folders_writable(folder: Path) -> None:
    """Make only the folders under ``folder`` writable, so that it can be removed; files may
    be hard links to read-only originals and must keep their mode."""
    for dirpath, _dirs, _files in os.walk(folder):
        os.chmod(dirpath, WRITABLE_DIR)


def remove_tree(folder: Path) -> None:
    """Remove ``folder`` whose files may be read-only hard links to originals. POSIX deletes
    them once their folder is writable, modes untouched. Windows refuses to delete a
    read-only file: there its attribute is cleared first, which clears it for every link of
    the same file (the originals' hashes still catch any change; see packaging/README.md)."""
    if not folder.exists():
        return
    make_folders_writable(folder)

    def clear_and_retry(func, path, _exc):  # type: ignore[no-untyped-def]
        if WINDOWS and os.path.isfile(path):
            os.chmod(path, WRITABLE_FILE)
            func(path)

    shutil.rmtree(folder, onerror=clear_and_retry)


# --- durability ----------------------------------------------------------------------------

def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable. Windows cannot open a folder to
    fsync it (NTFS journals its metadata), so there this does nothing."""
    if WINDOWS:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- files replaced whole --------------------------------------------------------------------

def temp_beside(target: Path) -> Path:
    """A temporary path in ``target``'s folder that no other writer uses, in this process or in
    another, on this PC or on another one sharing the folder: ``<name>.<host>-<pid>-<random>.tmp``.
    Write it whole, then ``os.replace`` it onto ``target``: one rename in one folder, atomic on a
    network share too, so two PCs making the same thumbnail at once each put a whole file there.
    It begins with ``target``'s name: a cleanup that keeps the files of a name keeps it too."""
    return target.with_name(f"{target.name}.{_host()}-{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname())[:24] or "host"


_TEMP = re.compile(r"\.([A-Za-z0-9-]+)-(\d+)-[0-9a-f]{8}\.tmp$")


def remove_stale_temps(folder: Path, older_than_s: float = 3600.0) -> list[Path]:
    """Remove the :func:`temp_beside` files in ``folder`` whose writer is gone: a process of this
    PC that has ended (a worker killed when its build was cancelled), or any left unchanged for
    ``older_than_s`` (another PC's: it may still be writing a younger one). Returns them."""
    removed = []
    for path in folder.glob("*.tmp"):
        found = _TEMP.search(path.name)
        if found is None:
            continue
        try:
            ended = found[1] == _host() and not psutil.pid_exists(int(found[2]))
            if ended or time.time() - path.stat().st_mtime > older_than_s:
                path.unlink()
                removed.append(path)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """The path to write ``target``'s new content to (:func:`temp_beside`); when the block ends
    without an error it replaces ``target`` at once, and it is removed after an error."""
    tmp = temp_beside(target)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# --- links -------------------------------------------------------------------------------

def hard_link(src: Path, dst: Path) -> bool:
    """Hard-link ``dst`` to ``src``; False where the file system has no hard links (FAT and
    exFAT USB drives), they cross file systems or are not allowed. Nothing is created then."""
    try:
        os.link(src, dst)
    except (OSError, NotImplementedError):
        return False
    return True


def link_or_copy(src: Path, dst: Path) -> bool:
    """A hard link where possible, else a copy (True: linked). ``dst`` must not exist."""
    if hard_link(src, dst):
        return True
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        shutil.copyfileobj(fin, fout)
    return False


# --- file systems --------------------------------------------------------------------------

@dataclass(frozen=True)
class FileSystem:
    type: str  # "ext4", "nfs4", "NTFS", "smbfs", ... as the system names it
    mountpoint: str
    remote: bool  # Windows marks network drives "remote" in the mount options


def filesystem(path: Path) -> FileSystem | None:
    """The file system holding ``path`` (the deepest mount point above it), or None when
    the system does not say."""
    target = os.path.normcase(str(path.resolve()))
    try:
        partitions = psutil.disk_partitions(all=True)
    except (OSError, RuntimeError):
        return None
    best: psutil._common.sdiskpart | None = None
    for part in partitions:
        mount = os.path.normcase(part.mountpoint)
        if target == mount or target.startswith(mount.rstrip("\\/") + os.sep):
            if best is None or len(part.mountpoint) > len(best.mountpoint):
                best = part
    if best is None:
        return None
    return FileSystem(best.fstype, best.mountpoint, "remote" in best.opts.split(","))
