"""Hidden work folders that outputs are built in (bag exports, item exports, site builds).

A work folder is created fresh inside the output folder (same disk, so finished files move
without copying) with a marker saying which process made it and when. It is removed when
its run ends; a run that was killed leaves it behind, and the next run of the same kind in
that folder removes it — but only a folder that carries our marker, whose process is gone
(same computer) or that is older than a day. Nothing without our marker is ever removed,
and a run still going in another process keeps its folder.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from platform_support import fsync_dir

MARKER = ".heritage-work.json"
PREFIX = ".heritage-"
STALE_AFTER_S = 24 * 3600


def new_work_folder(parent: Path, kind: str, suffix: str = "") -> Path:
    """A fresh folder ``.heritage-<kind>-<random><suffix>`` in ``parent``, with its marker."""
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-", suffix=suffix, dir=parent))
    marker = {"kind": kind, "pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    (folder / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return folder


def is_stale(folder: Path, kind: str) -> bool:
    """Whether ``folder`` is a work folder of ``kind`` left by a run that is over."""
    if folder.is_symlink() or not folder.is_dir() or not folder.name.startswith(f"{PREFIX}{kind}-"):
        return False
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        pid, host, started = int(marker["pid"]), str(marker["host"]), float(marker["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # not ours, or not readable: leave it alone
    gone = host == socket.gethostname() and not _process_alive(pid)
    return gone or time.time() - started > STALE_AFTER_S


def remove_stale_work_folders(parent: Path, kind: str) -> list[Path]:
    """Remove the work folders of ``kind`` in ``parent`` whose runs are over; returns them."""
    removed = [folder for folder in parent.glob(f"{PREFIX}{kind}-*") if is_stale(folder, kind)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


@contextmanager
def work_folder(parent: Path, kind: str, suffix: str = "") -> Iterator[Path]:
    """Clean up killed runs of ``kind``, then a fresh work folder for this run, removed with
    whatever is left in it when the run ends (finished or failed)."""
    remove_stale_work_folders(parent, kind)
    folder = new_work_folder(parent, kind, suffix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def move_into_place(work: Path, dest: Path) -> None:
    """Rename a finished ``work`` folder (a backup, a restore, a migration) to ``dest``, which
    must be absent or an empty folder: the result appears whole or not at all."""
    try:
        os.rename(work, dest)  # POSIX replaces an empty folder in one step
    except OSError:
        if not dest.is_dir() or any(dest.iterdir()):
            raise
        dest.rmdir()
        os.rename(work, dest)
    fsync_dir(dest.parent)


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no safe probe there (os.kill would end the process on Windows): rely on age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


__all__ = ["MARKER", "is_stale", "move_into_place", "new_work_folder", "remove_stale_work_folders", "work_folder"]
