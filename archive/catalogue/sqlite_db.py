"""Opening the catalogue: WAL, busy timeout, foreign keys, migrations, write transactions."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from ..errors import CatalogueDamaged, StorageError
from ..schema import migrations

BUSY_TIMEOUT_MS = 30_000


READ_ONLY = ("The archive is on read-only media (or its folder cannot be written): it can be browsed, searched, "
             "viewed and exported elsewhere, but not changed. Copy it to a writable disk to make changes.")
DISK_FULL = "The disk holding the archive is full; nothing was changed. Free some space and try again."
# SQLite's primary result codes that mean the file itself is broken; every other error on
# opening or writing (cannot open, read-only, I/O, full, busy) is about the medium, not damage.
DAMAGE_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_FULL, _READONLY, _BUSY = 13, 8, 5
MEDIUM_CODES = {_FULL, _READONLY, _BUSY, 3, 10, 14}  # + SQLITE_PERM, SQLITE_IOERR, SQLITE_CANTOPEN


def _code(exc: sqlite3.Error) -> int:
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def is_damage(exc: sqlite3.Error) -> bool:
    return _code(exc) in DAMAGE_CODES


def storage_error(exc: sqlite3.Error, name: str = "catalogue.sqlite", doing: str = "opening") -> StorageError:
    """A typed, actionable error for a database error that is not damage."""
    code = _code(exc)
    if code == _FULL:
        return StorageError(DISK_FULL)
    if code == _READONLY:
        return StorageError(READ_ONLY)
    if code == _BUSY:
        return StorageError(f"The catalogue is busy ({exc}); try again.")
    return StorageError(f"The catalogue {name} could not be read or written while {doing} ({exc}): check that "
                        "the drive is connected and the folder can be read. The catalogue is not damaged.")


def connect(path: Path, create: bool = False, read_only: bool = False) -> Database:
    """Open (or create) the catalogue and bring its schema up to date. ``read_only`` opens it
    for reading only (read-only media): nothing is written, not even a WAL index."""
    if not create and not path.exists():
        raise StorageError(f"No catalogue at {path}")
    try:
        conn = _open_read_only(path) if read_only else _open(path)
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise CatalogueDamaged(f"The catalogue {path.name} cannot be opened: {exc}") from exc
        raise storage_error(exc, path.name) from exc
    db = Database(conn)
    try:
        if migrations.pending(db):
            if read_only:
                conn.close()
                return _migrated_copy(path)
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_damage(exc):
            raise CatalogueDamaged(f"The catalogue {path.name} is damaged: {exc}") from exc
        raise storage_error(exc, path.name, "updating it") from exc
    except StorageError:
        conn.close()
        raise
    return db


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _open_read_only(path: Path) -> sqlite3.Connection:
    """mode=ro reads a WAL catalogue whose -shm exists; on media where it cannot be created,
    immutable=1 reads the file as it is (nobody can change a read-only medium meanwhile)."""
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _migrated_copy(path: Path) -> Database:
    """A catalogue made by an older version on read-only media: its schema cannot be updated
    in place, so a private copy in a temporary folder is updated and opened read-only (the
    medium is never written; the copy goes when the connection does)."""
    folder = Path(tempfile.mkdtemp(prefix="heritage-readonly-"))
    try:
        for suffix in ("", "-wal"):
            if path.with_name(path.name + suffix).exists():
                shutil.copyfile(path.with_name(path.name + suffix), folder / (path.name + suffix))
        conn = _open(folder / path.name)
        db = Database(conn)
        migrations.apply(db)
    except (OSError, sqlite3.DatabaseError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise StorageError(f"The archive was made by an older version and must be updated, which cannot be done "
                           f"on read-only media ({exc}). {READ_ONLY}") from exc
    conn.execute("PRAGMA query_only = 1")
    weakref.finalize(db, shutil.rmtree, folder, True)
    return db


def is_read_only(db: Database) -> bool:
    return bool(db.execute("PRAGMA query_only").fetchone()[0])


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """One write transaction, taken with BEGIN IMMEDIATE so that two writers queue on the
    busy timeout instead of failing half-way with "database is locked". A full disk or a
    read-only medium becomes a StorageError saying so; nothing is half-written."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():  # nested: a savepoint
            yield db
        return
    if is_read_only(db):
        raise StorageError(READ_ONLY)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, doing="saving") from exc
    try:
        yield db
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError) and _code(exc) in MEDIUM_CODES:
            raise storage_error(exc, doing="saving") from exc
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if _code(exc) in (_FULL, _READONLY):
            raise storage_error(exc, doing="saving") from exc
        raise StorageError(f"The catalogue could not save the change ({exc}); nothing was changed.") from exc


def integrity_problems(db: Database, quick: bool = False) -> list[str]:
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = [r[0] for r in db.execute(f"PRAGMA {pragma}").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows
