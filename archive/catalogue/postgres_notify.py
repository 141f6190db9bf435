"""Change notices of a team archive: PostgreSQL's LISTEN/NOTIFY instead of polling.

Every statement that adds events notifies channel ``heritage_changes`` (the trigger of schema
step 007_change_notices); PostgreSQL delivers a notice when the transaction commits, never for
one rolled back, and folds the identical notices of one transaction into one. A notice carries
nothing: the listener only wakes its owner, who reads what changed from the events table
(``events_since``), so a notice lost while disconnected costs nothing but a look.

``ChangeListener`` keeps its own connection (the catalogue's connection runs queries; a
listening one must stay idle) and never blocks: ``pending()`` reads what the socket already
holds, and ``fileno()`` is that socket, for an event loop to watch (Qt's QSocketNotifier).
After a lost connection it listens again on a thread of its own: opening a connection to a
server that does not answer waits up to ``CONNECT_TIMEOUT_S``, which must not freeze the
window that calls ``pending()``; ``listening_again`` (a plain callable, called on that thread)
says when the new connection is ready, and the next ``pending()`` takes it.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

from ..errors import StorageError
from .postgres_connect import connect

CHANNEL = "heritage_changes"
RETRY_S = 10.0  # after a lost connection, how long to wait before listening again
log = logging.getLogger(__name__)

NOTIFY_TRIGGER = f"""
CREATE FUNCTION heritage_events_added() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  PERFORM pg_notify('{CHANNEL}', '');
  RETURN NULL; END $$;
CREATE TRIGGER events_added AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION heritage_events_added();
"""
"""Schema step 007_change_notices: one notice per statement that logs events (COPY included)."""


class ChangeListener:
    """LISTENs on ``heritage_changes`` over its own connection to ``url`` (a ``ChangeWatcher``).
    The first connection is opened at once; later ones on a thread (see the module's docstring)."""

    def __init__(self, url: str, listening_again: Callable[[], None] | None = None):
        self.url = url
        self.listening_again = listening_again  # called on the connecting thread: it must only hand over
        self._lock = threading.Lock()  # guards what the connecting thread hands over, and closing
        self._handed: psycopg.Connection[Any] | None = None  # listening, not taken by pending() yet
        self._connecting = False
        self._closed = False
        self._retry_at = 0.0
        self._conn: psycopg.Connection[Any] | None = self._listen()
        if self._conn is None:
            self._retry_at = time.monotonic() + RETRY_S

    def _listen(self) -> psycopg.Connection[Any] | None:
        """A new connection that listens, or None when the server cannot be reached."""
        try:  # connect_timeout and keepalives: a server gone silent is noticed in seconds (postgres_connect)
            conn = connect(self.url, application_name="heritage-listen")
        except StorageError as exc:
            log.info("not listening for changes (%s); the app looks on its timer instead", exc)
            return None
        try:
            conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error:
            conn.close()
            return None
        return conn

    def _listen_in_background(self) -> None:
        self._connecting = True
        threading.Thread(target=self._connect_and_hand_over, name="heritage-listen", daemon=True).start()

    def _connect_and_hand_over(self) -> None:
        """The connecting thread: the connection goes to ``_handed`` for ``pending()`` to take."""
        conn = self._listen()
        with self._lock:  # held while calling back, so that close() cannot come in between
            self._connecting = False
            if self._closed:
                if conn is not None:
                    conn.close()
                return
            if conn is None:
                self._retry_at = time.monotonic() + RETRY_S
                return
            self._handed = conn
            if self.listening_again is not None:
                self.listening_again()

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def fileno(self) -> int | None:
        """The listening socket (it changes after a reconnection), or None while not listening."""
        return self._conn.fileno() if self._conn is not None and not self._conn.closed else None

    def pending(self) -> bool:
        """Whether a notice arrived since the last call; drains them all, never waits. While the
        connection is lost it says True (a change may go unnoticed) and listens again at the next
        call (on a thread: see the module's docstring), then every RETRY_S while the server cannot
        be reached."""
        if self._conn is None or self._conn.closed:
            with self._lock:
                self._conn, self._handed = self._handed, None
                due = not (self._connecting or self._closed) and time.monotonic() >= self._retry_at
                if self._conn is None and due:
                    self._listen_in_background()
            return True  # listening again or not, a change may have come meanwhile
        try:
            arrived = self._drain()
            if _readable(self._conn.fileno()):  # more than notices: the server's goodbye, then the end
                arrived += self._drain()  # reading the end raises here, at this look rather than the next
            return arrived > 0
        except psycopg.Error as exc:  # the server went away or restarted, or the keepalives found it silent
            log.info("lost the change-notice connection (%s)", type(exc).__name__)
            self._conn.close()
            self._conn = None
            self._retry_at = 0.0  # the next look listens again (a restarted server is back by then)
            return True

    def _drain(self) -> int:
        assert self._conn is not None
        return sum(1 for _notice in self._conn.notifies(timeout=0))

    def close(self) -> None:
        """Stop listening; a connection being opened meanwhile is closed when it is ready."""
        with self._lock:
            self._closed = True
            for conn in (self._conn, self._handed):
                if conn is not None:
                    conn.close()
            self._conn = self._handed = None


def _readable(fd: int) -> bool:
    """Whether the socket holds something to read now (select works on sockets everywhere)."""
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True  # a socket that cannot be asked about: reading it says what happened
