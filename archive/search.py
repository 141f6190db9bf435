"""Building catalogue queries (SQL apart from running it, as sqlite-utils does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .text import fts_query

SORTS = {
    "title": "coalesce(i.title_vi, i.title_en) COLLATE NOCASE",
    "accession": "i.accession",
    "updated": "i.updated_at",
    "kind": "i.kind",
    "status": "i.status",
    "period": "i.period",
    "id": "i.id",
}


@dataclass
class SearchQuery:
    text: str = ""
    kind: str | None = None
    collection: str | None = None
    status: str | None = None
    period: str | None = None
    material: str | None = None
    culinary_line: str | None = None
    has_texture: bool | None = None
    sort: str = "relevance"  # relevance (with text) or one of SORTS
    descending: bool = False
    limit: int | None = None
    offset: int = 0


def search_sql(q: SearchQuery) -> tuple[str, list[Any]]:
    """SQL returning matching item ids in display order."""
    where: list[str] = []
    params: list[Any] = []
    match = fts_query(q.text) if q.text else None
    source = "items i"
    if match:
        source = "items_fts f JOIN items i ON i.id = f.rowid"
        where.append("items_fts MATCH ?")
        params.append(match)
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
    sql = f"SELECT i.id FROM {source}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + _order(q, bool(match))
    if q.limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [q.limit, q.offset]
    return sql, params


def _order(q: SearchQuery, has_match: bool) -> str:
    direction = " DESC" if q.descending else ""
    if q.sort == "relevance":
        return "f.rank, i.id" if has_match else f"i.id{direction}"
    column = SORTS.get(q.sort)
    if column is None:
        raise ValueError(f"unknown sort {q.sort!r}; choose relevance or {', '.join(SORTS)}")
    return f"{column}{direction}, i.id"


def rows_sql(ids: Sequence[int]) -> tuple[str, list[Any]]:
    marks = ",".join("?" * len(ids))
    sql = (
        "SELECT i.id, i.accession, i.kind, i.title_vi, i.title_en, i.status, i.period, i.collections,"
        " i.culinary_line, i.materials, i.updated_at,"
        " EXISTS (SELECT 1 FROM assets a WHERE a.item_id = i.id AND a.textured) AS textured,"
        " (SELECT count(*) FROM assets a WHERE a.item_id = i.id) AS asset_count"
        f" FROM items i WHERE i.id IN ({marks})"
    )
    return sql, list(ids)
