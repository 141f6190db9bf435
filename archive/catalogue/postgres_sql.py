"""Building the PostgreSQL catalogue's search queries, with the same hits and order as SQLite's.

SQLite's full-text table (``archive.catalogue.sqlite_sql``) matches every typed word of the query
as a phrase of tokens of the folded text, the last phrase's last token as a prefix, and ranks by
bm25. Here each item keeps its tokens twice:

- ``items.words``: the tokens in order, `` tok tok tok `` (one space between, one at each end), so
  a phrase is ``LIKE '% a b %'`` (the last one ``'% a b%'``); ``bm25`` below counts phrases in it.
- ``item_lexemes.lexemes``: the set of its distinct tokens as a tsvector under a GIN index, in a
  narrow table of its own so that a search matching most of the catalogue reads few pages. A
  token is the lexeme ``'a'``, the last one the prefix ``'a':*``.

A search is answered by the GIN index alone; only a phrase of several tokens (``bowl_rim``) and a
token too long for a lexeme are checked again against ``words``. An item whose distinct tokens
would overflow a tsvector (1 MB) has NULL lexemes and is matched against ``words`` alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..search import SORTS, SearchQuery
from ..text import tokens
from .sqlite_sql import RANK_LIMIT, SORT_COLUMNS

__all__ = ["RANK_LIMIT", "ROW_COLUMNS", "STATS_SQL", "IdSearch", "bm25", "hits_sql", "phrases", "lexemes_of",
           "ranking_sql", "rows_sql", "search_columns", "search_sql", "search_terms"]

# FTS5's unicode61 tokenizer: runs of letters and digits; everything else (the underscore
# included, which Python's \w keeps) separates tokens. So a token never holds a quote, a
# backslash, a space, % or _: it goes into tsvector, tsquery and LIKE text as it is.
_TOKEN = re.compile(r"[^\W_]+")
_K1, _B = 1.2, 0.75  # FTS5's bm25 constants
LEXEME_CHARS = 500
"""A lexeme holds at most 2,047 bytes: a longer token keeps its first 500 characters (of up to 4
bytes each) as its lexeme, and a query token that long is checked again against ``words``."""
_LEXEMES_BYTES = (1 << 20) - 1  # PostgreSQL's limit on the lexemes of one tsvector


def search_columns(search_text: str) -> tuple[str, int, str | None]:
    """(``words``, token count, ``lexemes`` as tsvector text or None) of an item's search text
    (``archive.records.search_text``: folded already), tokenized as FTS5 tokenizes it. Not folded
    again: folding twice is not folding once ("ẞ" -> "ß" -> "ss"), and costs a pass per item."""
    words, count, lexemes, _tokens = search_columns_and_tokens(search_text)
    return words, count, lexemes


def search_columns_and_tokens(search_text: str) -> tuple[str, int, str | None, set[str]]:
    """``search_columns`` and the item's distinct tokens cut as lexemes are (``postgres_postings``)."""
    found = _TOKEN.findall(search_text)
    words = " " + " ".join(found) + " " if found else " "
    distinct = distinct_lexemes(found)
    return words, len(found), lexemes_text(distinct), distinct


def lexemes_of(found: list[str]) -> str | None:
    """The tokens ``found`` as tsvector text (their distinct lexemes), or None when they would overflow one."""
    return lexemes_text(distinct_lexemes(found))


def distinct_lexemes(found: list[str]) -> set[str]:
    """The distinct tokens of ``found``, each cut to ``LEXEME_CHARS``."""
    distinct = set(found)
    if sum(map(len, distinct)) > LEXEME_CHARS and max(map(len, distinct)) > LEXEME_CHARS:
        distinct = {t[:LEXEME_CHARS] for t in distinct}
    return distinct


def lexemes_text(distinct: set[str]) -> str | None:
    """Distinct lexemes as tsvector text, or None when they would overflow one."""
    chars = sum(map(len, distinct))
    if chars * 4 > _LEXEMES_BYTES and sum(len(t.encode()) for t in distinct) > _LEXEMES_BYTES:
        return None
    return "'" + "' '".join(distinct) + "'" if distinct else ""


def phrases(text: str) -> list[list[str]]:
    """The query's phrases as FTS5 sees ``archive.text.fts_query``: each typed word (``\\w+``)
    is a quoted phrase of its tokens."""
    return [parts for parts in (_TOKEN.findall(w) for w in tokens(text)) if parts]


def _pattern(phrase: list[str], prefix: bool) -> str:
    return f"% {' '.join(phrase)}{'%' if prefix else ' %'}"


def _operand(token: str, prefix: bool) -> str:
    lexeme = token[:LEXEME_CHARS]
    return f"'{lexeme}':*" if prefix and len(token) < LEXEME_CHARS else f"'{lexeme}'"


def match_sql(found: list[list[str]], prefix_last: bool = True) -> tuple[str, list[Any]]:
    """SQL for the ids (in no order) of the items holding every phrase of ``found``; with
    ``prefix_last`` the last phrase's last token matches as a prefix."""
    last = len(found) - 1
    operands: list[str] = []
    checks: list[str] = []
    for n, phrase in enumerate(found):
        prefix = prefix_last and n == last
        operands += [_operand(t, prefix and k == len(phrase) - 1) for k, t in enumerate(phrase)]
        if len(phrase) > 1 or any(len(t) >= LEXEME_CHARS for t in phrase):
            checks.append(_pattern(phrase, prefix))
    indexed = "SELECT l.id FROM item_lexemes l"
    if checks:
        indexed += " JOIN items w ON w.id = l.id"
    indexed += " WHERE l.lexemes @@ %s::tsquery" + " AND w.words LIKE %s" * len(checks)
    unindexed = ("SELECT l.id FROM item_lexemes l JOIN items w ON w.id = l.id"
                 " WHERE l.lexemes IS NULL AND w.words LIKE ALL(%s)")
    every = [_pattern(p, prefix_last and n == last) for n, p in enumerate(found)]
    return f"{indexed} UNION ALL {unindexed}", [" & ".join(operands), *checks, every]


@dataclass
class IdSearch:
    """A search's SQL. With ``sort_here`` its rows come in no order and unpaged: the caller sorts
    the ids (``descending`` or not) and takes the query's page; else the SQL orders and pages."""

    sql: str
    params: list[Any]
    sort_here: bool
    descending: bool = False
    terms: list[tuple[str, bool]] | None = None
    """Set when the SQL is the text index alone and each typed word one token (shorter than
    ``LEXEME_CHARS``): (token, as a prefix or not), which ``postgres_postings`` answers alone."""


def search_sql(q: SearchQuery) -> IdSearch:
    """SQL returning matching item ids (one ``id`` column)."""
    where, params = _filters(q)
    found = phrases(q.text) if q.text else []
    order = _order(q)
    ranked = bool(q.text) and q.sort == "relevance"  # in id order unless ranked, which needs every match
    # numpy sorts 100,000 ids in a millisecond; the server would sort rows, or walk the primary key
    # and test every item instead of using the text index
    sort_here = q.sort in ("relevance", "id") and (q.limit is None or ranked)
    descending = q.descending and not ranked
    if found:
        match, match_params = match_sql(found)
        if sort_here and not where:  # the text index alone
            return IdSearch(match, match_params, sort_here=True, descending=descending, terms=search_terms(found))
        where.insert(0, f"i.id IN ({match})")
        params = [*match_params, *params]
    sql = "SELECT i.id FROM items i" + (" WHERE " + " AND ".join(where) if where else "")
    if sort_here:
        return IdSearch(sql, params, sort_here=True, descending=descending)
    sql += " ORDER BY " + order
    if q.limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params = [*params, q.limit, q.offset]
    return IdSearch(sql, params, sort_here=False)


def search_terms(found: list[list[str]], prefix_last: bool = True) -> list[tuple[str, bool]] | None:
    """The phrases ``found`` as ``postgres_postings`` terms (token, as a prefix or not), or None
    when one is several tokens or a token too long for a lexeme: those are checked against words."""
    if any(len(phrase) > 1 or len(phrase[0]) >= LEXEME_CHARS for phrase in found):
        return None
    return [(phrase[0], prefix_last and n == len(found) - 1) for n, phrase in enumerate(found)]


def ranking_sql(ids: Sequence[int]) -> tuple[str, list[Any]]:
    """(id, words, word_count) of the matches ``ids``, to rank with ``bm25``."""
    return "SELECT id, words, word_count FROM items WHERE id = ANY(%s::bigint[])", [id_array(ids)]


def hits_sql(found: list[list[str]], n: int) -> tuple[str, list[Any]]:
    """How many items hold phrase ``n`` of ``found`` (bm25's document frequency), from the index."""
    sql, params = match_sql([found[n]], prefix_last=n == len(found) - 1)
    return f"SELECT count(*) FROM ({sql}) m", params


STATS_SQL = "SELECT items, tokens, xmin::text FROM item_stats"
"""bm25's whole-catalogue figures: items, and tokens in all of them; and the row's version, which
every statement changing items renews (its triggers rewrite the row), so document counts found
while it stays the same still hold."""


def bm25(text: str, matches: Sequence[tuple[int, str, int]], stats: Sequence[int]) -> list[int]:
    """Ids of ``matches`` (id, words, word count) best first, scored as FTS5's bm25() does.
    ``stats``: (items, tokens in all items, items holding phrase 1, phrase 2, …)."""
    found = phrases(text)
    rows, total = int(stats[0]), float(stats[1])
    avgdl = total / rows if rows else 0.0
    idf = [max(math.log((rows - hits + 0.5) / (hits + 0.5)), 0.0) or 1e-6 for hits in stats[2:]]
    counters = [_counter(phrase, prefix=n == len(found) - 1) for n, phrase in enumerate(found)]
    scored = []
    for item_id, words, length in matches:
        toks = words.split()
        score = 0.0
        for n, count in enumerate(counters):
            freq = count(words, toks)
            score += idf[n] * freq * (_K1 + 1) / (freq + _K1 * (1 - _B + _B * length / avgdl))
        scored.append((-score, item_id))
    scored.sort()
    return [item_id for _score, item_id in scored]


def _counter(phrase: list[str], prefix: bool) -> Callable[[str, list[str]], int]:
    """How often ``phrase`` occurs in an item's ``words`` (and their list), overlaps included as
    FTS5 counts them; C-speed string and list methods, as 2,000 matches are ranked per search."""
    if len(phrase) == 1 and prefix:
        start = " " + phrase[0]  # where a token starting so begins: two never overlap
        return lambda words, _toks: words.count(start)
    if len(phrase) == 1:
        return lambda _words, toks: toks.count(phrase[0])
    pattern = re.compile("(?= " + " ".join(phrase) + ("" if prefix else " ") + ")")
    return lambda words, _toks: len(pattern.findall(words))


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


ROW_COLUMNS = ("id", "accession", "kind", "title_vi", "title_en", "status", "period", "collections",
               "culinary_line", "materials", "updated_at")


def rows_sql(ids: Sequence[int]) -> tuple[str, list[Any]]:
    """The display rows of ``ids`` in any order: ``ROW_COLUMNS``, then whether any asset is textured
    and how many assets the item has, in one query (one round trip for a page)."""
    sql = ("SELECT i.id, i.accession, i.kind, i.title_vi, i.title_en, i.status, i.period, i.collections,"
           " i.culinary_line, i.materials, i.updated_at, coalesce(a.textured, 0), a.n FROM items i"
           " LEFT JOIN LATERAL (SELECT max(textured) AS textured, count(*) AS n FROM assets"
           " WHERE assets.item_id = i.id) a ON true WHERE i.id = ANY(%s::bigint[])")
    return sql, [id_array(ids)]


def id_array(ids: Sequence[int]) -> str:
    """Ids as one bigint[] literal: psycopg adapts a list element by element (a millisecond for a
    page of 200), where joining their digits costs a few microseconds."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"
