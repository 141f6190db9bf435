"""Reports of the archive tools: fixity check (verify) and CSV import (the dry run shown
before anything is applied)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from archive import CsvReport, VerifyReport
from archive.text import printable


class VerifyReportDialog(QDialog):
    def __init__(self, report: VerifyReport, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Fixity check"))
        self.setMinimumSize(640, 360)
        counts = report.counts
        if report.ok:
            text = self.tr("All %n file(s) match their recorded SHA-256. The catalogue is intact.", "", counts["ok"])
        else:
            text = self.tr(
                "Problems found: {changed} changed, {missing} missing, {untracked} untracked file(s); "
                "{ok} file(s) are intact. Restore damaged files from a backup; nothing was changed."
            ).format(**counts)
        headline = QLabel(text)
        headline.setWordWrap(True)
        headline.setObjectName("verifyHeadline")
        tree = QTreeWidget()
        tree.setHeaderLabels([self.tr("File"), self.tr("Status"), self.tr("Item")])
        tree.setRootIsDecorated(False)
        for problem in report.database:
            QTreeWidgetItem(tree, [self.tr("catalogue database"), printable(problem), ""])
        statuses = {"changed": self.tr("changed"), "missing": self.tr("missing"), "untracked": self.tr("untracked")}
        for entry in report.files:
            if entry["status"] != "ok":
                status = statuses.get(entry["status"], entry["status"])
                QTreeWidgetItem(tree, [printable(entry["path"]), status, printable(entry.get("item") or "")])
        tree.setColumnWidth(0, 380)
        tree.setVisible(tree.topLevelItemCount() > 0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(tree, 1)
        layout.addWidget(buttons)


class CsvReportDialog(QDialog):
    """The dry-run report of a CSV import, with Apply (or Apply skipping bad rows)."""

    applyRequested = Signal(bool)  # skip_bad

    def __init__(self, report: CsvReport, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("CSV import — check before applying"))
        self.setMinimumSize(640, 360)
        summary = self.tr(
            "{file}: {created} new item(s), {updated} item(s) to update, {errors} row(s) with errors."
        ).format(file=printable(file_name), created=report.created, updated=report.updated, errors=len(report.errors))
        headline = QLabel(summary)
        headline.setTextFormat(Qt.TextFormat.PlainText)  # a file name must never be read as HTML
        headline.setWordWrap(True)
        headline.setObjectName("csvHeadline")
        tree = QTreeWidget()
        tree.setHeaderLabels([self.tr("Row"), self.tr("Field"), self.tr("Problem")])
        tree.setRootIsDecorated(False)
        for error in report.errors:
            cells = [str(error.get("row", "")), printable(error.get("field") or ""), printable(error["error"])]
            QTreeWidgetItem(tree, cells)
        tree.setColumnWidth(0, 60)
        tree.setColumnWidth(1, 140)
        tree.setVisible(bool(report.errors))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = QPushButton(self.tr("Apply"))
        self.apply_button.setEnabled(not report.errors and (report.created + report.updated) > 0)
        self.apply_button.clicked.connect(lambda: self._apply(False))
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip_button = QPushButton(self.tr("Apply, skipping rows with errors"))
        self.skip_button.setVisible(bool(report.errors) and (report.created + report.updated) > 0)
        self.skip_button.clicked.connect(lambda: self._apply(True))
        buttons.addButton(self.skip_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        if report.errors:
            note = QLabel(
                self.tr(
                    "Nothing is changed unless you apply. Fix the rows below in the CSV file, "
                    "or apply the valid rows only."
                )
            )
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(tree, 1)
        layout.addWidget(buttons)

    def _apply(self, skip_bad: bool) -> None:
        self.applyRequested.emit(skip_bad)
        self.accept()
