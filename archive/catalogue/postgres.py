"""The PostgreSQL catalogue engine: the catalogue of a team archive (see ``archive.team``).

The same methods as ``SQLiteCatalogue`` (``base.Catalogue``), with the same results. Writers
queue as SQLite's do: a write transaction first takes one transaction-scoped advisory lock, so
read-modify-write steps (the edit-conflict check, the duplicate and accession re-checks, the
next id) see every earlier commit and no other writer, across processes and PCs. Readers never
wait. A lost or refused connection is a StorageError saying so, never a driver traceback.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ..access import Access
from ..errors import StorageError
from . import postgres_postings, postgres_roles, postgres_schema
from .base import EVENT_COLUMNS, EventSummary
from .comparisons_sql import ComparisonsSQL
from .postgres_connect import connect, found_dead_at_once, lost, rerunnable, unreachable, where
from .postgres_items import BoolAsInteger, PostgresItems
from .postgres_notify import ChangeListener
from .postgres_search import PostgresSearch
from .records_sql import PostgresRecords
from .sqlite_db import READ_ONLY

WRITER_LOCK = 0x68657269  # "heri": the advisory lock every write transaction holds
LOCK_TIMEOUT = "30s"  # as SQLite's busy timeout: a writer waits this long for another
_HIDDEN = ("search_text", "words", "word_count")  # item columns SQLite keeps in its full-text table
_INSERT_EVENT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})"


def _value(v: Any) -> Any:
    return int(v) if isinstance(v, bool) else v


class PostgresCatalogue(PostgresItems, PostgresSearch, PostgresRecords, ComparisonsSQL):
    """One connection to a team archive's database: open one per thread."""

    def __init__(self, url: str, conn: psycopg.Connection[Any], read_only: bool = False):
        self.url = url
        self.conn = conn
        self._read_only = read_only  # the shared folder cannot be written: no change could keep its files
        self._depth = 0
        self._item_columns = ", ".join(c for c in self._columns("items") if c not in _HIDDEN)
        self._hits: dict[tuple[tuple[str, ...], bool], int] = {}  # bm25's document counts, while _hits_of holds
        self._hits_of = ""
        self.who = postgres_roles.access(conn)  # who is connected, for messages and agents (postgres_roles)

    @classmethod
    def open(cls, url: str, create: bool = False, read_only: bool = False) -> PostgresCatalogue:
        """Connect and bring the schema up to date; ``create`` makes the catalogue in an empty
        database, or takes an unused catalogue, and refuses a database that holds anything else."""
        conn = connect(url)
        try:
            with conn.transaction(), postgres_roles.refusals_at_open(where(url), conn.info.user):
                cur = conn.cursor()
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
                _check_database(cur, url, create)
                before = postgres_schema.applied(cur)
                postgres_schema.upgrade(cur, create)
                postgres_roles.regrant_after_upgrade(cur, before)  # tables a new step added get the roles' rights
        except psycopg.OperationalError as exc:
            conn.close()
            raise unreachable(url, exc) from exc
        except BaseException:
            conn.close()
            raise
        return cls(url, conn, read_only)

    def close(self) -> None:
        self.conn.close()

    def staging_sessions(self) -> Any:
        """The file store's staging claims, held by this server: nothing locks files on the share."""
        from .postgres_locks import PostgresStagingSessions

        return PostgresStagingSessions(self.url)

    def only_one(self, job: str) -> Any:
        """A context giving True while this PC runs ``job`` (the automatic backup) and no other PC
        of the team does; False while another holds it (postgres_jobs)."""
        from .postgres_jobs import only_one

        return only_one(self.url, job)

    @property
    def read_only(self) -> bool:
        return self._read_only

    def _x(self, sql: str, params: Sequence[Any] = (), rows: bool = False, binary: bool = False
           ) -> psycopg.Cursor[Any]:
        """Run one statement; connection trouble becomes a StorageError. A read outside a transaction
        whose connection had died unseen (the server restarted, an idle session was ended) runs again
        on a new connection, so the first look after a restart just works (postgres_connect)."""
        was_open, began = not self.conn.closed, time.monotonic()
        try:
            return self._run(sql, params, rows, binary)
        except StorageError:
            if not (was_open and self.conn.closed and self._depth == 0 and rerunnable(sql)
                    and found_dead_at_once(began)):
                raise  # a connection that failed to open, or timed out (the network is down), is not tried twice
        return self._run(sql, params, rows, binary)

    def _run(self, sql: str, params: Sequence[Any], rows: bool, binary: bool) -> psycopg.Cursor[Any]:
        self._ready()
        try:
            cur = self.conn.cursor(row_factory=dict_row) if rows else self.conn.cursor(binary=binary)
            return cur.execute(sql, [_value(v) for v in params])  # type: ignore[arg-type]
        except psycopg.errors.InsufficientPrivilege as exc:  # the user's role, or a guard, refused it
            raise StorageError(postgres_roles.denied(self.who, exc, sql)) from exc
        except psycopg.errors.LockNotAvailable as exc:
            raise StorageError("The catalogue is busy (another user is saving a large change); try again.") from exc
        except psycopg.Error as exc:
            if lost(self.conn, exc):
                raise unreachable(self.url, exc) from exc
            raise

    def _ready(self) -> None:
        """Outside a transaction: a new connection for a closed one (the server came back), and
        none left inside a transaction that nobody will end (its statements would all be refused)."""
        if self._depth:
            return
        if not self.conn.closed and self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            try:
                self.conn.rollback()
            except psycopg.Error:
                self.conn.close()
        if self.conn.closed:
            self.conn = connect(self.url)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._x(sql, params).fetchone()
        return row[0] if row is not None else None

    def _columns(self, table: str) -> list[str]:
        return [r[0] for r in self._x("SELECT column_name FROM information_schema.columns WHERE table_name = %s"
                                      " AND table_schema = current_schema() ORDER BY ordinal_position", [table])]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction queued behind other writers (nested: a savepoint)."""
        if self._depth:
            with self._guard(), self.conn.transaction():
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
            return
        if self._read_only:
            raise StorageError(READ_ONLY)
        with self._guard(), ExitStack() as stack:
            self._begin(stack)
            self._depth = 1
            try:
                self._x(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                self._x("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
                yield
            finally:
                self._depth = 0

    def _begin(self, stack: ExitStack) -> None:
        """BEGIN, on a new connection when the one held had died unseen: nothing was sent yet, so
        the first save after a server restart just works."""
        try:
            self._ready()
            stack.enter_context(self.conn.transaction())
        except psycopg.Error as exc:
            if not lost(self.conn, exc):
                raise
            self.conn.close()
            self.conn = connect(self.url)
            stack.enter_context(self.conn.transaction())

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except psycopg.errors.InsufficientPrivilege as exc:  # a COPY the user's role refused
            raise StorageError(postgres_roles.denied(self.who, exc, "COPY")) from exc
        except psycopg.errors.LockNotAvailable as exc:
            raise StorageError("The catalogue is busy (another user is saving a large change); try again.") from exc
        except psycopg.Error as exc:
            if not lost(self.conn, exc):
                raise
            raise StorageError(f"{unreachable(self.url, exc)} The change was not saved.") from exc

    def integrity_problems(self, quick: bool = False) -> list[str]:
        try:
            missing = self._one("SELECT count(*) FROM items i WHERE (i.words = ' ' AND i.search_text <> '')"
                                " OR NOT EXISTS (SELECT 1 FROM item_lexemes l WHERE l.id = i.id)")
        except StorageError as exc:
            return [str(exc)]
        problems = [f"{missing} item(s) lack their search words"] if missing else []
        return problems if quick else problems + self._postings_problems()

    def _postings_problems(self) -> list[str]:
        """``item_postings`` against the items' words, read in one snapshot (postgres_postings)."""
        try:
            self._ready()
            with self._guard(), self.conn.transaction(), self.conn.cursor() as cur:
                if not self._depth:  # inside a write transaction its own snapshot is the one
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                return postgres_postings.disagreements(cur)
        except StorageError as exc:
            return [str(exc)]

    def snapshot(self, dest: Path) -> None:
        """A single-user SQLite catalogue at ``dest`` holding this one as it was at one moment."""
        from .postgres_copy import to_sqlite

        conn = connect(self.url)
        try:
            to_sqlite(conn, dest)
        except psycopg.OperationalError as exc:
            raise unreachable(self.url, exc) from exc
        finally:
            conn.close()

    def load_sqlite(self, source: Path) -> None:
        """Fill this new, unused catalogue with every row of the SQLite catalogue file ``source``."""
        from .postgres_copy import from_sqlite

        with self._guard():
            from_sqlite(source, self.conn)

    # -- team roles (postgres_roles) -------------------------------------------------------
    def access(self) -> Access:
        with self._guard():
            return postgres_roles.access(self.conn)

    def roles(self) -> postgres_roles.TeamRoles:
        return postgres_roles.TeamRoles(self.conn)

    def agent_for(self, asked: str) -> str:
        """The agent of this connection's events: a team member's database user (the database sets
        it anyway), or what the owner asks (``migrate`` keeps other people's names)."""
        return asked if self.who.may("admin") else self.who.user

    # -- events ----------------------------------------------------------------------------
    def log_event(self, values: Sequence[Any]) -> None:
        self._x(_INSERT_EVENT, values)

    def log_events(self, rows: Iterable[Sequence[Any]]) -> None:
        with self._guard(), self.conn.cursor() as cur:
            cur.adapters.register_dumper(bool, BoolAsInteger)
            with cur.copy(f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)

    def history(self, item_id: int) -> list[dict[str, Any]]:
        return self._x("SELECT * FROM events WHERE item_id = %s ORDER BY id", [item_id], rows=True).fetchall()

    def field_saves_since(self, item_id: int, version: int) -> list[tuple[str, str, str]]:
        return self._x("SELECT field, agent, at FROM events WHERE item_id = %s AND type = 'edit'"
                       " AND field IS NOT NULL AND heritage_event_version(detail) > %s ORDER BY id",
                       [item_id, version]).fetchall()

    # -- the change feed (writers hold WRITER_LOCK, so event ids grow in commit order) ----------
    def latest_event_id(self) -> int:
        return int(self._one("SELECT coalesce(max(id), 0) FROM events"))

    def events_since(self, event_id: int, limit: int) -> list[EventSummary]:
        return self._x("SELECT id, item_id, type, field, agent, at FROM events WHERE id > %s ORDER BY id LIMIT %s",
                       [event_id, limit]).fetchall()

    def watch(self) -> ChangeListener:
        """A listener for the notices every commit that logs events sends (postgres_notify)."""
        return ChangeListener(self.url)

    # -- links to items not in the archive yet ------------------------------------------------
    def add_pending_link(self, item_id: int, field: str, accession: str) -> None:
        self._x("INSERT INTO pending_links (item_id, field, accession) VALUES (%s, %s, %s)"
                " ON CONFLICT (item_id, field) DO UPDATE SET accession = EXCLUDED.accession",
                [item_id, field, accession])

    def pending_links_to(self, accession: str) -> list[tuple[int, str]]:
        return self._x("SELECT item_id, field FROM pending_links WHERE accession = %s ORDER BY item_id",
                       [accession]).fetchall()

    def has_pending_links(self) -> bool:
        return self._x("SELECT 1 FROM pending_links LIMIT 1").fetchone() is not None

    def pending_links_of(self, item_id: int) -> list[tuple[str, str]]:
        return self._x("SELECT field, accession FROM pending_links WHERE item_id = %s ORDER BY field",
                       [item_id]).fetchall()

    def remove_pending_link(self, item_id: int, field: str) -> None:
        self._x("DELETE FROM pending_links WHERE item_id = %s AND field = %s", [item_id, field])


def _check_database(cur: psycopg.Cursor[Any], url: str, create: bool) -> None:
    done = postgres_schema.applied(cur)
    if create and done is not None and _in_use(cur):
        raise StorageError(f"The database {where(url)} already holds an archive's catalogue; give a new, empty "
                           "database for a new team archive (or open the folder that uses it).")
    if create and done is None and postgres_schema.user_tables(cur):
        tables = postgres_schema.user_tables(cur)
        raise StorageError(f"The database {where(url)} is not empty (it holds {len(tables)} table(s), first "
                           f"{tables[0]}); create an empty database for the team archive.")
    if not create and done is None:
        raise StorageError(f"The database {where(url)} holds no archive catalogue; create one with "
                           "`heritage init --catalogue URL DIR`.")


def _in_use(cur: psycopg.Cursor[Any]) -> bool:
    """Whether a catalogue holds anything yet (an unused one, made by IT ahead of ``init``, may be taken)."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM items) OR EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM assets)")
    row = cur.fetchone()
    return bool(row and row[0])
