"""The SQLite catalogue engine: every read and write of a single-user archive's catalogue.

``archive.Archive`` decides what to read and write (validation, events, files); this class
only says how, in SQL. Values arrive as column values (``archive.records.to_row``) and leave
as plain rows (dicts or tuples); nothing here knows about fields' meaning. A second engine
implements the same methods (see ``archive.catalogue.base.Catalogue``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlite_utils import Database

from ..search import SearchQuery
from . import sqlite_db
from .base import EVENT_COLUMNS, EventLogPoller, EventSummary
from .comparisons_sql import ComparisonsSQL
from .records_sql import SQLiteRecords
from .sqlite_sql import RANK_LIMIT, asset_summary_sql, rows_sql, search_sql

_INSERT_EVENT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
_CURRENT_MASTER = ("SELECT uid, storage_dir, main_file FROM assets WHERE item_id = ?"
                   " ORDER BY role != 'master', id DESC LIMIT 1")


class SQLiteCatalogue(SQLiteRecords, ComparisonsSQL):  # research records: records_sql; comparisons_sql
    """One connection to ``catalogue.sqlite``: open one per thread."""

    def __init__(self, db: Database):
        self.db = db  # tests poke SQL through it (Archive.db); nothing else outside this package does

    @classmethod
    def open(cls, path: Path, create: bool = False, read_only: bool = False) -> SQLiteCatalogue:
        """Open (or create) the catalogue file and bring its schema up to date."""
        return cls(sqlite_db.connect(path, create=create, read_only=read_only))

    def close(self) -> None:
        self.db.conn.close()

    @property
    def read_only(self) -> bool:
        return sqlite_db.is_read_only(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (nested: a savepoint); see ``sqlite_db.write``."""
        with sqlite_db.write(self.db):
            yield

    def integrity_problems(self, quick: bool = False) -> list[str]:
        return sqlite_db.integrity_problems(self.db, quick)

    def snapshot(self, dest: Path) -> None:
        """A consistent copy of the catalogue at ``dest``, taken while others may write."""
        target = sqlite3.connect(dest)
        try:
            with target:
                self.db.conn.backup(target)
        finally:
            target.close()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.db.execute(sql, list(params)).fetchone()
        return row[0] if row is not None else None

    # -- vocabularies ----------------------------------------------------------------------
    def vocabulary(self, name: str) -> list[tuple[str, str | None]]:
        """(value, English label) of vocabulary ``name``, in folded order."""
        return self.db.execute("SELECT value, label_en FROM vocabulary WHERE vocabulary = ? ORDER BY folded",
                               [name]).fetchall()

    def vocabulary_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT vocabulary FROM vocabulary ORDER BY 1")]

    def vocabulary_value(self, name: str, folded: str) -> str | None:
        return self._one("SELECT value FROM vocabulary WHERE vocabulary = ? AND folded = ?", [name, folded])

    def add_vocabulary(self, name: str, value: str, label_en: str, folded: str) -> None:
        """Adds the value unless a value with the same folded form is there."""
        self.db.execute("INSERT OR IGNORE INTO vocabulary (vocabulary, value, label_en, folded) VALUES (?,?,?,?)",
                        [name, value, label_en, folded])

    # -- items -----------------------------------------------------------------------------
    def item_row(self, item_id: int) -> dict[str, Any] | None:
        cursor = self.db.execute("SELECT * FROM items WHERE id = ?", [item_id])
        row = cursor.fetchone()
        return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))

    def item_exists(self, item_id: int) -> bool:
        return self._one("SELECT 1 FROM items WHERE id = ?", [item_id]) is not None

    def item_kind(self, item_id: int) -> str | None:
        return self._one("SELECT kind FROM items WHERE id = ?", [item_id])

    def item_id_for_accession(self, accession: str) -> int | None:
        found = self._one("SELECT id FROM items WHERE accession = ?", [accession])
        return int(found) if found is not None else None

    def accessions(self) -> dict[int, str]:
        return dict(self.db.execute("SELECT id, accession FROM items").fetchall())

    def accessions_taken(self, accessions: Sequence[str]) -> set[str]:
        return {r[0] for r in self.db.execute(
            "SELECT accession FROM items WHERE accession IN (SELECT value FROM json_each(?))",
            [json.dumps(list(accessions))])}

    def next_item_id(self) -> int:
        return int(self._one("SELECT coalesce(max(id), 0) + 1 FROM items"))

    def count_items(self) -> int:
        return int(self._one("SELECT count(*) FROM items"))

    def insert_item(self, row: dict[str, Any], search_text: str) -> int:
        """Insert one item (column values) with its search text; returns its id."""
        cursor = self.db.execute(f"INSERT INTO items ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                                 list(row.values()))
        item_id = int(cursor.lastrowid or 0)
        self.db.execute("INSERT INTO items_fts (rowid, text) VALUES (?, ?)", [item_id, search_text])
        return item_id

    def insert_items(self, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                     search_texts: Iterable[tuple[int, str]]) -> None:
        """Insert many items at once (``columns`` include ``id``) and their search texts."""
        sql = f"INSERT INTO items ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.db.conn.executemany(sql, rows)
        self.db.conn.executemany("INSERT INTO items_fts (rowid, text) VALUES (?, ?)", search_texts)

    def update_item(self, item_id: int, row: dict[str, Any], search_text: str | None = None) -> None:
        """Set the columns in ``row`` (and the search text, when given)."""
        sets = ", ".join(f"{k} = ?" for k in row)
        self.db.execute(f"UPDATE items SET {sets} WHERE id = ?", [*row.values(), item_id])
        if search_text is not None:
            self.db.execute("UPDATE items_fts SET text = ? WHERE rowid = ?", [search_text, item_id])

    def unlink_serving_vessel(self, vessel_id: int) -> list[tuple[int, int]]:
        """Clear the serving-vessel link of every item pointing at ``vessel_id``; returns each
        (item id, its new version)."""
        linked = [r[0] for r in self.db.execute("SELECT id FROM items WHERE serving_vessel = ?", [vessel_id])]
        return [(item_id, self._one("UPDATE items SET serving_vessel = NULL, version = version + 1 WHERE id = ?"
                                    " RETURNING version", [item_id])) for item_id in linked]

    def delete_item(self, item_id: int) -> None:
        """Remove the item's row, search text, assets and their file rows."""
        self.db.execute("DELETE FROM files WHERE asset_id IN (SELECT id FROM assets WHERE item_id = ?)", [item_id])
        self.db.execute("DELETE FROM assets WHERE item_id = ?", [item_id])
        self.db.execute("DELETE FROM items_fts WHERE rowid = ?", [item_id])
        self.db.execute("DELETE FROM items WHERE id = ?", [item_id])

    def collections(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT j.value FROM items, json_each(items.collections) j ORDER BY 1")]

    # -- search and display rows -----------------------------------------------------------
    def search_ids(self, query: SearchQuery) -> list[int]:
        """Ids of the matching items in display order (all of them: the caller pages)."""
        by_relevance = bool(query.text) and query.sort == "relevance"
        ids = self._ids(*search_sql(query, ranked=not by_relevance))
        if by_relevance and 1 < len(ids) <= RANK_LIMIT:
            ids = self._ids(*search_sql(query, ranked=True))
        return ids

    def _ids(self, sql: str, params: list[Any]) -> list[int]:
        # One string from SQLite parsed by numpy is ~3× faster than a row per id.
        text = self._one(f"SELECT group_concat(id) FROM ({sql})", params)
        return np.fromstring(text, dtype=np.int64, sep=",").tolist() if text else []

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Display rows for ``ids`` (a visible page), in the order given."""
        if not ids:
            return []
        cursor = self.db.execute(*rows_sql(ids))
        columns = [d[0] for d in cursor.description]
        summary = {item: (bool(textured), count) for item, textured, count in
                   self.db.execute(*asset_summary_sql(ids))}
        by_id = {}
        for values in cursor:
            row = dict(zip(columns, values, strict=True))
            for name in ("collections", "materials"):
                row[name] = json.loads(row[name]) if row[name] and row[name] != "[]" else []
            row["title"] = row["title_vi"] or row["title_en"] or row["accession"]
            row["textured"], row["asset_count"] = summary.get(row["id"], (False, 0))
            by_id[row["id"]] = row
        return [by_id[i] for i in ids if i in by_id]

    # -- assets and files ------------------------------------------------------------------
    def asset_rows(self, item_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM assets WHERE item_id = ? ORDER BY id", [item_id]))

    def file_rows(self, asset_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT path, sha256, bytes FROM files WHERE asset_id = ? ORDER BY id",
                                  [asset_id]))

    def asset_columns(self) -> set[str]:
        return {row[1] for row in self.db.execute("PRAGMA table_info(assets)").fetchall()}

    def insert_asset(self, row: dict[str, Any], files: Iterable[tuple[str, str, int]]) -> int:
        """Insert an asset (column values) and its (path, sha256, bytes) files; returns its id."""
        cursor = self.db.execute(f"INSERT INTO assets ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                                 list(row.values()))
        asset_id = int(cursor.lastrowid or 0)
        self.db.conn.executemany("INSERT INTO files (asset_id, path, sha256, bytes) VALUES (?,?,?,?)",
                                 [(asset_id, *f) for f in files])
        return asset_id

    def asset_row(self, asset_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM assets WHERE id = ?", [asset_id]))
        return rows[0] if rows else None

    def update_asset(self, asset_id: int, row: dict[str, Any]) -> None:
        """Set the columns in ``row`` (names come from ASSET_FIELDS, never from input)."""
        sets = ", ".join(f"{k} = ?" for k in row)
        self.db.execute(f"UPDATE assets SET {sets} WHERE id = ?", [*row.values(), asset_id])

    def current_master(self, item_id: int) -> tuple[str, str, str] | None:
        """(uid, storage_dir, main_file) of the item's newest master asset, else its newest asset."""
        row = self.db.execute(_CURRENT_MASTER, [item_id]).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def item_with_master_bytes(self, sha256: str) -> int | None:
        """The item holding an asset whose main file has these bytes."""
        found = self._one("SELECT a.item_id FROM files f JOIN assets a ON a.id = f.asset_id"
                          " WHERE f.sha256 = ? AND f.path = a.main_file LIMIT 1", [sha256])
        return int(found) if found is not None else None

    def has_storage_dir(self, storage_dir: str) -> bool:
        return self._one("SELECT 1 FROM assets WHERE storage_dir = ?", [storage_dir]) is not None

    def asset_count(self) -> int:
        return int(self._one("SELECT count(*) FROM assets"))

    def storage_dirs(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT storage_dir FROM assets")}

    def fixity_rows(self) -> list[tuple[int, str, str, str, int]]:
        """(item_id, storage_dir, path, sha256, bytes) of every stored file, by asset and file."""
        return self.db.execute("SELECT a.item_id, a.storage_dir, f.path, f.sha256, f.bytes FROM files f"
                               " JOIN assets a ON a.id = f.asset_id ORDER BY a.id, f.id").fetchall()

    # -- events ----------------------------------------------------------------------------
    def log_event(self, values: Sequence[Any]) -> None:
        """Append one event: values in ``EVENT_COLUMNS`` order."""
        self.db.execute(_INSERT_EVENT, list(values))

    def log_events(self, rows: Iterable[Sequence[Any]]) -> None:
        self.db.conn.executemany(_INSERT_EVENT, rows)

    def history(self, item_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM events WHERE item_id = ? ORDER BY id", [item_id]))

    def field_saves_since(self, item_id: int, version: int) -> list[tuple[str, str, str]]:
        """(field, agent, at) of each field edit of the item that made a version after ``version``."""
        return self.db.execute(
            "SELECT field, agent, at FROM events WHERE item_id = ? AND type = 'edit' AND field IS NOT NULL"
            " AND (CASE WHEN json_valid(detail) THEN json_extract(detail, '$.version') END) > ? ORDER BY id",
            [item_id, version]).fetchall()

    # -- the change feed: events others logged (one writer at a time: ids grow in commit order) ---
    def latest_event_id(self) -> int:
        try:
            return int(self._one("SELECT coalesce(max(id), 0) FROM events"))
        except sqlite3.Error as exc:  # polled on a timer: a drive gone is a message, not a traceback
            raise sqlite_db.storage_error(exc, doing="reading the latest changes") from exc

    def events_since(self, event_id: int, limit: int) -> list[EventSummary]:
        try:
            return self.db.execute("SELECT id, item_id, type, field, agent, at FROM events"
                                   " WHERE id > ? ORDER BY id LIMIT ?",
                                   [event_id, limit]).fetchall()
        except sqlite3.Error as exc:
            raise sqlite_db.storage_error(exc, doing="reading the latest changes") from exc

    def watch(self) -> EventLogPoller:
        """SQLite cannot notify another process: the watcher polls the newest event id."""
        return EventLogPoller(self.latest_event_id)

    # -- links to items not in the archive yet (schema 005_pending_links) -------------------
    def add_pending_link(self, item_id: int, field: str, accession: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO pending_links (item_id, field, accession) VALUES (?, ?, ?)",
                        [item_id, field, accession])

    def pending_links_to(self, accession: str) -> list[tuple[int, str]]:
        return self.db.execute("SELECT item_id, field FROM pending_links WHERE accession = ? ORDER BY item_id",
                               [accession]).fetchall()

    def has_pending_links(self) -> bool:
        return self.db.execute("SELECT 1 FROM pending_links LIMIT 1").fetchone() is not None

    def pending_links_of(self, item_id: int) -> list[tuple[str, str]]:
        return self.db.execute("SELECT field, accession FROM pending_links WHERE item_id = ? ORDER BY field",
                               [item_id]).fetchall()

    def remove_pending_link(self, item_id: int, field: str) -> None:
        self.db.execute("DELETE FROM pending_links WHERE item_id = ? AND field = ?", [item_id, field])
