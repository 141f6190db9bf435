"""Connections to a team archive's catalogue server: opened with bounds, found dead in seconds,
and replaced on the next operation after the server restarted or the network dropped.

Every connection the archive opens (the catalogue's, the change listener's, the staging claims')
comes from :func:`connect`, with :data:`OPTIONS`:

- ``connect_timeout``: a server that accepts the connection and never answers (a hung host, a
  firewall that swallows packets) is given up after a few seconds instead of the system's minutes;
- TCP keepalives and ``tcp_user_timeout``: on an open connection whose server went silent (cable
  pulled, VPN dropped, packets lost), the kernel notices whether the
  connection was idle (keepalive probes go unanswered) or waiting for an answer (sent data stays
  unacknowledged), in about six seconds; the statement then fails with "cannot be reached"
  instead of hanging for the system's quarter of an hour.

A connection that died while idle (the server restarted) only says so at its next statement.
:func:`rerunnable` tells which statements may then simply run again on a new connection: reads
outside a transaction change nothing, so running them twice is harmless; a write is never run
twice (it may have been done before the answer was lost). A statement that failed after waiting
(:func:`found_dead_at_once` says no) met a silent network: it is not run again, so the user
hears "cannot be reached" after the six seconds, not after ten.
"""

from __future__ import annotations

import re
import time
from typing import Any

import psycopg

from ..errors import StorageError

CONNECT_TIMEOUT_S = 4  # seconds to open a connection, login included (libpq's minimum is 2)
KEEPALIVE_IDLE_S = 3  # silence before the first probe
KEEPALIVE_INTERVAL_S = 1  # between probes
KEEPALIVE_COUNT = 3  # unanswered probes before the connection is dead: about 6 s in all
DEAD_AT_ONCE_S = 1.0  # a statement failing sooner found its connection closed, not the network silent
USER_TIMEOUT_MS = 6000  # nothing heard this long while a statement or a probe waits: the connection is dead
OPTIONS: dict[str, Any] = {
    "connect_timeout": CONNECT_TIMEOUT_S,
    "keepalives": 1,
    "keepalives_idle": KEEPALIVE_IDLE_S,
    "keepalives_interval": KEEPALIVE_INTERVAL_S,
    "keepalives_count": KEEPALIVE_COUNT,
    "tcp_user_timeout": USER_TIMEOUT_MS,  # Linux; ignored elsewhere, where keepalives still apply
}
_READ = re.compile(r"\s*(SELECT|SHOW|VALUES|WITH)\b", re.IGNORECASE)
_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|COPY|LOCK|NOTIFY|FOR\s+UPDATE|FOR\s+SHARE|pg_advisory\w*"
                    r"|nextval|setval|set_config)\b", re.IGNORECASE)


def where(url: str) -> str:
    """host:port/database of a URL, for messages (never the user or password)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def unreachable(url: str, exc: BaseException) -> StorageError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "password" in detail or "authentication" in detail or "role" in detail:
        return StorageError(f"The catalogue server at {where(url)} refused the login ({detail}): set PGUSER and "
                            "PGPASSWORD, or add the password to ~/.pgpass (pgpass.conf on Windows).")
    if isinstance(exc, psycopg.errors.IdleInTransactionSessionTimeout):
        return StorageError(f"The catalogue server at {where(url)} ended the connection because a change waited "
                            f"too long between two of its steps ({detail}); nothing was changed: try again, or ask "
                            "the server's administrator to raise idle_in_transaction_session_timeout.")
    return StorageError(f"The catalogue server cannot be reached at {where(url)} ({detail}): check the network "
                        "and that the server is running; nothing was changed.")


def connect(url: str, application_name: str = "heritage") -> psycopg.Connection[Any]:
    """A new autocommit connection to ``url`` with :data:`OPTIONS`; StorageError when the server
    cannot be reached within ``CONNECT_TIMEOUT_S`` or refuses the login. Options written in the
    URL itself (``?connect_timeout=30`` for a slow link) win over these."""
    given = psycopg.conninfo.conninfo_to_dict(url)
    options = {k: v for k, v in OPTIONS.items() if k not in given}
    try:
        return psycopg.connect(url, autocommit=True, application_name=application_name, **options)
    except psycopg.Error as exc:
        raise unreachable(url, exc) from exc


def rerunnable(sql: str) -> bool:
    """Whether ``sql`` only reads, so that it may run again after its connection died under it."""
    return bool(_READ.match(sql)) and not _WRITE.search(sql)


def found_dead_at_once(began: float) -> bool:
    """Whether a statement begun at ``began`` (``time.monotonic()``) failed at once, as on a
    connection the server had closed (restarted, ended the session): a new one will likely work.
    One that failed after waiting timed out on a silent network, where a new connection would
    only wait as long again."""
    return time.monotonic() - began < DEAD_AT_ONCE_S


def lost(conn: psycopg.Connection[Any], exc: BaseException) -> bool:
    """Whether ``exc`` ended the connection: the server went away, restarted, or ended the session
    (an idle-in-transaction timeout says so with an InternalError, not an OperationalError)."""
    return isinstance(exc, psycopg.OperationalError) or (isinstance(exc, psycopg.Error) and conn.closed)


__all__ = ["CONNECT_TIMEOUT_S", "OPTIONS", "connect", "found_dead_at_once", "lost", "rerunnable", "unreachable",
           "where"]
