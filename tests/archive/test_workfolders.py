"""Work folders of outputs (bag exports, item exports, site builds): a killed run's folder is
removed by the next run of its kind; a live run's folder and anything without our marker stay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive.workfolders import MARKER, new_work_folder, remove_stale_work_folders, work_folder


def _folder_of_a_dead_process(parent: Path, kind: str) -> Path:
    folder = new_work_folder(parent, kind)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    marker = json.loads((folder / MARKER).read_text())
    (folder / MARKER).write_text(json.dumps({**marker, "pid": int(dead.stdout)}))
    (folder / "private.json").write_text("{}")
    return folder


def test_only_folders_of_finished_runs_of_that_kind_are_removed(tmp_path: Path) -> None:
    killed = _folder_of_a_dead_process(tmp_path, "export")
    other_kind = _folder_of_a_dead_process(tmp_path, "bag")
    live = new_work_folder(tmp_path, "export")  # this very process: still running
    users = tmp_path / ".heritage-export-mine"
    users.mkdir()
    (users / "notes.txt").write_text("keep")
    assert remove_stale_work_folders(tmp_path, "export") == [killed]
    assert not killed.exists() and other_kind.exists() and live.exists()
    assert (users / "notes.txt").read_text() == "keep"


def test_an_old_marker_counts_as_finished(tmp_path: Path) -> None:
    folder = new_work_folder(tmp_path, "site-build")
    marker = json.loads((folder / MARKER).read_text())
    (folder / MARKER).write_text(json.dumps({**marker, "started": marker["started"] - 2 * 24 * 3600}))
    assert remove_stale_work_folders(tmp_path, "site-build") == [folder]


def test_a_run_removes_its_folder_when_it_fails(tmp_path: Path) -> None:
    try:
        with work_folder(tmp_path, "export") as folder:
            (folder / "half.glb").write_bytes(b"glTF")
            raise RuntimeError("disk unplugged")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_killed_export_is_cleaned_by_the_next(tmp_path: Path) -> None:
    from archive import Archive
    from archive.importer import ImportOptions, import_paths
    from archive.publish import export_item

    from .helpers import write_box_ply

    with Archive.create(tmp_path / "a") as archive:
        item = import_paths(archive, [write_box_ply(tmp_path / "src")], ImportOptions(isolate=False)).imported[0]
        out = tmp_path / "out"
        out.mkdir()
        killed = _folder_of_a_dead_process(out, "export")
        result = export_item(archive, item, out, "glb")
    assert not killed.exists()
    assert sorted(p.name for p in out.iterdir()) == [result.files[0].name]
