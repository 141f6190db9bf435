"""Importing from the window: dialog, progress, Cancel, summary, new items appear."""

from __future__ import annotations

from pathlib import Path

import trimesh
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from archive import Archive
from archive.importer import ImportOptions


def archive_state(root: Path) -> tuple[int, list[str]]:
    with Archive.open(root) as archive:
        count = archive.count()
    files = sorted(str(p.relative_to(root)) for p in (root / "objects").rglob("*"))
    return count, files


def test_import_dialog_runs_with_progress_and_new_items_appear(qtbot, window, scans):
    dialog = window.import_files(scans)
    dialog.kind.setCurrentIndex(dialog.kind.findData("relic"))
    dialog.collection.setEditText("Quét mới")
    dialog.paradata["operator"].setText("Lan")
    dialog.paradata["capture_date"].setText("2024-05-17")
    progress = []
    with qtbot.waitSignal(window.ops.imported, timeout=30_000) as blocker:
        dialog.accept()
        task = window.progress.task
        assert task is not None and window.progress.isVisible() is not None
        task.signals.progressed.connect(lambda d, t, m: progress.append((d, t)))
    report = blocker.args[0]
    assert len(report.imported) == 6
    assert len(report.errors) == 1 and "broken.ply" in report.errors[0]["path"]
    qtbot.waitUntil(lambda: window.model.rowCount() == 11, timeout=5000)  # appeared without reopening
    assert window.view.current_item_id() == report.imported[0]
    assert progress and progress[-1][0] == progress[-1][1]
    new = window.archive.get(report.imported[0])
    assert new["kind"] == "relic" and new["collections"] == ["Quét mới"]
    assert new["assets"][0]["operator"] == "Lan"
    qtbot.waitUntil(window.progress.isHidden, timeout=5000)


def test_bad_paradata_is_refused_in_the_dialog(window, scans):
    dialog = window.import_files(scans[:1])
    dialog.paradata["capture_date"].setText("17/05/2024")
    dialog.accept()
    assert dialog.isVisible() or dialog.result() == 0
    assert "date" in dialog.error.text()
    dialog.reject()


def test_cancel_leaves_the_archive_unchanged(qtbot, window, small_archive, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(40):
        trimesh.creation.icosphere(subdivisions=3, radius=1 + n / 10).export(folder / f"s{n}.ply")
    before = archive_state(small_archive)
    task = window.ops.start_import([folder], ImportOptions(kind="other"))
    task.signals.progressed.connect(lambda *_: task.cancel())
    with qtbot.waitSignal(window.ops.importCancelled, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: not window.tasks.writes, timeout=5000)
    assert archive_state(small_archive) == before
    assert not any((small_archive / "staging").iterdir())
    assert window.model.rowCount() == 5


def test_cancel_button_in_status_bar_cancels(qtbot, window, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(30):
        trimesh.creation.icosphere(subdivisions=3, radius=1 + n / 10).export(folder / f"s{n}.ply")
    task = window.ops.start_import([folder], ImportOptions())
    assert window.progress.task is task
    window.progress.cancel_button.click()
    assert task.is_cancelled
    qtbot.waitUntil(lambda: not window.tasks.is_running(task), timeout=30_000)


def _drop(window, paths: list[Path]) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, drop)
    return True


def test_dropping_files_and_folders_opens_the_import_dialog(qtbot, window, scans):
    assert _drop(window, [scans[0], scans[1].parent])
    dialog = window.import_dialog
    assert dialog is not None
    assert dialog.selected_paths() == [scans[0], scans[1].parent]
    assert _drop(window, [scans[2]])  # a second drop adds to the open dialog
    assert dialog.selected_paths()[-1] == scans[2]
    with qtbot.waitSignal(window.ops.imported, timeout=30_000) as blocker:
        dialog.accept()
    assert len(blocker.args[0].imported) == 6


def test_drop_is_refused_without_an_archive(qtbot, settings_store, scans):
    from heritage_app.main_window import MainWindow

    win = MainWindow(settings_store)
    qtbot.addWidget(win)
    assert not _drop(win, scans[:1])


def test_import_summary_lists_failures_with_reasons(qtbot, scans):
    from archive.importer import ImportReport
    from heritage_app.import_dialog import ImportSummaryDialog

    report = ImportReport(
        imported=[1], errors=[{"path": "broken.ply", "error": "the file is truncated", "type": "CorruptFile"}]
    )
    dialog = ImportSummaryDialog(report)
    qtbot.addWidget(dialog)
    group = dialog.tree.topLevelItem(0)
    assert group.child(0).text(1) == "the file is truncated"
    assert "1 scan(s) imported" in dialog.headline.text()


def _import_with(qtbot, window, dialog) -> None:
    with qtbot.waitSignal(window.ops.imported, timeout=30_000):
        dialog.accept()
    qtbot.waitUntil(lambda: not window.tasks.writes, timeout=5000)


def test_capture_details_are_remembered_per_archive(qtbot, window, scans, tmp_path):
    from heritage_app.import_dialog import ImportDialog

    dialog = window.import_files(scans[:1])
    dialog.paradata["operator"].setText("Lan")
    dialog.paradata["capture_method"].setEditText("photogrammetry")
    dialog.paradata["units"].setCurrentIndex(dialog.paradata["units"].findData("mm"))
    dialog.paradata["capture_device"].setText("Artec Leo")
    dialog.paradata["capture_date"].setText("2024-05-17")
    _import_with(qtbot, window, dialog)
    again = window.import_files(scans[1:2])
    assert again.paradata["operator"].text() == "Lan"
    assert again.paradata["capture_method"].currentText() == "photogrammetry"
    assert again.paradata["units"].currentData() == "mm"
    assert again.paradata["capture_device"].text() == "Artec Leo"
    assert again.paradata["capture_date"].text() == ""  # one day's date is not carried to the next batch
    again.reject()
    with Archive.create(tmp_path / "other") as other:
        elsewhere = ImportDialog(other, [], settings=window.store.qsettings)
        qtbot.addWidget(elsewhere)
        assert elsewhere.paradata["operator"].text() == ""  # another archive keeps its own
        assert elsewhere.paradata["units"].currentData() is None


def test_importing_one_file_shows_its_summary(qtbot, window, scans):
    from heritage_app.import_dialog import ImportSummaryDialog

    window.ops.show_summaries = True
    dialog = window.import_files(scans[:1])
    _import_with(qtbot, window, dialog)
    [summary] = [d for d in window.findChildren(ImportSummaryDialog) if d.isVisible()]
    assert "1 scan(s) imported" in summary.headline.text()
    summary.close()


def test_a_catalogue_that_cannot_answer_leaves_no_half_built_import_window(window, scans, monkeypatch):
    """The dialog reads collections and vocabularies; when the team archive's server is away that
    read fails, and no widget of the dialog may be left behind as a stray top-level window."""
    from archive import StorageError

    def away(*_args, **_kwargs):
        raise StorageError("The catalogue's server cannot be reached.")

    before = set(QApplication.topLevelWidgets())
    monkeypatch.setattr(window.archive, "vocabulary", away)
    assert window.import_files(list(scans)[:1]) is None
    assert window.import_dialog is None
    stray = [type(w).__name__ for w in QApplication.topLevelWidgets()
             if w not in before and not isinstance(w, QMessageBox)]  # the error message itself may stay
    assert stray == []
