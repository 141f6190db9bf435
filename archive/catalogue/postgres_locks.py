"""Staging sessions of a team archive, held in the catalogue's server instead of the shared folder.

Each ``FileStore`` session is a session-level advisory lock ``(STAGING_LOCKS, number)`` on a
connection of its own: the server drops it the moment that connection ends (the client was
killed, its PC lost the network, the server restarted), and every PC sees the same locks, which
SMB and NFS file locks do not promise. ``pg_locks`` lists the held ones, so recovery at open cleans
only the folders of sessions that are over. Recovery runs under the writers' lock
(``postgres.WRITER_LOCK``): it never removes a placement while that placement's commit is running.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from .postgres import LOCK_TIMEOUT, WRITER_LOCK, connect, unreachable

STAGING_LOCKS = 0x73746167  # "stag": the first key of every staging session's lock
# A client that vanishes without closing its connection (power cut, cable pulled) is noticed by
# the server within about two minutes of silence, and its sessions are freed for cleaning.
_KEEPALIVES = ("SET tcp_keepalives_idle = 60", "SET tcp_keepalives_interval = 10", "SET tcp_keepalives_count = 6")
_HELD = ("SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2"
         " AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")


def session_number(name: str) -> int | None:
    """The lock number of session folder ``name`` (its first 31 bits); None for a foreign name."""
    try:
        return int(name[:8], 16) & 0x7FFFFFFF if len(name) == 32 else None
    except ValueError:
        return None


class PostgresClaim:
    """A staging session held by a lock on its own connection."""

    def __init__(self, name: str, conn: psycopg.Connection[Any]):
        self.name = name
        self._conn: psycopg.Connection[Any] | None = conn

    def alive(self) -> bool:
        """Asks the server: a connection that still answers never lost its session locks."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            self.release()  # lost for good: a lock taken again could hide a cleanup made meanwhile
            return False

    def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()  # ends the session: the server frees its lock


class PostgresStagingSessions:
    def __init__(self, url: str):
        self.url = url

    def claim(self) -> PostgresClaim:
        conn = connect(self.url)
        try:
            for statement in _KEEPALIVES:
                conn.execute(statement)
            while True:  # a number another live session holds (1 in 2^31) just draws again
                name = uuid.uuid4().hex
                row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", [STAGING_LOCKS, session_number(name)])
                if (found := row.fetchone()) is not None and found[0]:
                    return PostgresClaim(name, conn)
        except psycopg.OperationalError as exc:
            conn.close()
            raise unreachable(self.url, exc) from exc
        except BaseException:
            conn.close()
            raise

    def in_use(self, names: Iterable[str]) -> set[str]:
        with _connection(self.url) as conn:
            held = {row[0] for row in conn.execute(_HELD, [STAGING_LOCKS])}
        return {name for name in names if session_number(name) in held}

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        with _connection(self.url) as conn:
            try:
                conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
                conn.execute("SELECT pg_advisory_lock(%s)", [WRITER_LOCK])
            except psycopg.errors.LockNotAvailable:
                yield False  # writers kept it busy: the leftovers wait for a later open
                return
            yield True  # closing the connection releases the lock


@contextmanager
def _connection(url: str) -> Iterator[psycopg.Connection[Any]]:
    conn = connect(url)
    try:
        yield conn
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from exc
    finally:
        conn.close()


__all__ = ["STAGING_LOCKS", "PostgresClaim", "PostgresStagingSessions", "session_number"]
