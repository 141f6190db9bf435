"""What the connected user may do, mirrored in the window (issue 13, roles).

The database enforces a team archive's roles; this only tells the user before they try. What
``Archive.access()`` refuses is disabled with a tooltip saying why: importing, saving metadata
and scan details, writing research records (the Records tab, Save measurement, Mark a point, Save
view), adding vocabulary terms, deleting, and the statuses reviewed/published for
anyone but a reviewer. The status bar names the user and their role. A single-user archive
allows everything, and nothing that writes on read-only media.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QLabel

from archive import ArchiveError

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)


class WindowPermissions(QObject):
    """Keeps the window's actions and forms in step with ``MainWindow.archive.access()``; call
    ``update`` when the archive, the language or the user's grants may have changed."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.w = window
        self.access: Any = None  # the open archive's Access (archive.Archive.access); None: none open
        self.label = QLabel()
        self.label.setObjectName("roleLabel")
        self.label.hide()
        window.statusBar().addPermanentWidget(self.label)
        self._tips: dict[QAction, str] = {}  # an action's own tooltip while a reason replaces it
        editor = window.detail.editor
        self._asset_saver = window.detail.assets.asset_saver
        self._add_term = editor.terms.add
        editor.loaded.connect(self._item_shown)

    # -- asking --------------------------------------------------------------------------------
    def may(self, action: str) -> bool:
        """Whether the user may take ``action`` (see ``archive.access.ACTIONS``); with no archive
        open, or none known, the archive decides when they try."""
        return self.access is None or self.access.may(action)

    def check(self, action: str) -> bool:
        """``may``, saying why not in the status bar when they may not."""
        if not self.may(action):
            self.w.statusBar().showMessage(self.reason(action), 8000)
        return self.may(action)

    def reason(self, action: str) -> str:
        """Why ``action`` is refused, in the user's language ("" when it is not)."""
        a = self.access
        if a is None or a.may(action):
            return ""
        what = self._what(action)
        if a.read_only:
            return self.tr("The archive is on read-only media: you cannot {what}.").format(what=what)
        if a.role == "none":
            return self.tr("You are connected as {user}, who has no role in this team archive: you cannot {what}."
                           ).format(user=a.user, what=what)
        return self.tr("You are connected as {user} with the {role} role: you cannot {what}.").format(
            user=a.user, role=self.role_name(a.role), what=what)

    def _what(self, action: str) -> str:
        return {
            "import": self.tr("import scans"),
            "edit": self.tr("edit items"),
            "vocabulary": self.tr("add vocabulary terms"),
            "delete": self.tr("delete items"),
            "review": self.tr("set an item's status to reviewed or published"),
        }.get(action, action)

    def role_name(self, role: str) -> str:
        return {
            "owner": self.tr("owner"),
            "reviewer": self.tr("reviewer"),
            "cataloguer": self.tr("cataloguer"),
            "viewer": self.tr("viewer"),
            "none": self.tr("no role"),
        }.get(role, role)

    # -- applying ------------------------------------------------------------------------------
    def update(self) -> None:
        archive = self.w.archive
        try:
            self.access = archive.access() if archive is not None else None
        except ArchiveError as exc:  # the server went away: keep what was known, the archive still decides
            log.warning("cannot ask what the user may do: %s", exc)
        actions = self.w.actions
        for action, need in ((actions.import_scans, "import"), (actions.csv_import, "import"),
                             (actions.save, "edit"), (actions.revert, "edit")):
            self._allow(action, need)
        self._lock_editor()
        self.w.detail.records.set_locked(self.reason("edit"))  # research records: list and 3D view
        self._item_shown()
        self._show_role()

    def _allow(self, action: QAction, need: str, reason: str | None = None) -> None:
        reason = self.reason(need) if reason is None else reason
        if self.w.archive is not None:
            action.setEnabled(not reason)
        if reason:
            self._tips.setdefault(action, action.toolTip())
            action.setToolTip(reason)
        elif action in self._tips:
            action.setToolTip(self._tips.pop(action))

    def _lock_editor(self) -> None:
        editor, assets = self.w.detail.editor, self.w.detail.assets
        editor.locked = self.reason("edit")
        editor.scroll.widget().setEnabled(not editor.locked)
        editor.scroll.widget().setToolTip(editor.locked)
        editor.save_button.setEnabled(editor.is_dirty() and not editor.locked)
        assets.asset_saver = None if editor.locked else self._asset_saver  # double-click edits a scan's details
        assets.setToolTip(editor.locked)
        editor.terms.add = self._add_term if self.may("vocabulary") else None  # no "Add this term…" offer

    def _item_shown(self) -> None:
        """Per item: a reviewed or published item's status, and deleting it, are a reviewer's."""
        editor = self.w.detail.editor
        item = editor.item or {}
        guarded = tuple(self.access.reviewed_statuses) if self.access is not None else ()
        review = "" if self.may("review") else self.reason("review")
        delete = self.reason("delete")
        if not delete and review and item.get("status") in guarded:
            delete = self.tr("Only a reviewer may delete an item that is reviewed or published.")
        self._allow(self.w.actions.delete_item, "delete", delete)
        combo = editor.rows["status"].editor.widget
        model = combo.model() if isinstance(combo, QComboBox) else None
        assert isinstance(combo, QComboBox) and isinstance(model, QStandardItemModel)
        for row in range(combo.count()):
            entry = model.item(row)
            locked = bool(review) and combo.itemData(row) in guarded
            entry.setEnabled(not locked)
            entry.setToolTip(review if locked else "")
        combo.setEnabled(not (review and combo.currentData() in guarded))  # taking it back is a reviewer's call too
        combo.setToolTip(review)

    def _show_role(self) -> None:
        a = self.access
        parts = []
        if a is not None and a.team:
            parts.append(self.tr("Team archive · connected as {user} ({role})").format(
                user=a.user, role=self.role_name(a.role)))
        if a is not None and a.read_only:
            parts.append(self.tr("read-only media"))
        self.label.setText(" · ".join(parts))
        self.label.setVisible(bool(parts))
