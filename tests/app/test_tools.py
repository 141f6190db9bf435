"""Tools from the window: verify, backup and restore, CSV export and import (dry run
first), all on the writer thread with their reports."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QLabel

from archive import Archive
from heritage_app.tools_dialogs import CsvReportDialog, VerifyReportDialog


def _dialogs(kind):
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def _finish(qtbot, window, task):
    # Not waitSignal: a queued signal emitted before the wait connects would be missed.
    qtbot.waitUntil(lambda: not window.tasks.is_running(task), timeout=30_000)


def test_verify_shows_its_report(qtbot, window):
    task = window.ops.verify()
    _finish(qtbot, window, task)
    qtbot.waitUntil(lambda: bool(_dialogs(VerifyReportDialog)), timeout=5000)
    dialog = _dialogs(VerifyReportDialog)[0]
    assert "intact" in dialog.findChild(QLabel, "verifyHeadline").text()
    dialog.close()


def test_csv_export_then_dry_run_then_apply(qtbot, window, tmp_path: Path, small_archive):
    csv_path = tmp_path / "items.csv"
    _finish(qtbot, window, window.ops.csv_export(csv_path))
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "Chuông đồng" in text
    csv_path.write_text(text.replace("Bronze bell", "Great bronze bell"), encoding="utf-8-sig")
    _finish(qtbot, window, window.ops.csv_import(csv_path))
    qtbot.waitUntil(lambda: bool(_dialogs(CsvReportDialog)), timeout=5000)
    dialog = _dialogs(CsvReportDialog)[0]
    with Archive.open(small_archive) as archive:  # the dry run changed nothing
        assert archive.get(archive.find_by_accession("T-0001"))["title_en"] == "Bronze bell"
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(window.ops.itemsChanged, timeout=30_000):
        dialog.apply_button.click()
    with Archive.open(small_archive) as archive:
        assert archive.get(archive.find_by_accession("T-0001"))["title_en"] == "Great bronze bell"


def test_csv_with_errors_cannot_be_applied_whole(qtbot, window, tmp_path: Path):
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("accession,kind,title_vi,year_from\nN-1,relic,Mới,abc\n", encoding="utf-8")
    _finish(qtbot, window, window.ops.csv_import(csv_path))
    qtbot.waitUntil(lambda: bool(_dialogs(CsvReportDialog)), timeout=5000)
    dialog = _dialogs(CsvReportDialog)[0]
    assert not dialog.apply_button.isEnabled()
    dialog.reject()


def test_backup_and_restore(qtbot, window, tmp_path: Path):
    backup_dir = tmp_path / "backup"
    _finish(qtbot, window, window.ops.backup(backup_dir))
    assert (backup_dir / "catalogue.sqlite").exists()
    restored = []
    window.ops.restored.disconnect()
    window.ops.restored.connect(restored.append)
    _finish(qtbot, window, window.ops.restore(backup_dir, tmp_path / "restored"))
    assert restored == [tmp_path / "restored"]
    with Archive.open(tmp_path / "restored") as archive:
        assert archive.count() == 5


def test_a_failed_task_shows_an_error_not_a_traceback(qtbot, window, tmp_path: Path, monkeypatch):
    from heritage_app import operations

    shown = []
    monkeypatch.setattr(operations, "show_error", lambda _p, title, exc: shown.append((title, exc)))
    not_empty = tmp_path / "full"
    not_empty.mkdir()
    (not_empty / "x").write_text("x")
    _finish(qtbot, window, window.ops.backup(not_empty))
    assert shown and "not empty" in str(shown[0][1])


def test_opening_an_archive_makes_the_daily_backup(qtbot, window, tmp_path: Path, monkeypatch):
    from archive import Archive

    monkeypatch.delenv("HERITAGE_NO_AUTO_BACKUP")
    root = tmp_path / "fresh"
    Archive.create(root).close()
    assert window.open_archive(root)
    assert window.auto_backup_task is None  # a whole-catalogue copy waits until the window is painted
    qtbot.waitUntil(lambda: window.auto_backup_task is not None, timeout=15_000)
    _finish(qtbot, window, window.auto_backup_task)
    assert [p.name[:5] for p in (root / "backups").iterdir()] == ["auto-"]
    assert (next((root / "backups").iterdir()) / "catalogue.sqlite").exists()


def test_no_daily_backup_for_an_archive_closed_before_it_was_due(qtbot, window, tmp_path: Path, monkeypatch):
    from archive import Archive
    from heritage_app.main_window import AUTO_BACKUP_DELAY_MS

    monkeypatch.delenv("HERITAGE_NO_AUTO_BACKUP")
    root = tmp_path / "fresh"
    Archive.create(root).close()
    assert window.open_archive(root)
    window.close_archive()
    qtbot.wait(AUTO_BACKUP_DELAY_MS + 500)
    assert window.auto_backup_task is None
    assert list((root / "backups").glob("auto-*")) == []
