"""Portable stored names (issue 14): names Windows cannot hold, or that collide by case or Unicode
normalisation, are stored under safe names; the catalogue, exports and bags keep the originals."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
from PIL import Image

from archive import Archive
from archive.portable import portable_part, stored_names
from archive.publish import export_bag, export_item, import_bag
from archive.verify import verify

from .test_publish_support import add

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{p}{n}" for p in ("COM", "LPT") for n in "123456789")}


def windows_legal(part: str) -> bool:
    """Windows' own rules for one name, written out independently of archive.portable."""
    return (part not in ("", ".", "..") and part[-1] not in ". " and len(part.encode("utf-8")) <= 255
            and not any(c in '<>:"|?*\\' or ord(c) < 32 for c in part)
            and part.split(".")[0].rstrip(" ").upper() not in _RESERVED)


# -- the mapping ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["model.obj", "textures/a.png", "Bát/ảnh 1.png", "x..y.obj", "a .png",
                                  "CONSOLE.png", "com10.png", "NUL_.txt", "." + "é" * 99])
def test_portable_names_are_stored_as_they_are(name):
    assert stored_names([name]) == {name: name}


def test_a_name_of_255_bytes_is_portable_but_over_the_path_budget():
    name = "." + "é" * 127  # 255 bytes: every system holds it, but 128 characters
    assert stored_names([name], budget=None) == {name: name}
    stored = stored_names([name])[name]
    assert len(stored) <= 100 and stored.startswith(".éé") and "_~" in stored


@pytest.mark.parametrize("name", ["CON", "con.png", "Nul.tar.gz", "textures/COM1.png", "lpt9", "AUX .txt",
                                  "a.", "b ", "a./b.png", "a:b.png", "w<h>y.png", 'q"u|o?t*e.png', "tab\there.png",
                                  "x" * 256 + ".png", "ả" * 100 + ".png", "dir/" + "y" * 300])
def test_names_windows_cannot_hold_get_safe_names(name):
    stored = stored_names([name])[name]
    assert stored != name
    assert all(windows_legal(p) for p in stored.split("/"))
    assert len(stored.split("/")) == len(name.split("/")) and len(stored) <= 100
    # the unchanged parts stay, and the changed part stays recognisable (a path over the
    # budget has its folder shortened too, see the budget tests below)
    for old, new in zip(name.split("/"), stored.split("/"), strict=True):
        assert new == old if windows_legal(old) and len(name) <= 100 else "_~" in new


def test_renamed_forms_keep_extension_and_readable_stem():
    got = stored_names(["CON.png", "a:b.png"])
    assert got["CON.png"].startswith("CON_~") and got["CON.png"].endswith(".png")
    assert got["a:b.png"].startswith("a_b_~") and got["a:b.png"].endswith(".png")
    assert len(got["CON.png"]) == len("CON_~123456.png")


def test_names_colliding_by_case_or_normalisation_are_told_apart():
    nfd = unicodedata.normalize("NFD", "ảnh.png")
    paths = ["tex/A.png", "tex/a.png", "ảnh.png", nfd, "Tex/b.png", "x.png"]
    got = stored_names(paths)
    assert len({v.casefold() for v in got.values()}) == len(paths)  # unique once case-folded…
    assert len({unicodedata.normalize("NFC", v).casefold() for v in got.values()}) == len(paths)  # …and NFC
    early, late = sorted(["ảnh.png", nfd])  # NFD sorts first here
    assert got["x.png"] == "x.png" and got[early] == early and "_~" in got[late]
    # folders colliding by case: the later ("tex" after "Tex") gets the suffix, for every file under it
    assert got["Tex/b.png"] == "Tex/b.png"
    folder = got["tex/A.png"].split("/")[0]
    assert folder.startswith("tex_~") and got["tex/a.png"].split("/")[0] == folder
    # inside it, the later of two files colliding by case gets the suffix
    assert got["tex/A.png"] == f"{folder}/A.png" and got["tex/a.png"].startswith(f"{folder}/a_~")


def test_the_mapping_is_deterministic_and_idempotent():
    paths = ["CON.png", "con.PNG", "a:b.png", "A.obj", "a.obj", "d/NUL", "D/x", "ok.mtl"]
    got = stored_names(paths)
    assert stored_names(list(reversed(paths))) == got  # order of the list does not matter
    assert len(set(got.values())) == len(paths)
    again = list(got.values())
    assert stored_names(again) == {v: v for v in again}  # stored names are already portable and unique


def test_a_renamed_name_never_takes_an_original_one():
    first = stored_names(["CON.png"])["CON.png"]
    got = stored_names(["CON.png", first])
    assert len({v.casefold() for v in got.values()}) == 2
    assert all(portable_part(v) for v in got.values())


@pytest.mark.parametrize("name", ["../x.png", "a/../b", "/tmp/x", "a//b", "./c"])
def test_dots_and_empty_parts_are_not_renamed_away(name):
    assert stored_names([name]) == {name: name}  # the store's resolve_inside still refuses them


# -- through the archive ----------------------------------------------------------------------------

OBJ = ("mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
       "usemtl skin\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\nusemtl lid\nf 1/1 3/3 2/2\n")
MTL = "newmtl skin\nKd 1 1 1\nmap_Kd con.png\nnewmtl lid\nKd 1 1 1\nmap_Kd a?b.png\n"
NAMES = ["q.obj", "m.mtl", "con.png", "a?b.png"]


def _png(colour: tuple[int, int, int]) -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def archive_with_hostile_names(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "q.obj").write_text(OBJ)
    (src / "m.mtl").write_text(MTL)
    (src / "con.png").write_bytes(_png((200, 30, 30)))
    (src / "a?b.png").write_bytes(_png((30, 30, 200)))
    archive = Archive.create(tmp_path / "archive")
    with archive:
        item_id = add(archive, src / "q.obj", "relic", accession="HUE-CON", title_vi="Tên lạ", status="published",
                      model_licence="CC-BY-4.0")
        yield archive, item_id, src


def _stored_parts(root: Path) -> list[str]:
    out = []
    for dirpath, dirs, files in os.walk(root / "objects"):
        rel = Path(dirpath).relative_to(root)
        out += [p for name in dirs + files for p in (rel / name).parts]
    return out


def test_an_import_stores_only_windows_legal_names_and_verifies(archive_with_hostile_names):
    archive, item_id, src = archive_with_hostile_names
    asset = archive.get(item_id)["assets"][0]
    assert sorted(f["path"] for f in asset["files"]) == sorted(NAMES)  # the catalogue keeps the originals
    parts = _stored_parts(archive.root)
    assert parts and all(windows_legal(p) for p in parts), parts
    stored = sorted(p.name for p in (archive.root / asset["storage_dir"]).iterdir())
    assert "con.png" not in stored and "a?b.png" not in stored and "q.obj" in stored and "m.mtl" in stored
    for f in asset["files"]:  # every file is found under its stored name, byte for byte
        assert archive.store.asset_file(asset, f["path"]).read_bytes() == (src / f["path"]).read_bytes()
    report = verify(archive)
    assert report.ok and {f["status"] for f in report.files} == {"ok"}, report.files


def test_the_obj_export_still_finds_the_renamed_textures(archive_with_hostile_names, tmp_path):
    archive, item_id, _src = archive_with_hostile_names
    result = export_item(archive, item_id, tmp_path / "out", "obj")
    assert not any("missing" in n for n in result.notes), result.notes
    images = [p for p in result.files if p.suffix.lower() in (".png", ".jpg", ".jpeg")]
    colours = sorted(tuple(np.asarray(Image.open(p).convert("RGB"))[0, 0]) for p in images)
    assert colours == sorted([(200, 30, 30), (30, 30, 200)])
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("heritage-originals-*/q.obj"))


def test_the_bag_keeps_the_original_names_and_round_trips(archive_with_hostile_names, tmp_path):
    archive, item_id, src = archive_with_hostile_names
    bag = export_bag(archive, item_id, tmp_path / "bags")
    payload = sorted(p.relative_to(bag / "data" / "assets" / "001").as_posix()
                     for p in (bag / "data" / "assets" / "001").rglob("*") if p.is_file())
    assert payload == sorted(NAMES)
    doc = json.loads((bag / "data" / "metadata" / "item.json").read_text(encoding="utf-8"))
    assert sorted(f["path"] for f in doc["assets"][0]["files"]) == sorted(NAMES)
    with Archive.create(tmp_path / "other") as other:
        new_id = import_bag(other, bag)
        asset = other.get(new_id)["assets"][0]
        assert sorted(f["path"] for f in asset["files"]) == sorted(NAMES)
        assert all(windows_legal(p) for p in _stored_parts(other.root))
        for name in NAMES:
            assert other.store.asset_file(asset, name).read_bytes() == (src / name).read_bytes()
        assert verify(other).ok


def test_backup_restore_and_migrate_keep_the_stored_names(archive_with_hostile_names, tmp_path):
    from archive.backup import backup, restore
    from archive.migrate import migrate

    archive, item_id, _src = archive_with_hostile_names
    restored = restore(backup(archive, tmp_path / "b"), tmp_path / "r")
    moved = migrate(archive.root, tmp_path / "m")
    for root in (restored, moved):
        assert sorted(_stored_parts(root)) == sorted(_stored_parts(archive.root))
        with Archive.open(root) as copy:
            assert verify(copy).ok
            assert copy.master_path(item_id).name == "q.obj"


def test_a_main_file_with_a_reserved_name_is_found(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "PRN.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    with Archive.create(tmp_path / "archive") as archive:
        item_id = add(archive, src / "PRN.obj", "relic", accession="HUE-PRN", title_vi="x")
        path = archive.master_path(item_id)
        assert path.is_file() and path.name.startswith("PRN_~") and PurePosixPath(path.name).suffix == ".obj"
        assert archive.get(item_id)["assets"][0]["main_file"] == "PRN.obj"
        assert verify(archive).ok
