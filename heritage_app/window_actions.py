"""The main window's actions, menus and toolbar, with their shortcuts and (re)translated
texts. Kept apart from the window so the window reads as behaviour, not as wiring."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from . import dialogs
from .i18n import LANGUAGE_NAMES

if TYPE_CHECKING:
    from .export_dialog import ExportDialog
    from .main_window import MainWindow

translate = QCoreApplication.translate  # the name pyside6-lupdate looks for
log = logging.getLogger("heritage")  # the log file's record of what ran (heritage_app.logs)


def export_dialog_class() -> type[ExportDialog]:
    """``ExportDialog``, imported when first asked for: publishing pulls in the glTF tools,
    which the window does not need to start. A failure to import it is a bug and surfaces."""
    from .export_dialog import ExportDialog

    return ExportDialog


class WindowActions:
    def __init__(self, window: MainWindow):
        self.w = window
        style = window.style()
        sp = QStyle.StandardPixmap

        def action(shortcut: QKeySequence | str | None = None, slot=None, icon=None, checkable=False) -> QAction:
            a = QAction(window)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            if icon is not None:
                a.setIcon(style.standardIcon(icon))
            a.setCheckable(checkable)
            if slot is not None:
                a.triggered.connect(slot)
            return a

        self.new_archive = action(QKeySequence.StandardKey.New, window.new_archive, sp.SP_FileIcon)
        self.open_archive = action(QKeySequence.StandardKey.Open, window.choose_archive, sp.SP_DialogOpenButton)
        self.demo_archive = action(None, window.create_demo_archive)
        self.import_scans = action("Ctrl+I", lambda: window.import_files([]), sp.SP_FileDialogNewFolder)
        self.save = action(QKeySequence.StandardKey.Save, window.save_current, sp.SP_DialogSaveButton)
        self.revert = action(None, lambda: window.detail.editor.revert())
        self.delete_item = action(QKeySequence.StandardKey.Delete, window.delete_selected, sp.SP_TrashIcon)
        self.quit = action(QKeySequence.StandardKey.Quit, window.close)
        stack = window.detail.editor.undo_stack
        self.undo = stack.createUndoAction(window)
        self.undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo = stack.createRedoAction(window)
        self.redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.find = action(QKeySequence.StandardKey.Find, window.search.focus_search)
        self.refresh = action(QKeySequence.StandardKey.Refresh, window.refresh, sp.SP_BrowserReload)
        self.grid_mode = action("Ctrl+1", lambda: window.set_view_mode("grid"), checkable=True)
        self.table_mode = action("Ctrl+2", lambda: window.set_view_mode("table"), checkable=True)
        modes = QActionGroup(window)
        modes.addAction(self.grid_mode)
        modes.addAction(self.table_mode)
        self.verify = action(None, window.ops_verify)
        self.backup = action(None, window.ops_backup)
        self.restore = action(None, window.ops_restore)
        self.csv_import = action(None, window.ops_csv_import)
        self.csv_export = action(None, window.ops_csv_export)
        self.publish = action("Ctrl+E", window.export_selected)
        self.render_thumbnails = action(None, window.set_render_thumbnails, checkable=True)
        self.viewer_memory = action(None, window.open_viewer_memory)
        self.languages: dict[str, QAction] = {}
        languages = QActionGroup(window)
        for code, name in LANGUAGE_NAMES.items():
            a = action(None, lambda _c=False, code=code: window.set_language(code), checkable=True)
            a.setText(name)  # a language is named in itself, never translated
            languages.addAction(a)
            self.languages[code] = a
        self.about = action(None, window.about)
        self.open_log_folder = action(None, lambda: dialogs.open_log_folder())
        self.copy_bug_report = action(None, lambda: dialogs.copy_bug_report(window, window.store.location()))
        self._log_triggers()
        self._log_outcomes()
        self.archive_actions = [
            self.import_scans,
            self.save,
            self.revert,
            self.delete_item,
            self.refresh,
            self.verify,
            self.backup,
            self.csv_import,
            self.csv_export,
            self.publish,
        ]
        self._build_menus()

    def _build_menus(self) -> None:
        bar = self.w.menuBar()
        self.file_menu = bar.addMenu("")
        self.recent_menu = QMenu(self.w)
        self.recent_menu.aboutToShow.connect(self.w.fill_recent_menu)
        for a in (self.new_archive, self.open_archive):
            self.file_menu.addAction(a)
        self.file_menu.addMenu(self.recent_menu)
        self.file_menu.addAction(self.demo_archive)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.import_scans)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit)
        self.edit_menu = bar.addMenu("")
        for a in (self.undo, self.redo, None, self.save, self.revert, None, self.find, None, self.delete_item):
            self.edit_menu.addSeparator() if a is None else self.edit_menu.addAction(a)
        self.view_menu = bar.addMenu("")
        for a in (self.grid_mode, self.table_mode, None, self.refresh):
            self.view_menu.addSeparator() if a is None else self.view_menu.addAction(a)
        self.tools_menu = bar.addMenu("")
        for a in (self.verify, None, self.backup, self.restore, None, self.csv_import, self.csv_export):
            self.tools_menu.addSeparator() if a is None else self.tools_menu.addAction(a)
        self.export_menu = bar.addMenu("")
        self.export_menu.addAction(self.publish)
        self.export_menu.addAction(self.csv_export)
        self.settings_menu = bar.addMenu("")
        self.language_menu = self.settings_menu.addMenu("")
        for a in self.languages.values():
            self.language_menu.addAction(a)
        self.settings_menu.addAction(self.render_thumbnails)
        self.settings_menu.addAction(self.viewer_memory)
        self.help_menu = bar.addMenu("")
        self.help_menu.addAction(self.open_log_folder)
        self.help_menu.addAction(self.copy_bug_report)
        self.help_menu.addSeparator()
        self.help_menu.addAction(self.about)
        self.toolbar = QToolBar(self.w)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (
            self.open_archive,
            self.import_scans,
            None,
            self.save,
            None,
            self.grid_mode,
            self.table_mode,
            None,
            self.refresh,
        ):
            self.toolbar.addSeparator() if a is None else self.toolbar.addAction(a)
        self.w.addToolBar(self.toolbar)

    def retranslate(self) -> None:
        self.file_menu.setTitle(translate("WindowActions", "&File"))
        self.edit_menu.setTitle(translate("WindowActions", "&Edit"))
        self.view_menu.setTitle(translate("WindowActions", "&View"))
        self.tools_menu.setTitle(translate("WindowActions", "&Tools"))
        self.export_menu.setTitle(translate("WindowActions", "E&xport"))
        self.settings_menu.setTitle(translate("WindowActions", "&Settings"))
        self.help_menu.setTitle(translate("WindowActions", "&Help"))
        self.recent_menu.setTitle(translate("WindowActions", "Open &recent"))
        self.language_menu.setTitle(translate("WindowActions", "&Language"))
        self.toolbar.setWindowTitle(translate("WindowActions", "Main toolbar"))
        texts = {
            self.new_archive: translate("WindowActions", "&New archive…"),
            self.open_archive: translate("WindowActions", "&Open archive…"),
            self.demo_archive: translate("WindowActions", "Create &demo archive…"),
            self.import_scans: translate("WindowActions", "&Import scans…"),
            self.save: translate("WindowActions", "&Save metadata"),
            self.revert: translate("WindowActions", "Re&vert metadata"),
            self.delete_item: translate("WindowActions", "&Delete item…"),
            self.quit: translate("WindowActions", "&Quit"),
            self.find: translate("WindowActions", "&Find"),
            self.refresh: translate("WindowActions", "&Refresh"),
            self.grid_mode: translate("WindowActions", "&Grid"),
            self.table_mode: translate("WindowActions", "&Table"),
            self.verify: translate("WindowActions", "&Verify archive (fixity)…"),
            self.backup: translate("WindowActions", "&Back up archive…"),
            self.restore: translate("WindowActions", "&Restore from backup…"),
            self.csv_import: translate("WindowActions", "Import metadata from &CSV…"),
            self.csv_export: translate("WindowActions", "&Export metadata as CSV…"),
            self.publish: translate("WindowActions", "&Publish selected items…"),
            self.render_thumbnails: translate("WindowActions", "Render missing &thumbnails"),
            self.viewer_memory: translate("WindowActions", "3D viewer &memory…"),
            self.about: translate("WindowActions", "&About"),
            self.open_log_folder: translate("WindowActions", "Open the &log folder"),
            self.copy_bug_report: translate("WindowActions", "Copy a &bug report…"),
        }
        for a, text in texts.items():
            a.setText(text)
        for a, text in (
            (self.open_archive, translate("WindowActions", "Open")),
            (self.import_scans, translate("WindowActions", "Import")),
            (self.save, translate("WindowActions", "Save")),
            (self.grid_mode, translate("WindowActions", "Grid")),
            (self.table_mode, translate("WindowActions", "Table")),
            (self.refresh, translate("WindowActions", "Refresh")),
        ):
            a.setIconText(text)
        self.undo.setText(translate("WindowActions", "&Undo edit"))
        self.redo.setText(translate("WindowActions", "&Redo edit"))
        self.import_scans.setToolTip(
            translate("WindowActions", "Import scans (Ctrl+I) — or drop files, folders or zips on the window")
        )
        self.grid_mode.setToolTip(translate("WindowActions", "Thumbnail grid (Ctrl+1)"))
        self.table_mode.setToolTip(translate("WindowActions", "Table (Ctrl+2)"))

    def _log_triggers(self) -> None:
        """Each action the user triggers goes to the log by its attribute name (never its text)."""
        for name, a in vars(self).items():
            if isinstance(a, QAction):
                a.triggered.connect(lambda _checked=False, name=name: log.info("action %s", name))

    def _log_outcomes(self) -> None:
        """Imports go to the log by item ids and counts (never values)."""
        self.w.ops.imported.connect(lambda report: log.info(
            "imported %d scan(s) as items %s; %d failed (%s)", len(report.imported), report.imported[:20],
            len(report.errors), ", ".join(sorted({e.get("type", "?") for e in report.errors}))))
        self.w.ops.importCancelled.connect(lambda: log.info("import cancelled"))

    def set_archive_open(self, is_open: bool) -> None:
        for a in self.archive_actions:
            a.setEnabled(is_open)
