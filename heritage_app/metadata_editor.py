"""The metadata form, built from ``archive.fields.ITEM_FIELDS``: a new field there appears
here. Fields that do not apply to the item's kind are hidden; every edit goes on an undo
stack; the unsaved state is always visible; a validation error from the archive is shown
at its field and nothing is lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QUndoStack
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

from archive import ArchiveError, NotFound, SaveOutcomeUnknown, ValidationError
from archive.errors import EditConflict
from archive.fields import DISH, ITEM_FIELD, ITEM_FIELDS, RELIC

from . import dialogs, unsaved_edits, vocabulary_dialog
from .field_widgets import (
    ChoiceEditor,
    FieldEditCommand,
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


def _place_in_form(name: str) -> tuple[int, int]:
    """Where a field's row is: its section, then its place in ``ITEM_FIELDS``; others come last."""
    if name not in ITEM_FIELD:
        return len(SECTIONS), 0
    sections = [section for section, _names in SECTIONS]
    return sections.index(_section_of(name)), list(ITEM_FIELD).index(name)


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
    add_term: QPushButton  # "Add “X” to Materials…", beside an unknown vocabulary term
    box: QGroupBox
    container: QWidget


class MetadataEditor(QWidget):
    dirtyChanged = Signal(bool)
    loaded = Signal()  # an item (or none) is in the form: heritage_app.permissions locks what it must
    saved = Signal(object)  # archive Change

    def __init__(self, context: EditorContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        # saver(item_id, changes, expected_version) -> the saved item; may raise EditConflict
        self.saver: Callable[[int, dict[str, Any], int | None], dict[str, Any]] | None = None
        self.loader: Callable[[int], dict[str, Any]] | None = None  # the item as saved now
        self.history_of: Callable[[int], list[dict[str, Any]]] | None = None  # its events (who deleted it)
        self.closer: Callable[[], None] | None = None  # the window shows no item (this one was deleted)
        self.terms = vocabulary_dialog.TermAdder(self)  # the window sets terms.add to Archive.add_vocabulary
        self.terms.added.connect(self._term_added)
        self.terms.failed.connect(self._term_failed)
        self.item: dict[str, Any] | None = None
        self.undo_stack = QUndoStack(self)
        self.rows: dict[str, FieldRow] = {}
        self.boxes: dict[str, QGroupBox] = {}
        self._loaded: dict[str, Any] = {}
        self._shown: dict[str, Any] = {}
        self._dirty = False
        self.locked = ""  # why this user may not save here (set by heritage_app.permissions); "" if they may
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
        add_term = QPushButton()
        add_term.setObjectName(f"addTerm_{name}")
        add_term.setFlat(True)
        add_term.clicked.connect(lambda _c=False, f=field: self.terms.ask(f))
        add_term.hide()
        container = QWidget()
        column = QVBoxLayout(container)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(editor.widget)
        column.addWidget(error)
        column.addWidget(add_term)
        box = self.boxes[_section_of(name)]
        box.layout().addRow(label, container)
        self.rows[name] = FieldRow(editor, label, error, add_term, box, container)

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
        self.loaded.emit()

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
        self.rows[name].add_term.hide()
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
        self.save_button.setEnabled(dirty and not self.locked)
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
            self.show_problems(getattr(exc, "problems", [exc]))
            return False
        except EditConflict as exc:
            return self._resolve_conflict(exc, changes)
        except NotFound:  # deleted elsewhere meanwhile
            return self._item_gone(changes)
        except SaveOutcomeUnknown as exc:  # neither "saved" nor "not saved" can be said yet
            self.banner.setText(self.tr("Not known yet whether this was saved: {reason}").format(
                reason=dialogs.friendly_message(exc)))
            self.banner.show()
            return False
        except ArchiveError as exc:  # refused (role, read-only media) or the catalogue unreachable: edits kept
            self._not_saved(exc)
            return False
        self.load(fresh)
        return True

    def _resolve_conflict(self, conflict: EditConflict, changes: dict[str, Any]) -> bool:
        """Never a silent overwrite: the user sees both values and chooses."""
        choice = dialogs.ConflictDialog(self, conflict.conflicts).ask()
        if choice == "keep":
            return self._save(changes, conflict.current_version)
        if choice == "reload" and self.loader is not None:
            try:
                self.load(self.loader(conflict.item_id))
            except NotFound:
                return self._item_gone(changes)
            except ArchiveError as exc:
                self._not_saved(exc)
                return False
            return True
        return False  # keep editing: the edits stay in the form

    def _not_saved(self, exc: ArchiveError) -> None:
        self.banner.setText(self.tr("Not saved: {reason}").format(reason=dialogs.friendly_message(exc)) + "\n"
                            + self.tr("Your edits are still in the form: save again once this is resolved."))
        self.banner.show()

    def _item_gone(self, changes: dict[str, Any]) -> bool:
        """The item was deleted elsewhere: the user copies the edits, closes the item (True: nothing
        unsaved is left) or keeps editing; the edits are never dropped unasked."""
        assert self.item is not None
        choice = unsaved_edits.ask_after_deletion(self, self.item, changes, self.history_of)
        if choice == "close":
            self.closer() if self.closer is not None else self.load(None)
            return True
        said = self.tr("Not saved: this item was deleted elsewhere.")
        copied = self.tr("Your edits were copied to the clipboard.") if choice == "copy" else ""
        self.banner.setText(f"{said} {copied}".strip())
        self.banner.show()
        return False

    def revert(self) -> None:
        self.load(self.item)

    def _clear_errors(self) -> None:
        self.banner.hide()
        self.terms.clear()
        for row in self.rows.values():
            row.error.hide()
            row.add_term.hide()

    def show_problems(self, problems: list[ValidationError]) -> None:
        """Show every reason the save was refused, each at its field (in form order), listed above
        the form too, in the user's language; the first field gets the focus."""
        self._clear_errors()
        problems = sorted(problems, key=lambda p: _place_in_form(p.field))
        lines = []
        for problem in problems:
            message = dialogs.problem_message(problem)
            name = field_label(ITEM_FIELD[problem.field]) if problem.field in ITEM_FIELD else problem.field
            lines.append(f"{name}: {message}")
            self._show_at_field(problem.field, message)
            if getattr(problem, "code", "") == "unknown_term" and problem.field in self.rows:
                self.terms.offer(self.rows[problem.field].add_term, ITEM_FIELD[problem.field], problem.params["value"])
        self.banner.setText(self.tr("Not saved — %n problem(s):", "", len(lines)) + "\n" + "\n".join(lines))
        self.banner.show()
        first = next((self.rows[p.field] for p in problems if p.field in self.rows), None)
        if first is not None:
            self.scroll.ensureWidgetVisible(first.container)
            first.editor.focus()

    def show_error(self, name: str, message: str) -> None:
        """Show one message at a field (and above the form)."""
        self.show_problems([ValidationError(name, message)])

    def _show_at_field(self, name: str, message: str) -> None:
        row = self.rows.get(name)
        if row is None:
            return
        row.box.layout().setRowVisible(row.container, True)
        row.box.setVisible(True)
        row.error.setText(message)
        row.error.show()

    def _term_added(self, name: str, refused: str, added: str) -> None:
        """A term was added where it was refused: the form takes it and tries the save the user
        asked for again (it saves, or shows what is still wrong)."""
        self.set_vocabularies()
        if added != refused:  # the user corrected its spelling in the dialog
            self.set_value(name, vocabulary_dialog.with_term(self.rows[name].editor.raw(), refused, added))
        self.save()

    def _term_failed(self, exc: Exception) -> None:
        if isinstance(exc, ValidationError):
            self.show_problems(getattr(exc, "problems", [exc]))
        else:
            dialogs.show_error(self, self.tr("The term was not added"), exc)

    def field_error(self, name: str) -> str | None:
        row = self.rows[name]
        return row.error.text() if not row.error.isHidden() else None

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.rows["title_vi"].editor.focus()
        super().focusInEvent(event)
