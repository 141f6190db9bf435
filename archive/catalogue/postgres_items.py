"""Items, their assets and files, and vocabularies in the PostgreSQL catalogue: the rows behind
``archive.Archive``'s items. ``PostgresItems`` is mixed into ``PostgresCatalogue``, which runs the
statements (``_x``, ``_one``) on its connection. An item's words are kept in three forms as it is
written: its text (``words``), its lexemes (``item_lexemes``, for ranking) and its postings
(``item_postings``, for finding it: postgres_postings)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from psycopg.adapt import Dumper
from psycopg.postgres import types as postgres_types

from . import postgres_postings
from .postgres_sql import search_columns_and_tokens

if TYPE_CHECKING:
    import psycopg

_CURRENT_MASTER = ("SELECT uid, storage_dir, main_file FROM assets WHERE item_id = %s"
                   " ORDER BY role IS DISTINCT FROM 'master', id DESC LIMIT 1")


class BoolAsInteger(Dumper):
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


class PostgresItems:
    """The catalogue's items, assets, files and vocabularies (see the module docstring)."""

    _item_columns: str  # the items' columns but the search ones, as every item row is read

    if TYPE_CHECKING:
        conn: psycopg.Connection[Any]

        def _x(self, sql: str, params: Sequence[Any] = (), rows: bool = False, binary: bool = False
               ) -> psycopg.Cursor[Any]: ...

        def _one(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

        def _columns(self, table: str) -> list[str]: ...

        def _guard(self) -> AbstractContextManager[None]: ...

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
            cur.adapters.register_dumper(bool, BoolAsInteger)
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
