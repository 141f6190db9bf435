"""Copying a whole catalogue between the two engines: a PostgreSQL catalogue into a new SQLite
file (``to_sqlite``: backups and ``migrate`` out of a team archive) and a SQLite file into a new
PostgreSQL catalogue (``from_sqlite``: ``migrate`` into one). Every row of every table goes as
it is, ids included; the search text travels with its item.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from ..errors import StorageError
from . import postgres_postings, sqlite_db
from .postgres_schema import TABLES
from .postgres_sql import search_columns_and_tokens

_HIDDEN = ("search_text", "words", "word_count")
_BATCH = 5000


def _pg_columns(conn: psycopg.Connection[Any], table: str) -> list[str]:
    rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s"
                        " AND table_schema = current_schema() ORDER BY ordinal_position", [table]).fetchall()
    return [r[0] for r in rows if r[0] not in _HIDDEN]


def _sqlite_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def _same_columns(table: str, pg: list[str], lite: list[str]) -> list[str]:
    if set(pg) != set(lite):
        raise StorageError(f"the two catalogues' {table} tables differ ({sorted(set(pg) ^ set(lite))}); update "
                           "the older one by opening it with this version first. Nothing was copied.")
    return lite


def to_sqlite(conn: psycopg.Connection[Any], dest: Path) -> None:
    """Write the catalogue as it is at one moment (one REPEATABLE READ transaction) into a new
    SQLite catalogue file ``dest``."""
    db = sqlite_db.connect(dest, create=True)
    # a page cache the size of a big catalogue's indexes: with SQLite's 2 MB, 100,000 items
    # inserted in id order thrash the title index (25 s instead of 15 on a busy machine)
    db.conn.execute("PRAGMA cache_size = -262144")
    try:
        with conn.transaction(), sqlite_db.write(db):
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            db.execute("DELETE FROM vocabulary")  # the seed: the catalogue's own terms come instead
            for table in TABLES:
                columns = _same_columns(table, _pg_columns(conn, table), _sqlite_columns(db.conn, table))
                extra = ", search_text" if table == "items" else ""
                insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                for batch in _batches(conn, f"SELECT {', '.join(columns)}{extra} FROM {table} ORDER BY 1"):
                    db.conn.executemany(insert, [row[:len(columns)] for row in batch])
                    if extra:
                        db.conn.executemany("INSERT INTO items_fts (rowid, text) VALUES (?, ?)",
                                            [(row[0], row[-1]) for row in batch])
    finally:
        db.conn.close()


def _batches(conn: psycopg.Connection[Any], sql: str) -> Iterator[list[tuple[Any, ...]]]:
    with conn.cursor(name="heritage_copy") as cur:  # server side: a 100k-item catalogue never sits in memory
        cur.execute(sql)
        while batch := cur.fetchmany(_BATCH):
            yield batch


def from_sqlite(source: Path, conn: psycopg.Connection[Any]) -> None:
    """Copy the SQLite catalogue file ``source`` into the new, empty PostgreSQL catalogue behind
    ``conn`` (its seeded vocabulary is replaced by the source's), in one transaction."""
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        with conn.transaction():
            if conn.execute("SELECT count(*) FROM items").fetchone()[0]:  # type: ignore[index]
                raise StorageError("the team catalogue already holds items; migrate into a new, empty one")
            conn.execute("DELETE FROM vocabulary")
            for table in TABLES:
                columns = _same_columns(table, _pg_columns(conn, table), _sqlite_columns(lite, table))
                _copy_table(lite, conn, table, columns)
            for table in ("assets", "files", "events"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false)"
                             f" FROM {table}")
            # the planner's figures for the new rows now, not when autovacuum comes by
            conn.execute(f"ANALYZE {', '.join(TABLES)}, item_lexemes, item_postings")
    finally:
        lite.close()


def _copy_table(lite: sqlite3.Connection, conn: psycopg.Connection[Any], table: str, columns: list[str]) -> None:
    names = ", ".join(columns)
    if table == "items":
        _copy_items(lite, conn, columns)
        return
    rows = lite.execute(f"SELECT {names} FROM {table} ORDER BY 1")
    with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _copy_items(lite: sqlite3.Connection, conn: psycopg.Connection[Any], columns: list[str]) -> None:
    """Items with their search text, its words, its lexemes and its postings (the search columns
    SQLite keeps in its full-text table), tokenized once."""
    rows = lite.execute(f"SELECT {', '.join('i.' + c for c in columns)}, coalesce(f.text, '') FROM items i"
                        " LEFT JOIN items_fts f ON f.rowid = i.id ORDER BY i.id")
    at = columns.index("id")
    lexemes, tokens = [], []
    with conn.cursor() as cur:
        with cur.copy(f"COPY items ({', '.join(columns)}, search_text, words, word_count) FROM STDIN") as copy:
            for row in rows:
                words, count, item_lexemes, item_tokens = search_columns_and_tokens(row[-1])
                copy.write_row((*row, words, count))
                lexemes.append((row[at], item_lexemes))
                tokens.append((row[at], item_tokens))
        with cur.copy("COPY item_lexemes (id, lexemes) FROM STDIN") as copy:
            for item in lexemes:
                copy.write_row(item)
        postgres_postings.change(cur, postgres_postings.postings_of(tokens), fresh_above=-1)  # in id order; none yet
