"""The catalogue as a lazy table model (Anki's browser table): it holds only the ids of the
current search and fetches display rows for the page being shown, keeping a bounded
cache. Sorting runs a new query; there is no proxy model over everything."""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from archive import Archive, ArchiveError, SearchQuery

from .i18n import value_label
from .icons import placeholder
from .outages import OFFLINE_S
from .thumbnails import ThumbnailProvider
from .timefmt import local_time

PAGE = 64
CACHE_ROWS = 4096
ItemIdRole = Qt.ItemDataRole.UserRole + 1
RowRole = Qt.ItemDataRole.UserRole + 2
KindRole = Qt.ItemDataRole.UserRole + 3

# (key, header, sort key in archive.search.SORTS or None)
COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("title", QT_TRANSLATE_NOOP("CatalogueModel", "Title"), "title"),
    ("accession", QT_TRANSLATE_NOOP("CatalogueModel", "Accession"), "accession"),
    ("kind", QT_TRANSLATE_NOOP("CatalogueModel", "Kind"), "kind"),
    ("status", QT_TRANSLATE_NOOP("CatalogueModel", "Status"), "status"),
    ("period", QT_TRANSLATE_NOOP("CatalogueModel", "Period"), "period"),
    ("collections", QT_TRANSLATE_NOOP("CatalogueModel", "Collections"), None),
    ("detail", QT_TRANSLATE_NOOP("CatalogueModel", "Materials / culinary line"), None),
    ("updated_at", QT_TRANSLATE_NOOP("CatalogueModel", "Updated"), "updated"),
)
Index = QModelIndex | QPersistentModelIndex


class CatalogueModel(QAbstractTableModel):
    countChanged = Signal(int)  # number of items the current search found
    queryFailed = Signal(str)

    def __init__(self, thumbnails: ThumbnailProvider | None = None, parent=None):
        super().__init__(parent)
        self.archive: Archive | None = None
        self.query = SearchQuery()
        self._ids: list[int] = []
        self._cache: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self.thumbnails = thumbnails
        if thumbnails is not None:
            thumbnails.loaded.connect(self._thumbnail_loaded)
        self.thumbnail_size = 48
        self._offline_until = 0.0  # rows could not be read (the catalogue's server is away): ask again after
        self._retry = QTimer(self, singleShot=True, interval=int(OFFLINE_S * 1000))
        self._retry.timeout.connect(self._repaint_all)  # rows left blank are asked for again

    # -- data source -----------------------------------------------------------------------
    def set_archive(self, archive: Archive | None) -> None:
        self.beginResetModel()
        self.archive = archive
        self._ids = archive.search_ids(self.query) if archive is not None else []
        self._cache.clear()
        self.endResetModel()
        self.countChanged.emit(len(self._ids))

    def set_query(self, query: SearchQuery) -> None:
        """Run a new search, keeping the current sort."""
        self.query = dataclasses.replace(query, sort=self.query.sort, descending=self.query.descending)
        self._run()

    def _run(self) -> None:
        try:
            ids = self.archive.search_ids(self.query) if self.archive is not None else []
        except Exception as exc:  # noqa: BLE001 - a bad query must not break the window
            self.queryFailed.emit(str(exc))
            return
        self._replace_ids(ids)

    def _replace_ids(self, ids: list[int]) -> None:
        old = self._ids
        if len(ids) > len(old) and ids[: len(old)] == old:  # new items at the end: insert, keep selection
            self.beginInsertRows(QModelIndex(), len(old), len(ids) - 1)
            self._ids = ids
            self.endInsertRows()
        elif ids != old:
            self.beginResetModel()
            self._ids = ids
            self.endResetModel()
        self.countChanged.emit(len(self._ids))

    def reload(self, ids: list[int] | None = None) -> None:
        """Run the current search again (after an import or a deletion), or show ``ids``,
        the result of running ``self.query`` on another thread."""
        if ids is None:
            self._run()
        else:
            self._replace_ids(ids)

    def update_ids(self, ids: list[int]) -> None:
        """Show ``ids``, the current search run again after changes made elsewhere, as removed,
        moved and inserted rows instead of a reset, so the selection, the current item and the
        scroll place stay with their items."""
        if ids == self._ids:
            return
        self._ids = list(self._ids)  # changed in place below: never the caller's list
        wanted = set(ids)
        for first, last in reversed(_runs([r for r, i in enumerate(self._ids) if i not in wanted])):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._ids[first : last + 1]
            self.endRemoveRows()
        kept = set(self._ids)
        order = [i for i in ids if i in kept]
        if order != self._ids:
            self.layoutAboutToBeChanged.emit()
            self._move_persistent(order)
            self.layoutChanged.emit()
        for first, last in _runs([r for r, i in enumerate(ids) if i not in kept]):  # rows before are in place
            self.beginInsertRows(QModelIndex(), first, last)
            self._ids[first:first] = ids[first : last + 1]
            self.endInsertRows()
        self.countChanged.emit(len(self._ids))

    def refresh_all(self) -> None:
        """Every row may have changed (a burst of changes elsewhere): forget the cache, repaint."""
        self._cache.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1))

    def _repaint_all(self) -> None:
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1))

    def refresh_items(self, item_ids: Sequence[int]) -> None:
        """Rows of ``item_ids`` changed: drop them from the cache and repaint them."""
        for item_id in item_ids:
            self._cache.pop(item_id, None)
            row = self.row_of(item_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # -- lookups ---------------------------------------------------------------------------
    @property
    def ids(self) -> list[int]:
        return self._ids

    def item_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, item_id: int) -> int | None:
        # list.index is a C loop (about 1 ms for 100,000 ids); a dict of them would take 30 ms
        # and 10 MB to build after every search.
        try:
            return self._ids.index(item_id)
        except ValueError:
            return None

    def display_row(self, row: int) -> dict[str, Any] | None:
        """The display row (``Archive.rows``) at ``row``, fetching its page when needed."""
        item_id = self.item_id(row)
        if item_id is None or self.archive is None:
            return None
        cached = self._cache.get(item_id)
        if cached is not None:
            return cached
        if time.monotonic() < self._offline_until:
            return None
        start = row - row % PAGE
        page = [i for i in self._ids[start : start + PAGE] if i not in self._cache]
        try:
            fetched = self.archive.rows(page)
        except ArchiveError as exc:  # the server is away: rows read before stay on screen, these wait
            self._offline_until = time.monotonic() + OFFLINE_S
            self._retry.start()
            self.queryFailed.emit(str(exc))
            return None
        for r in fetched:
            self._cache[r["id"]] = r
        while len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return self._cache.get(item_id)

    # -- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return QCoreApplication.translate("CatalogueModel", COLUMNS[section][1])
        return None

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1))

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids) or index.column() >= len(COLUMNS):
            return None
        if role == ItemIdRole:
            return self._ids[index.row()]
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.ToolTipRole,
            RowRole,
            KindRole,
            Qt.ItemDataRole.FontRole,
        ):
            return None
        row = self.display_row(index.row())
        if row is None:
            return None
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == RowRole:
            return row
        if role == KindRole:
            return row["kind"]
        if role == Qt.ItemDataRole.FontRole:
            return _italic() if key == "title" and row["status"] == "draft" else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row['accession']} · {row.get('title_en') or row['title']}"
        if key == "title":  # DecorationRole
            return self.thumbnail(row, self.thumbnail_size)
        return None

    def thumbnail(self, row: dict[str, Any], size: int):
        pixmap = self.thumbnails.get(row["id"]) if self.thumbnails is not None and row["asset_count"] else None
        return pixmap if pixmap is not None else placeholder(row["kind"], size)

    @staticmethod
    def _display(row: dict[str, Any], key: str) -> str:
        if key in ("kind", "status"):
            return value_label(row[key])
        if key == "collections":
            return "; ".join(row["collections"])
        if key == "detail":
            return "; ".join(row["materials"]) if row["kind"] == "relic" else (row["culinary_line"] or "")
        if key == "updated_at":
            return local_time(row["updated_at"])
        return str(row.get(key) or "")

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][2] if 0 <= column < len(COLUMNS) else None
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (self.query.sort, self.query.descending) == (key, descending):
            return
        self.layoutAboutToBeChanged.emit()
        self.query = dataclasses.replace(self.query, sort=key, descending=descending)
        try:
            ids = self.archive.search_ids(self.query) if self.archive is not None else []
        except Exception as exc:  # noqa: BLE001
            self.layoutChanged.emit()
            self.queryFailed.emit(str(exc))
            return
        if sorted(ids) == sorted(self._ids):
            self._move_persistent(ids)
        else:
            self._ids = ids
        self.layoutChanged.emit()
        self.countChanged.emit(len(self._ids))

    def _move_persistent(self, ids: list[int]) -> None:
        """Keep selections on the same items across a re-sort."""
        new_row = {i: n for n, i in enumerate(ids)}
        old = self.persistentIndexList()
        new = [
            self.index(new_row[self._ids[i.row()]], i.column()) if i.row() < len(self._ids) else QModelIndex()
            for i in old
        ]
        self._ids = ids
        self.changePersistentIndexList(old, new)

    def _thumbnail_loaded(self, item_id: int) -> None:
        row = self.row_of(item_id)
        if row is not None:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers in ascending ``rows``."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _italic() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font
