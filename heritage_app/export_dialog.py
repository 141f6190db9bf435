"""The Export dialog: profile, format, output folder, progress with Cancel, open the result.

The export is a write of the app's task manager (it logs an ``export`` event), so it queues
behind other writes and the window knows it is running; ``ExportTask`` opens its own Archive
in the worker thread, closes it there, and never touches a widget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from archive import Archive, ArchiveError, CancelToken
from archive.publish import FORMATS, PROFILES, BatchReport, PublishError
from archive.publish import export_items as export_batch

from .rendering import render_image
from .tasks import Task, TaskManager

FORMAT_LABELS = {"glb": "Web model (GLB)", "html": "Web page (HTML folder + single file)",
                 "obj": "OBJ + MTL + textures", "ply": "PLY", "stl": "STL (3D printing, mm)",
                 "bag": "Archival package (BagIt)"}


class ExportTask(Task):
    """Export ``item_ids`` from the archive at ``archive_dir`` (opened in the worker);
    ``succeeded`` carries the :class:`~archive.publish.BatchReport` (what was written, what failed)."""

    def __init__(self, archive_dir: Path, item_ids: list[int], out_dir: Path, fmt: str, profile: str,
                 up_axis: str = "auto"):
        super().__init__(export_items, list(item_ids), out_dir, fmt, profile, up_axis, archive_dir=Path(archive_dir),
                         title="Export")
        self.item_ids = list(item_ids)

    def open_archive(self, root: Path) -> Archive:
        # A full open, so that an archive on read-only media opens read-only and exports (its
        # export events skipped) instead of failing on its first write.
        return Archive.open(root)


def failure_message(exc: BaseException) -> str:
    """What the dialog says about a failed export: the archive's own message, else the error's type too."""
    return str(exc) if isinstance(exc, ArchiveError) else f"{type(exc).__name__}: {exc}"


class ExportDialog(QDialog):
    """Export the selected items; ``result_paths`` holds what was written.

    ``tasks`` is the app's task manager, so the export queues with its other writes; a dialog
    used on its own, by a script or a test, runs the export on a task manager of its own."""

    finished_export = Signal(object)

    def __init__(self, archive_dir: Path, item_ids: list[int], parent: QWidget | None = None,
                 tasks: TaskManager | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export %n item(s)", "", len(item_ids)))
        self.archive_dir, self.item_ids = Path(archive_dir), list(item_ids)
        # Its own manager has no Qt parent: it must outlive the dialog until the task's last signal.
        self.tasks = tasks if tasks is not None else TaskManager()
        self.task: ExportTask | None = None
        self.result_paths: list[Path] = []
        self._build()

    def _build(self) -> None:
        self.profile = QComboBox()
        for name, prof in PROFILES.items():
            self.profile.addItem(prof.label, name)
        self.profile.setCurrentIndex(list(PROFILES).index("web"))
        self.format = QComboBox()
        for fmt in FORMATS:
            self.format.addItem(FORMAT_LABELS.get(fmt, fmt), fmt)
        self.up_axis = QComboBox()
        for value, label in (("auto", "As recorded (else Y)"), ("y", "Y is up"), ("z", "Z is up")):
            self.up_axis.addItem(label, value)
        self.folder = QLineEdit(str(Path.home() / "heritage-export"))
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow(self.tr("Profile"), self.profile)
        form.addRow(self.tr("Format"), self.format)
        form.addRow(self.tr("Master's up axis"), self.up_axis)
        form.addRow(self.tr("Output folder"), row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel(self.tr("Only public fields are exported (bags keep everything)."))
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(self.tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.addButton(self.tr("Open the result"), QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.open_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self.open_result)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Output folder"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def start(self) -> ExportTask:
        """Queue the export as a write of the task manager; returns the task."""
        task = ExportTask(self.archive_dir, self.item_ids, Path(self.folder.text()),
                          str(self.format.currentData()), str(self.profile.currentData()),
                          str(self.up_axis.currentData()))
        task.signals.progressed.connect(self._progressed)
        task.signals.succeeded.connect(self._exported)
        task.signals.failed.connect(self._failed)
        task.signals.cancelled.connect(self._cancelled)
        self.task = task
        self._set_running(True)
        self.tasks.run_write(task)
        return task

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.status.setText(self.tr("Cancelling…"))

    def open_result(self) -> None:
        if self.result_paths:
            target = self.result_paths[0]
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target if target.is_dir() else target.parent)))

    def _set_running(self, running: bool) -> None:
        for widget in (self.export_button, self.profile, self.format, self.folder, self.up_axis, self.close_button):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _progressed(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(message)

    def _exported(self, report: BatchReport) -> None:
        self.result_paths = [r.main for r in report.results if r.main is not None]
        self._set_running(False)
        self.open_button.setEnabled(bool(self.result_paths))
        lines = [self.tr("Exported to %1").replace("%1", self.folder.text())]
        lines += [self.tr("Not exported: %1").replace("%1", f.line()) for f in report.failures]
        lines += [self.tr("Item %1: %2").replace("%1", str(r.item_id)).replace("%2", note)
                  for r in report.results for note in r.notes]
        self.status.setText("\n".join(lines))
        self.task = None
        self.finished_export.emit(self.result_paths)

    def _failed(self, exc: BaseException) -> None:
        self._set_running(False)
        self.status.setText(self.tr("Export failed: %1").replace("%1", failure_message(exc)))
        self.task = None

    def _cancelled(self) -> None:
        self._set_running(False)
        self.status.setText(self.tr("Export cancelled."))
        self.task = None

    def reject(self) -> None:
        if self.task is not None:  # never close under a running worker
            self.cancel()
            return
        super().reject()


# Kept below the dialog: pyside6-lupdate loses the dialog's translation context after a
# nested function, and the Vietnamese strings would silently go untranslated.
def export_items(archive: Archive, progress: Any, cancel: CancelToken, item_ids: list[int], out_dir: Path,
                 fmt: str, profile: str, up_axis: str) -> BatchReport:
    """Export each item in turn (a failed item does not stop the others); progress runs over
    all of them. Raises when no item could be exported, so the dialog shows the failure."""
    report = export_batch(archive, item_ids, out_dir, fmt, profile, render_image=render_image, up_axis=up_axis,
                          progress=progress, cancel=cancel)
    if not report.results and report.failures:
        raise PublishError("\n".join(f.line() for f in report.failures))
    return report
