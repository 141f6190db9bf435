"""Correct a scan's units or up axis after import (``Archive.update_asset``): only the
catalogue changes, the stored file never does; each change is an event with old and new value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from archive.errors import ArchiveError
from archive.fields import ASSET_FIELD

from .i18n import field_label

AssetSaver = Callable[[int, dict[str, Any]], object]
"""(asset id, {field: new value}) -> the archive's Change; raises ArchiveError when refused."""

EDITABLE = ("units", "up_axis")


class AssetEditorDialog(QDialog):
    """Units and up axis of one asset; Save writes only the fields that changed."""

    saved = Signal(dict)  # {field: new value} as written

    def __init__(self, asset: dict[str, Any], save: AssetSaver, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("assetEditor")
        self.asset, self._save = asset, save
        self.setWindowTitle(self.tr("Scan {file}").format(file=asset.get("main_file", "")))
        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        for name in EDITABLE:
            combo = QComboBox(self)
            combo.setObjectName(f"asset_{name}")
            combo.addItem(self.tr("unknown"), None)
            for choice in ASSET_FIELD[name].choices:
                combo.addItem(choice, choice)
            combo.setCurrentIndex(max(0, combo.findData(asset.get(name))))
            form.addRow(field_label(ASSET_FIELD[name]), combo)
            self.combos[name] = combo
        note = QLabel(self.tr("The stored file is not changed: measurements, dimensions and exports use these values."))
        note.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("assetEditorError")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def changes(self) -> dict[str, Any]:
        values = {name: combo.currentData() for name, combo in self.combos.items()}
        return {name: value for name, value in values.items() if value != self.asset.get(name)}

    def save(self) -> bool:
        """Write the changed fields; a refusal stays in the dialog, in words, and nothing closes."""
        changes = self.changes()
        if changes:
            try:
                self._save(int(self.asset["id"]), changes)
            except ArchiveError as exc:
                self.error.setText(self.tr("Not saved: {reason}").format(reason=str(exc)))
                self.error.show()
                return False
            self.asset.update(changes)
            self.saved.emit(changes)
        self.accept()
        return True
