"""The Export dialog: profile, format, output folder, progress with Cancel, open the result.

The export runs on a worker thread (``ExportTask``, a QRunnable whose signals live on a
separate QObject); the worker opens its own Archive and closes it in the same thread, and
never touches a widget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QUrl, Signal
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
from archive.errors import Cancelled
from archive.publish import FORMATS, PROFILES, export_item

FORMAT_LABELS = {"glb": "Web model (GLB)", "html": "Web page (HTML folder + single file)",
                 "obj": "OBJ + MTL + textures", "ply": "PLY", "stl": "STL (3D printing, mm)",
                 "bag": "Archival package (BagIt)"}


class ExportSignals(QObject):
    progressed = Signal(int, int, str)  # done, total, message
    exported = Signal(object)  # list[Path]: the main file of each item
    failed = Signal(str)
    cancelled = Signal()


class ExportTask(QRunnable):
    """Export ``item_ids`` from the archive at ``archive_dir`` (opened in the worker)."""

    def __init__(self, archive_dir: Path, item_ids: list[int], out_dir: Path, fmt: str, profile: str,
                 up_axis: str = "auto"):
        super().__init__()
        self.setAutoDelete(False)  # the dialog keeps it referenced until it has finished
        self.archive_dir, self.item_ids, self.out_dir = archive_dir, list(item_ids), out_dir
        self.fmt, self.profile, self.up_axis = fmt, profile, up_axis
        self.token = CancelToken()
        self.signals = ExportSignals()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:
        from .publish_cli import render_image

        results: list[Path] = []
        total = len(self.item_ids)
        try:
            with Archive.open(self.archive_dir) as archive:
                for n, item_id in enumerate(self.item_ids):
                    self.token.check()

                    def step(done: int, of: int, message: str, n: int = n) -> None:
                        self.signals.progressed.emit(n * 100 + int(100 * done / max(of, 1)), total * 100, message)

                    result = export_item(archive, item_id, self.out_dir, self.fmt, self.profile,
                                         render_image=render_image, up_axis=self.up_axis, progress=step,
                                         cancel=self.token)
                    if result.main is not None:
                        results.append(result.main)
            self.signals.progressed.emit(total * 100, total * 100, "Done")
            self.signals.exported.emit(results)
        except Cancelled:
            self.signals.cancelled.emit()
        except ArchiveError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - shown to the user instead of killing the thread
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")


class ExportDialog(QDialog):
    """Export the selected items; ``result_paths`` holds what was written."""

    finished_export = Signal(object)

    def __init__(self, archive_dir: Path, item_ids: list[int], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export %n item(s)", "", len(item_ids)))
        self.archive_dir, self.item_ids = Path(archive_dir), list(item_ids)
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
        """Start the export on the global thread pool; returns the running task."""
        task = ExportTask(self.archive_dir, self.item_ids, Path(self.folder.text()),
                          str(self.format.currentData()), str(self.profile.currentData()),
                          str(self.up_axis.currentData()))
        task.signals.progressed.connect(self._progressed)
        task.signals.exported.connect(self._exported)
        task.signals.failed.connect(self._failed)
        task.signals.cancelled.connect(self._cancelled)
        self.task = task
        self._set_running(True)
        QThreadPool.globalInstance().start(task)
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

    def _exported(self, paths: Any) -> None:
        self.result_paths = list(paths)
        self._set_running(False)
        self.open_button.setEnabled(bool(self.result_paths))
        self.status.setText(self.tr("Exported to %1").replace("%1", self.folder.text()))
        self.task = None
        self.finished_export.emit(self.result_paths)

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(self.tr("Export failed: %1").replace("%1", message))
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
