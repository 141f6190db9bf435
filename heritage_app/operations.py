"""Long operations on the open archive, each a ``Task`` on the single writer thread with
progress and Cancel in the status bar: import, verify, backup, restore, CSV import/export.
They report back by signals; the window refreshes what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget
from shiboken6 import isValid

from archive import Archive, ImportOptions, ImportReport

from .dialogs import show_error
from .import_dialog import ImportSummaryDialog
from .tasks import Task, TaskManager
from .tools_dialogs import CsvReportDialog, VerifyReportDialog

# -- functions run on the worker thread (archive is the worker's own connection) -------------
translate = QCoreApplication.translate  # the name pyside6-lupdate looks for


# (the Archive methods import the modules doing the work on the worker, late: they pull in trimesh and SciPy)
def run_import(archive, progress, cancel, paths: list[Path], options: ImportOptions) -> ImportReport:
    return archive.import_paths(paths, options, progress, cancel)


def run_verify(archive, progress, cancel):
    return archive.verify(progress, cancel)


def run_fix_names(archive, progress, cancel):
    return archive.fix_names(progress=progress)


def run_backup(archive, progress, cancel, dest: Path) -> Path:
    return archive.backup(dest, progress)


def run_auto_backup(archive, progress, cancel) -> Path | None:
    return archive.auto_backup()  # None when a backup under a day old exists


def run_restore(_archive, progress, cancel, source: Path, dest: Path) -> Path:
    return Archive.restore(source, dest, progress)


def run_csv_export(archive, progress, cancel, path: Path) -> int:
    return archive.export_csv(path)


def run_csv_import(archive, progress, cancel, path: Path, dry_run: bool, skip_bad: bool):
    return archive.import_csv(path, dry_run=dry_run, skip_bad=skip_bad)


class TaskProgress(QWidget):
    """Status-bar progress of the running write, with Cancel."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(200)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("cancelTask")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.task: Task | None = None
        self.hide()

    def track(self, task: Task) -> None:
        self.task = task
        self.cancel_button.setText(translate("Operations", "Cancel"))
        self.cancel_button.setEnabled(True)
        self.label.setText(task.title)
        self.bar.setRange(0, 0)
        task.signals.progressed.connect(lambda d, t, m: self._progress(task, d, t, m))
        task.signals.finished.connect(lambda: self._finished(task))
        self.show()

    def _progress(self, task: Task, done: int, total: int, message: str) -> None:
        if task is not self.task:
            return
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.label.setText(f"{task.title} — {message}" if message else task.title)

    def _finished(self, task: Task) -> None:
        if task is self.task:
            self.task = None
            self.hide()

    def _cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText(translate("Operations", "Cancelling…"))


class Operations(QObject):
    """Starts the archive's long operations for a window and shows their results."""

    imported = Signal(object)  # ImportReport
    importCancelled = Signal()
    itemsChanged = Signal()  # items were created or updated in bulk (CSV)
    restored = Signal(object)  # Path of the restored archive
    message = Signal(str)  # for the status bar

    def __init__(self, window: QWidget, tasks: TaskManager, progress: TaskProgress):
        super().__init__(window)
        self.window = window
        self.tasks = tasks
        self.progress = progress
        self.archive_dir: Path | None = None
        self.show_summaries = True

    def _write(self, fn, *args: Any, title: str, failed_title: str, succeeded=None) -> Task:
        """Queue ``fn`` on the writer thread. Every handler is connected before the task
        starts: a queued signal reaches only the connections that existed when it was sent."""
        assert self.archive_dir is not None
        needs_archive = fn is not run_restore
        task = Task(fn, *args, archive_dir=self.archive_dir if needs_archive else None, title=title)
        task.signals.failed.connect(lambda exc: show_error(self.window, failed_title, exc))
        task.signals.cancelled.connect(
            lambda: self.message.emit(translate("Operations", "Cancelled; nothing was changed."))
        )
        if succeeded is not None:
            task.signals.succeeded.connect(succeeded)
        if fn is run_import:
            task.signals.succeeded.connect(self._import_done)
            task.signals.cancelled.connect(self.importCancelled.emit)
        self.progress.track(task)
        self.tasks.run_write(task)
        return task

    # -- import ----------------------------------------------------------------------------
    def start_import(self, paths: list[Path], options: ImportOptions) -> Task:
        task = self._write(
            run_import,
            paths,
            options,
            title=translate("Operations", "Importing scans"),
            failed_title=translate("Operations", "Import failed"),
        )
        return task

    def _import_done(self, report: ImportReport) -> None:
        self.imported.emit(report)
        self.message.emit(
            translate("Operations", "Imported {n} scan(s); {e} could not be imported.").format(
                n=len(report.imported), e=len(report.errors)
            )
        )
        if self.show_summaries:  # one file too: its warnings and what was made of it deserve saying
            ImportSummaryDialog(report, self.window).open()

    # -- tools -----------------------------------------------------------------------------
    def verify(self) -> Task:
        task = self._write(
            run_verify,
            title=translate("Operations", "Checking fixity"),
            failed_title=translate("Operations", "Verify failed"),
            succeeded=self._show_verify_report,
        )
        return task

    def _show_verify_report(self, report) -> VerifyReportDialog:
        dialog = VerifyReportDialog(report, self.window)
        dialog.fixNamesRequested.connect(lambda: self.fix_names(dialog))
        dialog.open()
        return dialog

    def fix_names(self, dialog: VerifyReportDialog | None = None) -> Task:
        """Move files stored under an earlier layout's names (``Archive.fix_names``); the report
        goes to ``dialog`` (the verify report that offered it) and the status bar."""
        def done(report) -> None:
            if dialog is not None and isValid(dialog):
                dialog.names_fixed(report)
            self.message.emit(translate("Operations", "Moved {n} file(s) to their names.").format(n=len(report.moved)))

        task = self._write(run_fix_names, title=translate("Operations", "Moving files to their names"),
                           failed_title=translate("Operations", "Fix names failed"), succeeded=done)
        if dialog is not None:
            task.signals.failed.connect(lambda _exc: isValid(dialog) and dialog.fix_failed())
        return task

    def backup(self, dest: Path | None = None) -> Task | None:
        if dest is None:
            folder = QFileDialog.getExistingDirectory(
                self.window, translate("Operations", "Choose an empty folder for the backup")
            )
            if not folder:
                return None
            dest = Path(folder)
        task = self._write(
            run_backup,
            dest,
            title=translate("Operations", "Backing up"),
            failed_title=translate("Operations", "Backup failed"),
            succeeded=lambda path: self.message.emit(
                translate("Operations", "Backup written to {path}").format(path=path)
            ),
        )
        return task

    def auto_backup(self) -> Task:
        """The daily rotating backup inside the archive (``backups/auto-*``), in the background."""
        return self._write(
            run_auto_backup,
            title=translate("Operations", "Automatic backup"),
            failed_title=translate("Operations", "Automatic backup failed"),
            succeeded=lambda path: path and self.message.emit(
                translate("Operations", "Automatic backup written to {path}").format(path=path)
            ),
        )

    def restore(self, source: Path | None = None, dest: Path | None = None) -> Task | None:
        if source is None:
            folder = QFileDialog.getExistingDirectory(
                self.window, translate("Operations", "Choose the backup folder to restore")
            )
            if not folder:
                return None
            source = Path(folder)
        if dest is None:
            folder = QFileDialog.getExistingDirectory(
                self.window, translate("Operations", "Choose an empty folder for the restored archive")
            )
            if not folder:
                return None
            dest = Path(folder)
        task = self._write(
            run_restore,
            source,
            dest,
            title=translate("Operations", "Restoring"),
            failed_title=translate("Operations", "Restore failed"),
            succeeded=self.restored.emit,
        )
        return task

    def csv_export(self, path: Path | None = None) -> Task | None:
        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self.window,
                translate("Operations", "Export metadata as CSV"),
                "catalogue.csv",
                translate("Operations", "CSV files (*.csv)"),
            )
            if not name:
                return None
            path = Path(name)
        task = self._write(
            run_csv_export,
            path,
            title=translate("Operations", "Exporting CSV"),
            failed_title=translate("Operations", "Export failed"),
            succeeded=lambda n: self.message.emit(
                translate("Operations", "Exported {n} item(s) to {path}").format(n=n, path=path)
            ),
        )
        return task

    def csv_import(self, path: Path | None = None) -> Task | None:
        """Dry run first; the report dialog offers to apply."""
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self.window,
                translate("Operations", "Import metadata from CSV"),
                "",
                translate("Operations", "CSV files (*.csv)"),
            )
            if not name:
                return None
            path = Path(name)
        task = self._write(
            run_csv_import,
            path,
            True,
            False,
            title=translate("Operations", "Checking CSV"),
            failed_title=translate("Operations", "CSV import failed"),
            succeeded=lambda report: self._csv_checked(path, report),
        )
        return task

    def _csv_checked(self, path: Path, report) -> None:
        dialog = CsvReportDialog(report, path.name, self.window)
        dialog.applyRequested.connect(lambda skip: self._csv_apply(path, skip))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()

    def _csv_apply(self, path: Path, skip_bad: bool) -> Task:
        task = self._write(
            run_csv_import,
            path,
            False,
            skip_bad,
            title=translate("Operations", "Importing CSV"),
            failed_title=translate("Operations", "CSV import failed"),
            succeeded=lambda report: (
                self.itemsChanged.emit(),
                self.message.emit(
                    translate("Operations", "CSV applied: {c} created, {u} updated.").format(
                        c=report.created, u=report.updated
                    )
                ),
            ),
        )
        return task
