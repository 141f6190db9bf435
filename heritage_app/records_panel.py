"""The shown item's research records in the detail pane: its measurements, landmarks and
annotations (``Archive.records``), each with its kind's colour (the 3D overlay's), its title or
value, a "needs review" flag and whether it is public; Add annotation, Edit, Delete and Export.

Clicking a record asks the viewer to fly to it (``recordActivated``); every reload says what is
listed (``recordsShown``) so the viewer draws the same records. Writes go through the archive's
record methods, each one event; the list reloads after them and whenever the item's history
grows (another user's records arrive through live refresh the same way)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from archive import Archive, ArchiveError, ValidationError

from . import dialogs
from .i18n import current_language
from .record_dialog import RecordDialog, describe, kind_label
from .up_axis import master_asset

#: the overlay's colours (viewer.markers.COLOURS, not imported: the list works without the 3D
#: viewer's libraries); a test keeps the two equal
KIND_COLOURS = {"measurement": (255, 199, 26), "landmark": (51, 191, 255), "annotation": (255, 110, 160)}
ID_ROLE = Qt.ItemDataRole.UserRole


class RecordsPanel(QWidget):
    """The records list with its actions; ``archive_getter`` gives the open archive (the window sets it)."""

    recordsShown = Signal(list)  # noqa: N815 - the records now listed, oldest first
    recordActivated = Signal(dict)  # noqa: N815 - clicked: show it in the 3D view
    addRequested = Signal()  # noqa: N815 - "Add annotation": the 3D view asks for a point
    changed = Signal(int)  # a record of this item was written here (its id)
    lockChanged = Signal(str)  # noqa: N815 - why records may not be written now ("" when they may)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recordsPanel")
        self.archive_getter: Callable[[], Archive | None] = lambda: None
        self.item: dict[str, Any] | None = None
        self.records: list[dict[str, Any]] = []
        self.can_pick = False  # a 3D view is there to click a point in (set by records_viewer)
        self.locked = ""  # why the user may not write records (permissions: viewer role, read-only media)
        self.dialog: RecordDialog | None = None
        self.tree = QTreeWidget()
        self.tree.setObjectName("recordsList")
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemClicked.connect(lambda item, _c: self._activated(item))
        self.tree.itemDoubleClicked.connect(lambda _item, _c: self.edit_record())
        self.tree.currentItemChanged.connect(lambda *_: self.update_actions())
        self.tree.setMinimumHeight(40)  # the pane's tabs may be short: the viewer takes most of the height
        self.empty = QLabel()
        self.empty.setObjectName("recordsEmpty")
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: gray")
        self.note = QLabel()
        self.note.setObjectName("recordsNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)  # paths and titles are never HTML
        self.note.hide()
        self.add_button, self.edit_button = QPushButton(), QPushButton()
        self.delete_button, self.export_button = QPushButton(), QPushButton()
        self.add_button.clicked.connect(self.addRequested)
        self.edit_button.clicked.connect(lambda: self.edit_record())
        self.delete_button.clicked.connect(lambda: self.delete_record())
        self.export_button.clicked.connect(lambda: self.export())
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.tree.setHeaderLabels([self.tr("Record"), self.tr("Value"), self.tr("State")])
        self.add_button.setText(self.tr("Add annotation…"))
        self.edit_button.setText(self.tr("Edit…"))
        self.delete_button.setText(self.tr("Delete…"))
        self.export_button.setText(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save this item's records as CSV or JSON"))
        self.empty.setText(self.tr("No measurements, landmarks or annotations yet. Measure or mark a point in "
                                   "the 3D view, then save it."))
        self._fill()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- reading ---------------------------------------------------------------------------
    def show_item(self, item: dict[str, Any] | None) -> None:
        """List ``item``'s records (none for None)."""
        if (item or {}).get("id") != (self.item or {}).get("id"):
            self.say("")
        self.item = item
        self.reload()

    def reload(self) -> None:
        """Read the item's records again (after a write here, or when its history grew)."""
        archive = self.archive_getter()
        records: list[dict[str, Any]] = []
        if self.item is not None and archive is not None:
            try:
                records = archive.records(int(self.item["id"]))
            except ArchiveError as exc:  # the item went, or the catalogue cannot be read: said, not raised
                self.say(str(exc))
        self.records = records
        self._fill()
        self.recordsShown.emit(list(records))

    def say(self, text: str) -> None:
        """A line under the list: what was saved or exported, or why not."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def master_id(self) -> int | None:
        asset = master_asset((self.item or {}).get("assets") or [])
        return int(asset["id"]) if asset else None

    def _fill(self) -> None:
        selected = self.current_record()
        self.tree.clear()
        master = self.master_id()
        for record in self.records:
            row = QTreeWidgetItem(self.tree, [title_of(record) or kind_label(record["kind"]), describe(record),
                                              self._state(record, master)])
            row.setData(0, ID_ROLE, record["id"])
            row.setIcon(0, _dot(KIND_COLOURS.get(record["kind"], (200, 200, 200))))
            text = "\n\n".join(t for t in (record.get("text_vi"), record.get("text_en")) if t)
            row.setToolTip(0, text or row.text(0))
            if record.get("review") == "needs_review":
                row.setIcon(2, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
                row.setForeground(2, QColor("#b35900"))
            if selected is not None and record["id"] == selected["id"]:
                self.tree.setCurrentItem(row)
        for column, width in enumerate((200, 190)):
            self.tree.setColumnWidth(column, width)
        self.empty.setVisible(self.item is not None and not self.records)
        self.update_actions()

    def _state(self, record: dict[str, Any], master: int | None) -> str:
        words = [self.tr("needs review")] if record.get("review") == "needs_review" else []
        words.append(self.tr("public") if record.get("public") else self.tr("private"))
        if record.get("view"):
            words.append(self.tr("saved view"))
        if master is not None and record.get("asset_id") != master:
            words.append(self.tr("on an earlier scan version"))
        return ", ".join(words)

    def set_locked(self, reason: str) -> None:
        """Refuse writing records for ``reason`` (said in the buttons' tooltips), or allow it ("")."""
        self.locked = reason
        self.update_actions()
        self.lockChanged.emit(reason)

    def update_actions(self) -> None:
        has_model = self.master_id() is not None
        self.add_button.setEnabled(has_model and self.can_pick and not self.locked)
        self.add_button.setToolTip(self.locked or (
            self.tr("Click a point on the model for the annotation") if self.can_pick
            else self.tr("Needs the 3D view: a note is placed on a point of the model")))
        chosen = self.current_record() is not None
        for button in (self.edit_button, self.delete_button):
            button.setEnabled(chosen and not self.locked)
            button.setToolTip(self.locked)
        self.export_button.setEnabled(self.item is not None)

    def _refused(self) -> bool:
        """Whether writing is locked, saying why under the list (a double-click, a click in the 3D view)."""
        if self.locked:
            self.say(self.locked)
        return bool(self.locked)

    def current_record(self) -> dict[str, Any] | None:
        row = self.tree.currentItem() if hasattr(self, "tree") else None
        record_id = row.data(0, ID_ROLE) if row is not None else None
        return next((r for r in self.records if r["id"] == record_id), None)

    def select_record(self, record_id: int) -> None:
        for i in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(i).data(0, ID_ROLE) == record_id:
                self.tree.setCurrentItem(self.tree.topLevelItem(i))

    def _activated(self, row: QTreeWidgetItem) -> None:
        record = next((r for r in self.records if r["id"] == row.data(0, ID_ROLE)), None)
        if record is not None:
            self.recordActivated.emit(record)

    # -- writing ---------------------------------------------------------------------------
    def _archive(self) -> Archive:
        archive = self.archive_getter()
        if archive is None or self.item is None:
            raise ArchiveError(self.tr("No item is shown."))
        return archive

    def add_record(self, kind: str, points: list[list[float]], **values: Any) -> int | None:
        """Save a new record on the item's master now; its id, or None when refused (said)."""
        try:
            record_id = self._archive().add_record(int(self.item["id"]), kind, points, **values)  # type: ignore[index]
        except ValidationError as exc:
            problems = getattr(exc, "problems", [exc])
            dialogs.show_error(self, self.tr("Not saved"), "\n".join(
                f"{p.field}: {dialogs.problem_message(p)}" for p in problems))
            return None
        except ArchiveError as exc:
            dialogs.show_error(self, self.tr("Not saved"), exc)
            return None
        self._written(record_id)
        return record_id

    def save_measurement(self, measure: str, points: list[list[float]]) -> int | None:
        """Keep a measurement (``points`` in the master's frame) as a record."""
        if self._refused():
            return None
        record_id = self.add_record("measurement", points, measure=measure)
        if record_id is not None:
            self.say(self.tr("Saved: {what}").format(what=describe(self._record(record_id))))
        return record_id

    def new_point_record(self, point: list[float], normal: list[float] | None = None,
                         view: dict[str, Any] | None = None, kind: str = "annotation") -> RecordDialog | None:
        """Open the dialog for a new landmark or annotation at ``point`` (the master's frame)."""
        if self.item is None or self.master_id() is None or self._refused():
            return None
        master = master_asset(self.item["assets"]) or {}
        draft = {"kind": kind, "points": [list(point)], "normal": normal, "view": view, "unit": master.get("units"),
                 "public": False, "review": "ok"}

        def save(values: dict[str, Any], _version: int | None) -> dict[str, Any]:
            extra = {k: v for k, v in values.items() if k != "kind"}
            archive = self._archive()
            record_id = archive.add_record(int(self.item["id"]), values["kind"], draft["points"],  # type: ignore[index]
                                           normal=normal, view=view, **extra)
            return archive.record(record_id)

        return self._open(RecordDialog(draft, save, None, self))

    def edit_record(self, record: dict[str, Any] | None = None) -> RecordDialog | None:
        """Open the dialog for ``record`` (the selected one by default)."""
        record = record or self.current_record()
        if record is None or self._refused():
            return None

        def save(changes: dict[str, Any], version: int | None) -> dict[str, Any]:
            archive = self._archive()
            archive.update_record(int(record["id"]), changes, expected_version=version)
            return archive.record(int(record["id"]))

        return self._open(RecordDialog(record, save, lambda rid: self._archive().record(rid), self))

    def _open(self, dialog: RecordDialog) -> RecordDialog:
        self.dialog = dialog
        dialog.saved.connect(lambda fresh: self._written(int(fresh["id"])))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None) if self.dialog is dialog else None)
        dialog.open()
        return dialog

    def delete_record(self, record: dict[str, Any] | None = None) -> bool:
        """Delete ``record`` (the selected one by default) after the user confirms."""
        record = record or self.current_record()
        if record is None or self._refused():
            return False
        what = f"{title_of(record) or kind_label(record['kind'])} — {describe(record)}"
        question = self.tr("Delete {what}? The deletion is logged with the whole record in the item's history.")
        if not dialogs.confirm(self, self.tr("Delete record"), question.format(what=what)):
            return False
        try:
            self._archive().delete_record(int(record["id"]))
        except ArchiveError as exc:
            dialogs.show_error(self, self.tr("Cannot delete the record"), exc)
            return False
        self._written(int(record["id"]))
        return True

    def _written(self, record_id: int) -> None:
        self.reload()
        self.select_record(record_id)
        self.changed.emit(record_id)

    def _record(self, record_id: int) -> dict[str, Any]:
        return next((r for r in self.records if r["id"] == record_id), {})

    # -- export ----------------------------------------------------------------------------
    def export(self, path: str | Path | None = None) -> int:
        """Write this item's records to CSV or JSON (``Archive.export_records``); returns how many.
        An item without records gets no file, and the note says so."""
        if self.item is None:
            return 0
        self.reload()
        if not self.records:
            self.say(self.tr("This item has no records yet, so nothing was exported (no file written)."))
            return 0
        if path is None:
            name = f"{self.item.get('accession') or 'item'}-records.csv"
            chosen, chosen_filter = QFileDialog.getSaveFileName(self, self.tr("Export records"), name,
                                                                "CSV (*.csv);;JSON (*.json)")
            if not chosen:
                return 0
            path = _with_suffix(chosen, chosen_filter)
        try:
            count = self._archive().export_records(Path(path), [int(self.item["id"])])
        except (ArchiveError, OSError) as exc:
            dialogs.show_error(self, self.tr("Export failed"), exc)
            return 0
        self.say(self.tr("Exported %n record(s) to {path}", "", count).format(path=path) if count else
                          self.tr("No records were exported: {path} holds only the column names.").format(path=path))
        return count


def title_of(record: dict[str, Any]) -> str:
    """The record's title in the interface's language, else in the other one."""
    vi, en = record.get("title_vi") or "", record.get("title_en") or ""
    return (vi or en) if current_language() == "vi" else (en or vi)


def _with_suffix(path: str, chosen_filter: str) -> Path:
    p = Path(path)
    if p.suffix.lower() in (".csv", ".json"):
        return p
    return p.with_suffix(".json" if "json" in chosen_filter.lower() else ".csv")


def _dot(colour: tuple[int, int, int]) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QColor(0, 0, 0))
    p.setBrush(QColor(*colour))
    p.drawEllipse(1, 1, 10, 10)
    p.end()
    return QIcon(pixmap)
