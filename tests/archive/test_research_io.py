"""Research records travelling (archive.research_io): CSV and JSON files, BagIt bags and backups
bring every record back field by field; values are recomputed, never read from the file."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import bagit
import pytest

from archive import Archive, ImportFailed, ImportOptions, ValidationError
from archive.publish import export_bag, import_bag

from .helpers import write_box_ply

VIEW = {"eye": [0.0, 0.0, 80.0], "target": [0.0, 0.0, 0.0], "up": [0.0, 1.0, 0.0], "fov": 40.0}
MOVING = ("id", "item_id", "asset_id")  # this archive's numbers; everything else travels


def _archive_with_item(root: Path, scans: Path) -> tuple[Archive, int]:
    archive = Archive.create(root)
    report = archive.import_paths([write_box_ply(scans)], ImportOptions(
        asset_fields={"units": "mm"}, item_fields={"accession": "R-1", "kind": "relic"}))
    assert not report.errors, report.errors
    return archive, report.imported[0]


@pytest.fixture
def source(tmp_path: Path):  # type: ignore[no-untyped-def]
    archive, item = _archive_with_item(tmp_path / "source", tmp_path / "scans")
    archive.agent = "researcher"
    archive.add_record(item, "measurement", [[-5, -10, -15], [5, 10, 15]], measure="distance", title_vi="Đường chéo")
    archive.add_record(item, "measurement", [[1, 0, 0], [0, 0, 0], [0, 1, 0]], measure="angle")
    archive.add_record(item, "measurement", [[0, 0, 0], [1, 0, 0], [1, 1, 0.3], [0, 1, 0]], measure="polyline")
    archive.add_record(item, "measurement", [[0, 0, 0], [4, 0, 0], [4, 3, 0], [0, 3, 0]], measure="area")
    archive.add_record(item, "landmark", [[0, 0, 15]], title_en="Top", text_vi="Đỉnh\nhai dòng; \"trích\"")
    note = archive.add_record(item, "annotation", [[5, 0, 0]], normal=[1, 0, 0], title_vi="=HYPERLINK(\"x\")",
                              title_en="'quoted", text_en="-5 mm deep, +2 wide, @here", view=VIEW, public=True)
    archive.update_record(note, {"review": "needs_review", "text_vi": "Vết nứt"})
    yield archive
    archive.close()


def _portable(records: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k not in MOVING} for r in records), key=lambda r: r["uid"])


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_file_brings_every_record_into_another_archive_field_by_field(source, tmp_path, suffix):
    out = tmp_path / f"records{suffix}"
    assert source.export_records(out) == 6
    target, item = _archive_with_item(tmp_path / "target", tmp_path / "scans")  # the same scan, another archive
    with target:
        report = target.import_records(out)
        assert report.applied and report.created == 6 and not report.errors and not report.notes
        assert _portable(target.records(item)) == _portable(source.all_records())
        assert {r["asset_id"] for r in target.records(item)} == {target.assets(item)[0]["id"]}
        again = target.import_records(out)  # the same file again changes nothing
        assert (again.created, again.updated, again.unchanged) == (0, 0, 6)


def test_the_csv_neutralises_formulas_and_reads_them_back(source, tmp_path):
    out = tmp_path / "records.csv"
    source.export_records(out)
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    note = next(r for r in rows if r["kind"] == "annotation")
    assert note["title_vi"] == "'=HYPERLINK(\"x\")" and note["title_en"] == "''quoted"
    assert note["text_en"] == "'-5 mm deep, +2 wide, @here" and note["public"] == "yes"
    assert json.loads(note["view"]) == VIEW


def test_an_edited_file_updates_its_records_and_logs_each_field(source, tmp_path):
    out = tmp_path / "records.csv"
    source.export_records(out)
    text = out.read_text(encoding="utf-8-sig").replace("Đường chéo", "Đường chéo chính")
    assert ",37.416573867739416," in text  # √(10² + 20² + 30²), written so it reads back exactly
    text = text.replace(",37.416573867739416,", ",38.0,")  # someone typed over the value
    out.write_text(text, encoding="utf-8-sig")
    report = source.import_records(out)
    assert (report.updated, report.unchanged, report.created) == (1, 5, 0)
    assert report.notes and "37.416573867739416" in report.notes[0]  # the computed value is kept
    item = source.find_by_accession("R-1")
    diagonal = source.records(item, kind="measurement")[0]
    assert diagonal["title_vi"] == "Đường chéo chính" and diagonal["value"] == 37.416573867739416
    last = source.history(item)[-1]
    assert (last["type"], last["field"], last["new_value"]) == ("record_changed", "title_vi", "Đường chéo chính")


def test_a_bad_row_stops_the_import_unless_skipped(source, tmp_path):
    out = tmp_path / "records.csv"
    source.export_records(out)
    target, item = _archive_with_item(tmp_path / "target", tmp_path / "scans")
    with target:
        lines = out.read_text(encoding="utf-8-sig").splitlines()
        lines[1] = lines[1].replace(",R-1,", ",R-404,")  # an item this archive lacks
        lines[2] = lines[2].replace("[[1.0, 0.0, 0.0]", "[[1.0, 0.0, 0.0")  # JSON cut short
        out.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
        report = target.import_records(out)
        assert not report.applied and target.records(item) == []
        assert [(e["row"], e["field"]) for e in report.errors] == [(2, None), (3, "points")]
        assert "R-404" in report.errors[0]["error"] and "JSON" in report.errors[1]["error"]
        dry = target.import_records(out, dry_run=True, skip_bad=True)
        assert dry.created == 4 and not dry.applied and target.records(item) == []
        done = target.import_records(out, skip_bad=True)
        assert done.applied and len(target.records(item)) == 4


def test_values_from_the_file_are_checked_as_new_ones(source, tmp_path):
    out = tmp_path / "records.json"
    source.export_records(out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    doc["records"][0]["uid"] = "a-new-one"
    doc["records"][0]["points"] = [[0, 0, 0], [0, 0, 900]]  # far outside the 10 × 20 × 30 box
    out.write_text(json.dumps(doc), encoding="utf-8")
    report = source.import_records(out)
    assert not report.applied and report.errors[0]["field"] == "points" and "outside" in report.errors[0]["error"]


@pytest.mark.parametrize(("content", "message"), [
    ("uid,accession,kind,points,colour\n", "'colour' is not a column"),
    ('{"format": "something-else", "records": []}', "not a records file"),
    ('{"format": "heritage-records/1", "records": [{"accession": "R-1", "sql": "x"}]}', "unknown key 'sql'"),
])
def test_files_of_another_shape_are_refused(source, tmp_path, content, message):
    path = tmp_path / ("bad.json" if content.startswith("{") else "bad.csv")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFailed, match=message):
        source.import_records(path)


def test_a_record_on_a_scan_this_item_lacks_is_refused(source, tmp_path):
    out = tmp_path / "records.json"
    source.export_records(out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    doc["records"][0].update(uid="other", asset_sha256="0" * 64)
    out.write_text(json.dumps(doc), encoding="utf-8")
    report = source.import_records(out)
    assert report.errors[0]["field"] == "asset_sha256"


def test_only_csv_and_json_are_written(source, tmp_path):
    with pytest.raises(ValidationError):
        source.export_records(tmp_path / "records.xlsx")


# -- bags and backups --------------------------------------------------------------------------

def test_a_bag_carries_every_record_private_ones_too(source, tmp_path):
    item = source.find_by_accession("R-1")
    bag = export_bag(source, item, tmp_path / "bags")
    assert len(json.loads((bag / "data" / "metadata" / "records.json").read_text(encoding="utf-8"))) == 6
    with Archive.create(tmp_path / "other") as other:
        new_item = import_bag(other, bag)
        assert _portable(other.records(new_item)) == _portable(source.records(item))
        assert {r["asset_id"] for r in other.records(new_item)} == {other.assets(new_item)[0]["id"]}
        ingest = other.history(new_item)[-1]
        assert ingest["type"] == "ingest" and json.loads(ingest["detail"])["records"] == 6


def _resave(bag: Path) -> None:
    """Recompute the bag's manifests after editing it, as a sender's tool would."""
    bagit.Bag(str(bag)).save(manifests=True)


def test_a_bag_from_before_records_still_imports(source, tmp_path):
    bag = export_bag(source, source.find_by_accession("R-1"), tmp_path / "bags")
    (bag / "data" / "metadata" / "records.json").unlink()
    _resave(bag)
    with Archive.create(tmp_path / "other") as other:
        assert other.records(import_bag(other, bag)) == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r[0].update(owner="x"), "unknown key 'owner'"),
    (lambda r: r[0].update(asset=7), "names asset 7"),
    (lambda r: r[0].update(points=[[0, 0, "1e999"]]), "record 1 in the bag is not valid"),
    (lambda r: r[5].update(kind="sketch"), "record 6 in the bag is not valid"),
])
def test_a_hostile_bag_record_stops_the_whole_import(source, tmp_path, change, message):
    bag = export_bag(source, source.find_by_accession("R-1"), tmp_path / "bags")
    path = bag / "data" / "metadata" / "records.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    change(records)
    path.write_text(json.dumps(records), encoding="utf-8")
    _resave(bag)
    with Archive.create(tmp_path / "other") as other:
        with pytest.raises(ImportFailed, match=message):
            import_bag(other, bag)
        assert other.count() == 0 and other.all_records() == []


def test_a_backup_restores_records_and_term_ids(source, tmp_path):
    source.set_vocabulary_external_id("materials", "gỗ", "aat:300011914")
    before = source.all_records()
    backup = source.backup(tmp_path / "backup")
    restored = Archive.restore(backup, tmp_path / "restored")
    with Archive.open(restored) as archive:
        assert archive.all_records() == before  # ids included
        terms = {t["value"]: t["external_id"] for t in archive.vocabulary("materials")}
        assert terms["gỗ"] == "http://vocab.getty.edu/aat/300011914"
        archive.update_record(before[0]["id"], {"title_vi": "sau khi khôi phục"})  # still editable


def test_the_bag_moves_on_and_the_source_is_unchanged(source, tmp_path):
    before = source.all_records()
    bag = export_bag(source, source.find_by_accession("R-1"), tmp_path / "bags")
    shutil.rmtree(bag)
    assert source.all_records() == before
