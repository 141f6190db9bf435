"""Messages a museum worker reads name items by accession number and title, and say plainly
when a known 3D format is one the archive does not read yet."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from archive import Archive
from archive.errors import UnsupportedFormat
from archive.formats import SCAN_SUFFIXES, identify
from archive.formats.registry import NOT_SUPPORTED_YET
from archive.importer import import_paths
from archive.labels import item_label
from archive.verify import verify

from .helpers import write_box_ply


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def test_item_label_is_accession_and_title(archive):
    item_id = archive.add_item({"kind": "relic", "title_vi": "Chuông đồng", "accession": "HUE-000012"})
    assert item_label(archive, item_id) == "HUE-000012 «Chuông đồng»"
    english_only = archive.add_item({"kind": "relic", "title_en": "Bronze bell", "accession": "HUE-000013"})
    assert item_label(archive, english_only) == "HUE-000013 «Bronze bell»"
    assert "999" in item_label(archive, 999) and "not in the catalogue" in item_label(archive, 999)


def test_verify_names_the_item_and_the_file_of_a_changed_or_missing_file(archive, tmp_path):
    report = import_paths(archive, [write_box_ply(tmp_path / "in", "chuong.ply")])
    item_id = report.imported[0]
    archive.update(item_id, {"title_vi": "Chuông đồng"})
    accession = archive.get(item_id)["accession"]
    stored = archive.master_path(item_id)
    os.chmod(stored.parent, stat.S_IRWXU)
    os.chmod(stored, stat.S_IREAD | stat.S_IWRITE)
    stored.write_bytes(stored.read_bytes() + b"\n")
    changed = next(f for f in verify(archive).files if f["status"] == "changed")
    assert changed["item"] == f"{accession} «Chuông đồng»"
    assert changed["message"] == f"{accession} «Chuông đồng»: chuong.ply is changed"
    stored.unlink()
    missing = next(f for f in verify(archive).files if f["status"] == "missing")
    assert missing["message"] == f"{accession} «Chuông đồng»: chuong.ply is missing"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("chair.fbx", b"Kaydara FBX Binary  \x00\x1a\x00", "FBX is not supported yet: export it as glTF/GLB or OBJ"),
        ("bowl.3mf", b"PK\x03\x04" + b"\x00" * 40, "3MF is not supported yet"),  # a zip inside
        ("vase.usdz", b"PK\x03\x04" + b"\x00" * 40, "USD is not supported yet"),
        ("hall.ptx", b"10\n10\n0 0 0\n", "PTX is not supported yet: export it as E57, LAS or PLY"),
        ("gate.wrl", b"#VRML V2.0 utf8\n", "X3D/VRML is not supported yet"),
    ],
)
def test_a_known_format_the_archive_does_not_read_says_not_supported_yet(tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnsupportedFormat) as err:
        identify(path)
    assert str(err.value).startswith(f"{name}: {expected}")
    assert "not a 3D" not in str(err.value)


def test_importing_an_fbx_reports_not_supported_yet(archive, tmp_path):
    path = tmp_path / "chair.fbx"
    path.write_bytes(b"Kaydara FBX Binary  \x00\x1a\x00" + b"\x00" * 100)
    report = import_paths(archive, [path])
    assert not report.imported
    assert "FBX is not supported yet" in report.errors[0]["error"]


def test_the_not_supported_table_holds_no_format_the_importer_reads():
    assert not set(NOT_SUPPORTED_YET) & set(SCAN_SUFFIXES)


def test_an_unknown_file_is_still_not_a_3d_format(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(UnsupportedFormat, match="not a 3D format"):
        identify(path)


def test_an_import_error_names_the_file_once(archive, tmp_path):
    """The report keeps the path beside the reason, and both are shown (CLI "error: PATH: …",
    the import dialog's File column): the reason must not begin with the name again."""
    bad = tmp_path / "scan.pts"
    bad.write_text("3\n1 2 3\n4 5 abc\n7 8 9\n")
    report = import_paths(archive, [bad])
    assert not report.imported
    reason = report.errors[0]["error"]
    assert "line 3" in reason and not reason.startswith("scan.pts")
    assert report.errors[0]["path"].endswith("scan.pts")


def test_a_parser_error_is_told_in_its_first_line_not_its_debug_dump(archive, tmp_path):
    """libE57 follows "checksum mismatch" with a dump of source files and line numbers."""
    junk = tmp_path / "scan.e57"
    junk.write_bytes(b"ASTM-E57" + bytes(range(256)) * 20)
    report = import_paths(archive, [junk])
    reason = report.errors[0]["error"]
    assert "cannot be read as E57" in reason and "\n" not in reason
    assert "Debug info" not in reason and ".cpp" not in reason
