"""The comparisons kept for an item (``Archive.comparisons``), listed in the compare dialog:
which scan against which, when, the figures in real units; show one's heat map again, open its
report, or delete it (asked first)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from archive import Archive, ArchiveError
from viewer.measure import format_length

from .compare_store import version_label

translate = QCoreApplication.translate  # the name pyside6-lupdate looks for


class SavedComparisons(QWidget):
    """The list and its actions; ``showRequested`` carries the comparison dict to show again."""

    showRequested = Signal(dict)  # noqa: N815 (Qt naming)

    def __init__(self, archive_getter: Callable[[], Archive | None], item_id: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.archive_getter, self.item_id = archive_getter, item_id
        self.comparisons: list[dict[str, Any]] = []
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels([self.tr("Kept"), self.tr("Compared scan"), self.tr("Reference"), self.tr("RMS"),
                                   self.tr("95th percentile"), self.tr("Max"), self.tr("Beyond tolerance")])
        self.tree.itemSelectionChanged.connect(self._update_actions)
        self.tree.itemDoubleClicked.connect(lambda *_: self.show_selected())
        self.show_button = QPushButton(self.tr("Show heat map"))
        self.show_button.clicked.connect(self.show_selected)
        self.report_button = QPushButton(self.tr("Open report"))
        self.report_button.clicked.connect(self.open_report)
        self.delete_button = QPushButton(self.tr("Delete…"))
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.empty = QLabel(self.tr("No comparison of this item is kept yet: run one, then Keep in the archive."))
        self.empty.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.show_button, self.report_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        self.reload()

    def reload(self, select: int | None = None) -> None:
        """List the item's comparisons again (newest first), selecting ``select`` when given."""
        archive = self.archive_getter()
        self.comparisons = []
        if archive is not None and self.item_id is not None:
            try:
                self.comparisons = list(reversed(archive.comparisons(self.item_id)))
            except ArchiveError as exc:
                self.empty.setText(str(exc))
        self.tree.clear()
        for c in self.comparisons:
            s, u = c["summary"], c["summary"].get("unit")
            gone = "" if c["compared_asset_id"] is not None else " ✕"
            row = QTreeWidgetItem([c["created_at"][:16].replace("T", " "), version_label(c["compared"]) + gone,
                                   version_label(c["reference"]), format_length(s["rms"], u),
                                   format_length(s["p95"], u), format_length(s["max"], u),
                                   f"{s['beyond_tolerance'] * 100:.1f} % > {format_length(s['tolerance'], u)}"])
            self.tree.addTopLevelItem(row)
            if c["id"] == select:
                self.tree.setCurrentItem(row)
        for column in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(column)
        self.empty.setVisible(not self.comparisons)
        self._update_actions()

    def current(self) -> dict[str, Any] | None:
        row = self.tree.currentItem()
        return self.comparisons[self.tree.indexOfTopLevelItem(row)] if row is not None else None

    def _update_actions(self) -> None:
        c = self.current()
        self.show_button.setEnabled(c is not None and c["compared_asset_id"] is not None)
        self.report_button.setEnabled(c is not None and "report.html" in c["files"])
        archive = self.archive_getter()
        self.delete_button.setEnabled(c is not None and archive is not None and not archive.read_only)

    def show_selected(self) -> None:
        c = self.current()
        if c is not None and c["compared_asset_id"] is not None:
            self.showRequested.emit(c)

    def open_report(self) -> bool:
        c = self.current()
        if c is None or "report.html" not in c["files"]:
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(c["folder"]) / "report.html")))

    def delete_selected(self, confirm: Callable[[QWidget, dict[str, Any]], bool] | None = None) -> bool:
        """Delete the selected comparison after asking (``confirm`` replaces the question in tests)."""
        c, archive = self.current(), self.archive_getter()
        if c is None or archive is None or not (confirm or ask_delete)(self, c):
            return False
        try:
            archive.delete_comparison(int(c["id"]))
        except ArchiveError as exc:
            QMessageBox.warning(self, self.tr("Delete comparison"), str(exc))
            return False
        self.reload()
        return True


# -- helpers (below the class: lupdate keeps the class's context) --------------------------------
def ask_delete(parent: QWidget, comparison: dict[str, Any]) -> bool:
    answer = QMessageBox.question(parent, translate("SavedComparisons", "Delete comparison"), translate(
        "SavedComparisons", "Delete the comparison of {compared} against {reference}? Its figures and report go; "
        "the scans stay.").format(compared=version_label(comparison["compared"]),
                                  reference=version_label(comparison["reference"])))
    return answer == QMessageBox.StandardButton.Yes
