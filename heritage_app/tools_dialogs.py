"""Reports of the archive tools: fixity check (verify) and CSV import (the dry run shown
before anything is applied)."""

from __future__ import annotations

from typing import Any

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
    """The fixity check's report. Files an earlier layout stored under other names ("misnamed":
    their bytes are intact) are not damage: the dialog offers Fix names (``fixNamesRequested``;
    the window runs ``Archive.fix_names``) instead of a backup."""

    fixNamesRequested = Signal()  # noqa: N815 (Qt naming)

    def __init__(self, report: VerifyReport, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Fixity check"))
        self.setMinimumSize(640, 360)
        counts = report.counts
        misnamed = counts.get("misnamed", 0)
        if misnamed:
            self.setMinimumWidth(820)  # room for the longer status and the item
        lines = []
        if report.ok:
            lines.append(self.tr("All %n file(s) match their recorded SHA-256. The catalogue is intact.", "",
                                 counts["ok"]))
        elif report.database or counts["changed"] or counts["missing"] or counts["untracked"] or not misnamed:
            lines.append(self.tr(
                "Problems found: {changed} changed, {missing} missing, {untracked} untracked file(s); "
                "{ok} file(s) are intact. Restore damaged files from a backup; nothing was changed."
            ).format(**counts))
        if misnamed:
            lines.append(self.tr(
                "%n file(s) are stored under the name an earlier version of the archive gave them; their contents "
                "match the recorded SHA-256, so nothing needs restoring. Run Fix names to move them to today's "
                "names (some cannot be opened on Windows until then).", "", misnamed))
        headline = QLabel("\n\n".join(lines))
        headline.setWordWrap(True)
        headline.setObjectName("verifyHeadline")
        self.result = QLabel()
        self.result.setObjectName("fixNamesResult")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.hide()
        tree = QTreeWidget()
        tree.setHeaderLabels([self.tr("File"), self.tr("Status"), self.tr("Item")])
        tree.setRootIsDecorated(False)
        for problem in report.database:
            QTreeWidgetItem(tree, [self.tr("catalogue database"), printable(problem), ""])
        statuses = {"changed": self.tr("changed"), "missing": self.tr("missing"), "untracked": self.tr("untracked"),
                    "misnamed": self.tr("stored under an earlier name (run Fix names)")}
        for entry in report.files:
            if entry["status"] != "ok":
                status = statuses.get(entry["status"], entry["status"])
                row = QTreeWidgetItem(tree, [printable(entry["path"]), status, printable(entry.get("item") or "")])
                row.setToolTip(1, status)
        tree.setColumnWidth(0, 330 if misnamed else 380)
        if misnamed:  # its status is the longest: shown whole
            tree.resizeColumnToContents(1)
        tree.setVisible(tree.topLevelItemCount() > 0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.fix_button = QPushButton(self.tr("Fix names"))
        self.fix_button.setObjectName("fixNames")
        self.fix_button.setToolTip(self.tr("Move those files to today's names: only files whose contents match "
                                           "the recorded SHA-256 are moved, and each move is logged."))
        self.fix_button.clicked.connect(self._fix_names)
        buttons.addButton(self.fix_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.fix_button.setVisible(bool(misnamed))  # after addButton, which shows it
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(self.result)
        layout.addWidget(tree, 1)
        layout.addWidget(buttons)

    def _fix_names(self) -> None:
        self.fix_button.setEnabled(False)
        self.result.setText(self.tr("Moving files to their names…"))
        self.result.show()
        self.fixNamesRequested.emit()

    def names_fixed(self, report: Any) -> None:
        """Fix names finished (``report``: the archive's NameFixReport): say what moved and what not."""
        text = self.tr("Moved %n file(s) to today's names.", "", len(report.moved))
        if report.left:
            text += " " + self.tr("%n file(s) were left where they are: their contents differ from the recorded "
                                  "SHA-256 (restore them from a backup).", "", len(report.left))
        self.result.setText(text + " " + self.tr("Verify the archive again to check."))
        self.result.show()

    def fix_failed(self) -> None:
        self.fix_button.setEnabled(True)
        self.result.hide()


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
