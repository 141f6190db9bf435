"""`heritage annotations|annotate|measure|records-export|records-import`: research records from
the command line (heritage_app.records_cli): results, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import Archive, ImportOptions
from heritage_app.cli import main

from .helpers import write_box_ply


@pytest.fixture
def arch(tmp_path: Path) -> str:
    """An archive holding item 1: a 10 × 20 × 30 mm box centred on the origin."""
    root = tmp_path / "arch"
    with Archive.create(root) as archive:
        report = archive.import_paths([write_box_ply(tmp_path / "scans")], ImportOptions(
            asset_fields={"units": "mm"}, item_fields={"accession": "R-1"}))
        assert report.imported == [1], report.errors
    return str(root)


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_measure_prints_the_distance_in_the_scans_units_and_saves_nothing(arch, capsys):
    code, out, _ = run(capsys, "--archive", arch, "measure", "1", "--from", "-5,-10,-15", "--to", "5,10,15")
    assert code == 0 and out == "distance: 37.4166 mm\n"
    with Archive.open(arch) as archive:
        assert archive.records(1) == []


def test_measure_save_keeps_a_record_with_the_computed_value(arch, capsys):
    code, out, _ = run(capsys, "--archive", arch, "measure", "1", "--from", "0,0,0", "--via", "3,4,0",
                       "--to", "3,4,12", "--save", "--title", "Chiều cao", "--json")
    assert code == 0
    saved = json.loads(out)
    assert (saved["measure"], saved["value"], saved["unit"], saved["title_vi"]) == ("polyline", 17.0, "mm", "Chiều cao")
    with Archive.open(arch) as archive:
        assert archive.records(1) == [saved]


def test_annotate_then_list_the_item_records(arch, capsys):
    code, out, _ = run(capsys, "--archive", arch, "annotate", "1", "--at", "-5,0,0", "--title", "Vết nứt",
                       "--title-en", "Crack", "--text", "Nứt dọc thân", "--normal", "-1,0,0", "--public")
    assert code == 0 and out == "added annotation 1 to item 1 (public)\n"
    code, out, _ = run(capsys, "--archive", arch, "annotate", "1", "--at=0,0,15", "--title-en", "Top", "--landmark")
    assert code == 0 and "landmark 2" in out and "(private)" in out
    code, out, err = run(capsys, "--archive", arch, "annotations", "1")
    assert code == 0 and err == "2 record(s)\n"
    lines = out.splitlines()
    assert "annotation" in lines[0] and "Vết nứt" in lines[0] and "[public]" in lines[0] and "(-5, 0, 0)" in lines[0]
    assert "landmark" in lines[1] and "Top" in lines[1] and "[private]" in lines[1]
    code, out, _ = run(capsys, "--archive", arch, "annotations", "1", "--json")
    records = json.loads(out)
    assert [r["kind"] for r in records] == ["annotation", "landmark"]
    assert records[0]["normal"] == [-1.0, 0.0, 0.0] and records[0]["text_vi"] == "Nứt dọc thân"
    code, out, _ = run(capsys, "--archive", arch, "annotations", "1", "--public-only", "--json")
    assert [r["id"] for r in json.loads(out)] == [1]


@pytest.mark.parametrize("args", [
    ["annotate", "1", "--at", "1,2", "--title", "x"],
    ["annotate", "1", "--at", "1,2,nan", "--title", "x"],
    ["annotate", "1", "--at", "a,b,c", "--title", "x"],
    ["annotate", "1", "--title", "x"],
    ["measure", "1", "--from", "0,0,0"],
    ["measure", "one", "--from", "0,0,0", "--to", "1,1,1"],
    ["records-export", "--out", "x.csv"],
    ["records-export", "1", "--all", "--out", "x.csv"],
])
def test_malformed_input_is_a_usage_error(arch, capsys, args):
    code, out, err = run(capsys, "--archive", arch, *args)
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1].startswith(f"heritage {args[0]}: error:")


@pytest.mark.parametrize(("args", "message"), [
    (["annotate", "1", "--at", "500,0,0", "--title", "x"], "error: points: point 1 (500, 0, 0) lies outside the model"),
    (["annotate", "1", "--at", "0,0,0"], "error: title_vi: an annotation needs a title"),
    (["annotate", "1", "--at", "0,0,0", "--title", "x", "--normal", "0,0,0"], "error: normal: must not be the zero"),
    (["measure", "9", "--from", "0,0,0", "--to", "1,1,1"], "error: There is no item 9"),
    (["annotations", "9"], "error: There is no item 9"),
    (["records-export", "--all", "--out", "records.xlsx"], "error: file: records are written as .csv or .json"),
    (["records-import", "missing.csv"], "error: missing.csv cannot be read"),
    (["records-import", "missing.json"], "error: missing.json cannot be read"),
])
def test_refused_values_are_one_line_with_exit_1(arch, capsys, args, message):
    code, out, err = run(capsys, "--archive", arch, *args)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith(message), err


def test_records_export_and_import_round_trip(arch, tmp_path, capsys):
    run(capsys, "--archive", arch, "annotate", "1", "--at", "0,0,0", "--title", "=cmd|' /C calc'!A0")
    run(capsys, "--archive", arch, "measure", "1", "--from", "0,0,0", "--to", "0,0,10", "--save")
    out_file = tmp_path / "records.csv"
    code, out, _ = run(capsys, "--archive", arch, "records-export", "1", "--out", str(out_file))
    assert code == 0 and out == f"wrote 2 record(s) to {out_file}\n"
    assert "'=cmd" in out_file.read_text(encoding="utf-8-sig")  # a spreadsheet shows it, never runs it
    with Archive.open(arch) as archive:
        before = archive.records(1)
        for record in before:
            archive.delete_record(record["id"])
    code, out, _ = run(capsys, "--archive", arch, "records-import", str(out_file), "--dry-run")
    assert code == 0 and "would be 2 created" in out and "dry run" in out
    code, out, _ = run(capsys, "--archive", arch, "records-import", str(out_file))
    assert code == 0 and out == "2 created, 0 updated, 0 unchanged\n"
    with Archive.open(arch) as archive:
        after = archive.records(1)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "id"} for r in rs]  # noqa: E731
    assert strip(after) == strip(before)


def test_records_import_reports_bad_rows_and_changes_nothing(arch, tmp_path, capsys):
    path = tmp_path / "records.csv"
    path.write_text("accession,kind,measure,points\nR-1,measurement,distance,\"[[0,0,0],[1,0,0]]\"\n"
                    "R-9,measurement,distance,\"[[0,0,0],[1,0,0]]\"\n", encoding="utf-8")
    code, out, err = run(capsys, "--archive", arch, "records-import", str(path))
    assert code == 1 and "nothing changed" in out and err.startswith("error: row 3:") and "R-9" in err
    with Archive.open(arch) as archive:
        assert archive.records(1) == []


def test_vocab_id_sets_shows_and_clears_a_term_id(arch, capsys):
    code, out, _ = run(capsys, "--archive", arch, "vocab-id", "materials", "gỗ",
                       "http://vocab.getty.edu/page/aat/300011914")
    assert code == 0 and out == "gỗ: http://vocab.getty.edu/aat/300011914\n"
    code, out, _ = run(capsys, "--archive", arch, "vocab-id", "materials", "GỖ")
    assert code == 0 and out == "gỗ: http://vocab.getty.edu/aat/300011914\n"
    code, out, err = run(capsys, "--archive", arch, "vocab-id", "materials", "gỗ", "aat:wood")
    assert code == 1 and err.startswith("error: external_id: 'aat:wood' is not a Getty AAT or Wikidata id")
    code, out, _ = run(capsys, "--archive", arch, "vocab-id", "materials", "gỗ", "")
    assert code == 0 and out == "gỗ: (no external id)\n"
    code, _, err = run(capsys, "--archive", arch, "vocab-id", "materials", "không có")
    assert code == 1 and "is not in the vocabulary" in err
