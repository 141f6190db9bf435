"""Each search token's items as compact id sets (``item_postings``): the PostgreSQL catalogue's
answer to a search that matches much of the catalogue.

The GIN index over ``item_lexemes`` visits every matching item, its index entry and then its row:
80,000 hits of ``hue`` cost 30–60 ms however the query is written. Here the items holding a token
are kept per block of 65,536 ids, as an 8 KB bitmap when the block holds 4,096 or more of them,
else as their sorted offsets in the block (2 bytes each, little-endian): a typed word reads a few
rows, whatever its hits, and numpy combines them in a millisecond.

Tokens are those of ``items.words`` (folded, tokenized as FTS5 does), cut to ``LEXEME_CHARS`` as
the lexemes are. Writers keep the rows up to date inside their write transaction, which holds the
writers' lock, so a row's read-modify-write sees every earlier commit.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
import psycopg

from .postgres_sql import LEXEME_CHARS

BLOCK_BITS = 16
BLOCK = 1 << BLOCK_BITS  # ids per row
DENSE_BYTES = BLOCK // 8  # a bitmap row
SPARSE_MOST = DENSE_BYTES // 2 - 1  # offsets a sparse row holds at most: never DENSE_BYTES long

SCHEMA = """
CREATE TABLE item_postings (
  token TEXT COLLATE "C" NOT NULL,
  block BIGINT NOT NULL,
  ids BYTEA NOT NULL,
  PRIMARY KEY (token, block)
);
"""

Postings = dict[tuple[str, int], list[int]]
"""(token, block) -> offsets in the block (ascending when built by ``postings_of``)."""


def tokens_of(words: str) -> set[str]:
    """The distinct tokens of an item's ``words``, cut as lexemes are."""
    return {t[:LEXEME_CHARS] for t in words.split()}


def postings_of(tokens_by_id: Iterable[tuple[int, Iterable[str]]]) -> Postings:
    """The (token, block) offsets of items given in ascending id order."""
    by_token: defaultdict[str, list[int]] = defaultdict(list)
    for item_id, tokens in tokens_by_id:
        for token in tokens:
            by_token[token].append(item_id)
    out: Postings = {}
    last = BLOCK - 1
    for token, ids in by_token.items():
        if ids[0] >> BLOCK_BITS == ids[-1] >> BLOCK_BITS:  # most tokens: one block
            out[(token, ids[0] >> BLOCK_BITS)] = [i & last for i in ids]
            continue
        for item_id in ids:
            out.setdefault((token, item_id >> BLOCK_BITS), []).append(item_id & last)
    return out


_ONE = struct.Struct("<H").pack  # a token of one item in the block, as most are


def encode(offsets: Any) -> bytes:
    """A row's ``ids`` for ascending, distinct ``offsets`` (a list or an integer array)."""
    n = len(offsets)
    if n == 1:
        return _ONE(int(offsets[0]))
    if n <= SPARSE_MOST:
        if isinstance(offsets, list):
            return struct.pack(f"<{n}H", *offsets)
        return np.asarray(offsets, dtype="<u2").tobytes()
    mask = np.zeros(BLOCK, dtype=bool)
    mask[np.asarray(offsets, dtype=np.int64)] = True
    return np.packbits(mask, bitorder="little").tobytes()


def decode(ids: bytes) -> np.ndarray:
    """The offsets (ascending) a row's ``ids`` holds."""
    if len(ids) == DENSE_BYTES:
        return np.flatnonzero(np.unpackbits(np.frombuffer(ids, dtype=np.uint8), bitorder="little"))
    return np.frombuffer(ids, dtype="<u2").astype(np.int64)


def change(cur: psycopg.Cursor[Any], plus: Postings, minus: Postings | None = None,
           fresh_above: int | None = None) -> None:
    """Add the offsets ``plus`` (from ``postings_of``) to their rows and take ``minus`` out of
    theirs; call inside a write transaction. ``fresh_above``: the block of the largest id any
    item had before (-1: none), so that the rows of higher blocks are known to be new without
    asking the server for them (a bulk insert's new tokens)."""
    minus = minus or {}
    asked = [k for k in plus.keys() | minus.keys() if fresh_above is None or k[1] <= fresh_above]
    found = _rows(cur, asked) if asked else {}
    new_rows = [(*key, encode(offsets)) for key, offsets in plus.items() if key not in found]
    changed, emptied = [], []
    for key, ids in found.items():
        offsets = decode(ids)
        if key in plus:
            offsets = np.union1d(offsets, plus[key])
        if key in minus:
            offsets = np.setdiff1d(offsets, minus[key])
        if len(offsets):
            changed.append((*key, encode(offsets)))
        else:
            emptied.append(key)
    _write(cur, new_rows, changed, emptied)


def _rows(cur: psycopg.Cursor[Any], keys: list[tuple[str, int]]) -> dict[tuple[str, int], bytes]:
    # the keys as two array literals: psycopg adapts a list element by element (seconds for 100,000)
    tokens = "{" + ",".join('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t, _b in keys) + "}"
    blocks = "{" + ",".join(str(int(b)) for _t, b in keys) + "}"
    return {(token, block): ids for token, block, ids in cur.execute(
        "SELECT token, block, ids FROM item_postings WHERE (token, block) IN"
        " (SELECT * FROM unnest(%s::text[], %s::bigint[]))", [tokens, blocks], binary=True)}


def _write(cur: psycopg.Cursor[Any], new_rows: list[tuple[str, int, bytes]],
           changed: list[tuple[str, int, bytes]], emptied: list[tuple[str, int]]) -> None:
    if new_rows:
        with cur.copy("COPY item_postings (token, block, ids) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "int8", "bytea"])
            for row in new_rows:
                copy.write_row(row)
    if changed:
        cur.execute("UPDATE item_postings p SET ids = u.ids FROM unnest(%s::text[], %s::bigint[], %s::bytea[])"
                    " u(token, block, ids) WHERE p.token = u.token AND p.block = u.block",
                    [[r[0] for r in changed], [r[1] for r in changed], [r[2] for r in changed]])
    if emptied:
        cur.execute("DELETE FROM item_postings WHERE (token, block) IN"
                    " (SELECT * FROM unnest(%s::text[], %s::bigint[]))",
                    [[k[0] for k in emptied], [k[1] for k in emptied]])


def _like_prefix(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching_sql(terms: list[tuple[str, bool]]) -> tuple[str, list[Any]]:
    """SQL for the rows of the terms (token, as a prefix or not; each shorter than ``LEXEME_CHARS``):
    (term's number, block, dense or not, the block's rows joined); ``combine`` reads them. A prefix
    may match thousands of rare tokens: the server joins each block's rows into one value."""
    parts, params = [], []
    for n, (token, prefix) in enumerate(terms):
        parts.append(f"SELECT {n} AS n, block, ids FROM item_postings WHERE token {'LIKE' if prefix else '='} %s")
        params.append(_like_prefix(token) if prefix else token)
    return (f"SELECT n, block, length(ids) = {DENSE_BYTES}, string_agg(ids, ''::bytea) FROM ("
            + " UNION ALL ".join(parts) + ") p GROUP BY 1, 2, 3"), params


def combine(rows: list[tuple[int, int, bool, bytes]], terms: int) -> np.ndarray:
    """Ids (ascending) of the items holding every one of ``terms`` terms, from ``matching_sql``'s rows."""
    masks: list[dict[int, np.ndarray]] = [{} for _ in range(terms)]
    for n, block, dense, joined in rows:
        mask = masks[n].setdefault(block, np.zeros(BLOCK, dtype=bool))
        if dense:
            bits = np.unpackbits(np.frombuffer(joined, dtype=np.uint8), bitorder="little").reshape(-1, BLOCK)
            mask |= bits.any(axis=0)
        else:
            mask[np.frombuffer(joined, dtype="<u2")] = True
    blocks = set(masks[0]).intersection(*masks[1:]) if masks else set()
    found = []
    for block in sorted(blocks):
        mask = masks[0][block].copy()
        for other in masks[1:]:
            mask &= other[block]
        found.append(np.flatnonzero(mask) + (block << BLOCK_BITS))
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)


def build(cur: psycopg.Cursor[Any], batch: int = 50_000) -> None:
    """Fill ``item_postings`` from every item's ``words`` (a catalogue made before step 010)."""
    with cur.connection.cursor(name="heritage_postings") as items:  # server side: never all items in memory
        items.execute("SELECT id, words FROM items ORDER BY id")
        before = -1  # the block of the last id done
        while rows := items.fetchmany(batch):
            change(cur, postings_of((item_id, tokens_of(words)) for item_id, words in rows), fresh_above=before)
            before = rows[-1][0] >> BLOCK_BITS


def disagreements(cur: psycopg.Cursor[Any], shown: int = 3) -> list[str]:
    """Where ``item_postings`` disagrees with the items' words (``verify``): a row that lacks an
    item holding its token or holds one that does not, a token with no row, a row for no item.
    Block by block, so memory stays that of 65,536 items; call in one snapshot (a
    REPEATABLE READ transaction) so that a concurrent save is not taken for damage."""
    blocks = [b for (b,) in cur.execute(f"SELECT id >> {BLOCK_BITS} FROM items UNION"
                                        " SELECT block FROM item_postings ORDER BY 1")]
    wrong: list[tuple[str, int]] = []
    for block in blocks:
        items = cur.execute("SELECT id, words FROM items WHERE id >= %s AND id < %s ORDER BY id",
                            [block << BLOCK_BITS, (block + 1) << BLOCK_BITS]).fetchall()
        expected = postings_of((item_id, tokens_of(words or "")) for item_id, words in items)
        stored = {(token, block): ids for token, ids in cur.execute(
            "SELECT token, ids FROM item_postings WHERE block = %s", [block], binary=True)}
        for key in sorted(expected.keys() | stored.keys()):
            want, have = expected.get(key), stored.get(key)
            if want is None or have is None or not np.array_equal(decode(have), want):
                wrong.append(key)
    if not wrong:
        return []
    first = ", ".join(f"{token!r} (ids {block << BLOCK_BITS}–{((block + 1) << BLOCK_BITS) - 1})"
                      for token, block in wrong[:shown])
    return [f"{len(wrong)} search posting row(s) disagree with the items' words, first {first}: "
            "a search for those words may miss items or find wrong ones"]
