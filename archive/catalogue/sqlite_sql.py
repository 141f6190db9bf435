"""Building the SQLite catalogue's search queries (SQL apart from running it, as sqlite-utils does)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..search import SORTS, SearchQuery
from ..text import fts_query

SORT_COLUMNS = {
    "title": "i.sort_title",
    "accession": "i.accession",
    "updated": "i.updated_at",
    "kind": "i.kind",
    "status": "i.status",
    "period": "i.period",
    "id": "i.id",
}
# One column per name in archive.search.SORTS (test_one_door checks they agree).


RANK_LIMIT = 2000
"""Above this many text matches, results come in catalogue order instead of by relevance:
ranking (bm25) costs ~2 µs a match, and nobody reads thousands of results in rank order."""


def search_sql(q: SearchQuery, ranked: bool = True) -> tuple[str, list[Any]]:
    """SQL returning matching item ids in display order (one id per row)."""
    match = fts_query(q.text) if q.text else None
    where, params = _filters(q)
    if match and not where and q.sort == "relevance":
        # Fast path: the full-text index alone, no join with items.
        # Unranked, FTS5 already yields ascending rowids: an ORDER BY would only add a sort.
        order = " ORDER BY rank" if ranked else ""
        sql = f"SELECT rowid AS id FROM items_fts WHERE items_fts MATCH ?{order}"
        return _page(sql, [match], q)
    source = "items i"
    if match:
        # CROSS JOIN keeps the text index as the outer loop; without it the planner may
        # walk a filter index and query the text index once per row (seconds at 100k).
        source = "items_fts f CROSS JOIN items i ON i.id = f.rowid"
        where.insert(0, "items_fts MATCH ?")
        params.insert(0, match)
    sql = f"SELECT i.id FROM {source}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + _order(q, bool(match), ranked)
    return _page(sql, params, q)


def _filters(q: SearchQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for column in ("kind", "status", "period", "culinary_line"):
        value = getattr(q, column)
        if value:
            where.append(f"i.{column} = ?")
            params.append(value)
    for column, value in (("collections", q.collection), ("materials", q.material)):
        if value:
            where.append(f"EXISTS (SELECT 1 FROM json_each(i.{column}) WHERE value = ?)")
            params.append(value)
    if q.has_texture is not None:
        exists = "EXISTS (SELECT 1 FROM assets a WHERE a.item_id = i.id AND a.textured)"
        where.append(exists if q.has_texture else f"NOT {exists}")
    return where, params


def _page(sql: str, params: list[Any], q: SearchQuery) -> tuple[str, list[Any]]:
    if q.limit is not None:
        return sql + " LIMIT ? OFFSET ?", [*params, q.limit, q.offset]
    return sql, params


def _order(q: SearchQuery, has_match: bool, ranked: bool) -> str:
    direction = " DESC" if q.descending else ""
    if q.sort == "relevance":
        if has_match:
            return "f.rank, i.id" if ranked else "i.id"
        return f"i.id{direction}"
    column = SORT_COLUMNS.get(q.sort)
    if column is None:
        raise ValueError(f"unknown sort {q.sort!r}; choose relevance or {', '.join(SORTS)}")
    return f"{column}{direction}, i.id"


def _id_list(ids: Sequence[int]) -> str:
    """The ids as one JSON parameter: a list of any length is one SQL variable (a variable per id
    fails with "too many SQL variables" at SQLite's limit, 250,000 or far less on some builds)."""
    return json.dumps([int(i) for i in ids])


def rows_sql(ids: Sequence[int]) -> tuple[str, list[Any]]:
    sql = (
        "SELECT i.id, i.accession, i.kind, i.title_vi, i.title_en, i.status, i.period, i.collections,"
        " i.culinary_line, i.materials, i.updated_at"
        " FROM items i WHERE i.id IN (SELECT value FROM json_each(?))"
    )
    return sql, [_id_list(ids)]


def asset_summary_sql(ids: Sequence[int]) -> tuple[str, list[Any]]:
    sql = ("SELECT item_id, max(textured), count(*) FROM assets"
           " WHERE item_id IN (SELECT value FROM json_each(?)) GROUP BY item_id")
    return sql, [_id_list(ids)]
