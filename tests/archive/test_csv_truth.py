"""CSV import tells the truth: a dry run reports what the import does, field by field; files from
Excel in other locales (semicolons, tabs, UTF-16) read; columns are never dropped silently;
an export with Vietnamese or English labels imports back without loss."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from archive import Archive, ValidationError
from archive.csvio import export_csv, import_csv
from heritage_app.cli import main

from .test_csv_verify_backup import TRICKY


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def _fill(archive: Archive, n: int = 13) -> None:
    archive.add_items([{"kind": "relic", "title_vi": f"Bát {i}", "accession": f"R-{i}"} for i in range(n)])


def _edit_one_cell(path: Path) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    rows[4][rows[0].index("title_vi")] = "Bát mới"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)


def _lines(report) -> list[tuple]:
    return [(c["row"], c["accession"], c["field"], c["old"], c["new"]) for c in report.changes]


def test_dry_run_of_one_edited_cell_reports_that_one_change_as_the_real_run_makes_it(archive, tmp_path):
    _fill(archive)
    path = tmp_path / "all.csv"
    export_csv(archive, path)
    _edit_one_cell(path)
    dry = import_csv(archive, path, dry_run=True)
    assert (dry.updated, dry.unchanged, dry.created, dry.applied) == (1, 12, 0, False)
    assert _lines(dry) == [(5, "R-3", "title_vi", "Bát 3", "Bát mới")]
    assert archive.get(archive.find_by_accession("R-3"))["title_vi"] == "Bát 3"
    real = import_csv(archive, path)
    assert real.applied and (real.updated, real.unchanged, real.created) == (dry.updated, dry.unchanged, dry.created)
    assert _lines(real) == _lines(dry)
    assert archive.get(archive.find_by_accession("R-3"))["title_vi"] == "Bát mới"


def test_dry_run_counts_new_items_and_links_made_by_the_same_file(archive, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("accession,kind,title_vi,serving_vessel\nD-1,dish,Chè,V-1\nV-1,relic,Bát,\n", encoding="utf-8")
    dry = import_csv(archive, path, dry_run=True)
    assert archive.count() == 0 and dry.created == 2 and not dry.errors
    real = import_csv(archive, path)
    assert real.created == 2 and real.new_items == dry.new_items and _lines(real) == _lines(dry)
    dish = archive.get(archive.find_by_accession("D-1"))
    assert dish["serving_vessel"] == archive.find_by_accession("V-1")


def test_cli_dry_run_prints_each_change(archive, tmp_path, capsys):
    _fill(archive, 3)
    path = tmp_path / "all.csv"
    export_csv(archive, path)
    rows = path.read_text(encoding="utf-8-sig").replace("Bát 1", "Bát một")
    path.write_text(rows, encoding="utf-8")
    archive.close()
    assert main(["--archive", str(tmp_path / "arch"), "csv-import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would update 1, create 0; 2 unchanged" in out
    assert "R-1 (row 3): title_vi: 'Bát 1' → 'Bát một'" in out


@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8-sig"), ("\t", "utf-16"), (";", "utf-16")])
def test_semicolon_and_tab_separated_files_import(archive, tmp_path, delimiter, encoding):
    path = tmp_path / "excel.csv"
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(["accession", "kind", "title_vi", "place_lat", "place_lon", "tags"])
        w.writerow(["N-1", "relic", "Bình, men lam", "16,46", "107,59", "a; b"])
    report = import_csv(archive, path)
    assert report.applied and not report.errors, report.errors
    item = archive.get(archive.find_by_accession("N-1"))
    assert (item["title_vi"], item["place_lat"], item["tags"]) == ("Bình, men lam", 16.46, ["a", "b"])


def test_unknown_column_error_is_short_and_suggests_close_names(archive, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("accession,titel_vi,Chất liệu x\nN-1,Bát,gốm\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        import_csv(archive, path)
    message = str(err.value)
    assert len(message) < 250
    assert "'title_vi'" in message and "'Chất liệu'" in message
    assert [p.code for p in err.value.problems] == ["unknown_column", "unknown_column"]


@pytest.mark.parametrize("header", ["accession,title_vi,title_vi", "accession,title_vi,Tên (tiếng Việt)"])
def test_duplicate_columns_are_refused(archive, tmp_path, header):
    path = tmp_path / "in.csv"
    path.write_text(f"{header}\nN-1,Bát,Chén\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="appears twice"):
        import_csv(archive, path)
    assert archive.count() == 0


def test_an_unnamed_column_with_values_is_refused_an_empty_one_is_not(archive, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("accession,title_vi,\nN-1,Bát,gốm\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no name"):
        import_csv(archive, path)
    path.write_text("accession,title_vi,\nN-1,Bát,\n", encoding="utf-8")
    assert import_csv(archive, path).applied


def test_a_row_with_more_cells_than_the_header_is_an_error(archive, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("accession,title_vi\nN-1,Bát,lost\nN-2,Chén\n", encoding="utf-8")
    report = import_csv(archive, path)
    assert not report.applied and report.errors[0]["row"] == 2 and "lost" in report.errors[0]["error"]
    assert archive.count() == 0


@pytest.mark.parametrize("labels", ["vi", "en"])
def test_labelled_export_imports_back_every_field(archive, tmp_path, labels):
    vessel = archive.add_item({"kind": "relic", "title_vi": "Bát", "accession": "R-1", "height": 5.5, "width": 3,
                               "depth": 2, "dimension_unit": "cm", "materials": ["sứ"], "weight_kg": 1.25,
                               "inscriptions": "Khải Định niên chế", "provenance": "x", "condition": "tốt",
                               "current_location": "kho", "object_type": "bát", "techniques": ["vẽ lam"],
                               "period": "Nguyễn - Khải Định", "year_from": 1916, "year_to": 1925, "culture": "Việt",
                               "creator": "?", "object_rights": "Bảo tàng", "model_licence": "CC-BY-4.0",
                               "model_credit": "Lab", "status": "reviewed", "storage_location": "K1",
                               "donor_contact": "ông A", "date_text": "đầu TK XX", "other_names": ["chén"],
                               "description_vi": "mô tả", "description_en": "text", "collections": ["Gốm"],
                               "tags": ["men lam"], "place_name": "Huế", "title_en": "Bowl"})
    archive.add_item({**TRICKY, "serving_vessel": vessel, "culinary_line": "ẩm thực cung đình", "region": "Huế",
                      "cooking_method": "chiên", "cook_minutes": 10, "yield_text": "4", "practitioner": "bà B",
                      "specimen": "replica", "accession": "D-1"})
    out = tmp_path / f"items.{labels}.csv"
    export_csv(archive, out, labels=labels)
    first = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert ("Tên (tiếng Việt)" if labels == "vi" else "Title (Vietnamese)") in first
    with Archive.create(tmp_path / f"other-{labels}") as other:
        report = import_csv(other, out)
        assert report.applied and report.created == 2 and not report.errors
        for accession in ("R-1", "D-1"):
            a = archive.get(archive.find_by_accession(accession), with_assets=False)
            b = other.get(other.find_by_accession(accession), with_assets=False)
            skip = {"id", "created_at", "updated_at", "serving_vessel", "version"}
            assert {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}
        dish = other.get(other.find_by_accession("D-1"))
        assert other.get(dish["serving_vessel"])["accession"] == "R-1"
        assert import_csv(other, out, dry_run=True).changes == []  # and a second import changes nothing


def test_labels_alone_without_the_name_row_also_import(archive, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Số đăng ký,Loại,Title (English)\nN-1,relic,Bowl\n", encoding="utf-8")
    assert import_csv(archive, path).applied
    assert archive.get(archive.find_by_accession("N-1"))["title_en"] == "Bowl"
