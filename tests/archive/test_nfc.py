"""Text is stored in Unicode NFC however it arrives (macOS tools write NFD), so an NFD copy of
unchanged data changes nothing and names compare equal."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from archive import Archive, ValidationError
from archive.csvio import export_csv, import_csv
from archive.publish import export_bag, import_bag

from .test_csv_verify_backup import TRICKY


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def test_nfd_form_of_an_unchanged_export_changes_nothing(archive, tmp_path):
    archive.add_item({"kind": "relic", "title_vi": "Bình gốm Huế", "accession": "HUẾ-1", "materials": ["gốm"],
                      "tags": ["thời Nguyễn"], "description_vi": "Mô tả\ndài"})
    archive.add_item({**TRICKY, "accession": "MÓN-2"})
    path = tmp_path / "all.csv"
    export_csv(archive, path)
    text = path.read_text(encoding="utf-8-sig")
    assert nfd(text) != text
    path.write_text(nfd(text), encoding="utf-8-sig")
    report = import_csv(archive, path)
    assert report.applied and not report.errors
    assert (report.updated, report.unchanged, report.created, report.changes) == (0, 2, 0, [])


def test_nfd_title_through_update_is_stored_nfc(archive):
    item_id = archive.add_item({"kind": "dish", "title_vi": nfd("Bún bò Huế"), "ingredients": [nfd("bắp bò")]})
    item = archive.get(item_id)
    assert item["title_vi"] == "Bún bò Huế" and item["ingredients"] == ["bắp bò"]
    archive.update(item_id, {"title_vi": nfd("Bánh khoái"), "region": nfd("Thừa Thiên Huế")})
    item = archive.get(item_id)
    assert (item["title_vi"], item["region"]) == ("Bánh khoái", "Thừa Thiên Huế")
    assert archive.update(item_id, {"title_vi": nfd("Bánh khoái")}).fields == {}  # an invisible edit is none


def test_nfd_choice_and_vocabulary_values_are_recognised(archive):
    item_id = archive.add_item({"kind": "relic", "title_vi": "Ấn", "materials": nfd("đồng; gốm")})
    assert archive.get(item_id)["materials"] == ["đồng", "gốm"]


def test_bag_with_nfd_record_imports_nfc_and_its_accession_matches(archive, tmp_path):
    archive.add_item({"kind": "relic", "title_vi": "Ấn vàng", "accession": "ẤN-1"})
    bag = export_bag(archive, archive.find_by_accession("ẤN-1"), tmp_path / "bags")
    record = bag / "data" / "metadata" / "item.json"
    doc = json.loads(record.read_text(encoding="utf-8"))
    doc["item"] = {k: nfd(v) if isinstance(v, str) else v for k, v in doc["item"].items()}
    record.chmod(0o644)
    record.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    import bagit
    bagit.Bag(str(bag)).save(manifests=True)
    with pytest.raises(ValidationError, match="already in this archive"):
        import_bag(archive, bag)  # the NFD accession is the same accession
    with Archive.create(tmp_path / "other") as other:
        item = other.get(import_bag(other, bag))
        assert (item["title_vi"], item["accession"]) == ("Ấn vàng", "ẤN-1")


def test_metadata_csv_from_excel_matches_scans_named_on_a_mac(tmp_path):
    """A semicolon CSV (Excel in a decimal-comma locale) naming a scan in NFC, the file on disk
    in NFD (copied from a Mac): the row still applies."""
    import unicodedata

    from archive.importer import ImportOptions, import_paths, read_metadata_csv

    from .helpers import write_box_ply

    name = "Chuông đồng.ply"
    scan = write_box_ply(tmp_path / "src", unicodedata.normalize("NFD", name))
    meta = tmp_path / "meta.csv"
    meta.write_text(f"file;title_en;kind\n{unicodedata.normalize('NFC', name)};Bronze bell;relic\n", encoding="utf-8")
    with Archive.create(tmp_path / "arch") as archive:
        report = import_paths(archive, [scan], ImportOptions(metadata=read_metadata_csv(meta), isolate=False))
        item = archive.get(report.imported[0], with_assets=False)
    assert (item["title_en"], item["kind"]) == ("Bronze bell", "relic")
