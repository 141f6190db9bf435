"""Names that forge output: control characters in file names and catalogue text are shown as
visible escapes in every human line, while JSON output keeps the exact text."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from archive.text import printable
from heritage_app.cli import main

from .helpers import write_box_ply

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Windows forbids control characters in names")

EVIL = "evil\n[OK] 999 items imported\x1b[2J"
HOSTILE = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
                            *range(0x2066, 0x206A))]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def lines(text: str) -> list[str]:
    assert "\x1b" not in text and "\r" not in text
    return text.splitlines()


@pytest.fixture
def evil_archive(tmp_path: Path, capsys) -> tuple[str, Path]:
    arch = str(tmp_path / "arch")
    assert main(["--archive", arch, "init"]) == 0
    scan = write_box_ply(tmp_path / "in", EVIL + ".ply")
    capsys.readouterr()
    return arch, scan


@pytest.mark.parametrize("ch", HOSTILE)
def test_printable_leaves_no_hostile_character(ch):
    shown = printable(f"a{ch}b")
    assert ch not in shown and shown.startswith("a\\") and shown.endswith("b")
    assert shown.isprintable()


def test_printable_keeps_ordinary_text_and_windows_paths():
    for text in ("Bún bò Huế", r"C:\Users\lan\scan.ply", "tab-free 'quoted' \"text\""):
        assert printable(text) == text


def test_printable_escapes_are_unambiguous():
    # A literal backslash-n and a real newline must not look alike once escaped.
    assert printable("a\\nb\n") != printable("a\nb\n")
    assert printable("x\u202ey") == "x\\u202ey" and printable("\x1b[2J") == "\\x1b[2J"


def test_import_and_list_of_a_forged_name_print_one_line_each(evil_archive, capsys):
    arch, scan = evil_archive
    code, out, err = run(capsys, "--archive", arch, "import", str(scan))
    assert code == 0
    assert len(lines(out)) == 1 and lines(out)[0].startswith("imported  1  evil\\n[OK]")
    assert lines(err) == []
    code, out, err = run(capsys, "--archive", arch, "list")
    assert code == 0 and len(lines(out)) == 1 and lines(err) == ["1 item(s)"]
    code, out, err = run(capsys, "--archive", arch, "show", "1")
    assert code == 0 and not any(line.startswith("[OK]") for line in lines(out))


def test_json_output_keeps_the_exact_name(evil_archive, capsys):
    arch, scan = evil_archive
    code, out, _ = run(capsys, "--archive", arch, "import", str(scan), "--json")
    assert code == 0
    (item,) = json.loads(out)["items"]
    assert item["assets"][0]["files"][0]["path"].endswith(EVIL + ".ply")
    listed = json.loads(run(capsys, "--archive", arch, "list", "--json")[1])
    assert listed[0]["title"] == item["title"] and "\x1b" in item["title"] + item["assets"][0]["files"][0]["path"]


def test_import_error_about_a_forged_name_is_one_line(evil_archive, capsys):
    arch, scan = evil_archive
    scan.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 99999999999\n")  # broken: an error naming the file
    code, out, err = run(capsys, "--archive", arch, "import", str(scan))
    assert code == 1 and lines(out) == []
    assert len(lines(err)) == 1 and lines(err)[0].startswith("error: ")


def test_verify_lines_about_a_forged_name_are_one_line_each(evil_archive, capsys):
    arch, scan = evil_archive
    assert run(capsys, "--archive", arch, "import", str(scan))[0] == 0
    stored = next(p for p in (Path(arch) / "objects").rglob("*.ply"))
    os.chmod(stored.parent, 0o755)
    (stored.parent / (EVIL + ".txt")).write_text("stray")
    code, out, _ = run(capsys, "--archive", arch, "verify")
    assert code == 1
    assert [line.split()[0] for line in lines(out)[:-1]] == ["untracked"]


def test_error_line_naming_a_forged_file_is_one_line(tmp_path, evil_archive, capsys):
    arch, _ = evil_archive
    code, out, err = run(capsys, "--archive", arch, "csv-import", str(tmp_path / (EVIL + ".csv")))
    assert code == 1 and lines(out) == []
    assert len(lines(err)) == 1 and "evil\\n[OK]" in err
