"""Killed and failed site builds: the next build works, no temporary folder stays, an earlier
site survives a failure, and a user's files are never deleted."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archive import Archive
from archive.errors import Cancelled, SiteFolderInUse
from archive.importer import ImportOptions, import_paths
from archive.publish import site as site_mod
from archive.publish.site import BUILD_PREFIX, SITE_MARKER, build_site
from archive.store import CancelToken
from heritage_app.cli import main

from .helpers import write_box_ply

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        for n, accession in enumerate(["A-1", "B-2", "C-3"]):
            report = import_paths(a, [write_box_ply(tmp_path / f"in{n}", size=5 + n)],
                                  ImportOptions(kind="relic", title=f"Bình {n}"))
            a.update(report.imported[0], {"status": "published", "accession": accession})
        yield a


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _assert_clean_site(out: Path, items: int) -> None:
    assert not [p for p in out.iterdir() if p.name.startswith(BUILD_PREFIX)]
    listed = set(json.loads((out / SITE_MARKER).read_text(encoding="utf-8"))["files"])
    assert _files(out) == listed | {SITE_MARKER}
    assert len([p for p in (out / "items").iterdir()]) == items and (out / "index.html").is_file()


KILL_DURING = {
    # os._exit: no finally block or clean-up runs, as with a power cut or SIGKILL
    "item": "site_mod.html.write_model_fallback = lambda *a: os._exit(9)",
    "install": textwrap.dedent("""
        real, calls = os.replace, []
        def replace(a, b):
            if site_mod.BUILD_PREFIX not in str(b):  # into the output folder: the install step
                calls.append(a)
            if len(calls) == 4:  # the marker and two files moved in
                os._exit(9)
            real(a, b)
        site_mod.os.replace = replace"""),
}


@pytest.mark.parametrize("where", list(KILL_DURING))
@pytest.mark.parametrize("earlier_site", [False, True], ids=["new", "over-earlier-site"])
def test_a_killed_build_is_cleaned_up_by_the_next(archive, tmp_path, where, earlier_site):
    out = tmp_path / "site"
    if earlier_site:
        build_site(archive, out)
    script = "\n".join(["import os, sys", "from pathlib import Path", "from archive import Archive",
                        "from archive.publish import site as site_mod", KILL_DURING[where],
                        "with Archive.open(Path(sys.argv[1])) as a:",
                        "    site_mod.build_site(a, Path(sys.argv[2]))"])
    archive.close()
    child = subprocess.run([sys.executable, "-c", script, str(tmp_path / "arch"), str(out)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 9, child.stderr
    assert [p for p in out.iterdir() if p.name.startswith(BUILD_PREFIX)]  # the killed build's folder
    assert where == "item" or (out / SITE_MARKER).is_file()  # killed half-way through moving files in
    with Archive.open(tmp_path / "arch") as again:
        report = build_site(again, out)
    assert report.items == 3 and not report.skipped
    _assert_clean_site(out, 3)


def test_a_failing_item_is_reported_and_the_rest_is_built(archive, tmp_path, monkeypatch, capsys):
    real = site_mod.html.write_model_fallback
    calls: list[Path] = []

    def fail_second(glb: Path, target: Path) -> None:
        calls.append(glb)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        real(glb, target)

    monkeypatch.setattr(site_mod.html, "write_model_fallback", fail_second)
    report = build_site(archive, tmp_path / "site")
    assert report.items == 2 and len(report.skipped) == 1 and "disk on fire" in report.skipped[0]["reason"]
    _assert_clean_site(tmp_path / "site", 2)  # no half-written folder for the failed item
    calls.clear()
    code = main(["--archive", str(archive.root), "site", "--out", str(tmp_path / "site"), "--no-poster"])
    err = capsys.readouterr().err
    assert code == 1 and "error: item" in err and "disk on fire" in err


@pytest.mark.parametrize("fault", ["index", "cancel"])
def test_a_failed_build_keeps_the_earlier_site_and_leaves_no_temporary_folder(archive, tmp_path, monkeypatch,
                                                                              fault):
    out = tmp_path / "site"
    build_site(archive, out)
    before = {rel: (out / rel).read_bytes() for rel in _files(out)}
    cancel = None
    if fault == "index":
        monkeypatch.setattr(site_mod, "_index_pages", lambda *a: (_ for _ in ()).throw(OSError("No space left")))
    else:
        cancel = CancelToken()
        cancel.cancel()
    with pytest.raises(OSError if fault == "index" else Cancelled):
        build_site(archive, out, cancel=cancel)
    assert {rel: (out / rel).read_bytes() for rel in _files(out)} == before
    assert not [p for p in out.iterdir() if p.name.startswith(BUILD_PREFIX)]


def test_a_failed_build_into_a_new_folder_leaves_nothing(archive, tmp_path, monkeypatch):
    monkeypatch.setattr(site_mod, "_index_pages", lambda *a: (_ for _ in ()).throw(OSError("No space left")))
    with pytest.raises(OSError):
        build_site(archive, tmp_path / "new")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("user_file", ["notes.docx", "items/my-notes.txt", ".heritage-site-build-mine/keep.txt"])
def test_a_users_file_is_never_deleted(archive, tmp_path, user_file):
    plain, site = tmp_path / "plain", tmp_path / "site"
    build_site(archive, site)
    for folder in (plain, site):
        (folder / user_file).parent.mkdir(parents=True, exist_ok=True)
        (folder / user_file).write_text("mine")
        before = _files(folder)
        with pytest.raises(SiteFolderInUse, match="choose"):
            build_site(archive, folder)
        assert _files(folder) == before and (folder / user_file).read_text() == "mine"


def test_a_site_from_before_the_file_list_is_replaced_but_other_files_are_kept(archive, tmp_path):
    out = tmp_path / "old"
    (out / "items" / "x").mkdir(parents=True)
    (out / "items" / "x" / "index.html").write_text("old page")
    (out / "index.html").write_text("old index")
    (out / SITE_MARKER).write_text("built by heritage site\n")
    assert build_site(archive, out).items == 3
    _assert_clean_site(out, 3)
    (out / SITE_MARKER).write_text("built by heritage site\n")
    (out / "report.pdf").write_text("mine")
    with pytest.raises(SiteFolderInUse, match="report.pdf"):
        build_site(archive, out)


def test_accessions_giving_one_slug_get_one_folder_each(archive, tmp_path):
    for n, ident in enumerate(archive.search_ids()):
        archive.update(ident, {"accession": ["Đ-1", "D-1", "d 1"][n]})
    report = build_site(archive, tmp_path / "site")
    assert report.items == 3 and not report.skipped
    _assert_clean_site(tmp_path / "site", 3)


def test_a_forged_marker_cannot_remove_files_outside_the_site(archive, tmp_path):
    out = tmp_path / "site"
    build_site(archive, out)
    (tmp_path / "outside.txt").write_text("mine")
    marker = json.loads((out / SITE_MARKER).read_text(encoding="utf-8"))
    marker["files"] += ["../outside.txt", str(tmp_path / "outside.txt")]
    (out / SITE_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    assert build_site(archive, out).items == 3
    assert (tmp_path / "outside.txt").read_text() == "mine"
    _assert_clean_site(out, 3)
