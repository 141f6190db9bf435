"""The "Compare…" dialog: measure another scan against the one in the viewer.

The comparison runs on a worker (:class:`CompareTask`); the dialog shows the summary in real
units, can show the heat map in the viewer and save the record (JSON) and an HTML report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from viewer import Model, load_model_isolated
from viewer.compare import CompareParams, Comparison, compare
from viewer.measure import convert, format_length

from .viewer_tasks import ViewerTask


class CompareTask(ViewerTask):
    """Load the compared file (isolated reader) and compare it with the reference model."""

    def __init__(self, reference: Model, path: str, units: str | None, params: CompareParams) -> None:
        super().__init__()
        self.reference, self.path, self.units, self.params = reference, path, units, params

    def work(self) -> tuple[Comparison, Model]:
        compared = load_model_isolated(self.path, units=self.units or self.reference.units, cancel=self.cancel)
        return compare(self.reference, compared, self.params, cancel=self.cancel), compared

    def unexpected(self, exc: Exception) -> str:
        return f"The comparison failed ({type(exc).__name__}: {exc})."


class CompareDialog(QDialog):
    """Choose a scan to compare with the viewer's model, run, read the summary, keep the result."""

    def __init__(self, reference: Model, parent: QWidget | None = None, show_heat_map: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Compare scans"))
        self.reference = reference
        self.show_heat_map = show_heat_map  # callable(Model) from the viewer, or None
        self.result: tuple[Comparison, Model] | None = None
        self.task: CompareTask | None = None
        self.path = QLineEdit()
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.tolerance = QDoubleSpinBox(decimals=3, minimum=0.001, maximum=1000.0, value=0.5, suffix=" mm")
        form = QFormLayout()
        form.addRow(self.tr("Reference"), QLabel(reference.path.name if reference.path else self.tr("(this model)")))
        form.addRow(self.tr("Compared scan"), row)
        form.addRow(self.tr("Tolerance"), self.tolerance)
        self.summary = QLabel(self.tr("Aligned by feature matching, then ICP; deviation to the reference surface."))
        self.summary.setWordWrap(True)
        self.run_button = QPushButton(self.tr("Compare"))
        self.run_button.clicked.connect(self.run)
        self.heat_button = QPushButton(self.tr("Show heat map"), enabled=False)
        self.heat_button.clicked.connect(self._show_heat_map)
        self.save_button = QPushButton(self.tr("Save report…"), enabled=False)
        self.save_button.clicked.connect(lambda: self.save_report())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        for b in (self.run_button, self.heat_button, self.save_button):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Scan to compare"))
        if path:
            self.path.setText(path)

    def params(self) -> CompareParams:
        units = self.reference.units
        tol = convert(self.tolerance.value(), "mm", units) if units else self.tolerance.value()
        return CompareParams(tolerance=tol)

    def run(self) -> None:
        """Start the comparison on a worker; the summary follows (``task.signals.finished``)."""
        if not self.path.text().strip():
            self.summary.setText(self.tr("Choose the scan to compare first."))
            return
        self.task = CompareTask(self.reference, self.path.text().strip(), None, self.params())
        self.task.signals.succeeded.connect(self._done)
        self.task.signals.failed.connect(lambda exc: self.summary.setText(str(exc)))
        self.task.signals.finished.connect(lambda: self.run_button.setEnabled(True))
        self.run_button.setEnabled(False)
        self.summary.setText(self.tr("Aligning and measuring…"))
        QThreadPool.globalInstance().start(self.task)

    def _done(self, result: tuple[Comparison, Model]) -> None:
        self.result = result
        c = result[0]
        s, u = c.summary(), c.units
        self.summary.setText(self.tr(
            "{n} points — mean {mean}, RMS {rms}, 95th percentile {p95}, max {max}; "
            "{beyond} % beyond the tolerance (alignment fitness {fit})").format(
            n=f"{s['points']:,}", mean=format_length(s["mean"], u), rms=format_length(s["rms"], u),
            p95=format_length(s["p95"], u), max=format_length(s["max"], u),
            beyond=f"{s['beyond_tolerance'] * 100:.2f}", fit=f"{c.fitness:.3f}"))
        self.heat_button.setEnabled(self.show_heat_map is not None)
        self.save_button.setEnabled(True)

    def _show_heat_map(self) -> None:
        if self.result is not None and self.show_heat_map is not None:
            from viewer.compare_report import heat_map_model

            self.show_heat_map(heat_map_model(*self.result))

    def save_report(self, folder: str | None = None) -> Path | None:
        """Write the HTML report, pictures and JSON record into ``folder`` (asks where if None)."""
        if self.result is None:
            return None
        folder = folder or QFileDialog.getExistingDirectory(self, self.tr("Folder for the report"))
        if not folder:
            return None
        from viewer.compare_report import write_report

        path = write_report(self.result[0], self.result[1], folder)
        self.summary.setText(self.summary.text() + "\n" + self.tr("Report saved: {path}").format(path=path))
        return path
