"""Moving an archive between the two engines: ``heritage migrate SRC DEST [--catalogue URL]``.

A single-user archive becomes a team archive (``catalogue`` names its new, empty PostgreSQL
database) and a team archive becomes a single-user one (no ``catalogue``). The catalogue is
taken as it is at one moment (SQLite's backup API, or one REPEATABLE READ transaction on
PostgreSQL) and copied row for row, ids included; every file that moment records is linked
(same disk) or copied into ``DEST`` and re-hashed against its recorded SHA-256. The work
happens in a hidden folder beside ``DEST`` that becomes ``DEST`` only when complete. The
source is only read: nothing in it changes, not even its event log.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from platform_support import fsync_dir, hard_link, make_read_only, remove_tree

from . import team
from .catalogue.sqlite_files import stored_file_rows
from .comparisons_io import copy_comparison_files
from .errors import StorageError, UnsafeReference
from .safepaths import check_relative, resolve_inside
from .service import CATALOGUE, Archive
from .store import FileStore, sha256_file, stored_paths_of
from .workfolders import move_into_place

Progress = Callable[[int, int, str], None]
SNAPSHOT = "catalogue.snapshot"


def migrate(src: Path, dest: Path, catalogue: str | None = None, progress: Progress | None = None) -> Path:
    """Write the archive in ``src`` into the new folder ``dest`` (a team archive when ``catalogue``
    is given, else a single-user one); returns ``dest``."""
    if catalogue is not None:
        team.check_url(catalogue)
    if dest.exists() and any(dest.iterdir()):
        raise StorageError(f"{dest} is not empty; migrate into a new or empty folder")
    with Archive.open(src) as source:
        dest.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.migrating-", dir=dest.parent))
        try:
            snapshot = work / SNAPSHOT
            source.catalogue.snapshot(snapshot)
            FileStore(work).create_dirs()
            _copy_files(source.root, work, snapshot, progress)
            copy_comparison_files(source.root, work, snapshot, link=True)
            _install_catalogue(work, snapshot, catalogue)
            move_into_place(work, dest)
        except OSError as exc:
            remove_tree(work)
            raise StorageError(f"the archive could not be migrated: {exc.strerror or exc}; {dest} was not made") \
                from exc
        except BaseException:
            remove_tree(work)
            raise
    return dest


def _copy_files(src_root: Path, work: Path, snapshot: Path, progress: Progress | None) -> None:
    rows = stored_file_rows(snapshot)
    stored = stored_paths_of([(d, r) for d, r, _sha in rows])
    for n, (storage_dir, rel, expected) in enumerate(rows):
        if progress:
            progress(n, len(rows), f"Copying {rel}")
        parts = check_relative(storage_dir, "the catalogue").parts
        if len(parts) != 3 or parts[0] != "objects":
            raise UnsafeReference(f"the catalogue names the folder {storage_dir!r}, which is not in objects/")
        check_relative(rel, "the catalogue")
        where = stored[(storage_dir, rel)]  # the portable stored name (archive.portable)
        source = resolve_inside(src_root, where, "the catalogue")
        target = resolve_inside(work, where, "the catalogue")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not hard_link(source, target):
            shutil.copyfile(source, target)
            with open(target, "rb+") as f:
                os.fsync(f.fileno())
        if sha256_file(target) != expected:  # a link too: the source may have changed since it was recorded
            raise StorageError(f"{where} does not match its recorded hash; run `heritage verify` on the source "
                               "archive first. Nothing was migrated.")
    if progress:
        progress(len(rows), len(rows), "Files copied and checked")
    for asset_dir in (p for p in (work / "objects").glob("*/*") if p.is_dir()):
        make_read_only(asset_dir)


def _install_catalogue(work: Path, snapshot: Path, catalogue: str | None) -> None:
    """The catalogue comes last: until then the folder is not an archive."""
    if catalogue is None:
        os.rename(snapshot, work / CATALOGUE)
        fsync_dir(work)
        return
    from .catalogue.postgres import PostgresCatalogue

    target = PostgresCatalogue.open(catalogue, create=True)
    try:
        target.load_sqlite(snapshot)
    finally:
        target.close()
    snapshot.unlink()
    team.write(work, catalogue)
    fsync_dir(work)


