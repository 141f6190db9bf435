"""Archives laid out before portable names (archive.namefix): verify says which files are stored
under an earlier rule's names, ``fix-names`` moves exactly those, and everything reads again."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

import pytest

from archive import Archive
from archive.levels import read_master
from archive.portable import stored_names
from archive.publish import export_bag, export_item
from archive.verify import verify
from heritage_app.cli import main
from platform_support import make_folders_writable, make_read_only

from .test_portable_names import windows_legal
from .test_publish_support import add
from .test_readable import _is_textured, obj_source

PLY = (b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
       b"element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")


def _lay_out(archive: Archive, item_id: int, place) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Move the item's files to where ``place(rel, names)`` says an earlier rule put them;
    returns {original: that place} for the files moved."""
    moved = {}
    for asset in archive.assets(item_id):
        folder = archive.root / asset["storage_dir"]
        names = [f["path"] for f in asset["files"]]
        make_folders_writable(folder)
        for rel, now in stored_names(names).items():
            then = place(rel, names)
            if then != now:
                (folder / then).parent.mkdir(parents=True, exist_ok=True)
                os.rename(folder / now, folder / then)
                moved[rel] = then
        for d in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            if not any(d.iterdir()):
                d.rmdir()
        make_read_only(folder)
    return moved


def before_portable_names(rel: str, names: list[str]) -> str:
    return rel  # a Linux-made archive kept every original name as it was


@pytest.fixture
def linux_archive(tmp_path: Path):
    """An OBJ (``aux.mtl``, ``con.png``) and a ``CON.ply``, laid out as before portable names."""
    (tmp_path / "ply").mkdir()
    (tmp_path / "ply" / "CON.ply").write_bytes(PLY)
    with Archive.create(tmp_path / "archive") as archive:
        obj = add(archive, obj_source(tmp_path / "obj"), "relic", title_vi="Bát", accession="HUE-OBJ")
        ply = add(archive, tmp_path / "ply" / "CON.ply", "relic", title_vi="Đĩa", accession="HUE-CON")
        moved = {**_lay_out(archive, obj, before_portable_names), **_lay_out(archive, ply, before_portable_names)}
        assert sorted(moved) == ["CON.ply", "aux.mtl", "con.png"]
        yield archive, obj, ply


def _inodes(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in (root / "objects").rglob("*") if p.is_file()}


def test_verify_reports_misnamed_files_not_missing_or_untracked(linux_archive):
    archive, _obj, _ply = linux_archive
    report = verify(archive)
    assert not report.ok
    assert report.counts == {"ok": 1, "changed": 0, "missing": 0, "untracked": 0, "misnamed": 3}
    misnamed = {f["path"].rsplit("/", 1)[1]: f for f in report.files if f["status"] == "misnamed"}
    assert sorted(misnamed) == ["CON.ply", "aux.mtl", "con.png"]
    assert all(f["actual"] == f["expected"] and "fix-names" in f["message"] for f in misnamed.values())


def test_before_the_fix_readers_still_read_the_misnamed_files(linux_archive):
    archive, obj, ply = linux_archive
    assert not archive.master_path(ply).exists()  # where today's rule stores it
    assert archive.readable_master(ply).name == "CON.ply" and archive.readable_master(ply).read_bytes() == PLY
    assert _is_textured(read_master(archive.readable_master(obj)))  # aux.mtl and con.png where they lie


def test_fix_names_moves_only_the_misnamed_files(linux_archive):
    archive, obj, ply = linux_archive
    before = _inodes(archive.root)
    dry = archive.fix_names(dry_run=True)
    assert len(dry.moved) == 3 and not dry.applied and _inodes(archive.root) == before  # nothing moved yet
    report = archive.fix_names()
    assert report.applied and not report.left
    assert sorted(PurePosixPath(m["from"]).name for m in report.moved) == ["CON.ply", "aux.mtl", "con.png"]
    after = _inodes(archive.root)
    untouched = {k: v for k, v in before.items() if PurePosixPath(k).name not in ("CON.ply", "aux.mtl", "con.png")}
    assert untouched and all(after[k] == v for k, v in untouched.items())  # portable originals not touched
    for m in report.moved:  # renamed in place: the same file, never a copy
        assert after[m["to"]] == before[m["from"]] and m["from"] not in after
    assert all(windows_legal(p) for k in after for p in PurePosixPath(k).parts)
    check = verify(archive)
    assert check.ok and check.counts == {"ok": 4, "changed": 0, "missing": 0, "untracked": 0}
    assert archive.fix_names().moved == []  # nothing left to do
    events = [e for e in archive.history(ply) if e["type"] == "filename-change"]
    assert len(events) == 1
    detail = events[0]["detail"]
    detail = json.loads(detail) if isinstance(detail, str) else detail
    (old, new), = detail["renamed"].items()
    assert old == "CON.ply" and new.startswith("CON_~") and new.endswith(".ply")
    assert len([e for e in archive.history(obj) if e["type"] == "filename-change"]) == 1


def test_after_the_fix_readers_and_exports_use_the_original_names(linux_archive, tmp_path):
    archive, obj, ply = linux_archive
    archive.fix_names()
    assert _is_textured(read_master(archive.readable_master(obj)))
    bag = export_bag(archive, ply, tmp_path / "bags")
    payload = [p.name for p in (bag / "data" / "assets").rglob("*") if p.is_file()]
    assert payload == ["CON.ply"]  # the export restores the original name
    assert (bag / "data" / "assets" / "001" / "CON.ply").read_bytes() == PLY
    result = export_item(archive, obj, tmp_path / "out", "obj")
    assert not any("missing" in n for n in result.notes), result.notes


def test_a_misnamed_file_whose_bytes_changed_is_left_for_verify(linux_archive):
    archive, _obj, ply = linux_archive
    asset = archive.assets(ply)[0]
    folder = archive.root / asset["storage_dir"]
    make_folders_writable(folder)
    os.chmod(folder / "CON.ply", 0o644)
    (folder / "CON.ply").write_bytes(PLY.replace(b"1 0 0", b"2 0 0"))
    report = archive.fix_names()
    assert [left["path"].rsplit("/", 1)[1] for left in report.left] == ["CON.ply"]
    assert (folder / "CON.ply").exists()  # not moved: a changed file is verify's to report, never to "fix"
    statuses = {f["path"].rsplit("/", 1)[1]: f["status"] for f in verify(archive).files}
    assert statuses["CON.ply"] == "changed"


def test_an_archive_laid_out_before_the_path_budget_is_fixed_too(tmp_path):
    src = obj_source(tmp_path / "src")  # model.obj → aux.mtl → con.png, the texture moved into a deep folder
    deep = "Reality Capture export 2024 thời Lê/textures high resolution/" + "bản sao lưu trữ " * 3
    (src.parent / deep).mkdir(parents=True)
    (src.parent / "con.png").rename(src.parent / deep / "con.png")
    mtl = src.parent / "aux.mtl"
    mtl.write_text(mtl.read_text().replace("map_Kd con.png", f"map_Kd {deep}/con.png"))
    with Archive.create(tmp_path / "archive") as archive:
        item_id = add(archive, src, "relic", title_vi="x", accession="HUE-DEEP")
        moved = _lay_out(archive, item_id, lambda rel, names: stored_names(names, budget=None)[rel])
        assert list(moved) == [f"{deep}/con.png"] and len(moved[f"{deep}/con.png"]) > 100
        assert verify(archive).counts["misnamed"] == 1
        assert len(archive.fix_names().moved) == 1
        assert verify(archive).ok
        assert _is_textured(read_master(archive.readable_master(item_id)))  # the deep reference resolves


def test_the_cli_verifies_and_fixes(linux_archive, capsys):
    archive, _obj, _ply = linux_archive
    root = str(archive.root)
    assert main(["--archive", root, "verify"]) == 1
    out = capsys.readouterr().out
    assert out.count("misnamed  HUE-") == 3 and "3 misnamed" in out and "`heritage fix-names` moves them" in out
    assert main(["--archive", root, "fix-names", "--dry-run"]) == 0
    assert "3 file(s) to move" in capsys.readouterr().out
    assert main(["--archive", root, "fix-names", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["moved"]) == 3
    assert main(["--archive", root, "verify"]) == 0
