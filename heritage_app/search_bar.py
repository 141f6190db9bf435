"""Search as you type (debounced) and filters; emits a ``SearchQuery`` and shows how many
items it found. Text search is the archive's accent-insensitive full-text search."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from archive import SearchQuery
from archive.fields import ITEM_FIELD

from .i18n import value_label

DEBOUNCE_MS = 150
ANY = None


class SearchBar(QWidget):
    queryChanged = Signal(object)  # SearchQuery
    collectionsChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = QLineEdit()
        self.text.setClearButtonEnabled(True)
        self.text.setObjectName("searchText")
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self._emit)
        self.text.textChanged.connect(lambda _t: self.debounce.start())
        self.text.returnPressed.connect(self._emit_now)
        self.filters: dict[str, QComboBox] = {}
        self.labels: dict[str, QLabel] = {}
        self.count_label = QLabel()
        self.count_label.setObjectName("resultCount")
        self.clear_button = QToolButton()
        self.clear_button.clicked.connect(self.clear)
        self._count = 0
        self._build()
        self.retranslate()

    def _build(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.text, 1)
        top.addWidget(self.count_label)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        for n, name in enumerate(("kind", "status", "collection", "period", "material", "culinary_line", "textured")):
            combo = QComboBox()
            combo.setObjectName(f"filter_{name}")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(4)  # narrow windows: the catalogue column may shrink
            combo.currentIndexChanged.connect(self._emit_now)
            label = QLabel()
            label.setBuddy(combo)
            self.filters[name], self.labels[name] = combo, label
            row, col = divmod(n, 3)  # three a row: the catalogue column can be narrow
            grid.addWidget(label, row, col * 2, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(combo, row, col * 2 + 1)
        grid.addWidget(self.clear_button, 2, 3, 1, 2)
        for col in (1, 3, 5):
            grid.setColumnStretch(col, 1)
        outer = QGridLayout(self)
        outer.setContentsMargins(6, 6, 6, 2)
        outer.addLayout(top, 0, 0)
        outer.addLayout(grid, 1, 0)
        self._fill("kind", [(v, value_label(v)) for v in ITEM_FIELD["kind"].choices])
        self._fill("status", [(v, value_label(v)) for v in ITEM_FIELD["status"].choices])
        self._fill("textured", [(True, ""), (False, "")])

    def retranslate(self) -> None:
        self.text.setPlaceholderText(
            self.tr("Search titles, accession numbers, materials, ingredients… (accents optional)")
        )
        names = {
            "kind": self.tr("Kind"),
            "status": self.tr("Status"),
            "collection": self.tr("Collection"),
            "period": self.tr("Period"),
            "material": self.tr("Material"),
            "culinary_line": self.tr("Culinary line"),
            "textured": self.tr("Texture"),
        }
        for name, label in self.labels.items():
            label.setText(names[name] + ":")
        for name, combo in self.filters.items():
            combo.setItemText(0, self.tr("Any"))
            if name in ("kind", "status"):
                for i in range(1, combo.count()):
                    combo.setItemText(i, value_label(combo.itemData(i)))
        textured = self.filters["textured"]
        textured.setItemText(1, self.tr("With texture"))
        textured.setItemText(2, self.tr("Without texture"))
        self.clear_button.setText(self.tr("Clear filters"))
        self.text.setToolTip(self.tr("Search as you type (Ctrl+F)"))
        self.set_count(self._count)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- choices ---------------------------------------------------------------------------
    def _fill(self, name: str, entries: list[tuple[object, str]]) -> None:
        combo = self.filters[name]
        current = combo.currentData()
        blocked = combo.blockSignals(True)
        combo.clear()
        combo.addItem(self.tr("Any"), ANY)
        for value, label in entries:
            combo.addItem(label, value)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(blocked)
        if index < 0:  # the chosen value is gone: the results must not stay filtered by it
            self._emit_now()

    def set_choices(
        self, collections: list[str] | None, periods: list[str], materials: list[str], culinary_lines: list[str]
    ) -> None:
        """Fill the filters from the open archive's vocabularies (and collections, unless None)."""
        for name, values in (("period", periods), ("material", materials), ("culinary_line", culinary_lines)):
            self._fill(name, [(v, v) for v in values])
        if collections is not None:
            self.set_collections(collections)

    def set_collections(self, collections: list[str]) -> None:
        self._fill("collection", [(v, v) for v in collections])
        self.collectionsChanged.emit()

    # -- query -----------------------------------------------------------------------------
    def query(self) -> SearchQuery:
        f = self.filters
        return SearchQuery(
            text=self.text.text().strip(),
            kind=f["kind"].currentData(),
            status=f["status"].currentData(),
            collection=f["collection"].currentData(),
            period=f["period"].currentData(),
            material=f["material"].currentData(),
            culinary_line=f["culinary_line"].currentData(),
            has_texture=f["textured"].currentData(),
        )

    def _emit_now(self) -> None:
        self.debounce.stop()
        self._emit()

    def _emit(self) -> None:
        self.queryChanged.emit(self.query())

    def clear(self) -> None:
        for combo in self.filters.values():
            blocked = combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(blocked)
        blocked = self.text.blockSignals(True)
        self.text.clear()
        self.text.blockSignals(blocked)
        self._emit_now()

    def set_count(self, count: int) -> None:
        self._count = count
        self.count_label.setText(self.tr("%n item(s)", "", count))

    def focus_search(self) -> None:
        self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text.selectAll()
