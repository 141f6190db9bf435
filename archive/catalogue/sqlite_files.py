"""SQLite catalogue files on disk, read without opening an archive: the health check at open,
and the catalogues inside backups (always single-user SQLite folders, whatever the engine)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .sqlite_db import is_damage, storage_error


def check_file(path: Path, read_only: bool = False) -> list[str]:
    """Problems SQLite's quick check finds in the catalogue file (empty list: healthy).
    Opens it read-only. A catalogue that cannot be opened or read because of the medium
    (missing drive, permissions, read-only, full) raises StorageError: that is not damage."""
    try:
        conn = _open_for_check(path, read_only)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return [str(exc)]
        raise storage_error(exc, path.name, "checking it") from exc
    return [] if rows == ["ok"] else rows


def _open_for_check(path: Path, read_only: bool) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    if not read_only:
        return sqlite3.connect(f"{uri}?mode=ro", uri=True)
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


def integrity_problems_of(path: Path) -> list[str]:
    """SQLite's full integrity check of the catalogue file at ``path`` (empty list: healthy)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def stored_file_rows(path: Path) -> list[tuple[str, str, str]]:
    """Every (storage_dir, path, sha256) the catalogue file at ``path`` records. The rows are
    returned unchecked: a backup may come from anywhere, its caller checks every path."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT a.storage_dir, f.path, f.sha256 FROM files f JOIN assets a ON a.id = f.asset_id").fetchall()
    finally:
        conn.close()
