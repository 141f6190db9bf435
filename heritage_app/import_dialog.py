"""Importing scans: the dialog that sets kind, collection and capture paradata for a batch,
and the summary of what was imported, skipped or refused (and why)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from archive import Archive, ImportOptions, ImportReport, ValidationError, scan_file_patterns
from archive.fields import ASSET_FIELDS, ITEM_FIELD
from archive.text import printable

from .dialogs import problem_message
from .i18n import field_label, value_label

PARADATA = [f for f in ASSET_FIELDS if f.name not in ("role", "label")]
# A capture date is one day's: carried to the next batch it would date scans wrongly without a word.
REMEMBERED = [f.name for f in PARADATA if f.name != "capture_date"]


def _memory_key(archive: Archive) -> str:
    """The settings group of one archive's last capture details (a path is not a safe key)."""
    return "import_paradata/" + hashlib.sha256(str(Path(archive.root).resolve()).encode("utf-8")).hexdigest()[:24]


class ImportDialog(QDialog):
    """Choose what to import and the metadata the whole batch shares."""

    def __init__(
        self,
        archive: Archive,
        paths: list[Path],
        current_item: dict[str, Any] | None = None,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ):
        # What the form offers is read from the catalogue before any widget exists: when the team
        # archive's server is away the dialog fails whole, leaving no stray half-built window.
        collections = archive.collections()
        vocabularies = {f.vocabulary: [v["value"] for v in archive.vocabulary(f.vocabulary)]
                        for f in PARADATA if not f.choices and f.vocabulary}
        super().__init__(parent)
        self.archive = archive
        self._vocabularies = vocabularies
        # The capture details of the last batch into this archive (the window's settings by default).
        store = getattr(parent, "store", None)
        self.settings = settings if settings is not None else getattr(store, "qsettings", None)
        self.setWindowTitle(self.tr("Import scans"))
        self.setMinimumWidth(560)
        self.paths = QListWidget()
        self.paths.setObjectName("importPaths")
        self.paths.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.add_paths(paths)
        add_files, add_folder, remove = (
            QPushButton(self.tr("Add files…")),
            QPushButton(self.tr("Add folder…")),
            QPushButton(self.tr("Remove")),
        )
        add_files.clicked.connect(self._choose_files)
        add_folder.clicked.connect(self._choose_folder)
        remove.clicked.connect(lambda: [self.paths.takeItem(self.paths.row(i)) for i in self.paths.selectedItems()])
        buttons_row = QHBoxLayout()
        for b in (add_files, add_folder, remove):
            buttons_row.addWidget(b)
        buttons_row.addStretch(1)
        self.kind = QComboBox()
        self.kind.setObjectName("importKind")
        for choice in ITEM_FIELD["kind"].choices:
            self.kind.addItem(value_label(choice), choice)
        self.collection = QComboBox()
        self.collection.setEditable(True)
        self.collection.setObjectName("importCollection")
        self.collection.addItems(["", *collections])
        self.as_version = QCheckBox()
        self.current_item = current_item
        if current_item is not None:
            self.as_version.setText(
                self.tr("Add as a new version of {item}").format(
                    item=printable(f"{current_item['accession']} — {current_item['title']}")
                )
            )
            self.as_version.toggled.connect(
                lambda on: (self.kind.setEnabled(not on), self.collection.setEnabled(not on))
            )
        else:
            self.as_version.hide()
        batch = QFormLayout()
        batch.addRow(self.tr("Kind of items"), self.kind)
        batch.addRow(self.tr("Add to collection"), self.collection)
        batch.addRow("", self.as_version)
        self.paradata: dict[str, QWidget] = {}
        paradata_box = QGroupBox(self.tr("Capture paradata (for every scan of this batch)"))
        paradata_form = QFormLayout(paradata_box)
        for field in PARADATA:
            paradata_form.addRow(field_label(field), self._paradata_widget(field))
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Import"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Files, folders and zip archives to import:")))
        layout.addWidget(self.paths)
        layout.addLayout(buttons_row)
        layout.addLayout(batch)
        layout.addWidget(paradata_box)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._recall_paradata()

    def _recall_paradata(self) -> None:
        if self.settings is None:
            return
        self.settings.beginGroup(_memory_key(self.archive))
        try:
            for name in REMEMBERED:
                value = self.settings.value(name)
                if value not in (None, ""):
                    self._show_paradata(self.paradata[name], str(value))
        finally:
            self.settings.endGroup()

    @staticmethod
    def _show_paradata(widget: QWidget, value: str) -> None:
        if isinstance(widget, QLineEdit):
            widget.setText(value)
        elif isinstance(widget, QComboBox) and widget.isEditable():
            widget.setEditText(value)
        elif isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(widget.findData(value), 0))

    def _remember_paradata(self) -> None:
        if self.settings is None:
            return
        values = self._raw_paradata()
        self.settings.beginGroup(_memory_key(self.archive))
        try:
            for name in REMEMBERED:  # a field cleared now is forgotten too
                self.settings.setValue(name, values.get(name, ""))
        finally:
            self.settings.endGroup()
        self.settings.sync()

    def _paradata_widget(self, field) -> QWidget:
        if field.choices:
            widget = QComboBox()
            widget.addItem("—", None)
            for choice in field.choices:
                widget.addItem(choice, choice)
        elif field.vocabulary:
            widget = QComboBox()
            widget.setEditable(True)
            widget.addItems(["", *self._vocabularies[field.vocabulary]])
        else:
            widget = QLineEdit()
            if field.type == "date":
                widget.setPlaceholderText("2024-05-17")
        widget.setObjectName(f"paradata_{field.name}")
        self.paradata[field.name] = widget
        return widget

    def add_paths(self, paths: list[Path]) -> None:
        present = set(self.selected_paths())
        for path in paths:
            if path not in present:  # the list shows the name escaped and keeps the real path
                entry = QListWidgetItem(printable(path))
                entry.setData(Qt.ItemDataRole.UserRole, str(path))
                self.paths.addItem(entry)

    def selected_paths(self) -> list[Path]:
        return [Path(self.paths.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.paths.count())]

    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Choose scans"),
            "",
            # The patterns come from the import table, so a new format appears here by itself.
            self.tr("3D scans and zips ({patterns});;All files (*)").format(patterns=f"{scan_file_patterns()} *.zip"),
        )
        self.add_paths([Path(f) for f in files])

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder of scans"))
        if folder:
            self.add_paths([Path(folder)])

    def _raw_paradata(self) -> dict[str, str]:
        values = {}
        for name, widget in self.paradata.items():
            if isinstance(widget, QComboBox):
                value = widget.currentData() if not widget.isEditable() else widget.currentText()
            else:
                value = widget.text()
            if value not in (None, ""):
                values[name] = str(value).strip()
        return values

    def options(self) -> ImportOptions:
        as_version = self.current_item is not None and self.as_version.isChecked()
        return ImportOptions(
            kind=self.kind.currentData(),
            collection=self.collection.currentText().strip() or None,
            asset_fields=self._raw_paradata(),
            item_id=self.current_item["id"] if as_version else None,
        )

    def accept(self) -> None:
        if not self.selected_paths():
            self._show_error(self.tr("Add at least one file or folder to import."))
            return
        try:
            self.archive.clean_asset_fields(self._raw_paradata())
        except ValidationError as exc:
            problems = getattr(exc, "problems", [exc])
            labels = {f.name: field_label(f) for f in PARADATA}
            self._show_error("\n".join(printable(f"{labels.get(p.field, p.field)}: {problem_message(p)}")
                                        for p in problems))
            if problems[0].field in self.paradata:
                self.paradata[problems[0].field].setFocus()
            return
        self._remember_paradata()
        super().accept()

    def _show_error(self, text: str) -> None:
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # user text must never be read as HTML
        self.error.setText(text)
        self.error.show()


class ImportSummaryDialog(QDialog):
    """What an import did: items created, scans refused with the reason, files skipped."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Import finished"))
        self.setMinimumSize(620, 360)
        headline = QLabel(
            self.tr("%n scan(s) imported.", "", len(report.imported))
            + " "
            + self.tr("%n could not be imported.", "", len(report.errors))
        )
        headline.setObjectName("importHeadline")
        tree = QTreeWidget()
        tree.setHeaderLabels([self.tr("File"), self.tr("Result")])
        tree.setRootIsDecorated(True)
        groups = (
            (self.tr("Not imported"), report.errors, "error"),
            (self.tr("Warnings"), report.warnings, "warning"),
            (self.tr("Skipped"), report.skipped, "reason"),
        )
        for title, entries, key in groups:
            if not entries:
                continue
            group = QTreeWidgetItem(tree, [f"{title} ({len(entries)})", ""])
            for entry in entries:  # names and reasons come from files: shown with control characters escaped
                path, reason = printable(entry.get("path", "")), printable(entry.get(key, ""))
                item = QTreeWidgetItem(group, [path, reason])
                item.setToolTip(1, reason)
            group.setExpanded(key != "reason")
        tree.setColumnWidth(0, 300)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(tree, 1)
        layout.addWidget(buttons)
        self.tree = tree
        self.headline = headline
