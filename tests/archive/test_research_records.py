"""Research records (archive.research): measurements, landmarks and annotations on a master
scan, their events, conflicts and checks; and external ids of vocabulary terms."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from archive import Archive, EditConflict, NotFound, ValidationError

from .helpers import write_box_ply

# write_box_ply: a 10 × 20 × 30 box centred on the origin (bbox -5..5, -10..10, -15..15)
VIEW = {"eye": [0.0, 0.0, 80.0], "target": [0.0, 0.0, 0.0], "up": [0.0, 1.0, 0.0], "fov": 40.0}


@pytest.fixture
def archive(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Archive.create(tmp_path / "archive") as a:
        yield a


def _item(archive: Archive, tmp_path: Path, name: str = "box.ply", units: str | None = "mm") -> int:
    options = None
    if units:
        from archive import ImportOptions

        options = ImportOptions(asset_fields={"units": units})
    size = 10.0 if name == "box.ply" else 12.0  # other bytes: not a duplicate
    report = archive.import_paths([write_box_ply(tmp_path / f"scans-{name}", name, size)], options)
    assert not report.errors, report.errors
    return report.imported[0]


@pytest.mark.parametrize(("measure", "points", "value"), [
    ("distance", [[0, 0, 0], [3, 4, 0]], 5.0),
    ("polyline", [[0, 0, 0], [3, 4, 0], [3, 4, 2]], 7.0),
    ("angle", [[1, 0, 0], [0, 0, 0], [0, 2, 0]], 90.0),
    ("angle", [[1, 0, 0], [0, 0, 0], [-1, 0, 1e-12]], 180.0),
    ("area", [[0, 0, 0], [4, 0, 0], [4, 3, 0], [0, 3, 0]], 12.0),
    ("area", [[0, 0, 0], [0, 4, 0], [0, 0, 3]], 6.0),  # a triangle in a tilted plane
])
def test_a_measurement_value_is_computed_from_its_points(archive, tmp_path, measure, points, value):
    item = _item(archive, tmp_path)
    record = archive.record(archive.add_record(item, "measurement", points, measure=measure))
    assert record["value"] == pytest.approx(value, abs=1e-9)
    assert record["unit"] == "mm" and record["measure"] == measure and record["kind"] == "measurement"
    assert record["points"] == [[float(c) for c in p] for p in points]
    assert record["asset_id"] == archive.assets(item)[0]["id"] and record["review"] == "ok"
    assert record["public"] is False and record["version"] == 1


def test_the_value_is_never_taken_from_the_caller(archive, tmp_path):
    item = _item(archive, tmp_path)
    rid = archive.add_record(item, "measurement", [[0, 0, 0], [0, 0, 10]], measure="distance")
    with pytest.raises(TypeError):
        archive.add_record(item, "measurement", [[0, 0, 0], [0, 0, 10]], measure="distance", value=3.0)
    for name in ("value", "unit", "kind", "asset_id"):
        with pytest.raises(ValidationError) as err:
            archive.update_record(rid, {name: 1})
        assert err.value.code == "not_editable"
    archive.update_record(rid, {"points": [[0, 0, 0], [0, 6, 8]]})
    assert archive.record(rid)["value"] == 10.0


def test_an_annotation_keeps_its_texts_normal_and_view(archive, tmp_path):
    item = _item(archive, tmp_path)
    rid = archive.add_record(item, "annotation", [[5, 0, 0]], normal=[2, 0, 0], title_vi="Vết nứt",
                             title_en="Crack", text_vi="Nứt dọc thân.", text_en="A crack along the body.",
                             view=VIEW, public=True)
    record = archive.record(rid)
    assert record["normal"] == [1.0, 0.0, 0.0]  # a unit vector
    assert record["view"] == VIEW and record["public"] is True and record["value"] is None
    assert (record["title_vi"], record["title_en"], record["text_vi"], record["text_en"]) == (
        "Vết nứt", "Crack", "Nứt dọc thân.", "A crack along the body.")
    assert archive.records(item) == [record]


def test_texts_are_stored_in_nfc(archive, tmp_path):
    import unicodedata

    item = _item(archive, tmp_path)
    rid = archive.add_record(item, "landmark", [[0, 0, 0]], title_vi=unicodedata.normalize("NFD", "Miệng bình"))
    assert archive.record(rid)["title_vi"] == unicodedata.normalize("NFC", "Miệng bình")


def test_records_filter_by_kind_and_public(archive, tmp_path):
    item = _item(archive, tmp_path)
    other = _item(archive, tmp_path, "other.ply")
    m = archive.add_record(item, "measurement", [[0, 0, 0], [1, 0, 0]], measure="distance", public=True)
    lm = archive.add_record(item, "landmark", [[0, 0, 0]], title_en="Rim")
    an = archive.add_record(item, "annotation", [[0, 0, 0]], title_en="Mark", public=True)
    archive.add_record(other, "landmark", [[0, 0, 0]], title_en="Foot")
    assert [r["id"] for r in archive.records(item)] == [m, lm, an]
    assert [r["id"] for r in archive.records(item, kind="landmark")] == [lm]
    assert [r["id"] for r in archive.records(item, public_only=True)] == [m, an]
    assert [r["id"] for r in archive.records(item, kind="annotation", public_only=True)] == [an]
    assert len(archive.all_records()) == 4 and len(archive.all_records(public_only=True)) == 2


def test_every_change_is_an_event_with_old_and_new_values(archive, tmp_path):
    archive.agent = "researcher"
    item = _item(archive, tmp_path)
    rid = archive.add_record(item, "landmark", [[1, 2, 3]], title_vi="Đáy")
    change = archive.update_record(rid, {"title_vi": "Đáy bình", "public": True})
    assert change.item_ids == [item] and change.fields == {"title_vi": ("Đáy", "Đáy bình"), "public": (False, True)}
    assert archive.update_record(rid, {"title_vi": "Đáy bình"}).fields == {}  # nothing changed, nothing logged
    gone = archive.record(rid)
    archive.delete_record(rid)
    with pytest.raises(NotFound):
        archive.record(rid)
    events = [e for e in archive.history(item) if e["type"].startswith("record_")]
    assert [(e["type"], e["field"]) for e in events] == [
        ("record_added", None), ("record_changed", "title_vi"), ("record_changed", "public"), ("record_deleted", None)]
    assert all(e["agent"] == "researcher" for e in events)
    added, title, public, deleted = events
    assert json.loads(added["new_value"])["title_vi"] == "Đáy" and json.loads(added["detail"])["record"] == rid
    assert (title["old_value"], title["new_value"]) == ("Đáy", "Đáy bình")
    assert (public["old_value"], public["new_value"]) == ("False", "True")
    assert json.loads(title["detail"])["version"] == 2
    kept = json.loads(deleted["old_value"])  # the whole record, as it was
    assert kept["uid"] == gone["uid"] and kept["title_vi"] == "Đáy bình" and kept["points"] == [[1.0, 2.0, 3.0]]
    assert gone["updated_by"] == "researcher" and gone["version"] == 2


def test_a_concurrent_edit_of_the_same_field_is_a_conflict(archive, tmp_path):
    item = _item(archive, tmp_path)
    rid = archive.add_record(item, "annotation", [[0, 0, 0]], title_vi="A")
    loaded = archive.record(rid)["version"]
    with Archive.open(archive.root, agent="colleague", recover=False) as other:
        other.update_record(rid, {"title_vi": "B"}, expected_version=loaded)
    with pytest.raises(EditConflict) as err:
        archive.update_record(rid, {"title_vi": "C"}, expected_version=loaded)
    conflict = err.value
    assert conflict.conflicts[0]["agent"] == "colleague" and conflict.conflicts[0]["theirs"] == "B"
    assert conflict.conflicts[0]["yours"] == "C" and f"record {rid}" in str(conflict)
    assert archive.record(rid)["title_vi"] == "B"  # nothing saved
    archive.update_record(rid, {"text_vi": "mine"}, expected_version=loaded)  # another field: no conflict
    archive.update_record(rid, {"title_vi": "C"}, expected_version=conflict.current_version + 1)
    assert archive.record(rid)["title_vi"] == "C" and archive.record(rid)["text_vi"] == "mine"


BAD = [
    ("measurement", [[0, 0, 0]], {"measure": "distance"}, "point_count"),
    ("measurement", [[0, 0, 0], [1, 1, 1], [2, 2, 2]], {"measure": "distance"}, "point_count"),
    ("measurement", [[0, 0, 0], [1, 0, 0]], {"measure": "angle"}, "point_count"),
    ("measurement", [[0, 0, 0], [1, 0, 0]], {"measure": "area"}, "point_count"),
    ("measurement", [[1, 0, 0], [1, 0, 0], [0, 1, 0]], {"measure": "angle"}, "degenerate_angle"),
    ("measurement", [[0, 0, 0], [math.nan, 0, 0]], {"measure": "distance"}, "not_finite"),
    ("measurement", [[0, 0, 0], [math.inf, 0, 0]], {"measure": "distance"}, "not_finite"),
    ("measurement", [[0, 0, 0], [1, 0]], {"measure": "distance"}, "not_point"),
    ("measurement", [[0, 0, 0], ["a", 0, 0]], {"measure": "distance"}, "not_number"),
    ("measurement", [[0, 0, 0], [True, 0, 0]], {"measure": "distance"}, "not_number"),
    ("measurement", "0,0,0", {"measure": "distance"}, "not_points"),
    ("measurement", [[0, 0, 0], [1, 0, 0]], {"measure": "volume"}, "not_a_choice"),
    ("measurement", [[0, 0, 0], [1, 0, 0]], {}, "not_a_choice"),
    ("measurement", [[0, 0, 0], [1, 0, 0]], {"measure": "distance", "normal": [0, 0, 1]}, "not_annotation"),
    ("measurement", [[0, 0, 0], [900, 0, 0]], {"measure": "distance"}, "outside_model"),
    ("sketch", [[0, 0, 0]], {}, "not_a_choice"),
    ("annotation", [[0, 0, 0]], {}, "required"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "measure": "distance"}, "not_measurement"),
    ("annotation", [[0, 0, 0], [1, 1, 1]], {"title_vi": "x"}, "point_count"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x" * 501}, "too_long"),
    ("annotation", [[0, 0, 0]], {"title_vi": "two\nlines"}, "one_line"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "text_vi": "a\x00b"}, "nul_character"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "text_en": "y" * 20_001}, "too_long"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "normal": [0, 0, 0]}, "zero_normal"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "normal": [0, math.nan, 1]}, "not_finite"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "view": {"eye": [1, 1, 1], "target": [1, 1, 1],
                                                           "up": [0, 1, 0]}}, "degenerate_view"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "view": {"eye": [0, 5, 0], "target": [0, 0, 0],
                                                           "up": [0, 1, 0]}}, "degenerate_view"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "view": {**VIEW, "fov": 200}}, "range"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "view": {**VIEW, "zoom": 2}}, "not_view"),
    ("annotation", [[0, 0, 0]], {"title_vi": "x", "view": [0, 0, 1]}, "not_view"),
]


@pytest.mark.parametrize(("kind", "points", "extra", "code"), BAD)
def test_bad_records_are_refused_and_nothing_is_saved(archive, tmp_path, kind, points, extra, code):
    item = _item(archive, tmp_path)
    before = len(archive.history(item))
    with pytest.raises(ValidationError) as err:
        archive.add_record(item, kind, points, **extra)
    codes = [p.code for p in getattr(err.value, "problems", [err.value])]
    assert code in codes, (codes, str(err.value))
    assert archive.records(item) == [] and len(archive.history(item)) == before


def test_every_problem_is_reported_at_once(archive, tmp_path):
    item = _item(archive, tmp_path)
    with pytest.raises(ValidationError) as err:
        archive.add_record(item, "annotation", [[0, 0, math.nan]], title_vi="a\nb", normal=[0, 0, 0])
    assert {p.field for p in err.value.problems} == {"points", "title_vi", "normal"}  # type: ignore[attr-defined]


def test_a_bad_edit_changes_nothing(archive, tmp_path):
    item = _item(archive, tmp_path)
    rid = archive.add_record(item, "landmark", [[0, 0, 0]], title_vi="Rim")
    before = archive.record(rid)
    for changes in ({"points": [[0, 0, 0], [1, 1, 1]]}, {"title_vi": ""}, {"review": "maybe"},
                    {"public": "perhaps"}, {"points": [[0, 0, 500]]}):
        with pytest.raises(ValidationError):
            archive.update_record(rid, changes)
    assert archive.record(rid) == before


def test_records_name_their_asset_and_item(archive, tmp_path):
    item = _item(archive, tmp_path)
    other = _item(archive, tmp_path, "other.ply")
    other_asset = archive.assets(other)[0]["id"]
    with pytest.raises(ValidationError) as err:
        archive.add_record(item, "landmark", [[0, 0, 0]], title_vi="x", asset_id=other_asset)
    assert err.value.code == "other_item"
    bare = archive.add_item({"kind": "relic", "title_vi": "Chưa quét"})
    with pytest.raises(ValidationError) as err:
        archive.add_record(bare, "landmark", [[0, 0, 0]], title_vi="x")
    assert err.value.code == "no_model"
    with pytest.raises(NotFound):
        archive.add_record(9999, "landmark", [[0, 0, 0]], title_vi="x")
    with pytest.raises(NotFound):
        archive.records(9999)


def test_measure_computes_without_saving(archive, tmp_path):
    item = _item(archive, tmp_path)
    result = archive.measure(item, "distance", [[0, 0, -15], [0, 0, 15]])
    assert result["value"] == 30.0 and result["unit"] == "mm"
    assert archive.records(item) == []


def test_records_follow_a_units_correction(archive, tmp_path):
    item = _item(archive, tmp_path, units=None)
    rid = archive.add_record(item, "measurement", [[0, 0, 0], [0, 0, 10]], measure="distance")
    assert archive.record(rid)["unit"] is None
    archive.update_asset(archive.assets(item)[0]["id"], {"units": "cm"})
    record = archive.record(rid)
    assert record["unit"] == "cm" and record["value"] == 10.0 and record["version"] == 2
    event = [e for e in archive.history(item) if e["type"] == "record_changed"][-1]
    assert (event["field"], event["old_value"], event["new_value"]) == ("unit", None, "cm")


def test_deleting_an_item_keeps_its_records_with_its_files(archive, tmp_path):
    item = _item(archive, tmp_path)
    archive.add_record(item, "annotation", [[0, 0, 0]], title_vi="Vết nứt")
    kept = archive.delete(item, confirmed=True)
    assert archive.all_records() == []
    copy = json.loads((kept / "item.json").read_text(encoding="utf-8"))
    assert [r["title_vi"] for r in copy["records"]] == ["Vết nứt"]


# -- vocabulary external ids -------------------------------------------------------------------

@pytest.mark.parametrize(("given", "stored"), [
    ("http://vocab.getty.edu/page/aat/300011914", "http://vocab.getty.edu/aat/300011914"),
    ("aat:300011914", "http://vocab.getty.edu/aat/300011914"),
    ("https://www.wikidata.org/wiki/Q287", "http://www.wikidata.org/entity/Q287"),
    ("wd:Q287", "http://www.wikidata.org/entity/Q287"),
    ("http://www.wikidata.org/entity/Q287", "http://www.wikidata.org/entity/Q287"),
])
def test_a_term_external_id_is_stored_as_its_entity_uri(archive, given, stored):
    archive.add_vocabulary("materials", "gỗ lim", "ironwood", external_id=given)
    term = next(t for t in archive.vocabulary("materials") if t["value"] == "gỗ lim")
    assert term == {"value": "gỗ lim", "label_en": "ironwood", "external_id": stored}


@pytest.mark.parametrize("bad", ["300011914", "aat:abc", "https://example.org/aat/300011914", "wd:P31",
                                 "https://www.wikidata.org/wiki/Q287?x=1"])
def test_a_malformed_external_id_is_refused(archive, bad):
    with pytest.raises(ValidationError) as err:
        archive.set_vocabulary_external_id("materials", "gỗ", bad)
    assert err.value.code == "not_external_id" and "aat:" in str(err.value)
    with pytest.raises(ValidationError):
        archive.add_vocabulary("materials", "gỗ lim", external_id=bad)
    assert not any(t["value"] == "gỗ lim" for t in archive.vocabulary("materials"))  # all or nothing


def test_setting_and_clearing_an_external_id_is_logged(archive):
    assert all(t["external_id"] == "" for t in archive.vocabulary("materials"))
    archive.set_vocabulary_external_id("materials", "GỖ", "aat:300011914")  # the term, accents and case aside
    archive.set_vocabulary_external_id("materials", "gỗ", "wd:Q287")
    archive.set_vocabulary_external_id("materials", "gỗ", "")
    with pytest.raises(NotFound):
        archive.set_vocabulary_external_id("materials", "không có", "wd:Q1")
    ids = {t["value"]: t["external_id"] for t in archive.vocabulary("materials")}
    assert ids["gỗ"] == ""
    events = _vocabulary_events(archive)
    assert [(e["old_value"], e["new_value"]) for e in events] == [
        (None, "http://vocab.getty.edu/aat/300011914"),
        ("http://vocab.getty.edu/aat/300011914", "http://www.wikidata.org/entity/Q287"),
        ("http://www.wikidata.org/entity/Q287", None)]
    assert all(json.loads(e["detail"]) == {"vocabulary": "materials", "value": "gỗ"} for e in events)


def _vocabulary_events(archive: Archive) -> list[dict]:
    """The vocabulary_changed events (they belong to no item, so no item's history shows them),
    read through the catalogue's record statements, which run on either engine."""
    return archive.catalogue._record_rows(  # type: ignore[attr-defined]
        "SELECT * FROM events WHERE type = ? ORDER BY id", ["vocabulary_changed"])
