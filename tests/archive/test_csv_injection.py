"""CSV injection (OWASP): cells a spreadsheet would run as formulas are exported with a leading
quote, and our own export imports back exactly, values that start with a quote included."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from archive import Archive
from archive.csvio import FORMULA_START, export_csv, import_csv, neutralise, restore

ROUND_TRIP = [f"{c}cmd|' /C calc'!A0" for c in FORMULA_START] + [
    "=HYPERLINK(\"http://x\")", "@SUM(A1)", "'", "''", "'=1+1", "''=1", "'quoted'", "-", "-x", "+", "plain",
]


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def _round_trip(archive: Archive, tmp_path: Path, values: dict) -> tuple[dict, dict, Path]:
    """The item as stored here and as imported into a new archive from our CSV export."""
    original = archive.get(archive.add_item({"kind": "dish", "accession": "D-1", **values}), with_assets=False)
    out = tmp_path / "items.csv"
    export_csv(archive, out)
    with Archive.create(tmp_path / "other") as other:
        report = import_csv(other, out)
        assert report.applied and not report.errors
        copy = other.get(other.find_by_accession("D-1"), with_assets=False)
    return original, copy, out


def _cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return [cell for row in csv.reader(f) for cell in row]


@pytest.mark.parametrize("value", ROUND_TRIP)
def test_every_formula_start_and_quote_round_trips_exactly(archive, tmp_path, value):
    fields = {"title_vi": value, "date_text": value, "region": value, "ingredients": [value, "tôm"]}
    original, copy, _ = _round_trip(archive, tmp_path, fields)
    assert {k: copy[k] for k in fields} == {k: original[k] for k in fields}
    if value == value.strip():  # the catalogue trims surrounding white space itself
        assert original["title_vi"] == value and original["ingredients"][0] == value


def test_export_has_no_cell_a_spreadsheet_would_run(archive, tmp_path):
    for n, value in enumerate(ROUND_TRIP):
        archive.add_item({"kind": "dish", "accession": f"A-{n}", "title_en": value, "region": value,
                          "ingredients": [value], "steps": [value, "then"]})
    out = tmp_path / "items.csv"
    export_csv(archive, out)
    cells = _cells(out)
    assert any(c.startswith("'=") for c in cells)
    runnable = [c for c in cells if c.startswith(FORMULA_START) and not re.fullmatch(r"-[0-9]+(\.[0-9]+)?", c)]
    assert runnable == []


def test_negative_years_export_as_numbers_and_import_back(archive, tmp_path):
    _, copy, out = _round_trip(archive, tmp_path, {"title_vi": "Đỉnh", "year_from": -200, "year_to": -50})
    assert (copy["year_from"], copy["year_to"]) == (-200, -50)
    assert "-200" in _cells(out)  # a plain number stays a number in the spreadsheet


def test_a_quoted_number_typed_in_a_spreadsheet_imports_as_the_number(archive, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("accession,kind,title_vi,year_from,title_en\nN-1,relic,Bát,'-300,'abc\n", encoding="utf-8")
    report = import_csv(archive, path)
    assert report.applied and not report.errors
    item = archive.get(archive.find_by_accession("N-1"), with_assets=False)
    assert item["year_from"] == -300 and item["title_en"] == "'abc"  # a quote before ordinary text is kept


@pytest.mark.parametrize("value", ["=1", "'", "''", "'=1", "-5", "-1.5", "-2-3", "\t", "\r\n", "'x", ""])
def test_neutralise_and_restore_are_inverse(value):
    written = neutralise(value)
    assert restore(written) == value
    assert not written.startswith(FORMULA_START) or re.fullmatch(r"-[0-9]+(\.[0-9]+)?", written)
