"""The metadata form, built from ``archive.fields.ITEM_FIELDS``: a new field there appears
here. Fields that do not apply to the item's kind are hidden; every edit goes on an undo
stack; the unsaved state is always visible; a validation error from the archive is shown
at its field and nothing is lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from archive import ValidationError
from archive.errors import EditConflict
from archive.fields import DISH, ITEM_FIELD, ITEM_FIELDS, RELIC

from . import dialogs
from .field_widgets import (
    ChoiceEditor,
    FieldEditor,
    LinkSearch,
    ListEditor,
    install_wheel_guard,
    make_editor,
    to_raw,
)
from .i18n import field_label

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("identification", ("accession", "kind", "status", "title_vi", "title_en", "other_names")),
    ("description", ("description_vi", "description_en", "collections", "tags")),
    ("relic", ()),
    ("dish", ()),
    (
        "context",
        (
            "period",
            "date_text",
            "year_from",
            "year_to",
            "culture",
            "creator",
            "place_name",
            "place_lat",
            "place_lon",
            "place_sensitive",
        ),
    ),
    ("rights", ("object_rights", "model_licence", "model_credit")),
    ("internal", ()),
)
ERROR_STYLE = "color: #b00020;"


def _section_of(name: str) -> str:
    field = ITEM_FIELD[name]
    for section, names in SECTIONS:
        if name in names:
            return section
    if field.private:
        return "internal"
    if field.kinds == RELIC:
        return "relic"
    if field.kinds == DISH:
        return "dish"
    return "context"


@dataclass
class EditorContext:
    """What the form needs from the archive, as plain callables."""

    vocabulary: Callable[[str], list[str]]
    link_search: LinkSearch | None = None
    link_label: Callable[[int], str | None] | None = None


@dataclass
class FieldRow:
    editor: FieldEditor
    label: QLabel
    error: QLabel
    box: QGroupBox
    container: QWidget


class FieldEditCommand(QUndoCommand):
    def __init__(self, form: MetadataEditor, name: str, old: Any, new: Any):
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


class MetadataEditor(QWidget):
    dirtyChanged = Signal(bool)
    saved = Signal(object)  # archive Change

    def __init__(self, context: EditorContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        # saver(item_id, changes, expected_version) -> the saved item; may raise EditConflict
        self.saver: Callable[[int, dict[str, Any], int | None], dict[str, Any]] | None = None
        self.loader: Callable[[int], dict[str, Any]] | None = None  # the item as saved now
        self.item: dict[str, Any] | None = None
        self.undo_stack = QUndoStack(self)
        self.rows: dict[str, FieldRow] = {}
        self.boxes: dict[str, QGroupBox] = {}
        self._loaded: dict[str, Any] = {}
        self._shown: dict[str, Any] = {}
        self._dirty = False
        install_wheel_guard()  # the form scrolls under the wheel; its fields change only when focused
        self._build()
        self.retranslate()
        self.load(None)

    # -- building --------------------------------------------------------------------------
    def _build(self) -> None:
        self.state_label = QLabel()
        self.state_label.setObjectName("editorState")
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(ERROR_STYLE)
        self.banner.hide()
        self.undo_button, self.redo_button = QToolButton(), QToolButton()
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button.clicked.connect(self.undo_stack.redo)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.revert_button, self.save_button = QPushButton(), QPushButton()
        self.save_button.setObjectName("saveButton")
        self.save_button.setDefault(True)
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self.save)
        bar = QHBoxLayout()
        bar.addWidget(self.state_label, 1)
        for button in (self.undo_button, self.redo_button, self.revert_button, self.save_button):
            bar.addWidget(button)
        form_host = QWidget()
        form_layout = QVBoxLayout(form_host)
        for section, _names in SECTIONS:
            box = QGroupBox()
            layout = QFormLayout(box)
            layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            self.boxes[section] = box
            form_layout.addWidget(box)
        form_layout.addStretch(1)
        for field in ITEM_FIELDS:
            self._add_row(field.name)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(form_host)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(bar)
        outer.addWidget(self.banner)
        outer.addWidget(self.scroll, 1)

    def _add_row(self, name: str) -> None:
        field = ITEM_FIELD[name]
        vocabulary = self.context.vocabulary(field.vocabulary) if field.vocabulary else None
        editor = make_editor(field, vocabulary, self.context.link_search)
        editor.edited.connect(lambda n=name: self._edited(n))
        label = QLabel()
        label.setBuddy(editor.widget)
        label.setWordWrap(True)
        label.setMinimumWidth(130)
        label.setMaximumWidth(180)
        error = QLabel()
        error.setObjectName(f"error_{name}")
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        container = QWidget()
        column = QVBoxLayout(container)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(editor.widget)
        column.addWidget(error)
        box = self.boxes[_section_of(name)]
        box.layout().addRow(label, container)
        self.rows[name] = FieldRow(editor, label, error, box, container)

    def set_vocabularies(self) -> None:
        """Fill the completing fields from the open archive's vocabularies."""
        for name, row in self.rows.items():
            vocabulary = ITEM_FIELD[name].vocabulary
            if vocabulary and hasattr(row.editor, "set_vocabulary"):
                row.editor.set_vocabulary(self.context.vocabulary(vocabulary))

    def retranslate(self) -> None:
        titles = {
            "identification": self.tr("Identification"),
            "description": self.tr("Description"),
            "relic": self.tr("Object"),
            "dish": self.tr("Dish and recipe"),
            "context": self.tr("Date, place and makers"),
            "rights": self.tr("Rights and credit"),
            "internal": self.tr("Internal — never published"),
        }
        for section, box in self.boxes.items():
            box.setTitle(titles[section])
        for name, row in self.rows.items():
            field = ITEM_FIELD[name]
            row.label.setText(field_label(field) + (" 🔒" if field.private else ""))
            if isinstance(row.editor, (ChoiceEditor, ListEditor)):
                row.editor.retranslate()
        self.undo_button.setText(self.tr("Undo"))
        self.redo_button.setText(self.tr("Redo"))
        self.revert_button.setText(self.tr("Revert"))
        self.save_button.setText(self.tr("Save"))
        self.undo_button.setToolTip(self.tr("Undo the last edit (Ctrl+Z)"))
        self.redo_button.setToolTip(self.tr("Redo (Ctrl+Shift+Z)"))
        self.save_button.setToolTip(self.tr("Save the changes to the archive (Ctrl+S)"))
        self._update_state()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- loading ---------------------------------------------------------------------------
    def load(self, item: dict[str, Any] | None) -> None:
        """Show ``item`` (None: nothing selected); forgets any unsaved edit."""
        self.item = item
        self.undo_stack.clear()
        self._clear_errors()
        link = item.get("serving_vessel") if item else None
        if link is not None and self.context.link_label is not None:
            label = self.context.link_label(link)
            editor = self.rows["serving_vessel"].editor
            if label and hasattr(editor, "set_label"):
                editor.set_label(link, label)
        for name, row in self.rows.items():
            raw = to_raw(row.editor.field, item.get(name) if item else None)
            row.editor.set_raw(raw)
            self._loaded[name] = self._shown[name] = row.editor.raw()
        self.setEnabled(item is not None)
        self._apply_kind()
        self._update_state()

    def _apply_kind(self) -> None:
        kind = self.rows["kind"].editor.raw() or "other"
        for name, row in self.rows.items():
            field = ITEM_FIELD[name]
            # A field of another kind stays visible while it holds a value, so it can be cleared.
            visible = kind in field.kinds or row.editor.raw() not in (None, "", [], False)
            row.box.layout().setRowVisible(row.container, visible)
        for box in self.boxes.values():
            layout = box.layout()
            box.setVisible(any(layout.isRowVisible(r) for r in range(layout.rowCount())))

    # -- editing ---------------------------------------------------------------------------
    def _edited(self, name: str) -> None:
        new = self.rows[name].editor.raw()
        old = self._shown[name]
        if new == old:
            return
        self._shown[name] = new
        self.undo_stack.push(FieldEditCommand(self, name, old, new))
        self._after_change(name)

    def _show_value(self, name: str, raw: Any) -> None:
        """Undo/redo: put a value back into its widget."""
        self.rows[name].editor.set_raw(raw)
        self._shown[name] = raw
        self._after_change(name)

    def _after_change(self, name: str) -> None:
        self.rows[name].error.hide()
        if name == "kind":
            self._apply_kind()
        self._update_state()

    def set_value(self, name: str, value: Any) -> None:
        """Set a field as if the user typed it (tests, scripted fills)."""
        self.rows[name].editor.set_raw(to_raw(ITEM_FIELD[name], value))
        self._edited(name)

    def changes(self) -> dict[str, Any]:
        return {name: row.editor.value() for name, row in self.rows.items() if row.editor.raw() != self._loaded[name]}

    def is_dirty(self) -> bool:
        return self.item is not None and bool(self.changes())

    def _update_state(self) -> None:
        changed = set(self.changes()) if self.item is not None else set()
        dirty = bool(changed)
        for name, row in self.rows.items():
            font = row.label.font()
            font.setBold(name in changed)
            row.label.setFont(font)
        if self.item is None:
            self.state_label.setText(self.tr("No item selected"))
        elif dirty:
            self.state_label.setText(self.tr("● Unsaved changes in %n field(s)", "", len(changed)))
        else:
            self.state_label.setText(self.tr("Saved"))
        self.state_label.setStyleSheet("color: #a05a00; font-weight: bold;" if dirty else "")
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)
        self.undo_button.setEnabled(self.undo_stack.canUndo())
        self.redo_button.setEnabled(self.undo_stack.canRedo())
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> bool:
        """Save through ``saver``; a validation error is shown at its field. True when
        there is nothing left unsaved."""
        if self.item is None or not self.is_dirty():
            return True
        if self.saver is None:
            return False
        return self._save(self.changes(), self.item.get("version"))

    def _save(self, changes: dict[str, Any], version: int | None) -> bool:
        assert self.item is not None and self.saver is not None
        try:
            fresh = self.saver(self.item["id"], changes, version)
        except ValidationError as exc:
            self.show_error(exc.field, exc.reason)
            return False
        except EditConflict as exc:
            return self._resolve_conflict(exc, changes)
        self.load(fresh)
        return True

    def _resolve_conflict(self, conflict: EditConflict, changes: dict[str, Any]) -> bool:
        """Never a silent overwrite: the user sees both values and chooses."""
        choice = dialogs.ConflictDialog(self, conflict.conflicts).ask()
        if choice == "keep":
            return self._save(changes, conflict.current_version)
        if choice == "reload" and self.loader is not None:
            self.load(self.loader(conflict.item_id))
            return True
        return False  # keep editing: the edits stay in the form

    def revert(self) -> None:
        self.load(self.item)

    def _clear_errors(self) -> None:
        self.banner.hide()
        for row in self.rows.values():
            row.error.hide()

    def show_error(self, name: str, message: str) -> None:
        """Show why a value was refused, at the field (and above the form)."""
        row = self.rows.get(name)
        label = field_label(ITEM_FIELD[name]) if name in ITEM_FIELD else name
        self.banner.setText(self.tr("Not saved — {field}: {reason}").format(field=label, reason=message))
        self.banner.show()
        if row is None:
            return
        row.box.layout().setRowVisible(row.container, True)
        row.box.setVisible(True)
        row.error.setText(message)
        row.error.show()
        self.scroll.ensureWidgetVisible(row.container)
        row.editor.focus()

    def field_error(self, name: str) -> str | None:
        row = self.rows[name]
        return row.error.text() if not row.error.isHidden() else None

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.rows["title_vi"].editor.focus()
        super().focusInEvent(event)
