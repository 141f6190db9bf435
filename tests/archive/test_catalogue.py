"""Items, validation, events, search and deletion in the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive, NotFound, SearchQuery, StorageError, ValidationError


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def dish(**extra):
    return {"kind": "dish", "title_vi": "Bún bò Huế", "title_en": "Hue beef noodle soup", **extra}


def test_created_item_reads_back_with_every_value(archive):
    item_id = archive.add_item(dish(ingredients="bún; bắp bò; sả", prep_minutes="60", place_sensitive="yes"))
    item = archive.get(item_id)
    assert item["ingredients"] == ["bún", "bắp bò", "sả"]
    assert item["prep_minutes"] == 60
    assert item["place_sensitive"] is True
    assert item["status"] == "draft"
    assert item["accession"].startswith("HUE-")


@pytest.mark.parametrize(
    "values, field",
    [
        ({"year_from": 1900, "year_to": 1800}, "year_to"),
        ({"status": "finished"}, "status"),
        ({"kind": "relic", "height": -3, "dimension_unit": "cm"}, "height"),
        ({"kind": "relic", "height": 3}, "dimension_unit"),
        ({"prep_minutes": "an hour"}, "prep_minutes"),
        ({"place_lat": 16.4}, "place_lat"),
        ({"place_lat": 100, "place_lon": 10}, "place_lat"),
        ({"culinary_line": "martian cuisine"}, "culinary_line"),
        ({"title_vi": "", "title_en": ""}, "title_vi"),
        ({"materials": ["đồng"]}, "materials"),  # a relic field on a dish
        ({"serving_vessel": 999}, "serving_vessel"),
        ({"no_such_field": 1}, "no_such_field"),
    ],
)
def test_bad_values_are_rejected_naming_the_field(archive, values, field):
    with pytest.raises(ValidationError) as err:
        archive.add_item(dish(**values))
    assert err.value.field == field
    assert archive.count() == 0


def test_vocabulary_values_match_without_accents_and_store_the_canonical_form(archive):
    item_id = archive.add_item({"kind": "relic", "title_vi": "Chuông", "materials": "dong; GỐM"})
    assert archive.get(item_id)["materials"] == ["đồng", "gốm"]


def test_vocabulary_can_be_extended(archive):
    with pytest.raises(ValidationError):
        archive.add_item({"kind": "relic", "title_vi": "Tượng", "materials": "bronze alloy X"})
    archive.add_vocabulary("materials", "bronze alloy X")
    archive.add_item({"kind": "relic", "title_vi": "Tượng", "materials": "bronze alloy X"})


def test_accession_numbers_are_unique(archive):
    archive.add_item(dish(accession="AT-1"))
    with pytest.raises(ValidationError) as err:
        archive.add_item(dish(accession="AT-1"))
    assert err.value.field == "accession"


def test_edit_logs_field_old_and_new_value(archive):
    item_id = archive.add_item(dish(region="Huế"))
    change = archive.update(item_id, {"region": "Thừa Thiên Huế", "status": "reviewed"})
    assert change.item_ids == [item_id]
    edits = [e for e in archive.history(item_id) if e["type"] == "edit"]
    assert {(e["field"], e["old_value"], e["new_value"]) for e in edits} == {
        ("region", "Huế", "Thừa Thiên Huế"), ("status", "draft", "reviewed")}
    assert all(e["agent"] == "tester" for e in edits)


def test_edit_with_a_bad_value_changes_nothing(archive):
    item_id = archive.add_item(dish(year_from=1900))
    with pytest.raises(ValidationError):
        archive.update(item_id, {"region": "Huế", "year_to": 1800})
    assert archive.get(item_id)["region"] is None
    assert [e["type"] for e in archive.history(item_id)] == ["create"]


def test_unchanged_values_log_nothing(archive):
    item_id = archive.add_item(dish(region="Huế"))
    assert not archive.update(item_id, {"region": "Huế"}).fields


def test_serving_vessel_must_be_a_relic(archive):
    bowl = archive.add_item({"kind": "relic", "title_vi": "Bát men lam"})
    soup = archive.add_item(dish())
    archive.update(soup, {"serving_vessel": bowl})
    assert archive.get(soup)["serving_vessel"] == bowl
    with pytest.raises(ValidationError) as err:
        archive.add_item(dish(serving_vessel=soup))
    assert "not a relic" in str(err.value)


@pytest.mark.parametrize("query", ["bun bo hue", "Bún bò Huế", "BUN BO", "bún bo hu", "beef noodle", "sả"])
def test_search_is_accent_insensitive_both_ways(archive, query):
    target = archive.add_item(dish(ingredients=["sả", "mắm ruốc"]))
    archive.add_item({"kind": "dish", "title_vi": "Cơm hến", "title_en": "Rice with clams"})
    assert archive.search_ids(SearchQuery(text=query)) == [target]


def test_search_handles_hostile_query_syntax(archive):
    archive.add_item(dish())
    for text in ['"', "AND OR NOT", "bun*)", "NEAR(", "'; DROP TABLE items; --", "   "]:
        archive.search_ids(SearchQuery(text=text))  # never raises


def test_filters_and_sorting(archive):
    a = archive.add_item({"kind": "relic", "title_vi": "B chuông", "materials": "đồng", "status": "published",
                          "collections": "Cung đình"})
    b = archive.add_item({"kind": "relic", "title_vi": "A bình", "materials": "sứ"})
    c = archive.add_item(dish(culinary_line="ẩm thực cung đình"))
    assert archive.search_ids(SearchQuery(kind="relic", sort="title")) == [b, a]
    assert archive.search_ids(SearchQuery(material="đồng")) == [a]
    assert archive.search_ids(SearchQuery(collection="Cung đình")) == [a]
    assert archive.search_ids(SearchQuery(status="published")) == [a]
    assert archive.search_ids(SearchQuery(culinary_line="ẩm thực cung đình")) == [c]
    assert archive.search_ids(SearchQuery(sort="id", descending=True, limit=2)) == [c, b]
    assert archive.search_ids(SearchQuery(has_texture=True)) == []


def test_rows_come_back_in_the_order_asked(archive):
    ids = [archive.add_item(dish(title_vi=f"Món {n}")) for n in range(5)]
    rows = archive.rows(list(reversed(ids)))
    assert [r["id"] for r in rows] == list(reversed(ids))
    assert rows[0]["title"] == "Món 4"


def test_bulk_add_assigns_distinct_accessions_and_indexes_text(archive):
    ids = archive.add_items([dish(title_vi=f"Bánh {n}") for n in range(50)])
    assert len({archive.get(i)["accession"] for i in ids}) == 50
    assert len(archive.search_ids(SearchQuery(text="banh"))) == 50


def test_delete_needs_confirmation(archive):
    item_id = archive.add_item(dish())
    with pytest.raises(ValidationError):
        archive.delete(item_id, confirmed=False)
    assert archive.get(item_id)


def test_delete_logs_an_event_and_forgets_the_item(archive):
    item_id = archive.add_item(dish())
    kept = archive.delete(item_id, confirmed=True)
    assert (kept / "item.json").exists()
    with pytest.raises(NotFound):
        archive.get(item_id)
    assert [e["type"] for e in archive.history(item_id)] == ["create", "delete"]
    assert archive.search_ids(SearchQuery(text="bun")) == []


def test_opening_a_folder_that_is_not_an_archive_is_a_clear_error(tmp_path):
    with pytest.raises(StorageError, match="not an archive"):
        Archive.open(tmp_path)


def test_create_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"x")
    with pytest.raises(StorageError, match="not empty"):
        Archive.create(tmp_path)


def test_title_sort_ignores_accents(archive):
    ids = {t: archive.add_item({"kind": "relic", "title_vi": t}) for t in ["Zô", "Ấn vàng", "Bình", "Đỉnh đồng"]}
    order = [archive.get(i)["title_vi"] for i in archive.search_ids(SearchQuery(sort="title"))]
    assert order == ["Ấn vàng", "Bình", "Đỉnh đồng", "Zô"]
    archive.update(ids["Zô"], {"title_vi": "Ắc"})
    assert archive.get(archive.search_ids(SearchQuery(sort="title"))[0])["title_vi"] == "Ắc"
