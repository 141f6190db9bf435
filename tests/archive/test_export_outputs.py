"""Exports never replace or delete a file they did not create; accessions never share a name."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from archive import Archive
from archive.publish import export_item
from archive.publish.export import place_new
from archive.publish.public import slug

from .helpers import write_box_ply
from .test_publish_support import add


@pytest.fixture
def archive(tmp_path: Path):
    archive = Archive.create(tmp_path / "archive")
    with archive:
        yield archive


_SIZES = itertools.count(10)


def _item(archive: Archive, tmp_path: Path, accession: str) -> int:
    src = write_box_ply(tmp_path / "src" / accession.encode("utf-8").hex(), size=float(next(_SIZES)))
    return add(archive, src, "relic", accession=accession, title_vi=accession)


@pytest.mark.parametrize("pair", [("HUE-đ1", "HUE-D1"), ("ab-1", "AB-1"), ("HUE-Đ1", "hue-d1"), ("A B", "A-B")])
def test_accessions_that_fold_alike_get_different_slugs(pair):
    a, b = pair
    assert slug({"accession": a, "id": 1}) != slug({"accession": b, "id": 2})
    assert slug({"accession": a, "id": 1}) == slug({"accession": a, "id": 9})  # stable: the accession decides


def test_plain_accession_keeps_its_readable_slug():
    assert slug({"accession": "HUE-0001"}) == "hue-0001"
    assert slug({"id": 7}) != slug({"accession": "ITEM-7"})


@pytest.mark.parametrize("fmt", ["glb", "stl", "html"])
def test_two_accessions_differing_by_case_or_d_both_survive_one_folder(archive, tmp_path, fmt):
    out = tmp_path / "out"
    first = export_item(archive, _item(archive, tmp_path, "HUE-đ1"), out, fmt)
    second = export_item(archive, _item(archive, tmp_path, "HUE-D1"), out, fmt)
    assert first.main is not None and second.main is not None and first.main != second.main
    assert first.main.read_bytes() != second.main.read_bytes()  # two models, neither replaced


@pytest.mark.parametrize("fmt", ["glb", "obj", "ply", "html"])
def test_existing_files_with_the_export_name_are_kept(archive, tmp_path, fmt):
    item = _item(archive, tmp_path, "HUE-0001")
    out = tmp_path / "out"
    (out / "hue-0001").mkdir(parents=True)
    keep = {out / "hue-0001" / "notes.txt": b"a curator's notes", out / f"hue-0001.{fmt}": b"user file",
            out / "hue-0001.html": b"<p>mine</p>", out / "hue-0001.mtl": b"mine"}
    for path, data in keep.items():
        path.write_bytes(data)
    result = export_item(archive, item, out, fmt)
    assert {p: p.read_bytes() for p in keep} == keep  # nothing replaced, nothing deleted
    assert result.main is not None and result.main.exists() and "hue-0001--2" in str(result.main)
    assert any("nothing was replaced" in n for n in result.notes)
    assert not list(out.glob(".heritage-export-*"))  # the run's scratch folder is gone


def test_place_new_refuses_a_taken_name_and_keeps_both(tmp_path):
    src, dest = tmp_path / "new", tmp_path / "taken"
    src.write_bytes(b"new")
    dest.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        place_new(src, dest)
    assert dest.read_bytes() == b"old" and src.read_bytes() == b"new"


def test_place_new_without_hard_links_still_never_replaces(tmp_path, monkeypatch):
    def no_links(*args, **kwargs):
        raise PermissionError("this disk has no hard links")

    monkeypatch.setattr("os.link", no_links)
    src, dest = tmp_path / "new", tmp_path / "taken"
    src.write_bytes(b"new")
    dest.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        place_new(src, dest)
    assert dest.read_bytes() == b"old"
    place_new(src, tmp_path / "free")
    assert (tmp_path / "free").read_bytes() == b"new" and not src.exists()


def test_an_exported_english_page_uses_the_archives_own_vocabulary_labels(tmp_path: Path) -> None:
    """A term staff added with an English label (not a seeded one) shows in English on the
    English page of a single-item export, as it does in the site."""
    from archive import Archive, ImportOptions
    from archive.publish import export_item

    from .helpers import write_box_ply

    with Archive.create(tmp_path / "a") as archive:
        archive.add_vocabulary("materials", "gỗ trắc", "rosewood")
        item = archive.add_item({"kind": "relic", "title_vi": "Hộp", "title_en": "Box", "materials": ["gỗ trắc"],
                                 "accession": "R-1"})
        archive.import_paths([write_box_ply(tmp_path / "src")], ImportOptions(item_id=item, isolate=False))
        result = export_item(archive, item, tmp_path / "out", "html")
    english = (result.files[0].parent / "index.en.html").read_text(encoding="utf-8")
    assert "<dd>rosewood</dd>" in english and "<dd>gỗ trắc</dd>" not in english


@pytest.mark.parametrize(("extents", "up_axis"), [((0.1, 0.01, 0.01), "x"), ((0.01, 0.01, 0.1), "-z")])
def test_the_web_glb_stands_the_scan_up_for_any_recorded_axis(tmp_path: Path, extents, up_axis: str) -> None:
    import json
    import struct

    import trimesh

    from archive import Archive, ImportOptions
    from archive.publish import export_item

    scan = tmp_path / "src" / "tall.ply"
    scan.parent.mkdir()
    trimesh.creation.box(extents=list(extents)).export(scan)
    with Archive.create(tmp_path / "a") as archive:
        item = archive.import_paths([scan], ImportOptions(kind="relic", isolate=False,
                                                          asset_fields={"units": "m"})).imported[0]
        archive.update_asset(archive.assets(item)[0]["id"], {"up_axis": up_axis})
        glb = export_item(archive, item, tmp_path / "out", "glb").main
    data = glb.read_bytes()
    doc = json.loads(data[20:20 + struct.unpack_from("<I", data, 12)[0]])
    position = next(a for a in doc["accessors"] if a.get("type") == "VEC3" and "min" in a)
    size = [hi - lo for lo, hi in zip(position["min"], position["max"], strict=True)]
    assert size[1] == pytest.approx(0.1, rel=1e-3) and size[0] < 0.02 and size[2] < 0.02
