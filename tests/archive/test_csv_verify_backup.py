"""CSV round trip, fixity checking, backup and restore."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from archive import Archive, StorageError
from archive.backup import backup, restore
from archive.csvio import export_csv, import_csv
from archive.importer import import_paths
from archive.verify import verify

from .helpers import write_box_ply, write_textured_obj

TRICKY = {
    "kind": "dish", "title_vi": "Bánh \"khoái\", giòn; ngon", "title_en": "Crispy pancake\nsecond line",
    "ingredients": ["bột gạo; nước", "tôm", "=1+1"], "steps": ["Pha bột.", "Đổ khuôn; chiên giòn."],
    "prep_minutes": 20, "place_sensitive": True, "place_lat": 16.46, "place_lon": 107.59,
    "private_notes": "không công bố", "occasions": [],
}


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def test_csv_round_trip_loses_no_field(archive, tmp_path):
    vessel = archive.add_item({"kind": "relic", "title_vi": "Bát", "accession": "R-1", "height": 5.5,
                               "dimension_unit": "cm", "materials": ["sứ"]})
    dish = archive.add_item({**TRICKY, "serving_vessel": vessel})
    out = tmp_path / "items.csv"
    assert export_csv(archive, out) == 2
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheets detect UTF-8
    with Archive.create(tmp_path / "other") as other:
        report = import_csv(other, out)
        assert report.applied and report.created == 2 and not report.errors
        for original in (vessel, dish):
            a = archive.get(original, with_assets=False)
            b = other.get(other.find_by_accession(a["accession"]), with_assets=False)
            skip = {"id", "created_at", "updated_at", "serving_vessel", "version"}  # version: local edit counter
            assert {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}
        moved = other.get(other.find_by_accession(archive.get(dish)["accession"]))
        assert other.get(moved["serving_vessel"])["accession"] == "R-1"


def test_csv_with_an_invalid_row_changes_nothing(archive, tmp_path):
    item = archive.add_item({"kind": "relic", "title_vi": "Bát", "accession": "R-1"})
    path = tmp_path / "in.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["accession", "kind", "title_vi", "year_from", "year_to"])
        w.writerow(["R-1", "relic", "Bát mới", "", ""])
        w.writerow(["N-1", "relic", "Đỉnh", "1900", "1800"])
    report = import_csv(archive, path)
    assert not report.applied and report.errors[0]["row"] == 3 and report.errors[0]["field"] == "year_to"
    assert archive.get(item)["title_vi"] == "Bát" and archive.count() == 1
    dry = import_csv(archive, path, dry_run=True)
    assert not dry.applied and archive.get(item)["title_vi"] == "Bát"
    skipped = import_csv(archive, path, skip_bad=True)
    assert skipped.applied and skipped.updated == 1 and archive.get(item)["title_vi"] == "Bát mới"
    assert archive.count() == 1


def test_csv_with_an_unknown_column_is_refused(archive, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("title_vi,colour\nBát,blue\n")
    with pytest.raises(Exception, match="colour"):
        import_csv(archive, path)


def test_verify_reports_changed_missing_and_untracked_files(archive, tmp_path):
    import_paths(archive, [write_textured_obj(tmp_path / "a")])
    report = import_paths(archive, [write_box_ply(tmp_path / "b")])
    assert verify(archive).ok
    assets = [a for i in archive.search_ids() for a in archive.get(i)["assets"]]
    obj_dir = archive.asset_path(assets[0]).parent
    os.chmod(obj_dir, 0o755)
    texture = obj_dir / "material_0.png"
    os.chmod(texture, 0o644)
    data = bytearray(texture.read_bytes())
    data[100] ^= 0xFF
    texture.write_bytes(bytes(data))
    (obj_dir / "material.mtl").unlink()
    (obj_dir / "stray.txt").write_text("?")
    result = verify(archive)
    assert not result.ok
    by_status = {f["path"].rsplit("/", 1)[-1]: f for f in result.files if f["status"] != "ok"}
    assert by_status["material_0.png"]["status"] == "changed"
    assert by_status["material_0.png"]["expected"] != by_status["material_0.png"]["actual"]
    assert by_status["material.mtl"]["status"] == "missing"
    assert by_status["stray.txt"]["status"] == "untracked"
    assert result.counts == {"ok": 2, "changed": 1, "missing": 1, "untracked": 1}
    failures = [e for e in archive.history(assets[0]["item_id"]) if e["type"] == "fixity"]
    assert failures and failures[-1]["outcome"] == "failure"
    assert report.imported


def test_backup_and_restore_give_the_same_items_and_files(archive, tmp_path):
    import_paths(archive, [write_textured_obj(tmp_path / "a")])
    archive.add_item({"kind": "dish", "title_vi": "Chè"})
    dest = backup(archive, tmp_path / "bk")
    restored_dir = restore(dest, tmp_path / "restored")
    with Archive.open(restored_dir) as restored:
        assert restored.search_ids() == archive.search_ids()
        for item_id in archive.search_ids():
            assert restored.get(item_id) == archive.get(item_id)
        assert verify(restored).ok


def test_backup_refuses_a_non_empty_folder(archive, tmp_path):
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "x").write_text("x")
    with pytest.raises(StorageError):
        backup(archive, tmp_path / "bk")


def test_restore_refuses_something_that_is_not_a_backup(tmp_path):
    (tmp_path / "nope").mkdir()
    with pytest.raises(StorageError, match="not a backup"):
        restore(tmp_path / "nope", tmp_path / "out")
