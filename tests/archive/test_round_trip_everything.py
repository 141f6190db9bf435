"""An item with every field filled — Vietnamese typed in NFC and in NFD, a serving vessel, a scan
— travels through CSV (names and vi/en labels) and BagIt into another archive and comes back
field by field; the public fields reach the HTML page's JSON-LD."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, ImportOptions
from archive.csvio import export_csv, import_csv
from archive.fields import ITEM_FIELDS
from archive.publish import export_bag, export_item, import_bag

from .helpers import write_textured_obj

NFD = unicodedata.normalize("NFD", "Chè hạt sen long nhãn")  # what macOS tools write


def _value(field: Any, n: int) -> Any:
    """A value for ``field`` that its validation accepts (vocabulary fields take seeded terms)."""
    if field.vocabulary:
        return None  # filled from the archive's own vocabulary below
    if field.choices:
        return field.choices[-1] if field.name != "kind" else None
    return {"text": f"{field.label_vi} “{n}” = đ", "longtext": f"Dòng một\nDòng hai; {field.name}",
            "list": [f"{field.name} một", "=2+2", "hai; ba"], "int": 7 + n, "float": 12.5 + n,
            "bool": True, "link": None}[field.type]


def _full_item(archive: Archive, kind: str, n: int) -> dict[str, Any]:
    values: dict[str, Any] = {"kind": kind}
    for field in ITEM_FIELDS:
        if kind not in field.kinds or field.name in ("kind", "accession"):
            continue
        value = _value(field, n)
        if field.vocabulary:
            term = archive.vocabulary(field.vocabulary)[0]["value"]
            value = [term] if field.type == "list" else term
        if value is not None:
            values[field.name] = value
    values.update(place_lat=16.46, place_lon=107.59, year_from=1802, year_to=1945)
    return values


@pytest.fixture
def source(tmp_path: Path) -> tuple[Archive, int, int]:
    archive = Archive.create(tmp_path / "source")
    vessel = archive.add_item({**_full_item(archive, "relic", 1), "accession": "BTCVCĐ-0001"})
    dish_values = {**_full_item(archive, "dish", 2), "accession": "AT-0001", "title_vi": NFD,
                   "serving_vessel": vessel}
    dish = archive.add_item(dish_values)
    archive.import_paths([write_textured_obj(tmp_path / "scan")], ImportOptions(item_id=dish, isolate=False))
    yield archive, vessel, dish
    archive.close()


def _record(archive: Archive, item_id: int) -> dict[str, Any]:
    item = archive.get(item_id, with_assets=False)
    vessel = item.get("serving_vessel")
    item["serving_vessel"] = archive.get(vessel, with_assets=False)["accession"] if vessel else None
    return {k: v for k, v in item.items() if k not in ("id", "created_at", "updated_at", "version")}


def test_every_field_is_filled_and_stored_in_nfc(source) -> None:
    archive, vessel, dish = source
    for item_id, kind in ((vessel, "relic"), (dish, "dish")):
        record = _record(archive, item_id)
        empty = [f.name for f in ITEM_FIELDS if kind in f.kinds and record.get(f.name) in (None, [], "")]
        assert empty == [], f"the test item leaves {empty} empty"
    assert archive.get(dish)["title_vi"] == unicodedata.normalize("NFC", NFD)


@pytest.mark.parametrize("labels", [None, "vi", "en"])
def test_csv_brings_every_field_back(source, tmp_path: Path, labels: str | None) -> None:
    archive, vessel, dish = source
    out = tmp_path / "items.csv"
    export_csv(archive, out, labels=labels)
    with Archive.create(tmp_path / f"csv-{labels}") as other:
        report = import_csv(other, out)
        assert report.applied and not report.errors
        for item_id in (vessel, dish):
            accession = archive.get(item_id, with_assets=False)["accession"]
            assert _record(other, other.find_by_accession(accession)) == _record(archive, item_id)


def test_bags_bring_every_field_and_byte_back(source, tmp_path: Path) -> None:
    archive, vessel, dish = source
    with Archive.create(tmp_path / "bags") as other:
        for item_id in (dish, vessel):  # the dish first: its vessel link waits, then is made
            import_bag(other, export_bag(archive, item_id, tmp_path / "out"))
        for item_id in (vessel, dish):
            accession = archive.get(item_id, with_assets=False)["accession"]
            copy = other.find_by_accession(accession)
            assert _record(other, copy) == _record(archive, item_id)
            theirs = [(f["path"], f["sha256"]) for a in other.assets(copy) for f in a["files"]]
            assert theirs == [(f["path"], f["sha256"]) for a in archive.assets(item_id) for f in a["files"]]


def test_public_fields_reach_the_page_and_private_ones_do_not(source, tmp_path: Path) -> None:
    archive, _vessel, dish = source
    result = export_item(archive, dish, tmp_path / "html", "html")
    folder = result.files[0].parent
    doc = json.loads(next(folder.glob("*.vi.jsonld")).read_text(encoding="utf-8"))
    text = json.dumps(doc, ensure_ascii=False)
    assert unicodedata.normalize("NFC", NFD) in text
    item = archive.get(dish, with_assets=False)
    for private in ("private_notes", "storage_location", "donor_contact"):
        assert item[private] not in "".join(p.read_text(encoding="utf-8", errors="ignore")
                                            for p in folder.rglob("*") if p.is_file())
