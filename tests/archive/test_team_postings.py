"""Each token's items as compact id sets on a team archive (archive.catalogue.postgres_postings): the
rows hold exactly the items whose words hold the token after every kind of write, in sparse and
dense blocks and across blocks, and a catalogue made before step 010 gets them on open."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archive.catalogue import SQLiteCatalogue
from archive.catalogue import postgres_postings as postings
from archive.search import SearchQuery
from archive.service import Archive
from archive.store import FileStore

psycopg = pytest.importorskip("psycopg")

ITEMS = [{"kind": "dish", "title_vi": "Bún bò Huế", "tags": ["Huế"]},
         {"kind": "dish", "title_vi": "Bánh bèo", "description_vi": "chén nhỏ"},
         {"kind": "relic", "title_vi": "Chén ngự", "description_en": "bowl_rim with glaze"},
         {"kind": "relic", "title_vi": "Đỉnh đồng", "description_en": "a" * 600 + " bowl"}]


def _stored(conn: Any) -> dict[str, set[int]]:
    """Every token's items as the rows hold them."""
    out: defaultdict[str, set[int]] = defaultdict(set)
    for token, block, ids in conn.execute("SELECT token, block, ids FROM item_postings", binary=True):
        out[token].update(int(o) + (block << postings.BLOCK_BITS) for o in postings.decode(ids))
    return dict(out)


def _expected(conn: Any) -> dict[str, set[int]]:
    """Every token's items from the items' words."""
    out: defaultdict[str, set[int]] = defaultdict(set)
    for item_id, words in conn.execute("SELECT id, words FROM items"):
        for token in postings.tokens_of(words):
            out[token].add(item_id)
    return dict(out)


def _agree(archive: Archive) -> None:
    conn = archive.catalogue.conn  # type: ignore[attr-defined]
    assert _stored(conn) == _expected(conn)


@pytest.fixture
def team(pg_server: Any, tmp_path: Path) -> Archive:
    archive = Archive.create(tmp_path / "team", catalogue=pg_server.new_database())
    yield archive
    archive.close()


def test_a_row_is_sparse_up_to_its_limit_and_a_bitmap_beyond():
    for n in (0, 1, postings.SPARSE_MOST, postings.SPARSE_MOST + 1, postings.BLOCK):
        offsets = sorted(random.Random(n).sample(range(postings.BLOCK), n))
        ids = postings.encode(offsets)
        assert (len(ids) == postings.DENSE_BYTES) == (n > postings.SPARSE_MOST)
        assert postings.decode(ids).tolist() == offsets
        assert postings.decode(postings.encode(np.array(offsets))).tolist() == offsets


def test_postings_split_ids_by_block():
    built = postings.postings_of([(1, {"a"}), (65535, {"a", "b"}), (65536, {"a"}), (200_000, {"b"})])
    assert built == {("a", 0): [1, 65535], ("a", 1): [0], ("b", 0): [65535], ("b", 3): [200_000 - 3 * 65536]}


def test_rows_change_and_combine_across_sparse_and_dense_blocks(team: Archive):
    rng = random.Random(5)
    universe = range(1, 3 * postings.BLOCK + 500)
    held = {"hue": set(rng.sample(universe, 9000)), "huong": set(rng.sample(universe, 300)),
            "b": set(rng.sample(universe, 150_000)), "bo": set(rng.sample(universe, 40))}
    catalogue = team.catalogue

    def write(plus: dict[str, set[int]], minus: dict[str, set[int]]) -> None:
        ordered = [(i, {t for t, ids in plus.items() if i in ids}) for i in sorted(set().union(*plus.values()))]
        gone = [(i, {t for t, ids in minus.items() if i in ids}) for i in sorted(set().union(*minus.values()))]
        with catalogue.transaction():
            postings.change(catalogue.conn.cursor(), postings.postings_of(ordered), postings.postings_of(gone))

    def search(terms: list[tuple[str, bool]]) -> list[int]:
        rows = catalogue.conn.execute(*postings.matching_sql(terms), binary=True).fetchall()
        return postings.combine(rows, len(terms)).tolist()

    def brute(terms: list[tuple[str, bool]]) -> list[int]:
        sets = [set().union(*(ids for t, ids in held.items() if (t.startswith(term) if prefix else t == term)))
                for term, prefix in terms]
        return sorted(set.intersection(*sets))

    write(held, {})
    removed = {"hue": set(rng.sample(sorted(held["hue"]), 8000)), "bo": set(held["bo"]),
               "b": set(rng.sample(sorted(held["b"]), 100_000))}
    write({"huong": {7, 70_000}}, removed)  # dense blocks turn sparse, a token loses every item
    for token, ids in removed.items():
        held[token] -= ids
    held["huong"] |= {7, 70_000}
    assert catalogue.conn.execute("SELECT count(*) FROM item_postings WHERE token = 'bo'").fetchone()[0] == 0
    for terms in ([("hue", False)], [("hu", True)], [("b", True)], [("b", False), ("huong", False)],
                  [("huong", False), ("b", True)], [("bo", False)], [("x", True)], [("hu", True), ("b", False)]):
        assert search(terms) == brute(terms), terms


def test_the_postings_follow_every_write(team: Archive, tmp_path: Path):
    ids = team.add_items(ITEMS)
    team.add_items([{**item, "accession": f"X-{n}"} for n, item in enumerate(ITEMS)])  # into the same rows
    single = team.add_item({"kind": "dish", "title_vi": "Cơm hến", "tags": ["Huế"]})
    _agree(team)
    team.update(ids[0], {"title_vi": "Bánh khoái", "tags": []})
    team.update(ids[1], {"status": "reviewed"})  # not the search text
    team.delete(single, confirmed=True)
    _agree(team)
    assert team.search_ids(SearchQuery(text="com")) == []
    assert team.search_ids(SearchQuery(text="bun")) == [ids[0] + 4]  # the second batch's copy
    assert team.search_ids(SearchQuery(text="banh kh")) == [ids[0]]
    assert sorted(team.search_ids(SearchQuery(text="chen"))) == [ids[1], ids[2], ids[1] + 4, ids[2] + 4]


def test_a_catalogue_migrated_in_has_its_postings(pg_server: Any, tmp_path: Path):
    root = tmp_path / "single"
    root.mkdir()
    FileStore(root).create_dirs()
    with Archive(root, SQLiteCatalogue.open(root / "catalogue.sqlite", create=True)) as single:
        single.add_items(ITEMS)
    team = Archive.create(tmp_path / "team", catalogue=pg_server.new_database())
    try:
        team.catalogue.load_sqlite(root / "catalogue.sqlite")
        _agree(team)
        assert team.search_ids(SearchQuery(text="chen")) == [2, 3]
    finally:
        team.close()


def test_a_catalogue_made_before_the_postings_gets_them_on_open(team: Archive):
    team.add_items(ITEMS)
    url, root = team.catalogue.url, team.root
    team.close()
    with psycopg.connect(url) as conn:  # the catalogue as step 009 left it
        conn.execute("DROP TABLE item_postings")
        conn.execute("DELETE FROM heritage_migrations WHERE name = '010_search_postings'")
    with Archive.open(root) as upgraded:
        _agree(upgraded)
        assert upgraded.search_ids(SearchQuery(text="bun bo")) == [1]


def test_rows_of_a_page_share_no_lists(team: Archive):
    ids = team.add_items([{"kind": "relic", "title_vi": f"Chuông {n}", "collections": ["Ẩm thực Huế"],
                           "materials": ["đồng"]} for n in range(3)])
    rows = team.rows(ids)
    rows[0]["collections"].append("Khác")
    rows[1]["materials"].clear()
    assert [r["collections"] for r in rows] == [["Ẩm thực Huế", "Khác"], ["Ẩm thực Huế"], ["Ẩm thực Huế"]]
    assert [r["materials"] for r in rows] == [["đồng"], [], ["đồng"]]


def test_a_bulk_insert_reads_search_texts_in_any_order_as_the_rows_come(team: Archive):
    catalogue = team.catalogue
    rows = iter([[1, "A-1", "dish", "t", "t"], [2, "A-2", "dish", "t", "t"], [3, "A-3", "dish", "t", "t"]])
    texts = iter([(2, "com hen"), (1, "bun bo hue")])  # out of order, and none for item 3
    with catalogue.transaction():
        catalogue.insert_items(["id", "accession", "kind", "created_at", "updated_at"], rows, texts)
    assert team.search_ids(SearchQuery(text="bun hue")) == [1]
    assert team.search_ids(SearchQuery(text="hen")) == [2]
    assert catalogue.conn.execute("SELECT words FROM items WHERE id = 3").fetchone()[0] == " "
    _agree(team)


def test_ranking_counts_a_words_items_from_its_postings_as_the_index_does(team: Archive):
    from archive.catalogue.postgres_sql import hits_sql, phrases

    team.add_items([{**item, "accession": f"R-{n}"} for n, item in enumerate(ITEMS * 3)])
    catalogue = team.catalogue
    for text in ("bun hue", "b", "chen nho", "bowl_rim", "zzz"):
        found = phrases(text)
        for n in range(len(found)):
            assert catalogue._phrase_hits(found, n) == catalogue._one(*hits_sql(found, n)), (text, n)
