"""The PostgreSQL catalogue's search and display rows: ids in display order, ranked as SQLite
ranks them (bm25 over the phrases' document counts), and a page of display rows.

A mixin of ``PostgresCatalogue``, which runs the statements (``_x``, ``_one``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..search import SearchQuery
from . import postgres_postings
from .postgres_sql import (
    RANK_LIMIT,
    STATS_SQL,
    bm25,
    hits_sql,
    phrases,
    ranking_sql,
    rows_sql,
    search_sql,
    search_terms,
)

if TYPE_CHECKING:
    import psycopg

_ARRAY_ITEM = np.dtype([("size", ">i4"), ("id", ">i8")])  # one element of a binary bigint array


class _ListColumns:
    """A page's JSON list columns (collections, materials) parsed once per distinct text: a page
    repeats a few collections two hundred times. Each row gets its own list."""

    def __init__(self) -> None:
        self._parsed: dict[str, list[Any]] = {}

    def __call__(self, text: str | None) -> list[Any]:
        if not text or text == "[]":
            return []
        parsed = self._parsed.get(text)
        if parsed is None:
            parsed = self._parsed[text] = json.loads(text)
        return list(parsed)


class PostgresSearch:
    """``search_ids`` and ``rows`` of the PostgreSQL catalogue."""

    _hits: dict[tuple[tuple[str, ...], bool], int]  # bm25's document counts, while _hits_of holds
    _hits_of: str

    if TYPE_CHECKING:
        def _x(self, sql: str, params: Sequence[Any] = (), rows: bool = False, binary: bool = False
               ) -> psycopg.Cursor[Any]: ...

        def _one(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def search_ids(self, query: SearchQuery) -> list[int]:
        """Ids of the matching items in display order; by relevance they are ranked as SQLite ranks."""
        search = search_sql(query)
        if not search.sort_here:
            return self._ids(search.sql, search.params).tolist()
        if search.terms:  # typed words alone: their postings, whatever their hits (postgres_postings)
            rows = self._x(*postgres_postings.matching_sql(search.terms), binary=True).fetchall()
            matches = postgres_postings.combine(rows, len(search.terms))
        else:
            matches = np.sort(self._ids(search.sql, search.params))
        ordered = matches[::-1] if search.descending else matches
        end = None if query.limit is None else query.offset + query.limit
        ids: list[int] = ordered[query.offset:end].tolist()
        if query.text and query.sort == "relevance" and 1 < len(ids) <= RANK_LIMIT:
            scored = self._x(*ranking_sql(matches.tolist())).fetchall()
            ids = bm25(query.text, scored, self._bm25_stats(query, len(scored)))[query.offset:end]
        return ids

    def _ids(self, sql: str, params: Sequence[Any]) -> np.ndarray:
        """The ids a query returns, as one binary array: 100,000 rows one by one cost far more."""
        row = self._x(f"SELECT array_send(array_agg(id)) FROM ({sql}) m", params, binary=True).fetchone()
        if row is None or row[0] is None:
            return np.zeros(0, dtype=np.int64)
        # array_send: a 20-byte header (dimensions, flags, type, length, lower bound), then a
        # 4-byte length and an 8-byte big-endian value per id
        return np.frombuffer(row[0], dtype=_ARRAY_ITEM, offset=20)["id"].astype(np.int64)

    def _bm25_stats(self, query: SearchQuery, matched: int) -> list[int]:
        items, tokens, version = self._x(STATS_SQL).fetchone() or (0, 0, "")
        found = phrases(query.text)
        filtered = any(getattr(query, f) for f in ("kind", "status", "period", "culinary_line", "collection",
                                                    "material")) or query.has_texture is not None
        if len(found) == 1 and not filtered:
            return [items, tokens, matched]  # the matches are the phrase's documents
        if version != self._hits_of or len(self._hits) > 1000:
            self._hits, self._hits_of = {}, version
        return [items, tokens, *(self._phrase_hits(found, n) for n in range(len(found)))]

    def _phrase_hits(self, found: list[list[str]], n: int) -> int:
        """Items holding phrase ``n`` of ``found``, kept until items change: a query typed word by
        word asks for its first words' counts again at every key."""
        key = (tuple(found[n]), n == len(found) - 1)
        if key not in self._hits:
            terms = search_terms([found[n]], prefix_last=key[1])
            if terms:  # one token: its postings count it (GIN would visit every item holding it)
                rows = self._x(*postgres_postings.matching_sql(terms), binary=True).fetchall()
                self._hits[key] = len(postgres_postings.combine(rows, 1))
            else:
                self._hits[key] = int(self._one(*hits_sql(found, n)))
        return self._hits[key]

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        listed = _ListColumns()
        by_id = {}
        # ROW_COLUMNS in order, as one dict display: five times faster than zip and a loop per row
        for (item_id, accession, kind, title_vi, title_en, status, period, collections, culinary_line, materials,
             updated_at, textured, asset_count) in self._x(*rows_sql(ids)).fetchall():
            by_id[item_id] = {"id": item_id, "accession": accession, "kind": kind, "title_vi": title_vi,
                              "title_en": title_en, "status": status, "period": period,
                              "collections": listed(collections), "culinary_line": culinary_line,
                              "materials": listed(materials), "updated_at": updated_at,
                              "title": title_vi or title_en or accession, "textured": bool(textured),
                              "asset_count": asset_count}
        return [by_id[i] for i in ids if i in by_id]
