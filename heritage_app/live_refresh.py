"""Other users' changes on screen without a restart (team archives, or two windows on one folder).

The archive's change feed says what changed (``Archive.changes_since``: the event log) and its
watcher says when to look (``Archive.watch_changes``): on PostgreSQL a notice wakes the window at
once through a ``QSocketNotifier`` on the listening socket (after a lost connection the listener
connects again on a thread of its own, so a hung network never freezes the window, and
``listeningAgain`` brings the new socket here); on SQLite, and as a fallback, a timer asks
every ``POLL_MS``. One code path for both engines. What changed is refreshed and no more: the
changed rows are repainted, the search runs again on a reader thread and its result is
merged row by row (selection and scroll place stay), and the shown item is brought up to date
unless the user is editing it: then a bar says who changed it and when, and offers Reload; a
save then asks about each field both changed, with both values (``dialogs.ConflictDialog``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from archive import Archive, ArchiveError, ChangeEvent, NotFound, SearchQuery

from .tasks import Task
from .timefmt import local_time
from .up_axis import master_asset

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)
POLL_MS = 2000  # SQLite: how often to read the newest event id (one primary-key lookup)
BACKOFF_MS = 30_000  # after the catalogue could not be read: do not hammer a server that is down
BATCH = 500  # events read at once; a fuller batch means "a lot changed": everything is refreshed
MANY_ROWS = 50  # more changed items than this: repaint every row instead of finding each
CHOICE_FIELDS = {"collections", "period", "materials", "culinary_line"}  # the search filters list these
THUMBNAIL_TYPES = {"import", "ingest"}  # a new master: a new thumbnail


class ChangedElsewhereBar(QFrame):
    """Above the form while the user has unsaved edits to an item someone else changed."""

    reloadRequested = Signal()  # noqa: N815 (Qt naming)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("changedElsewhereBar")
        self.setStyleSheet("#changedElsewhereBar { background: #fff4ce; border: 1px solid #d8a800;"
                           " border-radius: 4px; } #changedElsewhereBar QLabel { color: #3d2f00; }")
        self.item_id: int | None = None
        self.deleted = False
        self._who = ("", "")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.reload_button = QPushButton()
        self.reload_button.setObjectName("reloadChangedItem")
        self.reload_button.clicked.connect(self.reloadRequested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.reload_button)
        self.hide()
        self.retranslate()

    def show_change(self, item_id: int, agent: str, at: str, deleted: bool = False) -> None:
        self.item_id, self.deleted, self._who = item_id, deleted, (agent, at)
        self.retranslate()
        self.show()

    def retranslate(self) -> None:
        agent, at = self._who[0] or "?", local_time(self._who[1])
        if self.deleted:
            text = self.tr("Deleted by {agent} at {at} while you were editing: your edits cannot be saved to it.")
        else:
            text = self.tr("Changed by {agent} at {at} while you were editing. Reload shows the saved version (your "
                           "unsaved edits are dropped); Save asks about each field you both changed.")
        self.label.setText(text.format(agent=agent, at=at))
        self.reload_button.setText(self.tr("Reload"))
        self.reload_button.setVisible(not self.deleted)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class LiveRefresh(QObject):
    """Watches the open archive for changes made elsewhere and shows them in ``window``."""

    refreshed = Signal(object)  # the ChangeEvents just shown
    requeried = Signal()  # the catalogue shows the search's current result
    listeningAgain = Signal()  # noqa: N815 (Qt naming); emitted on the listener's connecting thread

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.archive: Archive | None = None
        self.watcher: Any = None  # archive.catalogue.base.ChangeWatcher
        self.seen = 0  # the newest event id shown
        self.behind = False  # a look failed half-way: look again even if the watcher is quiet
        self.notifier: QSocketNotifier | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.check)
        self.listeningAgain.connect(self.check)  # queued to this thread: the new socket is watched from here
        self.bar = ChangedElsewhereBar()
        window.detail.layout().insertWidget(1, self.bar)  # under the item's title
        self.bar.reloadRequested.connect(self.reload_shown)
        window.detail.editor.dirtyChanged.connect(self._dirty_changed)

    # -- watching --------------------------------------------------------------------------
    def start(self, archive: Archive) -> None:
        self.stop()
        try:
            self.watcher = archive.watch_changes()
            if hasattr(self.watcher, "listening_again"):  # PostgreSQL's listener reconnects on a thread of its own
                self.watcher.listening_again = self.listeningAgain.emit
            self.seen = archive.latest_event_id()
        except ArchiveError as exc:  # the archive opened a moment ago: very unlikely, never fatal
            log.warning("not watching for changes: %s", exc)
            return
        self.archive, self.behind = archive, False
        self._sync_notifier()
        self.timer.start(POLL_MS)

    def stop(self) -> None:
        self.timer.stop()
        self._drop_notifier()
        if self.watcher is not None:
            self.watcher.close()
        self.watcher = self.archive = None
        self.bar.hide()

    def _sync_notifier(self) -> None:
        """Watch the listening socket (PostgreSQL); after a reconnection it is another one."""
        fd = self.watcher.fileno() if self.watcher is not None else None
        if self.notifier is not None and self.notifier.socket() != fd:
            self._drop_notifier()
        if fd is not None and self.notifier is None:
            self.notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
            self.notifier.activated.connect(self._woken)

    def _drop_notifier(self) -> None:
        if self.notifier is not None:
            self.notifier.setEnabled(False)
            self.notifier.deleteLater()
            self.notifier = None

    def _woken(self) -> None:
        notifier = self.notifier
        if notifier is not None:
            notifier.setEnabled(False)  # the socket may close under it while reading
        self.check()
        if notifier is not None and notifier is self.notifier:
            notifier.setEnabled(True)

    def check(self) -> None:
        """If the watcher says something may have changed, read the events since the last look
        and show them. Never raises: a catalogue that cannot be read is a status message."""
        archive, watcher = self.archive, self.watcher
        if archive is None or watcher is None:
            return
        try:
            if not (watcher.pending() or self.behind):
                return
            self.behind = True
            events = archive.changes_since(self.seen, limit=BATCH)
            flood = len(events) >= BATCH
            if events:
                self.seen = archive.latest_event_id() if flood else events[-1].id
                self.apply(events, flood)
            self.behind = False
        except ArchiveError as exc:
            self.window.statusBar().showMessage(self.tr("Cannot read the latest changes: {error}").format(error=exc),
                                                BACKOFF_MS)
            self.timer.start(BACKOFF_MS)
            return
        finally:
            self._sync_notifier()
        if self.timer.interval() != POLL_MS:
            self.timer.start(POLL_MS)

    # -- showing ---------------------------------------------------------------------------
    def apply(self, events: list[ChangeEvent], flood: bool = False) -> None:
        """Show ``events`` (``flood``: more came than were read; refresh everything)."""
        window = self.window
        ids = {e.item_id for e in events if e.item_id is not None}
        if flood or len(ids) > MANY_ROWS:
            window.model.refresh_all()
        else:
            window.model.refresh_items(sorted(ids))
        for event in events:
            if event.item_id is not None and (event.type in THUMBNAIL_TYPES or event.field == "up_axis"):
                window.thumbnails.forget(event.item_id)
        if flood or any(e.type == "vocabulary" or e.field in CHOICE_FIELDS for e in events):
            window._fill_choices()
            window.detail.editor.set_vocabularies()
        if flood or ids:
            self._requery()
        shown = window._shown_id
        if shown is not None and (flood or shown in ids):
            self._update_shown(shown, [e for e in events if e.item_id == shown])
        others = sorted({e.agent for e in events if self.archive is not None and e.agent != self.archive.agent})
        if others:
            window.statusBar().showMessage(self.tr("Updated with changes by {agents}").format(agents=", ".join(others)),
                                           8000)
        self.refreshed.emit(events)

    def _update_shown(self, item_id: int, events: list[ChangeEvent]) -> None:
        assert self.archive is not None
        detail, editor = self.window.detail, self.window.detail.editor
        try:
            fresh = self.archive.get(item_id)
            history = self.archive.history(item_id)
        except NotFound:
            last = events[-1] if events else None
            if editor.is_dirty():
                self.bar.show_change(item_id, last.agent if last else "", last.at if last else "", deleted=True)
            else:
                self.window._show(None)
            return
        if fresh["version"] == (editor.item or {}).get("version") and _same_master(detail.item, fresh):
            detail.show_history(history)  # an export or a fixity check: only the history grew
        elif editor.is_dirty():
            detail.show_history(history)
            newest = events[-1] if events else None
            agent, at = (newest.agent, newest.at) if newest else (history[-1]["agent"], history[-1]["at"])
            self.bar.show_change(item_id, agent, at)
        else:
            self._show_saved(item_id, fresh, history)

    def _show_saved(self, item_id: int, fresh: dict[str, Any], history: list[dict[str, Any]]) -> None:
        if _same_master(self.window.detail.item, fresh):
            self.window.detail.show_saved(fresh, history)
        else:
            self.window._show(item_id)  # a new or turned scan: the viewer loads it again

    def reload_shown(self) -> None:
        """The bar's Reload: the saved version replaces the unsaved edits."""
        self.bar.hide()
        item_id = self.window._shown_id
        if self.archive is None or item_id is None:
            return
        try:
            fresh = self.archive.get(item_id)
            history = self.archive.history(item_id)
        except NotFound:
            self.window._show(None)
            return
        except ArchiveError as exc:
            self.window.statusBar().showMessage(str(exc), 8000)
            return
        self._show_saved(item_id, fresh, history)

    def _dirty_changed(self, dirty: bool) -> None:
        if not dirty and not self.bar.isHidden():
            self.bar.hide()
            QTimer.singleShot(0, self._catch_up)  # after the load or save that made the form clean

    def _catch_up(self) -> None:
        """The form is clean again (saved, reverted): show the item as saved now."""
        item_id, editor = self.window._shown_id, self.window.detail.editor
        if self.archive is None or item_id is None or editor.is_dirty():
            return
        try:
            fresh = self.archive.get(item_id)
            if fresh["version"] != (editor.item or {}).get("version"):
                self._show_saved(item_id, fresh, self.archive.history(item_id))
        except ArchiveError as exc:
            self.window.statusBar().showMessage(str(exc), 8000)

    def _requery(self) -> None:
        """Run the current search again on a reader thread (whole-archive queries must not stall
        the window) and merge its result into the model."""
        window = self.window
        if window.archive_dir is None:
            return
        query = window.model.query
        task = Task(_search, query, archive_dir=window.archive_dir, title="search")
        task.signals.succeeded.connect(lambda ids: self._requeried(query, ids))
        window.tasks.run_read(task)

    def _requeried(self, query: SearchQuery, ids: list[int]) -> None:
        if self.archive is None or query is not self.window.model.query:
            return  # closed, or the user searched again meanwhile
        self.window.model.update_ids(ids)
        self.requeried.emit()


def _search(archive: Archive, _progress: Any, _cancel: Any, query: SearchQuery) -> list[int]:
    return archive.search_ids(query)


def _same_master(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether the viewer's model still stands: the same master scan, units and up axis."""
    def key(item: dict[str, Any] | None) -> tuple[Any, ...]:
        master = master_asset((item or {}).get("assets") or [])
        return (master or {}).get("id"), (master or {}).get("units"), (master or {}).get("up_axis")

    return key(old) == key(new)
