"""Edits that have nowhere to go: the item was deleted elsewhere (another user of a team archive,
another window) while it was being edited. They are never dropped without the user's word: the
dialog says who deleted the item and when, lists the edits, and offers to copy them (to paste
into another item or a note) or to close the item."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from archive import ArchiveError
from archive.fields import ITEM_FIELD

from .i18n import field_label
from .timefmt import local_time


class DeletedItemDialog(QMessageBox):
    """The item being saved is no longer in the catalogue: copy the edits, close it, or keep editing."""

    def __init__(self, parent: QWidget | None, item: dict[str, Any], changes: dict[str, Any],
                 deletion: dict[str, Any] | None = None):
        super().__init__(parent)
        self.edits = edits_text(item, changes)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(self.tr("Item deleted elsewhere"))
        what = _item_name(item)
        if deletion is not None:
            self.setText(self.tr("{item} was deleted by {agent} at {at} while you were editing it.").format(
                item=what, agent=deletion.get("agent") or "?", at=local_time(deletion.get("at"))))
        else:
            self.setText(self.tr("{item} is no longer in the catalogue: it was deleted while you were editing it."
                                 ).format(item=what))
        self.setInformativeText(self.tr("Your edits cannot be saved to it. They are still in the form: copy them "
                                        "to paste into another item, or close the item."))
        self.setDetailedText(self.edits)
        self.copy_button = self.addButton(self.tr("Copy my edits"), QMessageBox.ButtonRole.ActionRole)
        self.close_button = self.addButton(self.tr("Close the item"), QMessageBox.ButtonRole.DestructiveRole)
        self.keep_button = self.addButton(self.tr("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.copy_button)

    def ask(self) -> str:
        """ "copy" (the edits are on the clipboard), "close" or "keep"."""
        self.exec()
        clicked = self.clickedButton()
        self.deleteLater()
        if clicked is self.copy_button:
            QGuiApplication.clipboard().setText(self.edits)
            return "copy"
        return "close" if clicked is self.close_button else "keep"


def edits_text(item: dict[str, Any], changes: dict[str, Any]) -> str:
    """The unsaved edits as lines of text ("Label: value") under the item's name, in the
    interface language, in the order of the form."""
    lines = [_item_name(item)]
    for name in sorted(changes, key=lambda n: list(ITEM_FIELD).index(n) if n in ITEM_FIELD else len(ITEM_FIELD)):
        label = field_label(ITEM_FIELD[name]) if name in ITEM_FIELD else name
        lines.append(f"{label}: {_value(changes[name])}")
    return "\n".join(lines)


def _item_name(item: dict[str, Any]) -> str:
    return " — ".join(str(v) for v in (item.get("accession"), item.get("title")) if v)


def _value(value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def ask_after_deletion(parent: QWidget | None, item: dict[str, Any], changes: dict[str, Any],
                       history_of: Any = None) -> str:
    """Ask what becomes of ``changes`` to the deleted ``item`` ("copy", "close" or "keep");
    ``history_of(item_id)`` (the item's events, kept after a deletion) says who deleted it when."""
    deletion = None
    if history_of is not None:
        try:
            deletion = next((e for e in reversed(history_of(item["id"])) if e.get("type") == "delete"), None)
        except ArchiveError:  # the catalogue cannot be read just now: the dialog does without a name
            deletion = None
    return DeletedItemDialog(parent, item, changes, deletion).ask()
