"""The main window: catalogue (grid/table) and search on the left, the selected item on the
right; archive, import and tools in the menus. It reaches data only through ``Archive``:
reads on the GUI thread's own connection (a page at a time), long writes on the writer
thread (``operations``), a metadata save as one short transaction."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from archive import Archive, ArchiveError, Change, ImportReport, SearchQuery, StorageError

from . import dialogs, i18n, outages
from .after_paint import AfterFirstPaint
from .catalogue_model import CatalogueModel
from .catalogue_view import CatalogueView
from .detail_pane import DetailPane
from .icons import app_icon
from .import_dialog import ImportDialog
from .levels_task import index_when_ready, start_levels_after_import, view_level
from .live_refresh import LiveRefresh
from .metadata_editor import EditorContext
from .operations import Operations, TaskProgress
from .permissions import WindowPermissions
from .search_bar import SearchBar
from .settings import MB, SettingsStore, set_viewer_budget
from .tasks import Task, TaskManager
from .thumbnails import ThumbnailProvider
from .up_axis import master_asset, recorded_up_axis
from .welcome import WelcomePage
from .window_actions import WindowActions, export_dialog_class

AUTO_BACKUP_DELAY_MS = 3000  # after opening an archive: the window is shown and painted first

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    reloaded = Signal()  # the catalogue shows the archive's current state (after an import)

    def __init__(self, store: SettingsStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.settings = store.load()
        set_viewer_budget(self.settings.viewer_memory_mb * MB)  # before any viewer opens a scan
        self.archive: Archive | None = None
        self.archive_dir: Path | None = None
        self._shown_id: int | None = None
        self.import_dialog: ImportDialog | None = None
        self.auto_backup_task: Task | None = None
        self.after_paint = AfterFirstPaint(self)  # work the first screen does not show waits for it
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.tasks = TaskManager(self)
        self.thumbnails = ThumbnailProvider(parent=self)
        self.thumbnails.render = self.settings.render_thumbnails
        self.model = CatalogueModel(self.thumbnails, self)
        self.search = SearchBar()
        self.view = CatalogueView(self.model)
        self.detail = DetailPane(EditorContext(self._vocabulary, self._link_search, self._link_label))
        self.detail.editor.saver = self._save_item
        self.detail.editor.loader = self._reload_item
        self.detail.editor.history_of = lambda item_id: self.archive.history(item_id) if self.archive else []
        self.detail.editor.closer = lambda: self._show(None)  # the item was deleted elsewhere
        self.detail.assets.asset_saver = self._save_asset
        self.detail.records.archive_getter = lambda: self.archive  # the item's research records
        # "Add this term…" beside a rejected vocabulary value; the search filters then list it too.
        self.detail.editor.terms.add = self._add_term
        self.detail.editor.terms.added.connect(lambda *_: self._fill_choices())
        self.welcome = WelcomePage()
        self._build_layout()
        self.progress = TaskProgress()
        self.ops = Operations(self, self.tasks, self.progress)
        self.archive_label = QLabel()
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.archive_label)
        self.actions = WindowActions(self)
        self.permissions = WindowPermissions(self)  # what the connected user may do (team roles)
        self.live = LiveRefresh(self)  # other users' changes, shown without a restart
        self._connect()
        self.actions.render_thumbnails.setChecked(self.settings.render_thumbnails)
        self.actions.languages[i18n.current_language()].setChecked(True)
        self.set_view_mode(self.settings.view_mode)
        self._show_archive_state()
        self._restore_layout()
        self.retranslate()

    def _build_layout(self) -> None:
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.search)
        column.addWidget(self.view, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)  # a wider window mostly widens the viewer
        self.splitter.setSizes([560, 760])
        self._first_show = False  # True on first run: size the splitter once it has its width
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.splitter)
        self.setCentralWidget(self.pages)

    def _connect(self) -> None:
        self.search.queryChanged.connect(self.run_query)
        self.model.countChanged.connect(self.search.set_count)
        self.model.queryFailed.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.model.modelReset.connect(self._reselect_shown)
        self.view.currentItemChanged.connect(self._current_changed)
        self.detail.editor.dirtyChanged.connect(self.setWindowModified)
        self.detail.upAxisChosen.connect(self._up_axis_chosen)
        self.welcome.openRequested.connect(self.choose_archive)
        self.welcome.newRequested.connect(self.new_archive)
        self.welcome.demoRequested.connect(self.create_demo_archive)
        self.welcome.recentRequested.connect(self.open_archive)
        self.ops.imported.connect(self._imported)
        self.ops.itemsChanged.connect(self.refresh)
        self.ops.restored.connect(self._restored)
        self.ops.message.connect(lambda text: self.statusBar().showMessage(text, 8000))

    # -- language and settings -------------------------------------------------------------
    def retranslate(self) -> None:
        self.actions.retranslate()
        name = self.archive_dir.name if self.archive_dir else ""
        title = self.tr("Heritage & Cuisine 3D Archive")
        self.setWindowTitle(f"{name} [*] — {title}" if name else title)
        self.archive_label.setText(str(self.archive_dir) if self.archive_dir else self.tr("No archive open"))
        self.permissions.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_language(self, code: str) -> None:
        i18n.set_language(code)
        self.settings.language = code
        self.store.save(self.settings)
        self.actions.languages[code].setChecked(True)

    def set_view_mode(self, mode: str) -> None:
        self.view.set_mode(mode)
        (self.actions.table_mode if mode == "table" else self.actions.grid_mode).setChecked(True)
        self.settings.view_mode = mode

    def set_render_thumbnails(self, on: bool) -> None:
        self.settings.render_thumbnails = self.thumbnails.render = on
        self.store.save(self.settings)

    def open_viewer_memory(self) -> Any:
        """Settings › 3D viewer memory (window-modal); OK applies it to the open viewer at once."""
        from .viewer_memory_dialog import ViewerMemoryDialog

        dialog = ViewerMemoryDialog(self.settings.viewer_memory_mb, getattr(self.detail, "viewer", None), self)
        dialog.accepted.connect(lambda: self.set_viewer_memory(dialog.budget_mb()))
        dialog.open()
        return dialog

    def set_viewer_memory(self, mb: int) -> None:
        self.settings.viewer_memory_mb = mb
        self.store.save(self.settings)
        set_viewer_budget(mb * MB)

    FIRST_RUN_SHARE = 0.85  # of the available screen: room to work in the viewer

    def _first_run_layout(self) -> None:
        """No saved layout yet: a window at a good share of the screen, centred, with the
        detail pane (and its viewer) as wide as the catalogue and more."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        size = available.size() * self.FIRST_RUN_SHARE
        self.resize(size)
        self.move(available.center() - self.rect().center())
        self._first_show = True

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            QTimer.singleShot(0, self._share_width)  # once the layout gave the splitter its width

    def _share_width(self) -> None:
        width = self.splitter.width()
        self.splitter.setSizes([int(width * 0.4), width - int(width * 0.4)])

    def _restore_layout(self) -> None:
        if self.store.window_state("geometry") is None:
            self._first_run_layout()
        self.detail.splitter_restored = self.store.window_state("detail_splitter") is not None
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("state", self.restoreState),
            ("splitter", self.splitter.restoreState),
            ("detail_splitter", self.detail.splitter.restoreState),
        ):
            value = self.store.window_state(key)
            if value is not None:
                restore(value)

    def _save_layout(self) -> None:
        for key, value in (
            ("geometry", self.saveGeometry()),
            ("state", self.saveState()),
            ("splitter", self.splitter.saveState()),
            ("detail_splitter", self.detail.splitter.saveState()),
        ):
            self.store.set_window_state(key, value)
        self.store.save(self.settings)

    # -- archives --------------------------------------------------------------------------
    def open_archive(self, path: Path | str) -> bool:
        if not self.confirm_leave():
            return False
        path = Path(path)
        try:
            archive = Archive.open(path)
        except (ArchiveError, OSError) as exc:
            self.settings.forget_archive(path)
            self.store.save(self.settings)
            dialogs.show_error(self, self.tr("Cannot open the archive"), exc)
            return False
        self.close_archive()
        self.archive, self.archive_dir = archive, path
        self.ops.archive_dir = path
        self.thumbnails.set_archive(path)
        self.detail.lod_cache_dir = path / "derived" / "lod"
        self._fill_choices()
        self.detail.editor.set_vocabularies()
        self.model.set_archive(archive)
        self.live.start(archive)
        self.settings.remember_archive(path)
        self.store.save(self.settings)
        self._show_archive_state()
        self.after_paint.call(lambda: self._say_opened(archive, path))  # counting every item waits
        if not os.environ.get("HERITAGE_NO_AUTO_BACKUP") and not archive.read_only:  # nowhere to write one
            # A copy of the whole catalogue: a while after the window is shown and painted.
            self.after_paint.call(lambda: QTimer.singleShot(AUTO_BACKUP_DELAY_MS, self,
                                                            lambda: self._start_auto_backup(archive)))
        if archive.warnings:  # sync folder, network drive, lost changes: the user must know
            box = QMessageBox(QMessageBox.Icon.Warning, self.tr("About this archive"), "\n\n".join(archive.warnings),
                              parent=self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()  # returns at once (exec() would block until the box is closed)
        if self.model.rowCount():
            self.view.select_item(self.model.item_id(0))
        return True

    def _say_opened(self, archive: Archive, path: Path) -> None:
        if self.archive is archive:
            try:
                count = archive.count()
            except ArchiveError:  # the catalogue's server went away meanwhile: the list says so
                return
            self.statusBar().showMessage(self.tr("Opened {path}: {n} item(s)").format(path=path, n=count), 5000)

    def _start_auto_backup(self, archive: Archive) -> None:
        if self.archive is archive:  # not closed or replaced meanwhile
            self.auto_backup_task = self.ops.auto_backup()  # at most one a day; the newest five kept

    def close_archive(self) -> None:
        self.live.stop()
        self.thumbnails.set_archive(None)
        self.model.set_archive(None)
        self._show(None)
        if self.archive is not None:
            self.archive.close()
        self.archive = self.archive_dir = None
        self._show_archive_state()

    def _show_archive_state(self) -> None:
        is_open = self.archive is not None
        self.pages.setCurrentWidget(self.splitter if is_open else self.welcome)
        self.welcome.set_recent(self.settings.recent_archives)
        self.actions.set_archive_open(is_open)
        self.retranslate()

    def choose_archive(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open an archive folder"))
        if folder:
            self.open_archive(folder)

    def new_archive(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose an empty folder for the new archive"))
        if not folder:
            return
        try:
            Archive.create(folder).close()
        except (ArchiveError, OSError) as exc:
            dialogs.show_error(self, self.tr("Cannot create the archive"), exc)
            return
        self.open_archive(folder)

    def create_demo_archive(self, folder: Path | None = None) -> Task | None:
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, self.tr("Choose an empty folder for the demo archive"))
            if not chosen:
                return None
            folder = Path(chosen)
        task = Task(_build_demo, folder, title=self.tr("Creating the demo archive"))
        task.signals.succeeded.connect(lambda _ids: self.open_archive(folder))
        task.signals.failed.connect(lambda exc: dialogs.show_error(self, self.tr("Cannot create the demo"), exc))
        self.progress.track(task)
        self.tasks.run_write(task)
        return task

    def fill_recent_menu(self) -> None:
        menu = self.actions.recent_menu
        menu.clear()
        for path in self.settings.recent_archives:
            menu.addAction(path, lambda p=path: self.open_archive(p))
        if not self.settings.recent_archives:
            menu.addAction(self.tr("(none)")).setEnabled(False)

    def _add_term(self, vocabulary: str, value: str, label_en: str) -> Any:
        if self.archive is None:
            raise ArchiveError(self.tr("No archive is open."))
        return self.archive.add_vocabulary(vocabulary, value, label_en)

    def _fill_choices(self) -> None:
        """Vocabularies at once; the collections (a scan of every item) from a reader thread."""
        assert self.archive is not None and self.archive_dir is not None
        values = {
            name: [v["value"] for v in self.archive.vocabulary(name)]
            for name in ("periods", "materials", "culinary_lines")
        }
        self.search.set_choices(None, values["periods"], values["materials"], values["culinary_lines"])
        task = Task(lambda archive, _p, _c: archive.collections(), archive_dir=self.archive_dir, title="collections")
        task.signals.succeeded.connect(self.search.set_collections)
        archive = self.archive
        self.after_paint.call(lambda: self.archive is archive and self.tasks.run_read(task))

    # -- searching and selecting -----------------------------------------------------------
    def run_query(self, query: SearchQuery) -> None:
        self.model.set_query(query)

    def refresh(self) -> None:
        if self.archive is None:
            return
        self.permissions.update()  # IT may have changed the user's role meanwhile
        try:
            self._fill_choices()
        except ArchiveError as exc:  # the catalogue's server is away: the filters keep their lists
            self.statusBar().showMessage(str(exc), 8000)
        self.model.refresh_items(list(self.model._cache))
        self.model.reload()
        if self._shown_id is not None and self.detail.editor.is_dirty() is False:
            self._show(self._shown_id)

    def _reselect_shown(self) -> None:
        if self._shown_id is not None:
            self.view.select_item(self._shown_id, signal=False)

    def _current_changed(self, item_id: int | None) -> None:
        if item_id is None or item_id == self._shown_id:
            return  # an item that left the results stays open in the detail pane
        if not self.confirm_leave():
            self.view.select_item(self._shown_id, signal=False)
            return
        self._show(item_id)

    def confirm_leave(self) -> bool:
        """True when the shown item has no unsaved edits, or the user saved or discarded them."""
        if not self.detail.leave_records():  # an unsaved measurement in the 3D view
            return False
        editor = self.detail.editor
        if not editor.is_dirty():
            return True
        item = editor.item or {}
        answer = dialogs.ask_unsaved(self, f"{item.get('accession', '')} — {item.get('title', '')}")
        if answer == "save":
            return editor.save()
        return answer == "discard"

    def _show(self, item_id: int | None) -> None:
        self._shown_id = item_id
        if item_id is None or self.archive is None:
            self.detail.show_item(None, [], None)
            return
        archive = self.archive
        try:
            item, history = outages.read_twice(lambda: (archive.get(item_id), archive.history(item_id)))
        except ArchiveError as exc:  # the catalogue's server is away: the pane keeps what it shows
            self._not_shown(exc)
            return
        path, units, up_axis, preview, level, away = None, None, None, None, None, ""
        if item["assets"]:
            try:
                self.archive.master_path(item_id)  # StorageError while the archive folder cannot be reached
                path = self.archive.readable_master(item_id)  # side files stored under portable names resolve
                level = view_level(self.archive, item_id, item["assets"])  # the viewer opens a kept level first
                index_when_ready(self, item_id, level)  # levels kept before pick indexes existed get one
            except StorageError as exc:  # the shared folder went away: the metadata still shows
                away = str(exc)
            except ArchiveError:
                path = None
            master = master_asset(item["assets"])
            units, up_axis = (master or {}).get("units"), recorded_up_axis(master)
            thumbnail = self.archive.thumbnail_path(item_id)
            preview = QImage(str(thumbnail)) if thumbnail is not None else None
        self.detail.show_item(item, history, path, units, up_axis, preview, level=level, files_message=away)

    def _not_shown(self, exc: ArchiveError) -> None:
        """An item could not be read: the pane keeps the item it shows and the list selects it again."""
        self._shown_id = (self.detail.item or {}).get("id")
        if self._shown_id is not None:
            self.view.select_item(self._shown_id, signal=False)
        dialogs.show_error(self, self.tr("Cannot show the item"), exc)

    # -- editing ---------------------------------------------------------------------------
    def _save_item(self, item_id: int, changes: dict[str, Any], version: int | None = None) -> dict[str, Any]:
        assert self.archive is not None
        # ValidationError and EditConflict (someone else saved meanwhile) go back to the form
        change = self.archive.update(item_id, changes, expected_version=version)
        self.model.refresh_items(change.item_ids)
        if {"collections", "period", "materials", "culinary_line"} & set(change.fields):
            self._fill_choices()
        fresh = self.archive.get(item_id)
        self.detail.item = fresh
        self.detail.show_history(self.archive.history(item_id))
        self.detail.retranslate()
        self.statusBar().showMessage(
            self.tr("Saved %n change(s) to {item}", "", len(change.fields)).format(item=fresh["accession"]), 5000
        )
        return fresh

    def _save_asset(self, asset_id: int, changes: dict[str, Any]) -> Change:
        """Correct a scan's fields (units, up axis…) as events; the item's thumbnail is drawn
        again when its up axis changed (posters are drawn at export, so they follow)."""
        assert self.archive is not None
        change = self.archive.update_asset(asset_id, changes)
        for item_id in change.item_ids:
            if "up_axis" in change.fields:
                self._redraw_thumbnail(item_id)
            if item_id == self._shown_id and "up_axis" in change.fields and self.detail.viewer is not None:
                self.detail.viewer.set_up_axis(change.fields["up_axis"][1])  # type: ignore[attr-defined]
            if item_id == self._shown_id:
                fresh = self._reload_item(item_id)
                self.detail.assets.show_assets(fresh["assets"])
        return change

    def _redraw_thumbnail(self, item_id: int) -> None:
        """Delete the derived thumbnail (it shows the old orientation) and queue a new one."""
        assert self.archive is not None
        stale = self.archive.thumbnail_path(item_id)
        if stale is not None:
            stale.unlink(missing_ok=True)
        self.thumbnails.forget(item_id)
        self.thumbnails.get(item_id)
        self.model.refresh_items([item_id])

    def _up_axis_chosen(self, asset_id: int, axis: str) -> None:
        """"This way up" in the viewer: saved as the scan's up axis, or put back if it cannot be."""
        try:
            change = self._save_asset(asset_id, {"up_axis": axis})
        except ArchiveError as exc:
            dialogs.show_error(self, self.tr("Cannot save which way is up"), exc)
            if self._shown_id is not None:
                self._show(self._shown_id)  # the viewer goes back to the recorded axis
            return
        if change.fields:
            self.statusBar().showMessage(self.tr("Saved: {axis} is up for this scan").format(axis=axis.upper()), 5000)

    def _reload_item(self, item_id: int) -> dict[str, Any]:
        """The item as saved now (the user chose someone else's save over their edit)."""
        assert self.archive is not None
        self.model.refresh_items([item_id])
        fresh = self.archive.get(item_id)
        self.detail.item = fresh
        self.detail.show_history(self.archive.history(item_id))
        return fresh

    def save_current(self) -> bool:
        return self.detail.editor.save()

    def delete_selected(self) -> None:
        item = self.detail.editor.item
        if self.archive is None or item is None:
            return
        question = self.tr(
            "Delete {item} from the catalogue? Its files are moved to the archive's "
            "'deleted' folder and the deletion is logged."
        ).format(item=f"{item['accession']} — {item['title']}")
        if not dialogs.confirm(self, self.tr("Delete item"), question):
            return
        try:
            self.archive.delete(item["id"], confirmed=True)
        except ArchiveError as exc:
            dialogs.show_error(self, self.tr("Cannot delete the item"), exc)
            return
        self._shown_id = None
        self.detail.editor.load(None)
        self.model.reload()
        self._show(None)
        self.statusBar().showMessage(self.tr("Deleted {item}").format(item=item["accession"]), 5000)

    # -- context for the editor ------------------------------------------------------------
    def _vocabulary(self, name: str) -> list[str]:
        return [v["value"] for v in self.archive.vocabulary(name)] if self.archive is not None else []

    def _link_search(self, text: str) -> list[tuple[int, str]]:
        if self.archive is None:
            return []
        ids = self.archive.search_ids(SearchQuery(text=text, kind="relic", limit=20))
        return [(r["id"], f"{r['accession']} — {r['title']}") for r in self.archive.rows(ids)]

    def _link_label(self, item_id: int) -> str | None:
        rows = self.archive.rows([item_id]) if self.archive is not None else []
        return f"{rows[0]['accession']} — {rows[0]['title']}" if rows else None

    # -- import ----------------------------------------------------------------------------
    def import_files(self, paths: list[Path]) -> ImportDialog | None:
        if self.archive is None or not self.permissions.check("import"):
            return None
        if self.import_dialog is not None:  # a drop while the dialog is open adds to it
            self.import_dialog.add_paths(paths)
            return self.import_dialog
        try:
            dialog = ImportDialog(self.archive, paths, self.detail.editor.item, self)
        except ArchiveError as exc:  # it reads the vocabularies: the catalogue's server is away
            dialogs.show_error(self, self.tr("Cannot import the files"), exc)
            return None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.ops.start_import(dialog.selected_paths(), dialog.options()))
        dialog.finished.connect(lambda _r: setattr(self, "import_dialog", None))
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def _imported(self, report: ImportReport) -> None:
        if self.archive is None:
            return
        for item_id in report.imported:
            self.thumbnails.forget(item_id)
        start_levels_after_import(self, report.imported)  # lighter copies for the viewer, in the background
        self._fill_choices()
        if self._shown_id in report.imported and not self.detail.editor.is_dirty():
            self._show(self._shown_id)  # a new version of the open item
        select = report.imported[0] if report.imported and not self.detail.editor.is_dirty() else None
        self.reload_in_background(select)

    def reload_in_background(self, select: int | None = None) -> None:
        """Run the current search again on a reader thread (a whole-archive query must not
        stall the window after an import), then show the new items."""
        query = self.model.query
        task = Task(lambda archive, _p, _c: archive.search_ids(query), archive_dir=self.archive_dir, title="search")
        task.signals.succeeded.connect(lambda ids: self._reloaded(query, ids, select))
        self.tasks.run_read(task)

    def _reloaded(self, query: SearchQuery, ids: list[int], select: int | None) -> None:
        if self.archive is None or query is not self.model.query:
            return  # the user searched again meanwhile
        self.model.reload(ids)
        if select is not None and select != self._shown_id:
            self.view.select_item(select)
        self.reloaded.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if self.archive is not None and urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and self.archive is not None:
            event.acceptProposedAction()
            self.import_files(paths)

    # -- tools -----------------------------------------------------------------------------
    def ops_verify(self) -> None:
        self.ops.verify()

    def ops_backup(self) -> None:
        self.ops.backup()

    def ops_restore(self) -> None:
        self.ops.restore()

    def ops_csv_import(self) -> None:
        self.ops.csv_import()

    def ops_csv_export(self) -> None:
        self.ops.csv_export()

    def _restored(self, path: Path) -> None:
        if dialogs.confirm(
            self,
            self.tr("Restore finished"),
            self.tr("The backup was restored to {path}. Open it now?").format(path=path),
        ):
            self.open_archive(path)

    def export_selected(self) -> None:
        ids = self.view.selected_ids() or ([self._shown_id] if self._shown_id is not None else [])
        if self.archive_dir is None or not ids:
            return
        dialog = export_dialog_class()(self.archive_dir, ids, parent=self, tasks=self.tasks)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def about(self) -> None:
        dialogs.show_about(self)

    # -- closing ---------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_leave():
            event.ignore()
            return
        if self.tasks.writes and not dialogs.confirm(
            self,
            self.tr("Work in progress"),
            self.tr("An operation is still running. Cancel it and quit? Nothing half-done is kept."),
        ):
            event.ignore()
            return
        self._save_layout()
        self.tasks.cancel_all()
        self.thumbnails.cancel()
        self.tasks.wait()
        self.thumbnails.wait()
        self.close_archive()
        event.accept()


def _build_demo(_archive, _progress, _cancel, folder: Path) -> list[int]:
    from archive.demo import build_demo  # imported late: it pulls in trimesh and SciPy

    return build_demo(folder)
