"""Point pairs for the coarse alignment of a comparison: the same spot on the reference and on
the compared scan, three or more of them.

A table holds the pairs as typed coordinates ("x, y, z", each in its scan's own file frame and
units, as ``viewer.compare.CompareParams.pairs`` takes them); "Pick on the reference" and "Pick
on the compared scan" show that scan in a small 3D view where each click fills the next empty
cell of its column, numbered markers showing what was picked. Typing works without a view.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# a side of a pair: the table's column
REFERENCE, COMPARED = 0, 1
PICK_TOOL = "pair"  # a viewer tool no one else answers to: the click is only reported (``picked``)

# (path, units, up axis) of the scan on one side, or None when none is chosen
SideSource = Callable[[int], tuple[str, str | None, str] | None]


class PairsEditor(QWidget):
    """The pairs table and its pick view; ``pairs()`` gives what ``CompareParams.pairs`` takes."""

    changed = Signal()

    def __init__(self, source: SideSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.view: Any = None  # the pick view (a ViewerWidget), made when first needed
        self.side: int | None = None  # which column clicks fill
        self.shown: tuple[str, str | None, str] | None = None  # what the pick view shows
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([self.tr("On the reference (x, y, z)"),
                                              self.tr("On the compared scan (x, y, z)")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(120)
        self.table.itemChanged.connect(self._edited)
        self.pick_reference = QPushButton(self.tr("Pick on the reference"))
        self.pick_reference.clicked.connect(lambda: self.pick_on(REFERENCE))
        self.pick_compared = QPushButton(self.tr("Pick on the compared scan"))
        self.pick_compared.clicked.connect(lambda: self.pick_on(COMPARED))
        add, remove, clear = (QPushButton(self.tr("Add pair")), QPushButton(self.tr("Remove pair")),
                              QPushButton(self.tr("Clear")))
        add.clicked.connect(lambda: self.table.insertRow(self.table.rowCount()))
        remove.clicked.connect(self._remove)
        clear.clicked.connect(self.clear)
        self.note = QLabel(self.tr("Three or more pairs of matching points align the scans before ICP; "
                                   "without them a global registration does."))
        self.note.setWordWrap(True)
        picks, edits = QHBoxLayout(), QHBoxLayout()
        for b in (self.pick_reference, self.pick_compared):
            picks.addWidget(b)
        for b in (add, remove, clear):
            edits.addWidget(b)
        left = QVBoxLayout()
        left.addWidget(self.note)
        left.addWidget(self.table, 1)
        left.addLayout(picks)
        left.addLayout(edits)
        self.layout_ = QHBoxLayout(self)  # the pick view comes to the right of the table when needed
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addLayout(left, 2)

    # -- the pairs -------------------------------------------------------------------------------
    def pairs(self) -> list[list[list[float]]]:
        """[[reference xyz, compared xyz], ...] of the filled rows. Raises ValueError (a sentence
        for the user) for a half-filled or unreadable row, or fewer than three pairs."""
        pairs = []
        for row in range(self.table.rowCount()):
            texts = [self._text(row, side) for side in (REFERENCE, COMPARED)]
            if not any(texts):
                continue
            points = [parse_point(t) for t in texts]
            if any(p is None for p in points):
                raise ValueError(self.tr("Pair {n} needs a point on each scan, written x, y, z.").format(n=row + 1))
            pairs.append(points)
        if pairs and len(pairs) < 3:
            raise ValueError(self.tr("The coarse alignment needs at least three pairs; there are {n}.").format(
                n=len(pairs)))
        return pairs  # type: ignore[return-value]

    def set_point(self, side: int, row: int, point: Any) -> None:
        while self.table.rowCount() <= row:
            self.table.insertRow(self.table.rowCount())
        self.table.setItem(row, side, QTableWidgetItem(format_point(point)))

    def next_row(self, side: int) -> int:
        """The first row whose ``side`` is empty (a new one when all are filled)."""
        return next((r for r in range(self.table.rowCount()) if not self._text(r, side)), self.table.rowCount())

    def _text(self, row: int, side: int) -> str:
        item = self.table.item(row, side)
        return item.text().strip() if item is not None else ""

    def clear(self) -> None:
        self.table.setRowCount(0)
        self._edited()

    def _edited(self, *_item: Any) -> None:
        self._mark()
        self.changed.emit()

    def _remove(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._edited()

    # -- picking -----------------------------------------------------------------------------------
    def pick_on(self, side: int) -> None:
        """Show the scan of ``side`` in the pick view; its clicks fill that column."""
        source = self.source(side)
        if source is None:
            self.note.setText(self.tr("Choose the scan to compare first."))
            return
        view = self._view()
        if view is None:
            self.note.setText(self.tr("The 3D view is not available here: type the coordinates instead."))
            return
        self.side = side
        if source != self.shown:
            self.shown = source
            path, units, up_axis = source
            view.open_file(path, units, up_axis)
        view.set_tool(PICK_TOOL)
        self._mark()
        what = self.tr("the reference") if side == REFERENCE else self.tr("the compared scan")
        self.note.setText(self.tr("Click points on {what}: each click fills the next pair. Drag to turn the "
                                  "scan.").format(what=what))

    def take_pick(self, pick: Any) -> None:
        """A click on the pick view's model: its point (file frame) fills the next cell."""
        model = self.view.session.model if self.view is not None else None
        if self.side is None or model is None:
            return
        row = self.next_row(self.side)
        self.set_point(self.side, row, model.to_file(pick.point))
        self.note.setText(self.tr("Point {n} picked.").format(n=row + 1))

    def _view(self) -> Any:
        if self.view is None:
            from .detail_pane import load_viewer_widget

            self.view = load_viewer_widget(self)
            if self.view is None:
                return None
            self.view.setMinimumSize(420, 340)
            self.view.toolbar.panel.hide()  # light, section and measuring belong to the main view
            self.view.picked.connect(self.take_pick)
            self.view.loaded.connect(lambda _model: self._mark())
            self.layout_.addWidget(self.view, 3)
        return self.view

    def _mark(self) -> None:
        """Numbered markers in the pick view on the points of the side it shows."""
        if self.view is None or self.side is None or self.view.session.model is None:
            return
        from viewer.markers import MarkerRecord

        model = self.view.session.model
        marks = []
        for row in range(self.table.rowCount()):
            point = parse_point(self._text(row, self.side))
            if point is not None:
                marks.append(MarkerRecord("landmark", str(row + 1), model.from_file(np.asarray(point))[None, :]))
        self.view.set_overlay_records(marks)


# -- helpers (below the class: lupdate keeps the class's context) --------------------------------
def parse_point(text: str) -> list[float] | None:
    """"x, y, z" (commas, semicolons or spaces between) -> [x, y, z]; None when it is not three
    finite numbers."""
    parts = [p for p in re.split(r"[;,\s]+", text.strip()) if p]
    try:
        point = [float(p) for p in parts]
    except ValueError:
        return None
    return point if len(point) == 3 and all(np.isfinite(point)) else None


def format_point(point: Any) -> str:
    """Coordinates as typed back: enough digits for a micrometre on georeferenced scans."""
    return ", ".join(f"{float(v):.6f}".rstrip("0").rstrip(".") for v in point)
