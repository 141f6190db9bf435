"""Text search of a team archive (archive.catalogue.postgres_sql): the GIN index over each item's
distinct words gives the same hits in the same order as SQLite's full-text table, also for the
texts a tsvector cannot hold as they are (very long words, more than a megabyte of distinct
words), after edits and deletions, and in a catalogue that had items before the index existed."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from archive.catalogue import SQLiteCatalogue
from archive.catalogue.postgres_sql import LEXEME_CHARS, lexemes_of, search_columns
from archive.search import SearchQuery
from archive.service import Archive
from archive.store import FileStore

psycopg = pytest.importorskip("psycopg")

LONG = "a" * 520 + "xyz"  # longer than a lexeme holds
TWIN = "a" * 520 + "qrs"  # the same first 500 characters
ITEMS = [
    {"kind": "dish", "title_vi": "Bún bò Huế", "description_vi": f"{LONG} nước dùng"},
    {"kind": "dish", "title_vi": "Bánh bèo", "description_vi": f"chén {TWIN}"},
    {"kind": "relic", "title_vi": "Chén ngự", "description_en": "bowl_rim with glaze; " + "a" * LEXEME_CHARS},
    {"kind": "relic", "title_vi": "Đỉnh đồng", "description_en": "a" * (LEXEME_CHARS - 1) + " bowl"},
]
QUERIES = ["bun", "bun bo hue", "ban", "bowl rim", "bowl_rim", "bowl_ri", "chen", LONG, LONG[:510], LONG[:LEXEME_CHARS],
           LONG[:LEXEME_CHARS - 1], LONG[:LEXEME_CHARS + 1] + " nuoc", TWIN, f"{LONG} nuoc dung", "a", "aa", "zzz"]


def _single(root: Path) -> Archive:
    root.mkdir()
    FileStore(root).create_dirs()
    return Archive(root, SQLiteCatalogue.open(root / "catalogue.sqlite", create=True))


def _same_hits(team: Archive, single: Archive, queries: list[str]) -> None:
    for text in queries:
        for sort in ("relevance", "title"):
            q = SearchQuery(text=text, sort=sort)
            assert team.search_ids(q) == single.search_ids(q), (text[:40], sort)


@pytest.fixture
def both(pg_server: Any, tmp_path: Path) -> tuple[Archive, Archive]:
    team = Archive.create(tmp_path / "team", catalogue=pg_server.new_database())
    single = _single(tmp_path / "single")
    yield team, single
    team.close()
    single.close()


def test_words_longer_than_a_lexeme_are_found_as_sqlite_finds_them(both: tuple[Archive, Archive]):
    team, single = both
    for archive in both:
        archive.add_items(ITEMS[:2])
        for record in ITEMS[2:]:
            archive.add_item(record)
    assert team.search_ids(SearchQuery(text=LONG)) == [1]  # not its twin, which shares the lexeme
    _same_hits(team, single, QUERIES)


def test_an_item_with_more_distinct_words_than_a_tsvector_holds_is_still_found(both: tuple[Archive, Archive]):
    rng = random.Random(3)
    cjk = [chr(c) for c in range(0x4E00, 0x9FFF)]

    def field() -> str:  # ~2,000 distinct 50-character words (150 bytes each in UTF-8): ~300 kB
        return " ".join("".join(rng.choices(cjk, k=50)) for _ in range(1960))

    huge = {"kind": "relic", "title_vi": "Bia đá lớn", "description_vi": field(), "description_en": field(),
            "inscriptions": field(), "place_name": "Huế " + field()}
    assert lexemes_of(search_columns(" ".join(huge.values()))[0].split()) is None  # over a tsvector's 1 MB
    word = huge["inscriptions"].split()[7]
    team, single = both
    for archive in both:
        archive.add_items([{"kind": "relic", "title_vi": "Bia đá nhỏ"}, huge])
        archive.add_item({**huge, "accession": "R-2"})
    assert team.catalogue._one("SELECT count(*) FROM item_lexemes WHERE lexemes IS NULL") == 2
    assert len(team.search_ids(SearchQuery(text=word))) == 2
    _same_hits(team, single, ["bia da", "bia", "hue", word, word[:10], f"bia {word[:3]}", "lon"])
    assert team.verify().ok


def test_edits_and_deletions_move_an_item_in_and_out_of_the_index(both: tuple[Archive, Archive]):
    team, single = both
    for archive in both:
        first = archive.add_item({"kind": "dish", "title_vi": "Bún bò Huế"})
        second = archive.add_item({"kind": "dish", "title_vi": "Cơm hến"})
        archive.update(first, {"title_vi": "Bánh khoái"})
        archive.update(second, {"tags": ["bún"]})
        archive.delete(archive.add_item({"kind": "dish", "title_vi": "Bún hến"}), confirmed=True)
    assert team.search_ids(SearchQuery(text="bun")) == [2]
    _same_hits(team, single, ["bun", "bo", "banh khoai", "com", "hen"])


def test_an_item_missing_from_the_index_is_reported_by_verify(both: tuple[Archive, Archive]):
    team, _single = both
    item = team.add_item({"kind": "dish", "title_vi": "Bún bò Huế"})
    assert team.verify().ok
    with psycopg.connect(team.catalogue.url) as conn:
        conn.execute("DELETE FROM item_lexemes WHERE id = %s", [item])
    report = team.verify()
    assert not report.ok and "1 item(s) lack their search words" in report.database


def test_a_catalogue_made_before_the_index_gets_it_on_open(both: tuple[Archive, Archive]):
    team, single = both
    for archive in both:
        archive.add_items(ITEMS)
        archive.add_item({"kind": "dish", "title_vi": "Bún hến", "tags": ["bowl_rim"]})
    url, root = team.catalogue.url, team.root
    team.close()
    with psycopg.connect(url) as conn:  # the catalogue as step 007 left it
        conn.execute("DROP TABLE item_lexemes")
        conn.execute("CREATE INDEX items_words ON items USING gin (words gin_trgm_ops)")
        conn.execute("DELETE FROM heritage_migrations WHERE name = '008_search_lexemes'")
    with Archive.open(root) as upgraded:
        _same_hits(upgraded, single, QUERIES + ["bun hen", "bowl"])
        assert upgraded.catalogue._one("SELECT to_regclass('items_words')") is None
        assert upgraded.verify().ok


def test_bulk_insert_keeps_every_field_as_sqlite_does(both: tuple[Archive, Archive]):
    records = [{"kind": "relic", "title_vi": "Ấn vàng", "place_sensitive": True, "place_lat": 16.47,
                "place_lon": 107.58, "year_from": 1802, "materials": ["vàng"], "height": 10.5, "dimension_unit": "cm"},
               {"kind": "relic", "title_vi": "Kiếm", "place_sensitive": False},
               {"kind": "dish", "title_vi": "Chè", "prep_minutes": 30, "ingredients": ["đậu", "đường"]}]
    team, single = both
    ids = [archive.add_items(records) for archive in both]
    assert ids[0] == ids[1]
    for item in ids[0]:
        got = [archive.get(item) for archive in both]
        assert {k: v for k, v in got[0].items() if not k.endswith("_at")} == \
            {k: v for k, v in got[1].items() if not k.endswith("_at")}
    assert team.search_ids(SearchQuery(text="an vang")) == single.search_ids(SearchQuery(text="an vang")) == [1]


def test_ranking_follows_the_catalogue_as_it_changes(both: tuple[Archive, Archive]):
    """bm25 weighs a word by how many items hold it: once more items hold "bun" (edited, so the
    catalogue keeps as many items and words), an item with "bo" twice ranks above one with "bun"
    twice: document counts are not kept from before."""
    team, single = both
    query = SearchQuery(text="bun bo")
    orders = []
    for archive in both:
        archive.add_items([{"kind": "dish", "title_vi": "bún bún bò"}, {"kind": "dish", "title_vi": "bún bò bò"}]
                          + [{"kind": "dish", "title_vi": "bò"}] * 3 + [{"kind": "dish", "title_vi": "xôi"}] * 20)
    orders.append(team.search_ids(query))
    assert orders[0] == single.search_ids(query) == [1, 2]
    for archive in both:
        for item in range(6, 12):  # six of the "xôi"
            archive.update(item, {"title_vi": "bún"})
    orders.append(team.search_ids(query))
    assert orders[1] == single.search_ids(query) == [2, 1]


def test_the_search_text_is_split_as_sqlite_indexes_it_not_folded_again(both: tuple[Archive, Archive]):
    """Folding is not idempotent ("ẞ" folds to "ß", which folds to "ss"): the words are those of
    the search text as stored, which is what SQLite's full-text table indexes."""
    team, single = both
    for archive in both:
        archive.add_items([{"kind": "other", "title_vi": "ẞ"}, {"kind": "other", "title_vi": "Straße"},
                           {"kind": "other", "title_vi": "ss"}])
    _same_hits(team, single, ["ẞ", "ß", "ss", "s", "strasse", "straße", "STRASSE"])
    assert team.search_ids(SearchQuery(text="ẞ")) == [1]


def test_display_rows_count_assets_and_textures_as_sqlite_does(both: tuple[Archive, Archive], tmp_path: Path):
    from .helpers import write_box_ply, write_textured_obj

    team, single = both
    for n, archive in enumerate(both):
        scans = tmp_path / f"scans{n}"
        scans.mkdir()
        report = archive.import_paths([write_textured_obj(scans), write_box_ply(scans)])
        assert not report.errors
        archive.add_item({"kind": "dish", "title_vi": "Chè", "collections": ["Ẩm thực Huế"]})
    ids = single.search_ids()
    rows = team.rows(ids)

    def same_moment(found: list[dict]) -> list[dict]:  # the two archives' imports can fall in different seconds
        return [{**row, "updated_at": None} for row in found]

    assert same_moment(rows) == same_moment(single.rows(ids))
    assert sorted((r["textured"], r["asset_count"]) for r in rows) == [(False, 0), (False, 1), (True, 1)]
    for textured in (True, False):
        q = SearchQuery(has_texture=textured)
        assert team.search_ids(q) == single.search_ids(q)
