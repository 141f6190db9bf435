"""Opening the catalogue: WAL, busy timeout, foreign keys, migrations, write transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from .errors import CatalogueDamaged, StorageError
from .schema import migrations

BUSY_TIMEOUT_MS = 30_000


def connect(path: Path, create: bool = False) -> Database:
    """Open (or create) the catalogue and bring its schema up to date."""
    if not create and not path.exists():
        raise StorageError(f"No catalogue at {path}")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise CatalogueDamaged(f"The catalogue {path.name} cannot be opened: {exc}") from exc
    db = Database(conn)
    try:
        if migrations.pending(db):
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise CatalogueDamaged(f"The catalogue {path.name} is damaged: {exc}") from exc
    return db


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """One write transaction, taken with BEGIN IMMEDIATE so that two writers queue on the
    busy timeout instead of failing half-way with "database is locked"."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():  # nested: a savepoint
            yield db
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StorageError(f"The catalogue is busy or read-only ({exc}); try again.") from exc
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StorageError(f"The catalogue could not save the change ({exc}); nothing was changed.") from exc


def integrity_problems(db: Database, quick: bool = False) -> list[str]:
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = [r[0] for r in db.execute(f"PRAGMA {pragma}").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows
