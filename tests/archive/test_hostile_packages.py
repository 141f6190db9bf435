"""Hostile packages: bags, backups, CSVs, zips and scan references from outside never write
outside their target, leave nothing half-done and destroy no file we did not create."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import bagit
import pytest
from PIL import Image

import archive.backup as backup_mod
import archive.publish.bagit as bag_mod
from archive import Archive
from archive.backup import backup, restore
from archive.errors import Cancelled, ImportFailed, LimitExceeded, StorageError, UnsafeReference, ValidationError
from archive.formats import inspect_scan
from archive.importer import read_metadata_csv
from archive.publish import export_bag, import_bag
from archive.publish.public import slug
from archive.safepaths import check_relative, resolve_inside
from archive.store import CancelToken
from archive.verify import verify
from archive.workfolders import new_work_folder

from .faults import ROOT, check_invariants
from .test_publish_support import CANARIES, canary_archive

PRIVATE = next(iter(CANARIES.values())).encode()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory):
    archive, ids = canary_archive(tmp_path_factory.mktemp("src") / "archive")
    with archive:
        yield archive, ids


def _snapshot(root: Path) -> tuple[list[str], dict[str, str]]:
    """The catalogue's content and every stored file's hash (what 'byte-identical' means)."""
    conn = sqlite3.connect(root / "catalogue.sqlite")
    dump = list(conn.iterdump())
    conn.close()
    files = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for d in ("objects", "derived", "deleted") for p in (root / d).rglob("*") if p.is_file()}
    return dump, files


# -- the one door ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [
    "/abs/x", "../x", "a/../../x", "deep/fake/../../../x", "C:x", "C:\\x", "a/C:x", "\\\\server\\share\\x",
    "a\\b", "a\x00b", "a\nb", "a\x1b[31mb", "a\x85b", "a//b", "", "./a", "a/.",
])
def test_one_door_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(UnsafeReference):
        check_relative(name, "the test")


@pytest.mark.parametrize("name", ["\\\\server\\share\\x", "\\abs", "C:\\x", "..\\x", "\\\\?\\C:\\x"])
def test_one_door_refuses_windows_tricks_even_with_backslash_separators(name: str) -> None:
    with pytest.raises(UnsafeReference):
        check_relative(name, "the test", backslashes=True)


def test_one_door_accepts_ordinary_names() -> None:
    assert check_relative("Bát/bò huế.ply").parts == ("Bát", "bò huế.ply")
    assert check_relative("tex\\a.png", backslashes=True).as_posix() == "tex/a.png"


def test_final_destination_follows_existing_links(tmp_path: Path) -> None:
    target, outside = tmp_path / "target", tmp_path / "outside"
    target.mkdir()
    outside.mkdir()
    (target / "inner").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeReference, match="outside"):
        resolve_inside(target, "inner/x.txt")
    assert resolve_inside(target, "sub/x.txt") == Path(os.path.realpath(target)) / "sub" / "x.txt"


# -- bag import --------------------------------------------------------------------------------------
def _bag(source, tmp_path: Path, n: int = 1) -> tuple[Path, dict]:
    a, ids = source
    bag_dir = export_bag(a, ids[n], tmp_path / "bags")
    return bag_dir, json.loads((bag_dir / "data" / "metadata" / "item.json").read_text(encoding="utf-8"))


def _rewrite(bag_dir: Path, doc: dict) -> None:
    """Write a changed item record and re-make the manifests: a valid bag, hostile content."""
    (bag_dir / "data" / "metadata" / "item.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    bagit.Bag(str(bag_dir)).save(manifests=True)


@pytest.fixture
def target(tmp_path: Path):
    with Archive.create(tmp_path / "target" / "archive") as archive:
        archive.add_item({"kind": "dish", "title_vi": "Có sẵn", "accession": "T-1"})
        yield archive


def _refused(target: Archive, bag_dir: Path, error: type[Exception], match: str | None = None) -> None:
    before = _snapshot(target.root)
    with pytest.raises(error, match=match):
        import_bag(target, bag_dir)
    assert _snapshot(target.root) == before
    assert verify(target).ok and target.store.leftovers() == []


@pytest.mark.parametrize("fake_depth", [0, 4])
def test_bag_path_escaping_the_archive_plants_nothing(source, target, tmp_path: Path, fake_depth: int) -> None:
    bag_dir, doc = _bag(source, tmp_path)
    asset = doc["assets"][0]
    payload = bag_dir / "data" / asset["folder"] / "planted.txt"
    payload.write_bytes(b"PLANTED-4b1d")
    # The old check resolved data/<folder>/<path> but staged <path>: a deep fake folder made
    # both look fine while the staged file landed beside the archive.
    asset["folder"] += "/d" * fake_depth
    rel = "f/" * 3 + "../" * (3 + fake_depth) + "planted.txt"
    asset["files"].append({"path": rel, "sha256": hashlib.sha256(b"PLANTED-4b1d").hexdigest(), "bytes": 12})
    _rewrite(bag_dir, doc)
    _refused(target, bag_dir, UnsafeReference)
    planted = [p for p in tmp_path.rglob("planted.txt") if p != payload]
    assert planted == []


def test_bag_manifest_naming_a_path_outside_is_refused_before_parsing(source, target, tmp_path: Path) -> None:
    bag_dir, _doc = _bag(source, tmp_path)
    with open(bag_dir / "manifest-sha256.txt", "a", encoding="utf-8") as f:
        f.write(f"{'0' * 64}  data/../../outside.txt\n")
    _refused(target, bag_dir, UnsafeReference, "manifest")


def test_bag_file_linking_outside_is_refused(source, target, tmp_path: Path) -> None:
    bag_dir, doc = _bag(source, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    link = bag_dir / "data" / doc["assets"][0]["folder"] / "link.txt"
    link.write_text("SECRET")
    doc["assets"][0]["files"].append({"path": "link.txt", "sha256": hashlib.sha256(b"SECRET").hexdigest(),
                                      "bytes": 6})
    _rewrite(bag_dir, doc)
    link.unlink()
    link.symlink_to(secret)  # same bytes, but read from outside the bag
    _refused(target, bag_dir, ImportFailed)


@pytest.mark.parametrize("where", ["item", "asset"])
def test_bag_unknown_key_is_named_never_sql(source, target, tmp_path: Path, where: str) -> None:
    bag_dir, doc = _bag(source, tmp_path)
    key = "label) VALUES ('x'); DROP TABLE items; --"
    (doc["item"] if where == "item" else doc["assets"][0])[key] = "x"
    _rewrite(bag_dir, doc)
    _refused(target, bag_dir, ImportFailed, "unknown key")
    assert target.count() == 1


def test_bag_import_is_all_or_nothing_including_vocabulary(source, target, tmp_path: Path) -> None:
    bag_dir, doc = _bag(source, tmp_path, n=0)
    doc["item"]["materials"] = ["vật liệu mới lạ"]
    doc["item"]["year_from"] = "not a year"
    _rewrite(bag_dir, doc)
    vocabulary = target.vocabulary("materials")
    _refused(target, bag_dir, ValidationError, "year_from")
    assert target.vocabulary("materials") == vocabulary


def test_bag_import_adds_new_vocabulary_when_it_succeeds(source, target, tmp_path: Path) -> None:
    bag_dir, doc = _bag(source, tmp_path, n=0)
    doc["item"]["materials"] = ["vật liệu mới lạ"]
    _rewrite(bag_dir, doc)
    item_id = import_bag(target, bag_dir)
    assert target.get(item_id)["materials"] == ["vật liệu mới lạ"]
    assert verify(target).ok and target.store.leftovers() == []


def test_huge_bag_info_fails_fast(source, target, tmp_path: Path) -> None:
    bag_dir, _doc = _bag(source, tmp_path)
    with open(bag_dir / "bag-info.txt", "a", encoding="utf-8") as f:
        f.write("Huge: x\n" + " folded\n" * 3_000_000)  # 24 MB of folded lines: quadratic in bagit
    started = time.monotonic()
    _refused(target, bag_dir, LimitExceeded, "bag-info.txt")
    assert time.monotonic() - started < 2.0


def test_bag_with_fetch_list_is_refused(source, target, tmp_path: Path) -> None:
    bag_dir, _doc = _bag(source, tmp_path)
    (bag_dir / "fetch.txt").write_text("http://example.com/a 1 data/a\n")
    _refused(target, bag_dir, ImportFailed, "fetch")


def test_bag_import_checks_cancel_before_the_long_validation(source, target, tmp_path: Path, monkeypatch) -> None:
    bag_dir, _doc = _bag(source, tmp_path)
    validated = []
    monkeypatch.setattr(bag_mod.bagit_lib.Bag, "validate", lambda self, *a, **k: validated.append(self))
    token = CancelToken()
    token.cancel()
    before = _snapshot(target.root)
    with pytest.raises(Cancelled):
        import_bag(target, bag_dir, cancel=token)
    assert validated == [] and _snapshot(target.root) == before


# -- bag export --------------------------------------------------------------------------------------
def _private_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and PRIVATE in p.read_bytes()]


def test_failed_bag_export_leaves_no_private_data(source, tmp_path: Path, monkeypatch) -> None:
    a, ids = source

    def fail(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bag_mod.bagit_lib, "make_bag", fail)
    with pytest.raises(OSError):
        export_bag(a, ids[0], tmp_path / "out")
    assert _private_files(tmp_path / "out") == [] and list((tmp_path / "out").iterdir()) == []


def test_bag_export_never_removes_a_folder_it_did_not_create(source, tmp_path: Path) -> None:
    a, ids = source
    out = tmp_path / "out"
    old_name = f".{slug(a.get(ids[0]))}-bag.part"
    for name in (old_name, ".heritage-bag-x.part"):  # old fixed name; ours but no marker
        (out / name).mkdir(parents=True)
        (out / name / "my-notes.txt").write_text("keep me")
    export_bag(a, ids[0], out)
    assert (out / old_name / "my-notes.txt").read_text() == "keep me"
    assert (out / ".heritage-bag-x.part" / "my-notes.txt").read_text() == "keep me"


KILLED_EXPORT = """
import os, signal, sys
sys.path.insert(0, {root!r})
from pathlib import Path
import archive.publish.bagit as bag_mod
from archive import Archive
bag_mod.bagit_lib.make_bag = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
with Archive.open(Path(sys.argv[1])) as archive:
    bag_mod.export_bag(archive, int(sys.argv[2]), Path(sys.argv[3]))
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_bag_export_is_cleaned_at_the_next_export(source, tmp_path: Path) -> None:
    a, ids = source
    out = tmp_path / "out"
    child = subprocess.run([sys.executable, "-c", KILLED_EXPORT.format(root=str(ROOT)), str(a.root), str(ids[0]),
                            str(out)], capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert _private_files(out), "the kill came after the payload was written"
    live = new_work_folder(out, "bag", ".part")  # another export still running: left alone
    bag = export_bag(a, ids[1], out)
    assert sorted(p.name for p in out.iterdir()) == sorted([bag.name, live.name])


# -- backup and restore ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def backup_dir(source, tmp_path_factory: pytest.TempPathFactory) -> Path:
    a, _ids = source
    return backup(a, tmp_path_factory.mktemp("bk") / "backup")


def _hostile_backup(backup_dir: Path, tmp_path: Path, column: str) -> Path:
    hostile = tmp_path / "hostile" / "backup"
    hostile.parent.mkdir()
    shutil.copytree(backup_dir, hostile)
    conn = sqlite3.connect(hostile / "catalogue.sqlite")
    payload = b"export EVIL=1\n"
    (hostile.parent / ".bashrc").write_bytes(payload)  # reached from the backup by the same ../
    with conn:
        if column == "path":
            conn.execute("UPDATE files SET path = '../../../../.bashrc', sha256 = ? WHERE id = "
                         "(SELECT min(id) FROM files)", [hashlib.sha256(payload).hexdigest()])
        else:
            conn.execute("UPDATE assets SET storage_dir = 'objects/../../..' WHERE id = (SELECT min(id) FROM assets)")
    conn.close()
    return hostile


@pytest.mark.parametrize("column", ["path", "storage_dir"])
def test_restore_of_a_hostile_backup_writes_nothing_outside(backup_dir: Path, tmp_path: Path, column: str) -> None:
    hostile = _hostile_backup(backup_dir, tmp_path, column)
    victim = tmp_path / "home" / ".bashrc"
    victim.parent.mkdir()
    victim.write_text("# mine\n")
    with pytest.raises(UnsafeReference):
        restore(hostile, tmp_path / "home" / "restored")
    assert victim.read_text() == "# mine\n"
    assert list(victim.parent.iterdir()) == [victim]


def test_failed_restore_is_not_an_archive_and_leaves_nothing(backup_dir: Path, tmp_path: Path, monkeypatch) -> None:
    calls = []
    real = backup_mod.shutil.copyfile

    def fail_on_third(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(backup_mod.shutil, "copyfile", fail_on_third)
    dest = tmp_path / "restored"
    with pytest.raises(StorageError):
        restore(backup_dir, dest)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StorageError, match="not an archive"):
        Archive.open(dest)


KILLED_RESTORE = """
import os, signal, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from archive.backup import restore
at = int(sys.argv[3])
def progress(done, total, message):
    if done == min(at, total - 1):
        os.kill(os.getpid(), signal.SIGKILL)
restore(Path(sys.argv[1]), Path(sys.argv[2]), progress)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("at", [0, 2, 99])
def test_killed_restore_never_looks_complete(backup_dir: Path, tmp_path: Path, at: int) -> None:
    dest = tmp_path / "restored"
    dest.mkdir()  # an empty folder the user chose
    child = subprocess.run([sys.executable, "-c", KILLED_RESTORE.format(root=str(ROOT)), str(backup_dir), str(dest),
                            str(at)], capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL
    with pytest.raises(StorageError, match="not an archive"):
        Archive.open(dest)
    for leftover in tmp_path.glob(".restored.restoring-*"):  # the hidden work folder is not an archive either
        with pytest.raises(StorageError, match="not an archive"):
            Archive.open(leftover)
    assert restore(backup_dir, dest) == dest  # and the next restore works
    assert check_invariants(dest) == []


def test_backup_never_removes_an_existing_partial_folder(source, tmp_path: Path) -> None:
    a, _ids = source
    mine = tmp_path / "bk.partial" / "thesis.docx"
    mine.parent.mkdir()
    mine.write_text("years of work")
    backup(a, tmp_path / "bk")
    assert mine.read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bk", "bk.partial"]


# -- CSV and references ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "C:\\scans\\a.ply", "a\x1b[2Jb.ply"])
def test_metadata_csv_file_column_goes_through_the_one_door(tmp_path: Path, name: str) -> None:
    csv_path = tmp_path / "meta.csv"
    csv_path.write_text(f'file,title_vi\n"{name}",Bát\n', encoding="utf-8")
    with pytest.raises(UnsafeReference):
        read_metadata_csv(csv_path)


def test_metadata_csv_accepts_windows_separators(tmp_path: Path) -> None:
    csv_path = tmp_path / "meta.csv"
    csv_path.write_text('file,title_vi\nsub\\bát.ply,Bát\n', encoding="utf-8")
    assert read_metadata_csv(csv_path) == {"sub/bát.ply": {"title_vi": "Bát"}}


@pytest.mark.parametrize("on_disk", ["kết cấu bát.png", "KẾT CẤU BÁT.PNG"])  # and another case (Windows)
def test_texture_named_nfc_found_when_the_file_is_nfd(tmp_path: Path, on_disk: str) -> None:
    name = unicodedata.normalize("NFD", on_disk)  # decomposed on disk (copied from a Mac)
    Image.new("RGB", (4, 4), (200, 10, 10)).save(tmp_path / name, format="PNG")
    (tmp_path / "m.mtl").write_text("newmtl a\nmap_Kd kết cấu bát.png\n", encoding="utf-8")  # precomposed
    (tmp_path / "m.obj").write_text("mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nusemtl a\nf 1/1 2/1 3/1\n",
                                    encoding="utf-8")
    info = inspect_scan(tmp_path / "m.obj", tmp_path)
    assert name in info.files, info.warnings


def test_the_store_never_writes_outside_a_staging_folder(tmp_path):
    from archive.errors import UnsafeReference
    from archive.store import FileStore

    source = tmp_path / "scan.ply"
    source.write_bytes(b"ply\n")
    store = FileStore(tmp_path / "arch")
    store.create_dirs()
    for rel in ("../../../planted.ply", "/tmp/planted-by-store.ply"):
        with pytest.raises(UnsafeReference):
            store.stage([(source, rel)])
    assert not (tmp_path / "planted.ply").exists() and not Path("/tmp/planted-by-store.ply").exists()
    assert store.leftovers() == []
    store.close()
