"""Import: originals kept byte for byte, metadata read, all-or-nothing on every failure."""

from __future__ import annotations

import errno
import hashlib
import stat
import zipfile
from pathlib import Path

import pytest

from archive import Archive, Cancelled, CancelToken, SearchQuery, StorageError
from archive.importer import ImportOptions, import_paths, read_metadata_csv
from archive.store import FileStore

from .helpers import write_box_ply, write_point_cloud, write_textured_obj


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(archive: Archive) -> tuple:
    """Everything an import could change: rows, events and files on disk."""
    rows = tuple(archive.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("items", "assets", "files", "events"))
    files = sorted(str(p.relative_to(archive.root)) for p in archive.root.rglob("*") if p.is_file()
                   and not p.name.startswith("catalogue.sqlite") and p.parts[len(archive.root.parts)] != "staging")
    return rows, tuple(files), tuple(archive.store.leftovers())


def test_a_mesh_is_stored_byte_for_byte_and_read_only(archive, tmp_path):
    source = write_box_ply(tmp_path / "in")
    report = import_paths(archive, [source], ImportOptions(kind="relic"))
    assert report.errors == []
    item = archive.get(report.imported[0])
    asset = item["assets"][0]
    assert (asset["format"], asset["vertices"], asset["faces"]) == ("ply", 8, 12)
    assert asset["bbox"]["max"][2] - asset["bbox"]["min"][2] == pytest.approx(30)
    stored = archive.asset_path(asset)
    assert stored.read_bytes() == source.read_bytes()
    assert asset["files"][0]["sha256"] == sha(source)
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert [e["type"] for e in archive.history(item["id"])] == ["import"]


def test_obj_keeps_its_mtl_and_texture_under_their_names(archive, tmp_path):
    source = write_textured_obj(tmp_path / "in")
    report = import_paths(archive, [source], ImportOptions(kind="relic"))
    asset = archive.get(report.imported[0])["assets"][0]
    names = sorted(f["path"] for f in asset["files"])
    assert names == ["material.mtl", "material_0.png", "vase.obj"]
    assert asset["textured"] is True
    main = archive.asset_path(asset)
    assert (main.parent / "material_0.png").read_bytes() == (source.parent / "material_0.png").read_bytes()


def test_point_cloud_counts_points_and_colours(archive, tmp_path):
    report = import_paths(archive, [write_point_cloud(tmp_path / "in", n=321)])
    asset = archive.get(report.imported[0])["assets"][0]
    assert (asset["geometry"], asset["points"], asset["vertex_colors"]) == ("points", 321, True)


def test_reimporting_identical_bytes_is_detected(archive, tmp_path):
    source = write_box_ply(tmp_path / "in")
    import_paths(archive, [source])
    before = snapshot(archive)
    report = import_paths(archive, [source])
    assert report.imported == [] and report.errors[0]["type"] == "DuplicateImport"
    assert snapshot(archive) == before


def test_a_folder_becomes_one_item_per_scan_with_a_report(archive, tmp_path):
    folder = tmp_path / "batch"
    write_box_ply(folder)
    write_textured_obj(folder / "sub")
    (folder / "notes.txt").write_text("field notes")
    (folder / "broken.stl").write_bytes(b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 1 2")
    report = import_paths(archive, [folder], ImportOptions(kind="dish", collection="Ẩm thực Huế"))
    assert len(report.imported) == 2
    assert [e["path"].endswith("broken.stl") for e in report.errors] == [True]
    assert any(s["path"].endswith("notes.txt") for s in report.skipped)
    assert archive.search_ids(SearchQuery(collection="Ẩm thực Huế")) == report.imported


def test_a_zip_is_unpacked_safely(archive, tmp_path):
    source = write_textured_obj(tmp_path / "in")
    bundle = tmp_path / "scan.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        for f in source.parent.iterdir():
            z.write(f, f"vase/{f.name}")
    report = import_paths(archive, [bundle])
    assert len(report.imported) == 1 and report.errors == []
    assert archive.store.leftovers() == []


@pytest.mark.parametrize("name", ["../evil.ply", "/abs/evil.ply", "a/../../evil.ply", "C:\\evil.ply"])
def test_zip_slip_names_are_refused(archive, tmp_path, name):
    bundle = tmp_path / "bad.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr(name, write_box_ply(tmp_path / "in").read_bytes())
    report = import_paths(archive, [bundle])
    assert report.errors[0]["type"] == "UnsafeReference"
    assert not (tmp_path / "evil.ply").exists() and archive.count() == 0


def test_zip_bombs_are_refused(archive, tmp_path):
    bundle = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("huge.ply", b"\0" * (300 * 1024 * 1024))
    report = import_paths(archive, [bundle])
    assert report.errors[0]["type"] == "LimitExceeded" and archive.count() == 0


@pytest.mark.parametrize("content", [b"", b"ply\nformat ascii 1.0\nelement vertex 10\n", b"\x00" * 100])
def test_bad_files_leave_the_archive_unchanged(archive, tmp_path, content):
    bad = tmp_path / "bad.ply"
    bad.write_bytes(content)
    before = snapshot(archive)
    report = import_paths(archive, [bad])
    assert report.imported == [] and report.errors
    assert report.errors[0]["type"] in {"CorruptFile", "EmptyModel", "UnsupportedFormat", "LimitExceeded"}
    assert snapshot(archive) == before


def test_a_bad_metadata_value_fails_that_scan_only(archive, tmp_path):
    folder = tmp_path / "in"
    write_box_ply(folder, "a.ply")
    write_box_ply(folder, "b.ply", size=3)
    metadata = tmp_path / "meta.csv"
    metadata.write_text("file,title_en,year_from,year_to\na.ply,Bell,1800,1700\nb.ply,Drum,1800,1900\n")
    report = import_paths(archive, [folder], ImportOptions(kind="relic", metadata=read_metadata_csv(metadata)))
    assert len(report.imported) == 1 and "year range is reversed" in report.errors[0]["error"]
    assert archive.get(report.imported[0])["title_en"] == "Drum"


def test_paradata_is_validated_and_stored(archive, tmp_path):
    options = ImportOptions(asset_fields={"capture_method": "photogrammetry", "units": "mm",
                                          "capture_date": "2025-03-02", "accuracy_mm": "0.1"})
    report = import_paths(archive, [write_box_ply(tmp_path / "in")], options)
    asset = archive.get(report.imported[0])["assets"][0]
    assert (asset["capture_method"], asset["units"], asset["accuracy_mm"]) == ("photogrammetry", "mm", 0.1)
    bad = import_paths(archive, [write_box_ply(tmp_path / "in2", size=2)],
                       ImportOptions(asset_fields={"capture_date": "yesterday"}))
    assert "capture_date" in bad.errors[0]["error"]


def test_a_new_version_joins_an_existing_item_and_becomes_the_master(archive, tmp_path):
    first = import_paths(archive, [write_box_ply(tmp_path / "v1")]).imported[0]
    second = import_paths(archive, [write_box_ply(tmp_path / "v2", size=4)], ImportOptions(item_id=first))
    assert second.imported == [first]
    assets = archive.get(first)["assets"]
    assert len(assets) == 2
    assert archive.master_path(first) == archive.asset_path(assets[1])
    assert archive.asset_path(assets[0]).exists()  # the old master stays


def test_cancel_leaves_the_archive_unchanged(archive, tmp_path):
    folder = tmp_path / "in"
    for n in range(4):
        write_box_ply(folder, f"s{n}.ply", size=n + 1)
    token = CancelToken()
    before = snapshot(archive)

    def progress(done, total, message):
        if done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        import_paths(archive, [folder], progress=progress, cancel=token)
    assert snapshot(archive) == before


def test_a_full_disk_leaves_the_archive_unchanged(archive, tmp_path, monkeypatch):
    folder = tmp_path / "in"
    write_box_ply(folder, "a.ply")
    write_textured_obj(folder)
    before = snapshot(archive)
    calls = {"n": 0}

    def copy_then_fail(self, source, dest_folder, rel, cancel, on_bytes):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, source, dest_folder, rel, cancel, on_bytes)

    original = FileStore._copy_one
    monkeypatch.setattr(FileStore, "_copy_one", copy_then_fail)
    with pytest.raises(StorageError, match="disk is full"):
        import_paths(archive, [folder])
    assert snapshot(archive) == before


def test_a_failed_commit_removes_the_placed_files(archive, tmp_path, monkeypatch):
    before = snapshot(archive)

    def boom(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(archive, "log", boom)
    with pytest.raises(RuntimeError):
        import_paths(archive, [write_box_ply(tmp_path / "in")])
    assert snapshot(archive) == before


def test_a_crash_between_placing_and_committing_is_undone_on_open(tmp_path):
    root = tmp_path / "arch"
    Archive.create(root).close()
    store = FileStore(root)
    staged = store.stage([(write_box_ply(tmp_path / "in"), "box.ply")])
    store.place(staged)  # …and the process dies before the catalogue commit:
    store._session[1].release()  # as the kernel releases a dead process's lock; files stay
    assert (root / staged.storage_dir).exists()
    with Archive.open(root) as archive:
        assert not (root / staged.storage_dir).exists()
        assert not any(archive.store.staging.iterdir())


def test_references_outside_the_folder_are_never_copied(archive, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG private")
    folder = tmp_path / "in"
    source = write_textured_obj(folder)
    (folder / "material.mtl").write_text("newmtl material_0\nmap_Kd ../secret.png\n")
    report = import_paths(archive, [source])
    assert report.errors[0]["type"] == "UnsafeReference"
    assert not any(p.read_bytes() == secret.read_bytes() for p in archive.root.rglob("*.png"))


def test_photos_join_an_item_as_photo_assets(archive, tmp_path):
    from PIL import Image

    item = import_paths(archive, [write_box_ply(tmp_path / "scan")]).imported[0]
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(photos / "served.jpg")
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    report = import_paths(archive, [photos], ImportOptions(item_id=item, asset_fields={"role": "photo"}))
    assert report.imported == [item] and report.errors[0]["type"] == "CorruptFile"
    photo = [a for a in archive.get(item)["assets"] if a["role"] == "photo"]
    assert [(a["format"], a["details"]["width"]) for a in photo] == [("jpg", 64)]
    assert archive.master_path(item).name == "box.ply"  # a photo never becomes the master


def test_opening_the_archive_elsewhere_never_touches_an_import_in_progress(archive, tmp_path):
    staged = archive.store.stage([(write_box_ply(tmp_path / "in"), "box.ply")])
    with Archive.open(archive.root) as other:  # e.g. the app's second window or a CLI call
        assert other.store.leftovers() != []
    assert (staged.staging_dir / "box.ply").exists()
    archive.store.discard(staged)
    assert archive.store.leftovers() == []


def test_adding_a_version_to_a_missing_item_is_a_clear_error(archive, tmp_path):
    from archive import NotFound

    with pytest.raises(NotFound):
        import_paths(archive, [write_box_ply(tmp_path / "in")], ImportOptions(item_id=999))
    assert archive.store.leftovers() == [] and archive.count() == 0
