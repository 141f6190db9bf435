"""The "Compare…" dialog: measure one scan against another, read the deviation in real units,
keep the comparison in the archive.

In the app the dialog knows the shown item (``archive_getter``, ``item``): the reference is one
of the item's scan versions (by default the one before the newest), the compared scan another
version, a version of another item (found by accession or title) or a file. Both are read through
``Archive.readable`` (the one door for readers). Three or more picked point pairs
(:class:`~heritage_app.compare_pairs.PairsEditor`) give the coarse alignment, else a global
registration; then ICP. The comparison runs on a worker (:class:`CompareTask`); the summary, the
colour scale and the histogram show here, the heat map in the viewer. "Keep in the archive" saves
it with its parameters, deviations and report (``Archive.save_comparison``); the kept ones are
listed below and their heat map can be shown again. Without an archive (``heritage view FILE``)
the reference is the model on screen and the compared scan a file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from archive import Archive, ArchiveError, SearchQuery
from viewer import Model
from viewer.compare import CompareParams, Comparison, colour_range
from viewer.measure import convert, format_length

from .compare_pairs import COMPARED, REFERENCE, PairsEditor
from .compare_store import keep_comparison, scan_source, scan_versions
from .compare_tasks import CompareTask, KeptComparisonTask, ScanSource

FOUND_ITEMS = 20  # other items offered for one search


class CompareDialog(QDialog):
    """Choose two scans, run, read the summary, show the heat map, keep the result."""

    def __init__(self, reference: Model, parent: QWidget | None = None, show_heat_map: Any = None,
                 archive_getter: Callable[[], Archive | None] | None = None,
                 item: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Compare scans"))
        self.reference = reference  # the model on screen: the frame the heat map is shown in
        self.show_heat_map = show_heat_map  # callable(Model) from the viewer, or None
        self.archive_getter = archive_getter or (lambda: None)
        self.item = item if self.archive_getter() is not None else None
        self.result: tuple[Comparison, Model] | None = None
        self.result_sources: tuple[ScanSource, ScanSource] | None = None
        self.task: Any = None
        self.reference_box = QComboBox(self, visible=self.item is not None)
        self.compared_box = QComboBox(self)
        self.find_box = QLineEdit(self, placeholderText=self.tr("Another item: accession or title"),
                              visible=self.item is not None)
        self.find_box.returnPressed.connect(self.find_items)
        self.tolerance = QDoubleSpinBox(decimals=3, minimum=0.001, maximum=1000.0, value=0.5, suffix=" mm")
        self.pairs = PairsEditor(self._side_source, self)
        self.summary = QLabel(self.tr("Aligned by three or more picked point pairs, else by feature matching; then "
                                      "ICP. Deviation: distance to the reference surface, negative inside."))
        self.summary.setWordWrap(True)
        self.legend, self.histogram = QLabel(), QLabel()
        self._build()
        self._fill_sources()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        form = QFormLayout()
        if self.item is not None:
            form.addRow(self.tr("Reference"), self.reference_box)
        else:
            name = self.reference.path.name if self.reference.path else self.tr("(this model)")
            form.addRow(self.tr("Reference"), QLabel(name))
        row = QHBoxLayout()
        row.addWidget(self.compared_box, 1)
        if self.item is not None:
            find = QPushButton(self.tr("Find"))
            find.clicked.connect(self.find_items)
            row.addWidget(self.find_box)
            row.addWidget(find)
        browse = QPushButton(self.tr("File…"))
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        form.addRow(self.tr("Compared scan"), row)
        form.addRow(self.tr("Tolerance"), self.tolerance)
        group = QGroupBox(self.tr("Coarse alignment from picked points"))
        QVBoxLayout(group).addWidget(self.pairs)
        self.run_button = QPushButton(self.tr("Compare"))
        self.run_button.clicked.connect(self.run)
        self.heat_button = QPushButton(self.tr("Show heat map"), enabled=False)
        self.heat_button.clicked.connect(self._show_heat_map)
        self.scan_button = QPushButton(self.tr("Show the scan again"), enabled=False)
        self.scan_button.clicked.connect(self._show_scan)
        self.keep_button = QPushButton(self.tr("Keep in the archive"), enabled=False)
        self.keep_button.clicked.connect(lambda: self.keep())
        self.save_button = QPushButton(self.tr("Save report…"), enabled=False)
        self.save_button.clicked.connect(lambda: self.save_report())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        for b in (self.run_button, self.heat_button, self.scan_button, self.keep_button, self.save_button):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
        pictures = QHBoxLayout()
        pictures.addWidget(self.legend)
        pictures.addWidget(self.histogram, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(group, 1)
        layout.addWidget(self.summary)
        layout.addLayout(pictures)
        layout.addWidget(buttons)
        self.saved: Any = None
        if self.item is not None:
            from .compare_saved import SavedComparisons

            self.saved = SavedComparisons(self.archive_getter, int(self.item["id"]), self)
            self.saved.showRequested.connect(self.show_kept)
            kept = QGroupBox(self.tr("Kept comparisons of this item"))
            kept.setMaximumHeight(240)
            QVBoxLayout(kept).addWidget(self.saved)
            layout.addWidget(kept)

    # -- sources -----------------------------------------------------------------------------------
    def _fill_sources(self) -> None:
        """The item's versions in both boxes: by default the version before the newest against the
        newest (an older scan as the reference for a newer one)."""
        archive = self.archive_getter()
        if self.item is None or archive is None:
            return
        versions = scan_versions(archive, int(self.item["id"]))
        for asset in versions:
            self.reference_box.addItem(self._version_text(asset), {"asset": asset})
            self.compared_box.addItem(self._version_text(asset), {"asset": asset})
        if len(versions) >= 2:
            self.reference_box.setCurrentIndex(len(versions) - 2)
            self.compared_box.setCurrentIndex(len(versions) - 1)
        elif versions:
            self.compared_box.setCurrentIndex(-1)
            self.summary.setText(self.tr("This item has one scan: find another item, or choose a file, to compare "
                                         "it with."))

    def _version_text(self, asset: dict[str, Any], item: dict[str, Any] | None = None) -> str:
        when = str(asset.get("imported_at") or "")[:10]
        text = self.tr("Version {n}: {file} ({date})").format(n=asset["version"], file=asset["main_file"], date=when)
        if item is not None:
            text = f"{item.get('accession')} {item.get('title_vi') or item.get('title_en') or ''} — {text}"
        return text

    def find_items(self) -> int:
        """Offer the scans of the items matching the search text (other items than this one);
        returns how many scans were added."""
        archive, text = self.archive_getter(), self.find_box.text().strip()
        if archive is None or not text:
            return 0
        this = (self.item or {}).get("id")
        ids = [i for i in archive.search_ids(SearchQuery(text=text, limit=FOUND_ITEMS + 1)) if i != this]
        added = 0
        for row in archive.rows(ids[:FOUND_ITEMS]):
            for asset in scan_versions(archive, int(row["id"])):
                self.compared_box.addItem(self._version_text(asset, row), {"asset": asset})
                added += 1
        if added:
            self.compared_box.setCurrentIndex(self.compared_box.count() - 1)
        self.summary.setText(self.tr("{n} scans of other items added to the list.").format(n=added) if added
                             else self.tr("No other item with a scan matches “{text}”.").format(text=text))
        return added

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Scan to compare"))
        if path:
            self.add_file(path)

    def add_file(self, path: str) -> None:
        """Offer a file as the compared scan (and choose it)."""
        self.compared_box.addItem(self.tr("File: {name}").format(name=Path(path).name), {"path": path})
        self.compared_box.setCurrentIndex(self.compared_box.count() - 1)

    def source(self, side: int) -> ScanSource | None:
        """What to read for ``side`` (REFERENCE or COMPARED), or None when nothing is chosen."""
        if side == REFERENCE and self.item is None:
            return ScanSource(model=self.reference, label=self.reference.path.name if self.reference.path else "")
        box = self.reference_box if side == REFERENCE else self.compared_box
        data = box.currentData()
        if not data:
            return None
        if "path" in data:
            return ScanSource(path=data["path"], label=Path(data["path"]).name)
        archive = self.archive_getter()
        if archive is None:
            return None
        path, units, up_axis = scan_source(archive, data["asset"])
        return ScanSource(path, units, up_axis, asset_id=int(data["asset"]["id"]), label=box.currentText())

    def _side_source(self, side: int) -> tuple[str, str | None, str] | None:
        """(path, units, up axis) for the pick view."""
        source = self.source(side)
        if source is None:
            return None
        if source.model is not None:
            model = source.model
            return (str(model.path), model.units, model.up_axis) if model.path else None
        assert source.path is not None
        return source.path, source.units, source.up_axis

    # -- running -----------------------------------------------------------------------------------
    def params(self) -> CompareParams:
        """The settings chosen; raises ValueError (for the user) for unusable point pairs."""
        units = self.reference.units
        tol = convert(self.tolerance.value(), "mm", units) if units else self.tolerance.value()
        return CompareParams(tolerance=tol, pairs=self.pairs.pairs())

    def run(self) -> None:
        """Start the comparison on a worker; the summary follows (``task.signals.finished``)."""
        reference, compared = self.source(REFERENCE), self.source(COMPARED)
        if reference is None or compared is None:
            self.summary.setText(self.tr("Choose the scan to compare first."))
            return
        if reference.asset_id is not None and reference.asset_id == compared.asset_id:
            self.summary.setText(self.tr("Choose two different scans."))
            return
        try:
            params = self.params()
        except ValueError as exc:
            self.summary.setText(str(exc))
            return
        self.task = CompareTask(reference, compared, params)
        self.task.signals.succeeded.connect(lambda result: self._done(result, (reference, compared)))
        self._start(self.tr("Aligning and measuring…"))

    def _start(self, message: str) -> None:
        self.task.signals.failed.connect(lambda exc: self.summary.setText(str(exc)))
        self.task.signals.finished.connect(lambda: self.run_button.setEnabled(True))
        self.run_button.setEnabled(False)
        self.summary.setText(message)
        QThreadPool.globalInstance().start(self.task)

    def _done(self, result: tuple[Comparison, Model], sources: tuple[ScanSource, ScanSource] | None) -> None:
        self.result, self.result_sources = result, sources
        c = result[0]
        s, u = c.summary(), c.units
        self.summary.setText(self.tr(
            "{n} points — mean {mean}, RMS {rms}, 95th percentile {p95}, max {max}; "
            "{beyond} % beyond the tolerance (alignment fitness {fit})").format(
            n=f"{s['points']:,}", mean=format_length(s["mean"], u), rms=format_length(s["rms"], u),
            p95=format_length(s["p95"], u), max=format_length(s["max"], u),
            beyond=f"{s['beyond_tolerance'] * 100:.2f}", fit=f"{c.fitness:.3f}"))
        self._pictures(c)
        self.heat_button.setEnabled(self.show_heat_map is not None)
        self.save_button.setEnabled(True)
        archive = self.archive_getter()
        keepable = sources is not None and None not in (sources[0].asset_id, sources[1].asset_id)
        self.keep_button.setEnabled(keepable and archive is not None and not archive.read_only)

    def _pictures(self, c: Comparison) -> None:
        """The colour scale (in real units) and the histogram beside the summary."""
        from viewer.compare_report import histogram_png, legend_png

        for label, png in ((self.legend, legend_png(colour_range(c.deviations, c.params.tolerance), c.units)),
                           (self.histogram, histogram_png(c, width=480, height=200))):
            pixmap = QPixmap()
            pixmap.loadFromData(png, "PNG")
            label.setPixmap(pixmap)

    def _show_heat_map(self) -> None:
        if self.result is not None and self.show_heat_map is not None:
            from viewer.compare_report import heat_map_model

            heat = heat_map_model(*self.result, frame=self.reference)
            self.show_heat_map(heat)
            self.scan_button.setEnabled(True)
            viewer = self.parentWidget()  # the viewer that opened the dialog: turn to where it changed most
            if hasattr(viewer, "fly_to") and hasattr(viewer, "session"):
                from viewer.compare_report import change_view

                view = change_view(self.result[0], heat, viewer.session.camera)
                if view is not None:
                    viewer.fly_to(view)

    def _show_scan(self) -> None:
        if self.show_heat_map is not None:
            self.show_heat_map(self.reference)
            self.scan_button.setEnabled(False)

    # -- keeping -----------------------------------------------------------------------------------
    def keep(self) -> int | None:
        """Save the comparison in the archive with its derived files; returns its id."""
        archive = self.archive_getter()
        if self.result is None or self.result_sources is None or archive is None:
            return None
        reference, compared = self.result_sources
        if reference.asset_id is None or compared.asset_id is None:
            return None
        try:
            comparison_id = keep_comparison(archive, reference.asset_id, compared.asset_id, *self.result)
        except ArchiveError as exc:
            self.summary.setText(self.summary.text() + "\n" + str(exc))
            return None
        self.keep_button.setEnabled(False)
        self.summary.setText(self.summary.text() + "\n" + self.tr("Kept in the archive with its report."))
        if self.saved is not None:
            self.saved.reload(select=comparison_id)
        return comparison_id

    def show_kept(self, comparison: dict[str, Any]) -> None:
        """Show a kept comparison again: its summary here, its heat map in the viewer."""
        archive = self.archive_getter()
        if archive is None or comparison.get("compared_asset_id") is None:
            return
        sources = [ScanSource(*scan_source(archive, archive.asset(int(comparison[key]))),
                              asset_id=int(comparison[key])) for key in ("asset_id", "compared_asset_id")]
        task = self.task = KeptComparisonTask(comparison, sources[0], sources[1])
        task.signals.succeeded.connect(lambda result: self._kept_shown(comparison, result, task))
        self._start(self.tr("Reading the kept comparison…"))

    def _kept_shown(self, comparison: dict[str, Any], result: tuple[Comparison, Model, Path | None],
                    task: KeptComparisonTask) -> None:
        c, compared, rebuilt = result
        archive = self.archive_getter()
        if rebuilt is not None and archive is not None and not archive.read_only:
            try:
                archive.keep_comparison_files(int(comparison["id"]), rebuilt)  # the derived files, made again
            except ArchiveError as exc:
                self.summary.setText(str(exc))
        if task.rebuilt is not None:
            task.rebuilt.cleanup()
        self._done((c, compared), None)
        self.keep_button.setEnabled(False)
        self._show_heat_map()
        if self.saved is not None:
            self.saved.reload(select=int(comparison["id"]))

    def save_report(self, folder: str | None = None) -> Path | None:
        """Write the HTML report, pictures and JSON record into ``folder`` (asks where if None)."""
        if self.result is None:
            return None
        folder = folder or QFileDialog.getExistingDirectory(self, self.tr("Folder for the report"))
        if not folder:
            return None
        from viewer.compare_report import write_report

        path = write_report(self.result[0], self.result[1], folder)
        self.summary.setText(self.summary.text() + "\n" + self.tr("Report saved: {path}").format(path=path))
        return path
