"""Jobs that one PC of a team runs for everyone (the daily automatic backup), one PC at a time.

Every PC that opens a team archive may find the day's backup missing and start it; the first
takes a session-level advisory lock for the job on a connection of its own, and the others,
finding the lock held, leave the job to it instead of writing a second backup beside the first
(and rotating backups out from under it). The lock is taken without waiting and ends with its
connection: a PC that dies or loses the network mid-job frees it for the next one, which nothing
held on the shared folder (SMB or NFS file locks) promises. Single-user archives keep their own
way (one PC: nothing to coordinate).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from .postgres_connect import connect, unreachable

JOB_LOCKS = 0x6A6F6273  # "jobs": the high half of every job's lock key


def job_key(name: str) -> int:
    """The advisory lock key of job ``name``: one bigint, so it never looks like a staging claim
    (those are two-key locks, postgres_locks)."""
    return (JOB_LOCKS << 32) | zlib.crc32(name.encode("utf-8"))


@contextmanager
def only_one(url: str, name: str) -> Iterator[bool]:
    """True while this process holds job ``name`` of the catalogue at ``url``; False when another
    process (on any PC) holds it now. StorageError when the server cannot be reached."""
    conn = connect(url, application_name=f"heritage-{name}")
    try:
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", [job_key(name)]).fetchone()
        except psycopg.Error as exc:
            raise unreachable(url, exc) from exc
        yield bool(row and row[0])
    finally:
        conn.close()  # ends the session: the server frees the lock


__all__ = ["JOB_LOCKS", "job_key", "only_one"]
