"""The Export dialog: runs on a worker, shows progress, can be cancelled, opens the result."""

from __future__ import annotations

from pathlib import Path

import pytest
import trimesh

from archive import Archive
from archive.importer import ImportOptions, import_paths
from heritage_app.export_dialog import ExportDialog, ExportTask
from heritage_app.tasks import TaskManager


@pytest.fixture
def archive_with_scan(tmp_path: Path) -> tuple[Path, int]:
    root = tmp_path / "archive"
    src = tmp_path / "src"
    src.mkdir()
    trimesh.creation.icosphere(subdivisions=2).export(src / "ball.ply")
    with Archive.create(root) as archive:
        report = import_paths(archive, [src / "ball.ply"], ImportOptions(
            kind="relic", item_fields={"title_vi": "Quả cầu", "accession": "T-1"}, asset_fields={"units": "mm"}))
    return root, report.imported[0]


def test_export_runs_and_offers_the_result(qtbot, archive_with_scan, tmp_path: Path) -> None:
    root, item_id = archive_with_scan
    dialog = ExportDialog(root, [item_id])
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.format.setCurrentIndex(dialog.format.findData("glb"))
    dialog.profile.setCurrentIndex(dialog.profile.findData("mobile"))
    with qtbot.waitSignal(dialog.finished_export, timeout=30_000) as blocker:
        dialog.start()
        assert dialog.cancel_button.isEnabled() and not dialog.export_button.isEnabled()
    assert blocker.args[0] == [tmp_path / "out" / "t-1.glb"]
    assert (tmp_path / "out" / "t-1.glb").exists()
    assert dialog.open_button.isEnabled() and dialog.progress.value() == dialog.progress.maximum()


def test_cancelled_export_reports_and_writes_nothing(qtbot, archive_with_scan, tmp_path: Path) -> None:
    root, item_id = archive_with_scan
    task = ExportTask(root, [item_id], tmp_path / "out", "glb", "web")
    task.cancel()
    with qtbot.waitSignal(task.signals.cancelled, timeout=10_000):
        task.run()
    assert not (tmp_path / "out").exists()


def test_failure_is_shown_not_raised(qtbot, archive_with_scan, tmp_path: Path) -> None:
    root, _ = archive_with_scan
    dialog = ExportDialog(root, [999])
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "out"))
    task = dialog.start()
    qtbot.waitUntil(lambda: dialog.task is None, timeout=30_000)
    assert task is not None and "999" in dialog.status.text()
    assert dialog.export_button.isEnabled()


def test_export_is_a_write_of_the_apps_task_manager(qtbot, archive_with_scan, tmp_path: Path) -> None:
    root, item_id = archive_with_scan
    manager = TaskManager()
    dialog = ExportDialog(root, [item_id], tasks=manager)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.finished_export, timeout=30_000):
        task = dialog.start()
        assert manager.writes == [task]  # queued with the window's other writes, one writer at a time
    qtbot.waitUntil(lambda: not manager.writes, timeout=5000)
    manager.wait()
    with Archive.open(root) as archive:
        assert [e["type"] for e in archive.history(item_id)].count("export") == 1


def test_dialog_lists_each_failed_item_and_exports_the_rest(qtbot, archive_with_scan, tmp_path):
    root, item_id = archive_with_scan
    dialog = ExportDialog(root, [item_id, 999])
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.finished_export, timeout=30_000) as blocker:
        dialog.start()
    assert blocker.args[0] == [tmp_path / "out" / "t-1.glb"]
    assert "item 999 was not exported" in dialog.status.text()
