"""Two views of one catalogue model: a thumbnail grid and a sortable table, sharing one
selection. Both keep every item the same size, so Qt lays out 100,000 rows without asking
the model for each of them and scrolling only fetches the page on screen."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListView,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from .catalogue_model import COLUMNS, CatalogueModel
from .i18n import value_label

TILE = QSize(168, 212)
THUMB = 140


class TileDelegate(QStyledItemDelegate):
    """Paints one grid tile: thumbnail, two lines of title, accession and status."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        pen, font = painter.pen(), painter.font()  # put back by hand: cheaper than save()/restore()
        rect: QRect = option.rect.adjusted(4, 4, -4, -4)
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        model = index.model()
        # Ask the model directly: no QVariant round trip per tile.
        row = model.display_row(index.row()) if isinstance(model, CatalogueModel) else None
        if row is None:
            return
        pixmap = model.thumbnail(row, THUMB)
        thumb_rect = QRect(rect.left() + (rect.width() - THUMB) // 2, rect.top() + 4, THUMB, THUMB)
        if pixmap is not None:
            scaled = pixmap.size().scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(thumb_rect.center())
            painter.drawPixmap(target, pixmap)
        text_colour = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setPen(text_colour)
        metrics = QFontMetrics(option.font)
        text_top = thumb_rect.bottom() + 6
        title_rect = QRect(rect.left() + 4, text_top, rect.width() - 8, metrics.lineSpacing() * 2)
        title = _elide_two_lines(row["title"], metrics, title_rect.width())
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, title)
        small = QFont(option.font)
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        painter.setPen(text_colour if selected else palette.color(QPalette.ColorRole.PlaceholderText))
        info_rect = QRect(rect.left() + 2, title_rect.bottom() + 2, rect.width() - 4, QFontMetrics(small).lineSpacing())
        info = f"{row['accession']} · {value_label(row['status'])}"
        painter.drawText(
            info_rect,
            Qt.AlignmentFlag.AlignHCenter,
            QFontMetrics(small).elidedText(info, Qt.TextElideMode.ElideMiddle, info_rect.width()),
        )
        painter.setPen(pen)
        painter.setFont(font)


def _elide_two_lines(text: str, metrics: QFontMetrics, width: int) -> str:
    if metrics.horizontalAdvance(text) <= width:
        return text
    words, first = text.split(), ""
    while words and metrics.horizontalAdvance((first + " " + words[0]).strip()) <= width:
        first = (first + " " + words.pop(0)).strip()
    if not first:  # one very long word
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
    return first + "\n" + metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width)


class CatalogueView(QStackedWidget):
    """Grid and table over one ``CatalogueModel``."""

    currentItemChanged = Signal(object)  # item id or None
    itemActivated = Signal(int)

    def __init__(self, model: CatalogueModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.grid = self._make_grid()
        self.table = self._make_table()
        self.addWidget(self.grid)
        self.addWidget(self.table)
        self.selection = QItemSelectionModel(model, self)
        self.grid.setSelectionModel(self.selection)
        self.table.setSelectionModel(self.selection)
        self.selection.currentRowChanged.connect(self._current_changed)
        for view in (self.grid, self.table):
            view.activated.connect(lambda index: self.itemActivated.emit(self.model.item_id(index.row())))
        model.modelReset.connect(lambda: self.currentItemChanged.emit(self.current_item_id()))

    def _make_grid(self) -> QListView:
        grid = QListView()
        grid.setViewMode(QListView.ViewMode.ListMode)  # IconMode would size every item; this one does not
        grid.setFlow(QListView.Flow.LeftToRight)
        grid.setWrapping(True)
        grid.setResizeMode(QListView.ResizeMode.Adjust)
        grid.setMovement(QListView.Movement.Static)
        grid.setUniformItemSizes(True)
        grid.setLayoutMode(QListView.LayoutMode.Batched)
        grid.setBatchSize(2000)
        grid.setGridSize(TILE)
        grid.setSpacing(0)
        grid.setMouseTracking(True)
        grid.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        grid.verticalScrollBar().setSingleStep(TILE.height() // 4)
        grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        grid.setItemDelegate(TileDelegate(grid))
        grid.setModel(self.model)
        grid.setModelColumn(0)
        grid.setObjectName("catalogueGrid")
        return grid

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = table.horizontalHeader()
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # no sort yet: the search's own order
        table.setSortingEnabled(True)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setIconSize(QSize(self.model.thumbnail_size // 2, self.model.thumbnail_size // 2))
        vertical = table.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measure 100,000 rows
        vertical.setDefaultSectionSize(28)
        vertical.hide()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((280, 110, 70, 90, 140, 140, 160, 130)[: len(COLUMNS)]):
            table.setColumnWidth(column, width)
        table.setObjectName("catalogueTable")
        return table

    # -- mode and selection ----------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.setCurrentWidget(self.table if mode == "table" else self.grid)
        current = self.selection.currentIndex()
        if current.isValid():
            self.currentWidget().scrollTo(current)

    @property
    def mode(self) -> str:
        return "table" if self.currentWidget() is self.table else "grid"

    def current_item_id(self) -> int | None:
        index = self.selection.currentIndex()
        return self.model.item_id(index.row()) if index.isValid() else None

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.selection.selectedIndexes()})
        ids = [self.model.item_id(r) for r in rows]
        return [i for i in ids if i is not None]

    def select_item(self, item_id: int | None, signal: bool = True) -> bool:
        """Make ``item_id`` current and selected; ``signal=False`` moves the selection
        back silently (the user cancelled leaving an item with unsaved edits)."""
        row = self.model.row_of(item_id) if item_id is not None else None
        blocked = self.selection.blockSignals(not signal)
        try:
            if row is None:
                self.selection.clear()
                return False
            index = self.model.index(row, 0)
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
                | QItemSelectionModel.SelectionFlag.Current
            )
            self.selection.setCurrentIndex(index, flags)
        finally:
            self.selection.blockSignals(blocked)
        for view in (self.grid, self.table):
            view.viewport().update()
        self.currentWidget().scrollTo(self.model.index(row, 0))
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.currentItemChanged.emit(self.model.item_id(current.row()) if current.isValid() else None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.model.retranslate()
        super().changeEvent(event)
