"""The viewer's toolbar: modes, views, up axis, snapshot; lighting, section, measuring."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from viewer import DISPLAY_MODES, LIGHT_PRESETS, STANDARD_VIEWS
from viewer.orientation import UP_AXES

if TYPE_CHECKING:
    from .viewer_widget import ViewerWidget


def _slider(lo: int, hi: int, value: int, width: int = 56) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    s.setFixedWidth(width)
    return s


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 6, 0, 0)
    return label


def _t(text: str) -> str:
    return QCoreApplication.translate("ViewerToolbar", text)


# Names shown for the viewer's values (the values themselves stay as they are in settings);
# translated through the "ViewerToolbar" context of the .ts file.
VALUE_LABELS = {
    "auto": QT_TRANSLATE_NOOP("ViewerToolbar", "Automatic"),
    "textured": QT_TRANSLATE_NOOP("ViewerToolbar", "Textured"),
    "shaded": QT_TRANSLATE_NOOP("ViewerToolbar", "Shaded"),
    "vertex_colors": QT_TRANSLATE_NOOP("ViewerToolbar", "Vertex colours"),
    "wireframe": QT_TRANSLATE_NOOP("ViewerToolbar", "Wireframe"),
    "points": QT_TRANSLATE_NOOP("ViewerToolbar", "Points"),
    "front": QT_TRANSLATE_NOOP("ViewerToolbar", "Front"),
    "back": QT_TRANSLATE_NOOP("ViewerToolbar", "Back"),
    "left": QT_TRANSLATE_NOOP("ViewerToolbar", "Left"),
    "right": QT_TRANSLATE_NOOP("ViewerToolbar", "Right"),
    "top": QT_TRANSLATE_NOOP("ViewerToolbar", "Top"),
    "bottom": QT_TRANSLATE_NOOP("ViewerToolbar", "Bottom"),
    "iso": QT_TRANSLATE_NOOP("ViewerToolbar", "Three-quarter"),
    "default": QT_TRANSLATE_NOOP("ViewerToolbar", "Default light"),
    "raking-left": QT_TRANSLATE_NOOP("ViewerToolbar", "Raking light from left"),
    "raking-right": QT_TRANSLATE_NOOP("ViewerToolbar", "Raking light from right"),
    "raking-top": QT_TRANSLATE_NOOP("ViewerToolbar", "Raking light from top"),
    "flat": QT_TRANSLATE_NOOP("ViewerToolbar", "Flat (no shading)"),
    "x": QT_TRANSLATE_NOOP("ViewerToolbar", "X axis"),
    "y": QT_TRANSLATE_NOOP("ViewerToolbar", "Y axis"),
    "z": QT_TRANSLATE_NOOP("ViewerToolbar", "Z axis"),
    "view": QT_TRANSLATE_NOOP("ViewerToolbar", "View direction"),
    "distance": QT_TRANSLATE_NOOP("ViewerToolbar", "Distance"),
    "polyline": QT_TRANSLATE_NOOP("ViewerToolbar", "Path (several points)"),
    "angle": QT_TRANSLATE_NOOP("ViewerToolbar", "Angle (3 points)"),
}
# The up-axis box reuses none of the section's axis names: it says what is up, not an axis.
UP_LABELS = {
    "y": QT_TRANSLATE_NOOP("ViewerToolbar", "+Y up"),
    "z": QT_TRANSLATE_NOOP("ViewerToolbar", "+Z up"),
    "x": QT_TRANSLATE_NOOP("ViewerToolbar", "+X up"),
    "-y": QT_TRANSLATE_NOOP("ViewerToolbar", "−Y up (upside down)"),
    "-z": QT_TRANSLATE_NOOP("ViewerToolbar", "−Z up"),
    "-x": QT_TRANSLATE_NOOP("ViewerToolbar", "−X up"),
}


class ViewerToolbar(QObject):
    """The viewer's controls, nothing behind an overflow "››": ``view_row`` above the model
    (mode, view, up axis, snapshot) and ``panel`` beside it (light direction, section axis and
    position, measure and landmarks). Each control sets one settings field through
    ``ViewerWidget.update_settings``."""

    def __init__(self, viewer: ViewerWidget) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.view_row = QToolBar(viewer)
        self.view_row.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._build_view_row(self.view_row)
        self.panel = QScrollArea(viewer)  # scrolls only where the window is very short
        self.panel.setObjectName("viewerTools")
        self.panel.setWidgetResizable(True)
        self.panel.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.panel.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self._build_panel(QVBoxLayout(body))
        self.panel.setWidget(body)
        self.panel.setFixedWidth(body.sizeHint().width() + 16)
        self.show_records_tools(False)  # after the width is taken with every control shown
        self.tools_toggle.toggled.connect(self.panel.setVisible)

    def _build_view_row(self, row: QToolBar) -> None:
        viewer = self.viewer
        self.mode = self._combo(row, DISPLAY_MODES, self.tr("Display mode"),
                                lambda t: viewer.update_settings(mode=t))
        self.view_box = self._combo(row, STANDARD_VIEWS, self.tr("Standard view"), viewer.set_view)
        row.addAction(self.tr("Reset"), viewer.reset_view).setToolTip(self.tr("Frame the whole model (R)"))
        self.ortho = row.addAction(self.tr("Ortho"))
        self.ortho.setToolTip(self.tr("Orthographic projection (O)"))
        self.ortho.setCheckable(True)
        self.ortho.toggled.connect(lambda on: viewer.update_settings(
            projection="orthographic" if on else "perspective"))
        self.up_axis = self._combo(row, UP_AXES, self.tr(
            "This way up: which axis of the scan points up (+Y for glTF, +Z for most scanners and CAD). "
            "Saved with the scan (the master file is never changed); thumbnails and exports follow."),
            viewer.choose_up_axis, UP_LABELS)
        self.tools_toggle = row.addAction(self.tr("Tools"))
        self.tools_toggle.setCheckable(True)
        self.tools_toggle.setChecked(True)
        self.tools_toggle.setToolTip(self.tr("Show or hide light, section and measuring tools"))
        row.addAction(self.tr("Snapshot…"), viewer.save_snapshot)
        row.addAction(self.tr("Compare…"), viewer.open_compare).setToolTip(
            self.tr("Align another scan of this object with it and show where they differ"))
        row.addAction(self.tr("Open3D"), viewer.open_in_open3d).setToolTip(
            self.tr("Open in Open3D's own viewer window (separate process)"))

    def _build_panel(self, column: QVBoxLayout) -> None:
        viewer = self.viewer
        column.setContentsMargins(4, 0, 4, 0)
        column.addWidget(_heading(self.tr("Light")))
        self.light = self._combo(column, LIGHT_PRESETS, self.tr("Lighting preset"), self._preset)
        self.azimuth = self._labelled_slider(column, self.tr("From (azimuth)"), -180, 180, 45, "light_azimuth")
        self.elevation = self._labelled_slider(column, self.tr("Height (elevation)"), 0, 90, 30, "light_elevation")
        column.addWidget(_heading(self.tr("Section")))
        self.section = QCheckBox(self.tr("Cut the model"))
        self.section.toggled.connect(lambda on: viewer.update_settings(section_enabled=on))
        column.addWidget(self.section)
        self.axis = self._combo(column, ("x", "y", "z", "view"), self.tr("Section axis"),
                                lambda t: viewer.update_settings(section_axis=t))
        column.addWidget(QLabel(self.tr("Position")))
        self.offset = _slider(0, 1000, 500, width=150)
        self.offset.setToolTip(self.tr("Section position along the axis"))
        self.offset.valueChanged.connect(self._offset_changed)
        self.offset.sliderReleased.connect(lambda: viewer.request_frame(False))
        column.addWidget(self.offset)
        profile = QPushButton(self.tr("Export profile…"))
        profile.setToolTip(self.tr("Save the section outline as SVG or DXF in millimetres"))
        profile.clicked.connect(lambda: viewer.export_section_profile())
        column.addWidget(profile)
        column.addWidget(_heading(self.tr("Measure")))
        self.measure_kind = self._combo(column, ("distance", "polyline", "angle"), self.tr("What the clicks measure"),
                                        lambda kind: viewer.records and viewer.records.set_measure(kind))
        self.measure = self._tool_button(column, self.tr("Measure distance"), "measure")
        self.save_measurement = QPushButton(self.tr("Save measurement"))
        self.save_measurement.setToolTip(self.tr("Keep this measurement with the item (its records)"))
        self.save_measurement.clicked.connect(lambda: viewer.records and viewer.records.save_measurement())
        self.clear_measurement = QPushButton(self.tr("Clear measurement"))
        self.clear_measurement.clicked.connect(lambda: viewer.records and viewer.records.clear_measurement())
        column.addWidget(self.save_measurement)
        column.addWidget(self.clear_measurement)
        self.landmark = self._tool_button(column, self.tr("Place landmarks"), "landmark")
        self.export = QPushButton(self.tr("Export landmarks…"))
        self.export.setToolTip(self.tr("Export landmarks (CSV/JSON)"))
        self.export.clicked.connect(lambda: viewer.records.export() if viewer.records else viewer.export_landmarks())
        column.addWidget(self.export)
        self.labels = QCheckBox(self.tr("Show labels"))
        self.labels.setChecked(True)
        self.labels.toggled.connect(viewer.set_markers_visible)
        column.addWidget(self.labels)
        column.addWidget(_heading(self.tr("Views")))
        self.save_view_button = QPushButton(self.tr("Save view"))
        self.save_view_button.setToolTip(self.tr("Keep this camera position to come back to"))
        self.save_view_button.clicked.connect(self._save_view)
        column.addWidget(self.save_view_button)
        self.views = QComboBox()
        self.views.setToolTip(self.tr("Fly to a saved view"))
        self.views.activated.connect(lambda i: viewer.records.fly_to_view(i) if viewer.records
                                     else viewer.fly_to(viewer.saved_views[i][1]))
        column.addWidget(self.views)
        column.addStretch(1)

    def show_records_tools(self, on: bool) -> None:
        """In the app an item's records are measured, marked and viewed here (records_viewer);
        the file viewer alone (``heritage view``) keeps its own landmarks and views."""
        for widget in (self.measure_kind, self.save_measurement, self.clear_measurement):
            widget.setVisible(on)
        self.save_measurement.setEnabled(False)
        self.measure.setText(self.tr("Measure") if on else self.tr("Measure distance"))
        self.landmark.setText(self.tr("Mark a point…") if on else self.tr("Place landmarks"))
        self.landmark.setToolTip(self.tr("Click the model to keep a landmark or an annotation there") if on else "")
        self.export.setText(self.tr("Export records…") if on else self.tr("Export landmarks…"))
        self.export.setToolTip(self.tr("Save this item's measurements, landmarks and annotations as CSV or JSON")
                               if on else self.tr("Export landmarks (CSV/JSON)"))

    def _tool_button(self, column: QVBoxLayout, text: str, tool: str) -> QPushButton:
        button = QPushButton(text)
        button.setCheckable(True)
        button.toggled.connect(lambda on: self._tool(tool, on))
        column.addWidget(button)
        return button

    def show_up_axis(self, axis: str) -> None:
        """Show the model's up axis without treating it as a new choice."""
        self.up_axis.setCurrentIndex(max(self.up_axis.findData(axis), 0))

    def _combo(self, row: QToolBar | QVBoxLayout, items: Any, tip: str, slot: Any,
               labels: dict[str, str] = VALUE_LABELS) -> QComboBox:
        """A combo showing translated names; ``slot`` receives the viewer's own value."""
        box = QComboBox()
        for value in (str(i) for i in items):
            box.addItem(_t(labels.get(value, value)), value)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        box.setToolTip(tip)
        box.activated.connect(lambda index: slot(box.itemData(index)))
        row.addWidget(box)
        return box

    def _labelled_slider(self, row: QVBoxLayout, label: str, lo: int, hi: int, value: int,
                         field: str) -> QSlider:
        row.addWidget(QLabel(label))
        s = _slider(lo, hi, value, width=150)
        s.setToolTip(label)
        # Moving a light slider switches to the movable directional light.
        s.valueChanged.connect(lambda v: self.viewer.update_settings(
            lighting="directional", **{field: float(v)}))
        row.addWidget(s)
        return s

    def _preset(self, name: str) -> None:
        self.viewer.apply_settings(self.viewer.session.settings.with_preset(name))

    def _offset_changed(self, value: int) -> None:
        # While dragging: LOD frames (moved); full quality once the slider settles.
        self.viewer.session.apply(replace(self.viewer.session.settings,
                                          section_offset=value / 1000.0))
        self.viewer.moved()

    def _save_view(self) -> None:
        if self.viewer.records is not None:  # kept in an annotation; the box lists the item's views
            self.viewer.records.save_view()
            return
        self.viewer.save_view()
        self.views.addItem(self.viewer.saved_views[-1][0])
        self.views.setCurrentIndex(self.views.count() - 1)

    def _tool(self, tool: str, on: bool) -> None:
        other = self.landmark if tool == "measure" else self.measure
        if on:
            other.blockSignals(True)
            other.setChecked(False)
            other.blockSignals(False)
        self.viewer.set_tool(tool if on else "navigate")
