"""Building the PostgreSQL catalogue's search queries, with the same hits and order as SQLite's.

SQLite's full-text table (``archive.catalogue.sqlite_sql``) matches every word of the query as
a token of the folded text, the last one as a prefix, and ranks by bm25. Here each item keeps
its tokens in ``words`` as `` tok tok tok `` (one space between, one at each end), so a word is
``LIKE '% word %'`` and the last ``LIKE '% word%'`` (pg_trgm's GIN index answers both), and
``bm25`` below scores the matches with FTS5's formula and constants.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from ..search import SORTS, SearchQuery
from ..text import fold, tokens
from .sqlite_sql import RANK_LIMIT, SORT_COLUMNS

__all__ = ["RANK_LIMIT", "STATS_SQL", "bm25", "hits_sql", "ranking_sql", "patterns", "phrases", "rows_sql",
           "search_sql", "words_of"]

# FTS5's unicode61 tokenizer: runs of letters and digits; everything else (the underscore
# included, which Python's \w keeps) separates tokens.
_TOKEN = re.compile(r"[^\W_]+")
_K1, _B = 1.2, 0.75  # FTS5's bm25 constants


def words_of(search_text: str) -> tuple[str, int]:
    """(``words`` column, token count) of a search text, as FTS5 would tokenize it."""
    found = _TOKEN.findall(fold(search_text))
    return (" " + " ".join(found) + " " if found else " "), len(found)


def phrases(text: str) -> list[list[str]]:
    """The query's phrases as FTS5 sees ``archive.text.fts_query``: each typed word (``\\w+``)
    is a quoted phrase of its tokens."""
    return [parts for parts in (_TOKEN.findall(w) for w in tokens(text)) if parts]


def patterns(text: str) -> list[str]:
    """One LIKE pattern per phrase; the last phrase's last token matches as a prefix."""
    found = phrases(text)
    return [f"% {' '.join(p)}{'%' if n == len(found) - 1 else ' %'}" for n, p in enumerate(found)]


def search_sql(q: SearchQuery) -> tuple[str, list[Any]]:
    """SQL returning matching item ids in display order (unranked: by id for relevance)."""
    where, params = _filters(q)
    for pattern in patterns(q.text) if q.text else []:
        where.insert(0, "i.words LIKE %s")
        params.insert(0, pattern)
    sql = "SELECT i.id FROM items i"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + _order(q)
    if q.limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += [q.limit, q.offset]
    return sql, params


def ranking_sql(q: SearchQuery) -> tuple[str, list[Any]]:
    """(id, words, word_count) of every match, to rank with ``bm25``."""
    sql, params = search_sql(SearchQuery(**{**q.__dict__, "limit": None, "offset": 0, "sort": "id"}))
    return sql.replace("SELECT i.id ", "SELECT i.id, i.words, i.word_count ", 1), params


def hits_sql(pattern: str) -> tuple[str, list[Any]]:
    """How many items hold one phrase (bm25's document frequency), from the trigram index."""
    return "SELECT count(*) FROM items WHERE words LIKE %s", [pattern]


STATS_SQL = "SELECT items, tokens FROM item_stats"
"""bm25's whole-catalogue figures: items, and tokens in all of them."""


def bm25(text: str, matches: Sequence[tuple[int, str, int]], stats: Sequence[int]) -> list[int]:
    """Ids of ``matches`` (id, words, word count) best first, scored as FTS5's bm25() does.
    ``stats``: (items, tokens in all items, items holding phrase 1, phrase 2, …)."""
    found = phrases(text)
    rows, total = int(stats[0]), float(stats[1])
    avgdl = total / rows if rows else 0.0
    idf = [max(math.log((rows - hits + 0.5) / (hits + 0.5)), 0.0) or 1e-6 for hits in stats[2:]]
    scored = []
    for item_id, words, length in matches:
        toks = words.split()
        score = 0.0
        for n, phrase in enumerate(found):
            freq = _count(toks, phrase, prefix=n == len(found) - 1)
            score += idf[n] * freq * (_K1 + 1) / (freq + _K1 * (1 - _B + _B * length / avgdl))
        scored.append((-score, item_id))
    scored.sort()
    return [item_id for _score, item_id in scored]


def _count(toks: list[str], phrase: list[str], prefix: bool) -> int:
    k = len(phrase)
    return sum(1 for i in range(len(toks) - k + 1)
               if toks[i:i + k - 1] == phrase[:-1]
               and (toks[i + k - 1].startswith(phrase[-1]) if prefix else toks[i + k - 1] == phrase[-1]))


def _filters(q: SearchQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for column in ("kind", "status", "period", "culinary_line"):
        value = getattr(q, column)
        if value:
            where.append(f"i.{column} = %s")
            params.append(value)
    for column, value in (("collections", q.collection), ("materials", q.material)):
        if value:
            where.append(f"EXISTS (SELECT 1 FROM json_array_elements_text(i.{column}::json) v WHERE v = %s)")
            params.append(value)
    if q.has_texture is not None:
        exists = "EXISTS (SELECT 1 FROM assets a WHERE a.item_id = i.id AND a.textured <> 0)"
        where.append(exists if q.has_texture else f"NOT {exists}")
    return where, params


def _order(q: SearchQuery) -> str:
    # SQLite puts NULLs first going up and last going down; PostgreSQL the other way round.
    direction = " DESC NULLS LAST" if q.descending else " NULLS FIRST"
    if q.sort == "relevance":
        return "i.id" if q.text else f"i.id{' DESC' if q.descending else ''}"
    column = SORT_COLUMNS.get(q.sort)
    if column is None:
        raise ValueError(f"unknown sort {q.sort!r}; choose relevance or {', '.join(SORTS)}")
    return f"{column}{direction}, i.id"


def rows_sql(ids: Sequence[int]) -> tuple[str, list[Any]]:
    sql = ("SELECT i.id, i.accession, i.kind, i.title_vi, i.title_en, i.status, i.period, i.collections,"
           " i.culinary_line, i.materials, i.updated_at FROM items i WHERE i.id = ANY(%s)")
    return sql, [[int(i) for i in ids]]


def asset_summary_sql(ids: Sequence[int]) -> tuple[str, list[Any]]:
    sql = "SELECT item_id, max(textured), count(*) FROM assets WHERE item_id = ANY(%s) GROUP BY item_id"
    return sql, [[int(i) for i in ids]]
