"""The selected item: its 3D model, metadata editor, scans and files, and history."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from archive.fields import ASSET_FIELDS

from .asset_editor import AssetEditorDialog, AssetSaver
from .i18n import field_label, value_label
from .metadata_editor import EditorContext, MetadataEditor
from .records_panel import RecordsPanel
from .timefmt import local_time
from .up_axis import master_asset

if TYPE_CHECKING:
    from .viewer_widget import ViewerWidget

log = logging.getLogger(__name__)
PARADATA = [f for f in ASSET_FIELDS if f.name not in ("role", "label")]


def human_size(n: int | None) -> str:
    size = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _dimensions(asset: dict[str, Any]) -> str:
    bbox = asset.get("bbox") or {}
    lo, hi = bbox.get("min"), bbox.get("max")
    if not lo or not hi:
        return ""
    unit = asset.get("units") or ""
    return " × ".join(f"{b - a:.4g}" for a, b in zip(lo, hi, strict=False)) + (f" {unit}" if unit else "")


def _viewer_class() -> type[ViewerWidget] | None:
    """``ViewerWidget``, imported late (Open3D takes over a second); None where Open3D's native
    libraries cannot load here (no OpenGL library): the pane then shows a placeholder."""
    try:
        from .viewer_widget import ViewerWidget
    except (ImportError, OSError) as exc:
        log.warning("3D viewer unavailable: %s", exc)
        return None
    return ViewerWidget


def load_viewer_widget(parent: QWidget | None, lod_cache_dir: Path | None = None) -> QWidget | None:
    """The 3D viewer widget (``heritage_app.viewer_widget.ViewerWidget``), or None when it
    cannot run here (turned off, or no OpenGL library). Its renderer starts lazily, so the
    constructor has nothing to fail on but a bug, which surfaces."""
    if os.environ.get("HERITAGE_NO_VIEWER"):
        return None
    cls = _viewer_class()
    return None if cls is None else cls(parent=parent, lod_cache_dir=lod_cache_dir)


class ViewerPreloader(QObject):
    """Imports the viewer (Open3D takes over a second) on a background thread, so the GUI
    thread never waits for it; ``ready`` fires on the GUI thread when it is done."""

    ready = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.done = os.environ.get("HERITAGE_NO_VIEWER") is not None or "heritage_app.viewer_widget" in sys.modules
        self._thread: threading.Thread | None = None
        self._poll = QTimer(self, interval=50)
        self._poll.timeout.connect(self._check)

    def start(self) -> None:
        if self.done or self._thread is not None:
            return
        self._thread = threading.Thread(target=_viewer_class, name="viewer-import", daemon=True)
        self._thread.start()
        self._poll.start()

    def _check(self) -> None:
        if self._thread is not None and not self._thread.is_alive():
            self._poll.stop()
            self.done = True
            self.ready.emit()


class AssetsView(QTreeWidget):
    """Scans (assets) of the item: technical metadata, capture paradata and files."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setColumnCount(2)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setObjectName("assetsView")
        self._assets: list[dict[str, Any]] = []
        # Double-clicking a scan opens its units / up-axis editor; the window sets the saver.
        self.asset_saver: AssetSaver | None = None
        self.asset_editor: AssetEditorDialog | None = None
        self.itemDoubleClicked.connect(self._edit_asset)
        self.retranslate()

    def _edit_asset(self, item: QTreeWidgetItem) -> None:
        while item.parent() is not None:
            item = item.parent()
        index = self.indexOfTopLevelItem(item)
        if self.asset_saver is None or not 0 <= index < len(self._assets):
            return
        self.asset_editor = AssetEditorDialog(self._assets[index], self.asset_saver, self)
        self.asset_editor.saved.connect(lambda _changes: self.show_assets(self._assets))
        self.asset_editor.open()

    def retranslate(self) -> None:
        self.setHeaderLabels([self.tr("Property"), self.tr("Value")])
        self.show_assets(self._assets)

    def changeEvent(self, event: QEvent) -> None:  # labels, and times in the language's format
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_assets(self, assets: list[dict[str, Any]]) -> None:
        self._assets = assets
        self.clear()
        for asset in assets:
            top = QTreeWidgetItem(
                self,
                [f"{value_label(asset['role'])} · {asset['format'].upper()}", asset.get("label") or asset["main_file"]],
            )
            top.setFirstColumnSpanned(False)
            for label, value in self._technical(asset):
                QTreeWidgetItem(top, [label, value])
            paradata = QTreeWidgetItem(top, [self.tr("Capture paradata"), ""])
            for field in PARADATA:
                if asset.get(field.name) not in (None, ""):
                    QTreeWidgetItem(paradata, [field_label(field), str(asset[field.name])])
            files = QTreeWidgetItem(top, [self.tr("Files"), self.tr("%n file(s)", "", len(asset.get("files", [])))])
            for f in asset.get("files", []):
                entry = QTreeWidgetItem(files, [f["path"], human_size(f["bytes"])])
                sha = QTreeWidgetItem(entry, ["SHA-256", f["sha256"]])
                sha.setToolTip(1, f["sha256"])
            top.setExpanded(True)
            files.setExpanded(True)
        self.resizeColumnToContents(0)

    def _technical(self, asset: dict[str, Any]) -> list[tuple[str, str]]:
        rows = [(self.tr("Format"), asset["format"].upper()), (self.tr("Geometry"), asset.get("geometry") or "")]
        for key, label in (
            ("vertices", self.tr("Vertices")),
            ("faces", self.tr("Faces")),
            ("points", self.tr("Points")),
        ):
            if asset.get(key):
                rows.append((label, f"{asset[key]:,}"))
        rows.append((self.tr("Dimensions"), _dimensions(asset) or self.tr("unknown")))
        textures = asset.get("textures") or []
        rows.append((self.tr("Textures"), ", ".join(map(str, textures)) if textures else self.tr("none")))
        rows.append((self.tr("Vertex colours"), self.tr("yes") if asset.get("vertex_colors") else self.tr("no")))
        size = sum(f["bytes"] for f in asset.get("files", []))
        rows.append((self.tr("Size"), human_size(size)))
        rows.append((self.tr("Imported"), local_time(asset.get("imported_at"))))
        for warning in asset.get("warnings") or []:
            rows.append((self.tr("Warning"), str(warning)))
        return rows


class HistoryView(QTreeWidget):
    """The item's events (PREMIS-like): who did what, when."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setObjectName("historyView")
        self._events: list[dict[str, Any]] = []
        self.retranslate()

    def retranslate(self) -> None:
        self.setHeaderLabels([self.tr("When"), self.tr("Who"), self.tr("Event"), self.tr("Details")])
        self.show_events(self._events)

    def changeEvent(self, event: QEvent) -> None:  # headers, and times in the language's format
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_events(self, events: list[dict[str, Any]]) -> None:
        self._events = events
        self.clear()
        for event in reversed(events):  # newest first
            item = QTreeWidgetItem(
                self,
                [local_time(event["at"]), event["agent"] or "", event["type"], self._detail(event)],
            )
            item.setToolTip(3, item.text(3))
        for column, width in enumerate((150, 90, 70)):
            self.setColumnWidth(column, width)

    def _detail(self, event: dict[str, Any]) -> str:
        if event["type"] == "edit" and event.get("field"):
            return f"{event['field']}: {_short(event.get('old_value'))} → {_short(event.get('new_value'))}"
        detail = event.get("detail")
        try:
            value = json.loads(detail) if detail else None
        except (TypeError, ValueError):
            value = detail
        if isinstance(value, dict):
            return ", ".join(f"{k}: {_short(v)}" for k, v in value.items() if k != "sha256")
        return _short(value) if value is not None else (event.get("outcome") or "")


def _last_change(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    changes = [e for e in history if e.get("type") in ("create", "edit", "import")]
    return changes[-1] if changes else None


def _short(value: Any, limit: int = 60) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DetailPane(QWidget):
    #: "This way up" in the viewer: (the shown master asset's id, the axis now up) for the window to save.
    upAxisChosen = Signal(int, str)  # noqa: N815 (Qt naming)
    VIEWER_SHARE = 0.7  # of the pane's height on first run: the model is what people work on

    def __init__(self, context: EditorContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.viewer_host = QStackedWidget()
        self.viewer_host.setMinimumHeight(200)
        self.viewer: QWidget | None = None
        self.lod_cache_dir: Path | None = None
        self.viewer_placeholder = QLabel()
        self.viewer_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.viewer_placeholder.setWordWrap(True)
        self.viewer_placeholder.setStyleSheet("background: #2b2f33; color: #d8d8d8; border-radius: 4px;")
        self.viewer_host.addWidget(self.viewer_placeholder)
        self.editor = MetadataEditor(context)
        self.assets = AssetsView()
        self.history = HistoryView()
        self.records = RecordsPanel()  # the item's measurements, landmarks and annotations
        self.records.recordsShown.connect(lambda _r: self.retranslate())
        self.records_in_viewer: Any = None  # records_viewer.RecordsInViewer once the viewer exists
        self.tabs = QTabWidget()
        self.tabs.addTab(self.editor, "")
        self.tabs.addTab(self.records, "")
        self.tabs.addTab(self.assets, "")
        self.tabs.addTab(self.history, "")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.viewer_host)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([560, 240])
        self.splitter_restored = False  # set when the window restored the user's own sizes
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.splitter, 1)
        self.item: dict[str, Any] | None = None
        self._model_path: Path | None = None
        self._viewer_attempted = False
        self._units: str | None = None
        self._up_axis: str | None = None
        self._preview: QImage | None = None
        self._files_message = ""  # why the scan's files cannot be read (the shared folder went away)
        self._last_change: dict[str, Any] | None = None  # the newest create/edit/import event
        self.preloader = ViewerPreloader(self)
        self.preloader.ready.connect(lambda: self._show_model(self._model_path, self._units, self._up_axis))
        self.retranslate()

    def retranslate(self) -> None:
        self.tabs.setTabText(0, self.tr("Metadata"))
        self.tabs.setTabText(1, self.tr("Records ({n})").format(n=len(self.records.records)))
        self.tabs.setTabText(2, self.tr("Scans and files"))
        self.tabs.setTabText(3, self.tr("History"))
        self._show_title()
        self._show_placeholder_text()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_item(
        self,
        item: dict[str, Any] | None,
        history: list[dict[str, Any]],
        model_path: Path | None,
        units: str | None = None,
        up_axis: str | None = None,
        preview: QImage | None = None,
        level: Any = None,
        files_message: str = "",
    ) -> None:
        """Show ``item``; its model (recorded ``units`` and ``up_axis``) loads in the viewer
        with ``preview`` (its thumbnail) on screen meanwhile. ``level`` (a
        ``levels_task.ViewLevels``) are kept levels to stream instead of the master.
        ``files_message``: why its files cannot be read now, said in place of the 3D view."""
        self.item = item
        self._files_message = files_message
        self._preview = preview
        self.editor.load(item)
        self.assets.show_assets(item["assets"] if item else [])
        self.history.show_events(history)
        self._last_change = _last_change(history)
        self.records.show_item(item)
        self._model_path = model_path
        self._show_title()
        self._level = level
        self._show_model(model_path, units, up_axis)

    def show_saved(self, item: dict[str, Any], history: list[dict[str, Any]]) -> None:
        """The shown item as saved now (someone else changed it): form, scans, history and
        title; the 3D view keeps its model (the caller reloads it when the master changed)."""
        self.item = item
        self.editor.load(item)
        self.assets.show_assets(item["assets"])
        self.show_history(history)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if not self.splitter_restored:  # first run: the viewer takes most of the height
            self.splitter_restored = True
            QTimer.singleShot(0, self._share_height)  # once the layout gave the splitter its height

    def _share_height(self) -> None:
        height = self.splitter.height()
        viewer = int(height * self.VIEWER_SHARE)
        self.splitter.setSizes([viewer, height - viewer])

    def show_history(self, history: list[dict[str, Any]]) -> None:
        """The item's events; its records are read again too (record events are in its history:
        another user's records arrive by live refresh through here)."""
        self.records.item = self.item
        self.records.reload()
        self.history.show_events(history)
        self._last_change = _last_change(history)
        self._show_title()

    def _show_title(self) -> None:
        item = self.item
        if item is None:
            self.title.setText(f"<i>{self.tr('Select an item in the catalogue')}</i>")
            return
        other = item.get("title_en") if item.get("title_vi") else ""
        subtitle = f"{item['accession']} · {value_label(item['kind'])} · {value_label(item['status'])}"
        self.title.setText(
            f"<b style='font-size:14pt'>{_html(item['title'])}</b>"
            + (f"<br><span>{_html(other)}</span>" if other else "")
            + f"<br><span style='color:gray'>{_html(subtitle)}</span>"
            + (f"<br><span style='color:gray'>{_html(self._changed_text())}</span>" if self._last_change else "")
        )

    def _changed_text(self) -> str:
        event = self._last_change or {}
        return self.tr("Last changed by {agent} at {at}").format(
            agent=event.get("agent") or "?", at=local_time(event.get("at")))

    # -- viewer ----------------------------------------------------------------------------
    def _ensure_viewer(self) -> None:
        if self._viewer_attempted:
            return
        if not self.preloader.done:
            self.preloader.start()
            return
        self._viewer_attempted = True
        self.viewer = load_viewer_widget(self.viewer_host, self.lod_cache_dir)
        if self.viewer is not None:
            self.viewer_host.addWidget(self.viewer)
            self.viewer.upAxisChosen.connect(self._up_axis_chosen)  # type: ignore[attr-defined]
            from .records_viewer import RecordsInViewer  # needs the viewer's libraries, loaded by now

            self.records_in_viewer = RecordsInViewer(self.viewer, self.records)  # type: ignore[arg-type]

    def leave_records(self) -> bool:
        """Before another item or closing: an unsaved measurement is saved, discarded or kept."""
        return self.records_in_viewer is None or self.records_in_viewer.confirm_leave()

    def _show_model(self, path: Path | None, units: str | None = None, up_axis: str | None = None) -> None:
        self._units, self._up_axis = units, up_axis
        if path is not None:
            self._ensure_viewer()
        if self.viewer is None or path is None:
            self.viewer_host.setCurrentWidget(self.viewer_placeholder)
            self._show_placeholder_text()
            return
        self.viewer_host.setCurrentWidget(self.viewer)
        # Loading runs in the background; a model that cannot be shown is reported by the
        # viewer's own loadFailed, so nothing here is expected to raise.
        levels = getattr(self, "_level", None)  # kept levels stream in; picking stays on the master (its index)
        if levels is not None:
            self.viewer.open_levels(levels.level_set(), units, up_axis, self._preview)  # type: ignore[attr-defined]
        else:
            self.viewer.open_file(path, units, up_axis, self._preview)  # type: ignore[attr-defined]

    def _up_axis_chosen(self, axis: str) -> None:
        asset = master_asset(self.item["assets"]) if self.item else None
        if asset is not None:
            self.upAxisChosen.emit(int(asset["id"]), axis)

    def _show_placeholder_text(self) -> None:
        if self.item is None:
            text = self.tr("3D view")
        elif self._files_message:
            text = self.tr("The 3D model cannot be shown now.\n\n{reason}").format(reason=self._files_message)
        elif self._model_path is None:
            text = self.tr("This item has no 3D model yet. Drop a scan on the window to import one.")
        elif not self.preloader.done:
            text = self.tr("Starting the 3D viewer…")
        else:
            text = self.tr("3D model: {name}\n(the 3D viewer is not available on this computer)").format(
                name=self._model_path.name
            )
        self.viewer_placeholder.setText(text)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
