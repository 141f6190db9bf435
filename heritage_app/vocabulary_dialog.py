"""Adding a term to a controlled vocabulary right where the form refused it: the value (as typed,
usually Vietnamese) and its English label, both editable, then the archive logs the addition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from archive import ArchiveError
from archive.fields import Field

from .i18n import field_label


class AddTermDialog(QDialog):
    """Asks for the new term's value and English label; ``term()`` gives them once accepted."""

    def __init__(self, parent: QWidget | None, vocabulary_label: str, value: str):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add to a vocabulary"))
        intro = QLabel(self.tr("“{value}” is not in the list of {vocabulary} yet. Add it for every item?").format(
            value=value, vocabulary=vocabulary_label))
        intro.setTextFormat(Qt.TextFormat.PlainText)  # the value was typed by a user: never HTML
        intro.setWordWrap(True)
        self.value = QLineEdit(value)
        self.value.setObjectName("termValue")
        self.label_en = QLineEdit()
        self.label_en.setObjectName("termLabelEn")
        self.label_en.setPlaceholderText(self.tr("for example: bronze"))
        form = QFormLayout()
        form.addRow(self.tr("Value (Vietnamese)"), self.value)
        form.addRow(self.tr("English label"), self.label_en)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Add"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.value.textChanged.connect(self._enable)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def _enable(self, text: str) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text.strip()))

    def term(self) -> tuple[str, str]:
        """(value, English label) as the user left them."""
        return self.value.text().strip(), self.label_en.text().strip()


def ask_new_term(parent: QWidget | None, vocabulary_label: str, value: str) -> tuple[str, str] | None:
    """Show ``AddTermDialog``; (value, English label), or None when cancelled. Tests replace this."""
    dialog = AddTermDialog(parent, vocabulary_label, value)
    try:
        return dialog.term() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


class TermAdder(QObject):
    """The form's "Add “X” to Materials…" buttons: remembers the value each field's vocabulary
    lacks, asks for the term and adds it through ``add`` (``Archive.add_vocabulary``, which logs
    it). Without ``add`` (no archive open) no button is offered."""

    added = Signal(str, str, str)  # field name, the value refused, the value added
    failed = Signal(object)  # the archive's error (the term is already there, read-only media…)

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.add: Callable[[str, str, str], Any] | None = None  # (vocabulary, value, English label)
        self._missing: dict[str, str] = {}

    def offer(self, button: QPushButton, field: Field, value: str) -> bool:
        """Show ``button`` beside ``field``'s error, offering to add ``value``."""
        if self.add is None or field.vocabulary is None:
            return False
        self._missing[field.name] = value
        button.setText(self.tr("Add “{value}” to {vocabulary}…").format(value=value, vocabulary=field_label(field)))
        button.show()
        return True

    def clear(self) -> None:
        self._missing.clear()

    def ask(self, field: Field) -> None:
        value = self._missing.get(field.name)
        if value is None or self.add is None or field.vocabulary is None:
            return
        term = ask_new_term(self.parent(), field_label(field), value)  # type: ignore[arg-type]
        if term is None:
            return
        try:
            self.add(field.vocabulary, *term)
        except ArchiveError as exc:
            self.failed.emit(exc)
            return
        del self._missing[field.name]
        self.added.emit(field.name, value, term[0])


def with_term(raw: Any, refused: str, added: str) -> Any:
    """A field's shown value with the refused term replaced by the one added (the user may
    have corrected its spelling in the dialog)."""
    if isinstance(raw, list):
        return [added if v == refused else v for v in raw]
    return added if raw == refused else raw
