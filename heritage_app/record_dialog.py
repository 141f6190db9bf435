"""Editing one research record (a measurement, landmark or annotation): titles and texts in
Vietnamese and English, public or private, and the review flag a new scan version may have set.
What was measured is shown and never edited here: the archive computes a value from the points.

A save goes against the version the dialog loaded (``Archive.update_record(...,
expected_version)``): a field someone else saved meanwhile opens the same conflict dialog as an
item's form (both values; reload to take theirs, or keep mine), never a silent overwrite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from archive import ArchiveError, EditConflict, ValidationError

from . import dialogs

RecordSaver = Callable[[dict[str, Any], "int | None"], dict[str, Any]]
"""(values, the version loaded or None for a new record) -> the record as saved; raises
ValidationError, EditConflict (someone else saved a field meanwhile) or ArchiveError (refused)."""
RecordLoader = Callable[[int], dict[str, Any]]
"""record id -> the record as saved now."""

TITLES = ("title_vi", "title_en")
TEXTS = ("text_vi", "text_en")
POINT_KINDS = ("landmark", "annotation")
translate = QCoreApplication.translate  # the name pyside6-lupdate looks for


class RecordDialog(QDialog):
    """A new landmark or annotation (``record`` without an ``id``), or an existing record of any
    kind. ``saved`` gives the record as the archive holds it after the save."""

    saved = Signal(dict)

    def __init__(self, record: dict[str, Any], save: RecordSaver, load: RecordLoader | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recordDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.record, self._save, self._load = dict(record), save, load
        self.is_new = "id" not in record
        self.setWindowTitle(self.tr("New record") if self.is_new else self.tr("Edit record"))
        self.setMinimumWidth(520)
        self.kind = QComboBox()
        self.kind.setObjectName("recordKind")
        for kind in POINT_KINDS:
            self.kind.addItem(kind_label(kind), kind)
        self.what = QLabel()
        self.what.setObjectName("recordWhat")
        self.what.setTextFormat(Qt.TextFormat.PlainText)
        self.what.setWordWrap(True)
        self.what.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.titles = {name: QLineEdit() for name in TITLES}
        self.texts = {name: QPlainTextEdit() for name in TEXTS}
        for name, widget in (*self.titles.items(), *self.texts.items()):
            widget.setObjectName(name)
        for text in self.texts.values():
            text.setTabChangesFocus(True)
            text.setFixedHeight(72)
        self.public = QCheckBox(self.tr("Public: may appear on published pages"))
        self.public.setObjectName("recordPublic")
        self.review = QCheckBox(self.tr("Needs review: a new version of the scan changed the geometry since "
                                        "this was recorded. Untick once the points are checked."))
        self.review.setObjectName("recordReview")
        self.error = QLabel()
        self.error.setObjectName("recordError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        self.error.hide()
        self._build_layout()
        self.fill(self.record)

    def _build_layout(self) -> None:
        form = QFormLayout()
        if self.is_new and self.record.get("kind") in POINT_KINDS:
            form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("What"), self.what)
        form.addRow(self.field_name("title_vi"), self.titles["title_vi"])
        form.addRow(self.field_name("title_en"), self.titles["title_en"])
        form.addRow(self.field_name("text_vi"), self.texts["text_vi"])
        form.addRow(self.field_name("text_en"), self.texts["text_en"])
        form.addRow("", self.public)
        form.addRow("", self.review)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def field_name(self, name: str) -> str:
        """A record field as the user knows it."""
        return {"title_vi": self.tr("Title (Vietnamese)"), "title_en": self.tr("Title (English)"),
                "text_vi": self.tr("Text (Vietnamese)"), "text_en": self.tr("Text (English)"),
                "public": self.tr("Public"), "review": self.tr("Review"), "points": self.tr("Points"),
                "normal": self.tr("Normal"), "view": self.tr("Saved view"), "kind": self.tr("Kind")}.get(name, name)

    def fill(self, record: dict[str, Any]) -> None:
        """Show ``record``'s values (what the form starts from, or what someone else saved)."""
        self.record = dict(record)
        self.kind.setCurrentIndex(max(0, self.kind.findData(record.get("kind"))))
        self.what.setText(describe(record, with_points=True))
        for name, edit in self.titles.items():
            edit.setText(record.get(name) or "")
        for name, text in self.texts.items():
            text.setPlainText(record.get(name) or "")
        self.public.setChecked(bool(record.get("public")))
        self.review.setChecked(record.get("review") == "needs_review")
        self.review.setVisible(record.get("review") == "needs_review")
        self.error.hide()

    def values(self) -> dict[str, Any]:
        """The form's values (empty texts as None, as the archive stores them)."""
        values: dict[str, Any] = {name: edit.text().strip() or None for name, edit in self.titles.items()}
        values.update({name: text.toPlainText().strip() or None for name, text in self.texts.items()})
        values["public"] = self.public.isChecked()
        if not self.review.isHidden():  # only a flagged record offers it
            values["review"] = "needs_review" if self.review.isChecked() else "ok"
        return values

    def changes(self) -> dict[str, Any]:
        """What to save: every value of a new record (with its kind), the changed ones of an existing one."""
        values = self.values()
        if self.is_new:
            values.pop("review", None)
            return {**values, "kind": self.kind.currentData() if self.record.get("kind") in POINT_KINDS
                    else self.record.get("kind")}
        return {k: v for k, v in values.items() if v != (self.record.get(k) if k != "public"
                                                         else bool(self.record.get(k)))}

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> bool:
        """Save and close; a refused value is shown in the dialog, which stays open. True when saved."""
        changes = self.changes()
        if not self.is_new and not changes:
            self.accept()
            return True
        return self._save_changes(changes, None if self.is_new else self.record.get("version"))

    def _save_changes(self, changes: dict[str, Any], version: int | None) -> bool:
        try:
            fresh = self._save(changes, version)
        except EditConflict as exc:
            return self._resolve_conflict(exc, changes)
        except ValidationError as exc:
            self.show_problems(getattr(exc, "problems", [exc]))
            return False
        except ArchiveError as exc:  # refused (the user's role, read-only media): said here, edits kept
            self._show_error(self.tr("Not saved: {reason}").format(reason=dialogs.friendly_message(exc)))
            return False
        self.record = fresh
        self.saved.emit(fresh)
        self.accept()
        return True

    def _resolve_conflict(self, conflict: EditConflict, changes: dict[str, Any]) -> bool:
        """Both values shown; the user takes theirs (the form shows it) or keeps their own."""
        named = [{**c, "field": self.field_name(str(c["field"]))} for c in conflict.conflicts]
        choice = dialogs.ConflictDialog(self, named).ask()
        if choice == "keep":
            return self._save_changes(changes, conflict.current_version)
        if choice == "reload" and self._load is not None:
            self.fill(self._load(int(self.record["id"])))
            self._show_error(self.tr("Reloaded: the form shows the values saved by someone else."))
        return False

    def show_problems(self, problems: list[ValidationError]) -> None:
        """Every reason the archive refused the save, in the user's language."""
        lines = [self.tr("A title in Vietnamese or English is required.") if p.field in TITLES and p.code == "required"
                 else f"{self.field_name(p.field)}: {dialogs.problem_message(p)}" for p in problems]
        self._show_error(self.tr("Not saved — %n problem(s):", "", len(lines)) + "\n" + "\n".join(lines))
        first = problems[0].field if problems else ""
        widget = self.titles.get(first) or self.texts.get(first)
        if widget is not None:
            widget.setFocus()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


# -- words for records (module functions below the class: lupdate keeps the class's context) --------
def kind_label(kind: str) -> str:
    return {"measurement": translate("RecordDialog", "Measurement"), "landmark": translate("RecordDialog", "Landmark"),
            "annotation": translate("RecordDialog", "Annotation")}.get(kind, kind)


def value_text(record: dict[str, Any]) -> str:
    """What a measurement measured, in its unit: "Distance 123.45 mm", "Angle 92.3°"…; "" for others."""
    value, unit = record.get("value"), record.get("unit") or translate("RecordDialog", "units")
    if record.get("kind") != "measurement" or value is None:
        return ""
    measure = record.get("measure")
    if measure == "angle":
        return translate("RecordDialog", "Angle {value}°").format(value=f"{value:.1f}")
    if measure == "area":
        return translate("RecordDialog", "Area {value} {unit}²").format(value=f"{value:.2f}", unit=unit)
    if measure == "polyline":
        return translate("RecordDialog", "Path {value} {unit} ({n} points)").format(
            value=f"{value:.2f}", unit=unit, n=len(record.get("points") or []))
    return translate("RecordDialog", "Distance {value} {unit}").format(value=f"{value:.2f}", unit=unit)


def describe(record: dict[str, Any], with_points: bool = False) -> str:
    """The record's kind and value (or its point), for the dialog and the list."""
    text = value_text(record) or kind_label(str(record.get("kind")))
    points = record.get("points") or []
    if with_points and len(points) == 1:
        unit = record.get("unit") or ""
        text += translate("RecordDialog", " at {x}, {y}, {z} {unit}").format(
            x=f"{points[0][0]:.2f}", y=f"{points[0][1]:.2f}", z=f"{points[0][2]:.2f}", unit=unit).rstrip()
    if with_points and record.get("view"):
        text += translate("RecordDialog", " · with a saved view")
    return text
