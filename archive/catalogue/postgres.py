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
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

import psycopg
from psycopg.adapt import Dumper
from psycopg.postgres import types as postgres_types
from psycopg.rows import dict_row

from ..access import Access
from ..errors import StorageError
from . import postgres_postings, postgres_roles, postgres_schema
from .base import EVENT_COLUMNS, EventSummary
from .comparisons_sql import ComparisonsSQL
from .postgres_connect import connect, found_dead_at_once, lost, rerunnable, unreachable, where
from .postgres_notify import ChangeListener
from .postgres_search import PostgresSearch
from .postgres_sql import (
    search_columns_and_tokens,
)
from .records_sql import PostgresRecords
from .sqlite_db import READ_ONLY

WRITER_LOCK = 0x68657269  # "heri": the advisory lock every write transaction holds
LOCK_TIMEOUT = "30s"  # as SQLite's busy timeout: a writer waits this long for another
_HIDDEN = ("search_text", "words", "word_count")  # item columns SQLite keeps in its full-text table
_INSERT_EVENT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})"
_CURRENT_MASTER = ("SELECT uid, storage_dir, main_file FROM assets WHERE item_id = %s"
                   " ORDER BY role IS DISTINCT FROM 'master', id DESC LIMIT 1")


def _value(v: Any) -> Any:
    return int(v) if isinstance(v, bool) else v


class _BoolAsInteger(Dumper):
    """A Python bool as 1 or 0, as SQLite keeps it, for the bulk COPYs: one dumper per cursor
    instead of a function call per value."""

    oid = postgres_types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _TextsById:
    """An item's search text from (id, text) pairs read only as far as needed: a generator of
    them is consumed alongside the rows it belongs to."""

    def __init__(self, pairs: Iterable[tuple[int, str]]) -> None:
        self._pairs = iter(pairs)
        self._read: dict[int, str] = {}

    def __call__(self, item_id: int) -> str:
        while item_id not in self._read:
            pair = next(self._pairs, None)
            if pair is None:
                return ""
            self._read[pair[0]] = pair[1]
        return self._read.pop(item_id)


class PostgresCatalogue(PostgresSearch, PostgresRecords, ComparisonsSQL):  # search; records; comparisons
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

    # -- vocabularies ----------------------------------------------------------------------
    def vocabulary(self, name: str) -> list[tuple[str, str | None]]:
        return self._x("SELECT value, label_en FROM vocabulary WHERE vocabulary = %s ORDER BY folded",
                       [name]).fetchall()

    def vocabulary_names(self) -> list[str]:
        return [r[0] for r in self._x("SELECT DISTINCT vocabulary FROM vocabulary ORDER BY 1")]

    def vocabulary_value(self, name: str, folded: str) -> str | None:
        return self._one("SELECT value FROM vocabulary WHERE vocabulary = %s AND folded = %s", [name, folded])

    def add_vocabulary(self, name: str, value: str, label_en: str, folded: str) -> None:
        self._x("INSERT INTO vocabulary (vocabulary, value, label_en, folded) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING", [name, value, label_en, folded])

    # -- items -----------------------------------------------------------------------------
    def item_row(self, item_id: int) -> dict[str, Any] | None:
        row: dict[str, Any] | None = self._x(f"SELECT {self._item_columns} FROM items WHERE id = %s", [item_id],
                                             rows=True).fetchone()
        return row

    def item_exists(self, item_id: int) -> bool:
        return self._one("SELECT 1 FROM items WHERE id = %s", [item_id]) is not None

    def item_kind(self, item_id: int) -> str | None:
        return self._one("SELECT kind FROM items WHERE id = %s", [item_id])

    def item_id_for_accession(self, accession: str) -> int | None:
        found = self._one("SELECT id FROM items WHERE accession = %s", [accession])
        return int(found) if found is not None else None

    def accessions(self) -> dict[int, str]:
        return dict(self._x("SELECT id, accession FROM items").fetchall())

    def accessions_taken(self, accessions: Sequence[str]) -> set[str]:
        return {r[0] for r in self._x("SELECT accession FROM items WHERE accession = ANY(%s)", [list(accessions)])}

    def next_item_id(self) -> int:
        return int(self._one("SELECT coalesce(max(id), 0) + 1 FROM items"))

    def count_items(self) -> int:
        return int(self._one("SELECT count(*) FROM items"))

    def insert_item(self, row: dict[str, Any], search_text: str) -> int:
        """Insert one item with its search text; returns its id (one more than the largest, as SQLite)."""
        row = dict(row)
        given = row.pop("id", None)
        words, count, lexemes, tokens = search_columns_and_tokens(search_text)
        names = ["id", *row, "search_text", "words", "word_count"]
        first = "%s" if given is not None else "(SELECT coalesce(max(id), 0) + 1 FROM items)"
        values = ", ".join([first, *["%s"] * (len(names) - 1)])
        params = [*([given] if given is not None else []), *row.values(), search_text, words, count]
        item_id = int(self._one(f"INSERT INTO items ({', '.join(names)}) VALUES ({values}) RETURNING id", params))
        self._x("INSERT INTO item_lexemes (id, lexemes) VALUES (%s, %s::tsvector)", [item_id, lexemes])
        with self._guard():
            postgres_postings.change(self.conn.cursor(), postgres_postings.postings_of([(item_id, tokens)]))
        return item_id

    def insert_items(self, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                     search_texts: Iterable[tuple[int, str]]) -> None:
        """Insert many items at once (``columns`` include ``id``) with COPY. ``search_texts`` is read
        as the rows are (in the same order is best), so both may be generators converting each item
        while the server indexes the one before."""
        text_of = _TextsById(search_texts)
        at = list(columns).index("id")
        lexemes, tokens = [], []
        largest = self._one("SELECT max(id) FROM items")  # postings of higher blocks are all new
        with self._guard(), self.conn.cursor() as cur:
            cur.adapters.register_dumper(bool, _BoolAsInteger)
            with cur.copy(f"COPY items ({', '.join(columns)}, search_text, words, word_count) FROM STDIN") as copy:
                for values in rows:
                    text = text_of(values[at])
                    words, count, item_lexemes, item_tokens = search_columns_and_tokens(text)
                    copy.write_row((*values, text, words, count))
                    lexemes.append((values[at], item_lexemes))
                    tokens.append((values[at], item_tokens))
            with ThreadPoolExecutor(1) as pool:  # the postings are worked out while the server indexes the lexemes
                postings = pool.submit(postgres_postings.postings_of, sorted(tokens, key=itemgetter(0)))
                with cur.copy("COPY item_lexemes (id, lexemes) FROM STDIN") as copy:
                    for item in lexemes:
                        copy.write_row(item)
                postgres_postings.change(cur, postings.result(), fresh_above=-1 if largest is None
                                         else largest >> postgres_postings.BLOCK_BITS)

    def update_item(self, item_id: int, row: dict[str, Any], search_text: str | None = None) -> None:
        row = dict(row)
        if search_text is not None:
            words, count, lexemes, tokens = search_columns_and_tokens(search_text)
            row.update(search_text=search_text, words=words, word_count=count)
            self._x("INSERT INTO item_lexemes (id, lexemes) VALUES (%s, %s::tsvector)"
                    " ON CONFLICT (id) DO UPDATE SET lexemes = EXCLUDED.lexemes", [item_id, lexemes])
            self._move_postings(item_id, tokens)
        sets = ", ".join(f"{k} = %s" for k in row)
        self._x(f"UPDATE items SET {sets} WHERE id = %s", [*row.values(), item_id])

    def _move_postings(self, item_id: int, tokens: set[str] | None) -> None:
        """Take an item out of the postings of the tokens it no longer holds, add it to its new ones."""
        old = postgres_postings.tokens_of(self._one("SELECT words FROM items WHERE id = %s", [item_id]) or "")
        new = tokens or set()
        plus, minus = (postgres_postings.postings_of([(item_id, part)]) for part in (new - old, old - new))
        with self._guard():
            postgres_postings.change(self.conn.cursor(), plus, minus)

    def unlink_serving_vessel(self, vessel_id: int) -> list[tuple[int, int]]:
        return [(r[0], r[1]) for r in self._x(
            "UPDATE items SET serving_vessel = NULL, version = version + 1 WHERE serving_vessel = %s"
            " RETURNING id, version", [vessel_id]).fetchall()]

    def delete_item(self, item_id: int) -> None:
        self._x("DELETE FROM files WHERE asset_id IN (SELECT id FROM assets WHERE item_id = %s)", [item_id])
        self._x("DELETE FROM assets WHERE item_id = %s", [item_id])
        self._x("DELETE FROM item_lexemes WHERE id = %s", [item_id])
        self._move_postings(item_id, None)
        self._x("DELETE FROM items WHERE id = %s", [item_id])

    def collections(self) -> list[str]:
        return [r[0] for r in self._x(
            "SELECT DISTINCT j COLLATE \"C\" FROM items, json_array_elements_text(items.collections::json) j"
            " ORDER BY 1")]

    # -- assets and files ------------------------------------------------------------------
    def asset_rows(self, item_id: int) -> list[dict[str, Any]]:
        return self._x("SELECT * FROM assets WHERE item_id = %s ORDER BY id", [item_id], rows=True).fetchall()

    def file_rows(self, asset_id: int) -> list[dict[str, Any]]:
        return self._x("SELECT path, sha256, bytes FROM files WHERE asset_id = %s ORDER BY id",
                       [asset_id], rows=True).fetchall()

    def asset_columns(self) -> set[str]:
        return set(self._columns("assets"))

    def insert_asset(self, row: dict[str, Any], files: Iterable[tuple[str, str, int]]) -> int:
        names = ", ".join(row)
        asset_id = int(self._one(f"INSERT INTO assets ({names}) VALUES ({', '.join(['%s'] * len(row))}) RETURNING id",
                                 list(row.values())))
        for path, sha256, size in files:
            self._x("INSERT INTO files (asset_id, path, sha256, bytes) VALUES (%s, %s, %s, %s)",
                    [asset_id, path, sha256, size])
        return asset_id

    def asset_row(self, asset_id: int) -> dict[str, Any] | None:
        row: dict[str, Any] | None = self._x("SELECT * FROM assets WHERE id = %s", [asset_id], rows=True).fetchone()
        return row

    def update_asset(self, asset_id: int, row: dict[str, Any]) -> None:
        sets = ", ".join(f"{k} = %s" for k in row)
        self._x(f"UPDATE assets SET {sets} WHERE id = %s", [*row.values(), asset_id])

    def current_master(self, item_id: int) -> tuple[str, str, str] | None:
        row = self._x(_CURRENT_MASTER, [item_id]).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def item_with_master_bytes(self, sha256: str) -> int | None:
        found = self._one("SELECT a.item_id FROM files f JOIN assets a ON a.id = f.asset_id"
                          " WHERE f.sha256 = %s AND f.path = a.main_file LIMIT 1", [sha256])
        return int(found) if found is not None else None

    def has_storage_dir(self, storage_dir: str) -> bool:
        return self._one("SELECT 1 FROM assets WHERE storage_dir = %s", [storage_dir]) is not None

    def asset_count(self) -> int:
        return int(self._one("SELECT count(*) FROM assets"))

    def storage_dirs(self) -> set[str]:
        return {r[0] for r in self._x("SELECT storage_dir FROM assets")}

    def fixity_rows(self) -> list[tuple[int, str, str, str, int]]:
        return self._x("SELECT a.item_id, a.storage_dir, f.path, f.sha256, f.bytes FROM files f"
                       " JOIN assets a ON a.id = f.asset_id ORDER BY a.id, f.id").fetchall()

    # -- events ----------------------------------------------------------------------------
    def log_event(self, values: Sequence[Any]) -> None:
        self._x(_INSERT_EVENT, values)

    def log_events(self, rows: Iterable[Sequence[Any]]) -> None:
        with self._guard(), self.conn.cursor() as cur:
            cur.adapters.register_dumper(bool, _BoolAsInteger)
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
