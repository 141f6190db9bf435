"""One editor per catalogue field type, all with the same small interface: ``raw()`` gives
what the widget shows, ``set_raw()`` shows a value without reporting an edit, ``edited``
fires when the user changes it, ``value()`` is what goes to ``Archive.update`` (the archive
validates and cleans it, so its error message can be shown at this field)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSignalBlocker, QStringListModel, Qt, Signal
from PySide6.QtGui import QUndoCommand, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from archive.fields import ITEM_FIELD, Field

from .i18n import field_label, value_label

translate = QCoreApplication.translate  # the name pyside6-lupdate looks for

LinkSearch = Callable[[str], list[tuple[int, str]]]  # text -> [(item id, "ACC — title")]


class WheelGuard(QObject):
    """Only a focused combo box, spin box (dates too) or slider takes the mouse wheel: scrolling a
    form over one must scroll the form, not silently change the value under the pointer."""

    GUARDED = (QComboBox, QAbstractSpinBox, QAbstractSlider)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Polish and self._guarded(watched):
            _no_wheel_focus(watched)  # type: ignore[arg-type]
        elif kind == QEvent.Type.Wheel and self._guarded(watched) and not watched.hasFocus():  # type: ignore[attr-defined]
            return self._pass_to_scroll_area(watched, event)  # type: ignore[arg-type]
        return False

    def _guarded(self, widget: QObject) -> bool:
        return isinstance(widget, self.GUARDED) and not isinstance(widget, QScrollBar)

    @staticmethod
    def _pass_to_scroll_area(widget: QWidget, event: QWheelEvent) -> bool:
        area = widget.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is None:
            event.ignore()  # a real wheel then goes on to the parents
            return True
        viewport = area.viewport()
        position = viewport.mapFromGlobal(event.globalPosition())
        moved = QWheelEvent(position, event.globalPosition(), event.pixelDelta(), event.angleDelta(),
                            event.buttons(), event.modifiers(), event.phase(), event.inverted())
        QApplication.sendEvent(viewport, moved)
        return True


def _no_wheel_focus(widget: QWidget) -> None:
    # With wheel focus, the wheel would focus the field first and then change it.
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


_GUARD: WheelGuard | None = None  # kept referenced: the filter lives as long as the application


def install_wheel_guard() -> None:
    """Install the one ``WheelGuard`` on the application (once; later calls do nothing)."""
    global _GUARD
    app = QApplication.instance()
    if app is None or _GUARD is not None:
        return
    guard = _GUARD = WheelGuard(app)
    for widget in QApplication.allWidgets():  # built before the guard: polished already
        if guard._guarded(widget):
            _no_wheel_focus(widget)
    app.installEventFilter(guard)


def _completer(values: list[str], parent: QObject) -> QCompleter:
    completer = QCompleter(values, parent)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    return completer


def to_raw(field: Field, value: Any) -> Any:
    """A stored value as the widget shows it."""
    if field.type == "list":
        return list(value or [])
    if field.type == "bool":
        return bool(value)
    if value is None:
        return "" if field.type not in ("choice", "link") else None
    if field.type == "float" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if field.type in ("choice", "link") else str(value)


class FieldEditor(QObject):
    edited = Signal()

    def __init__(self, field: Field, widget: QWidget):
        super().__init__(widget)
        self.field = field
        self.widget = widget
        widget.setObjectName(f"field_{field.name}")

    def raw(self) -> Any:
        raise NotImplementedError

    def set_raw(self, raw: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        raw = self.raw()
        return None if raw == "" else raw

    def focus(self) -> None:
        self.widget.setFocus(Qt.FocusReason.OtherFocusReason)


class TextEditor(FieldEditor):
    def __init__(self, field: Field, vocabulary: list[str] | None = None):
        super().__init__(field, QLineEdit())
        self.line: QLineEdit = self.widget  # type: ignore[assignment]
        if vocabulary:
            self.line.setCompleter(_completer(vocabulary, self.line))
        self.line.textEdited.connect(lambda _t: self.edited.emit())

    def raw(self) -> str:
        return self.line.text()

    def set_raw(self, raw: Any) -> None:
        with QSignalBlocker(self.line):
            self.line.setText(str(raw or ""))


class VocabularyEditor(FieldEditor):
    """A completing combo box: the vocabulary's values, matched anywhere, accents as typed."""

    def __init__(self, field: Field, vocabulary: list[str]):
        super().__init__(field, QComboBox())
        self.combo: QComboBox = self.widget  # type: ignore[assignment]
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.set_vocabulary(vocabulary)
        self.combo.lineEdit().textEdited.connect(lambda _t: self.edited.emit())
        self.combo.activated.connect(lambda _i: self.edited.emit())

    def set_vocabulary(self, values: list[str]) -> None:
        text = self.combo.currentText()
        with QSignalBlocker(self.combo):
            self.combo.clear()
            self.combo.addItems([""] + values)
            self.combo.setCompleter(_completer(values, self.combo))
            self.combo.setEditText(text)

    def raw(self) -> str:
        return self.combo.currentText()

    def set_raw(self, raw: Any) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setEditText(str(raw or ""))


class LongTextEditor(FieldEditor):
    def __init__(self, field: Field):
        super().__init__(field, QPlainTextEdit())
        self.text: QPlainTextEdit = self.widget  # type: ignore[assignment]
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(74)
        self.text.textChanged.connect(self.edited.emit)

    def raw(self) -> str:
        return self.text.toPlainText()

    def set_raw(self, raw: Any) -> None:
        with QSignalBlocker(self.text):
            self.text.setPlainText(str(raw or ""))


class BoolEditor(FieldEditor):
    def __init__(self, field: Field):
        super().__init__(field, QCheckBox())
        self.check: QCheckBox = self.widget  # type: ignore[assignment]
        self.check.toggled.connect(lambda _c: self.edited.emit())

    def raw(self) -> bool:
        return self.check.isChecked()

    def set_raw(self, raw: Any) -> None:
        with QSignalBlocker(self.check):
            self.check.setChecked(bool(raw))

    def value(self) -> bool:
        return self.raw()


class ChoiceEditor(FieldEditor):
    def __init__(self, field: Field, required: bool):
        super().__init__(field, QComboBox())
        self.combo: QComboBox = self.widget  # type: ignore[assignment]
        if not required:
            self.combo.addItem("—", None)
        for choice in field.choices:
            self.combo.addItem(value_label(choice) if field.name != "dimension_unit" else choice, choice)
        self.combo.activated.connect(lambda _i: self.edited.emit())

    def raw(self) -> Any:
        return self.combo.currentData()

    def set_raw(self, raw: Any) -> None:
        with QSignalBlocker(self.combo):
            index = self.combo.findData(raw)
            self.combo.setCurrentIndex(max(index, 0))

    def retranslate(self) -> None:
        for i in range(self.combo.count()):
            data = self.combo.itemData(i)
            if data is not None and self.field.name != "dimension_unit":
                self.combo.setItemText(i, value_label(data))


class ListEditor(FieldEditor):
    """Ordered values (ingredients, preparation steps, materials…): edit in place, add,
    remove, reorder by dragging."""

    def __init__(self, field: Field, vocabulary: list[str] | None = None):
        super().__init__(field, QWidget())
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setWordWrap(True)
        self.list.setFixedHeight({"steps": 120, "ingredients": 96}.get(field.name, 56))
        self.entry = QLineEdit()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)
        self.entry.returnPressed.connect(self._add)
        self.add_button, self.remove_button = QToolButton(), QToolButton()
        self.add_button.setText("+")
        self.remove_button.setText("−")
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.entry, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.list.itemChanged.connect(lambda _i: self.edited.emit())
        self.list.model().rowsMoved.connect(lambda *_: self.edited.emit())
        self.retranslate()

    def retranslate(self) -> None:
        self.entry.setPlaceholderText(translate("FieldEditors", "Add a value and press Enter"))
        self.add_button.setToolTip(translate("FieldEditors", "Add"))
        self.remove_button.setToolTip(translate("FieldEditors", "Remove the selected value"))

    def set_vocabulary(self, values: list[str]) -> None:
        self.entry.setCompleter(_completer(values, self.entry))

    def _item(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        return item

    def _add(self) -> None:
        text = self.entry.text().strip()
        if text:
            with QSignalBlocker(self.list):
                self.list.addItem(self._item(text))
            self.entry.clear()
            self.edited.emit()

    def _remove(self) -> None:
        rows = sorted({i.row() for i in self.list.selectedIndexes()}, reverse=True)
        if rows:
            with QSignalBlocker(self.list):
                for r in rows:
                    self.list.takeItem(r)
            self.edited.emit()

    def raw(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count()) if self.list.item(i).text().strip()]

    def set_raw(self, raw: Any) -> None:
        with QSignalBlocker(self.list):
            self.list.clear()
            for value in raw or []:
                self.list.addItem(self._item(str(value)))

    def value(self) -> list[str]:
        return self.raw()

    def focus(self) -> None:
        self.entry.setFocus(Qt.FocusReason.OtherFocusReason)


class LinkEditor(FieldEditor):
    """The serving vessel: type an accession number or title, pick a relic."""

    def __init__(self, field: Field, search: LinkSearch | None):
        super().__init__(field, QLineEdit())
        self.line: QLineEdit = self.widget  # type: ignore[assignment]
        self.search = search
        self._ids: dict[str, int] = {}
        self._model = QStringListModel(self.line)
        completer = QCompleter(self._model, self.line)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.line.setCompleter(completer)
        self.line.textEdited.connect(self._typed)
        completer.activated.connect(lambda _t: self.edited.emit())
        self.line.setPlaceholderText(translate("FieldEditors", "Accession number or title of a relic"))

    def _typed(self, text: str) -> None:
        if self.search is not None and len(text.strip()) >= 1:
            found = self.search(text)
            self._ids.update({label: item_id for item_id, label in found})
            self._model.setStringList([label for _i, label in found])
        self.edited.emit()

    def set_label(self, item_id: int, label: str) -> None:
        self._ids[label] = item_id

    def raw(self) -> Any:
        text = self.line.text().strip()
        if not text:
            return None
        if text in self._ids:
            return self._ids[text]
        return int(text) if text.isdigit() else text

    def set_raw(self, raw: Any) -> None:
        label = next((lab for lab, i in self._ids.items() if i == raw), None) if raw is not None else ""
        with QSignalBlocker(self.line):
            self.line.setText(label if label is not None else str(raw))

    def value(self) -> Any:
        return self.raw()


class FieldEditCommand(QUndoCommand):
    """One edit of one field on the form's undo stack; typing in the same field merges."""

    def __init__(self, form: Any, name: str, old: Any, new: Any):
        super().__init__()
        self.form, self.name, self.old, self.new = form, name, old, new
        self._first = True
        self.setText(field_label(ITEM_FIELD[name]))

    def id(self) -> int:
        return 1000 + list(ITEM_FIELD).index(self.name)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, FieldEditCommand) or other.name != self.name:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        if self._first:  # the widget already shows the new value
            self._first = False
            return
        self.form._show_value(self.name, self.new)

    def undo(self) -> None:
        self.form._show_value(self.name, self.old)


def make_editor(field: Field, vocabulary: list[str] | None, link_search: LinkSearch | None) -> FieldEditor:
    if field.type == "list":
        return ListEditor(field, vocabulary if field.vocabulary else None)
    if field.type == "longtext":
        return LongTextEditor(field)
    if field.type == "bool":
        return BoolEditor(field)
    if field.type == "choice":
        return ChoiceEditor(field, required=field.name in ("kind", "status"))
    if field.type == "link":
        return LinkEditor(field, link_search)
    if field.vocabulary:
        return VocabularyEditor(field, vocabulary or [])
    return TextEditor(field)
