"""Compact toolbar of the viewer: modes, lighting, section, tools, snapshot, reset."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QToolBar

from viewer import DISPLAY_MODES, LIGHT_PRESETS, STANDARD_VIEWS

if TYPE_CHECKING:
    from .viewer_widget import ViewerWidget


def _slider(lo: int, hi: int, value: int, width: int = 56) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    s.setFixedWidth(width)
    return s


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
}


class ViewerToolbar(QToolBar):
    """Each control sets one settings field through ``ViewerWidget.update_settings``."""

    def __init__(self, viewer: ViewerWidget) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.mode = self._combo(DISPLAY_MODES, self.tr("Display mode"),
                                lambda t: viewer.update_settings(mode=t))
        self.view_box = self._combo(STANDARD_VIEWS, self.tr("Standard view"), viewer.set_view)
        self.addAction(self.tr("Reset"), viewer.reset_view).setToolTip(self.tr("Frame the whole model (R)"))
        self.ortho = self.addAction(self.tr("Ortho"))
        self.ortho.setToolTip(self.tr("Orthographic projection (O)"))
        self.ortho.setCheckable(True)
        self.ortho.toggled.connect(lambda on: viewer.update_settings(
            projection="orthographic" if on else "perspective"))
        self.addSeparator()
        self.light = self._combo(LIGHT_PRESETS, self.tr("Lighting preset"), self._preset)
        self.azimuth = self._labelled_slider(self.tr("Az"), -180, 180, 45, "light_azimuth",
                                             self.tr("Light azimuth (degrees)"))
        self.elevation = self._labelled_slider(self.tr("El"), 0, 90, 30, "light_elevation",
                                               self.tr("Light elevation (degrees)"))
        self.addSeparator()
        self.section = self.addAction(self.tr("Section"))
        self.section.setCheckable(True)
        self.section.toggled.connect(lambda on: viewer.update_settings(section_enabled=on))
        self.axis = self._combo(("x", "y", "z", "view"), self.tr("Section axis"),
                                lambda t: viewer.update_settings(section_axis=t))
        self.offset = _slider(0, 1000, 500)
        self.offset.setToolTip(self.tr("Section position"))
        self.offset.valueChanged.connect(self._offset_changed)
        self.offset.sliderReleased.connect(lambda: viewer.request_frame(False))
        self.addWidget(self.offset)
        self.addSeparator()
        self.measure = self.addAction(self.tr("Measure"))
        self.measure.setCheckable(True)
        self.measure.toggled.connect(lambda on: self._tool("measure", on))
        self.landmark = self.addAction(self.tr("Landmark"))
        self.landmark.setCheckable(True)
        self.landmark.toggled.connect(lambda on: self._tool("landmark", on))
        self.addAction(self.tr("Export…"), viewer.export_landmarks).setToolTip(
            self.tr("Export landmarks (CSV/JSON)"))
        self.addSeparator()
        self.addAction(self.tr("Snapshot…"), viewer.save_snapshot)
        self.addAction(self.tr("Open3D"), viewer.open_in_open3d).setToolTip(
            self.tr("Open in Open3D's own viewer window (separate process)"))

    def _combo(self, items: Any, tip: str, slot: Any) -> QComboBox:
        """A combo showing translated names; ``slot`` receives the viewer's own value."""
        box = QComboBox()
        for value in (str(i) for i in items):
            box.addItem(_t(VALUE_LABELS.get(value, value)), value)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        box.setToolTip(tip)
        box.activated.connect(lambda index: slot(box.itemData(index)))
        self.addWidget(box)
        return box

    def _labelled_slider(self, label: str, lo: int, hi: int, value: int, field: str, tip: str) -> QSlider:
        self.addWidget(QLabel(label))
        s = _slider(lo, hi, value)
        s.setToolTip(tip)
        # Moving a light slider switches to the movable directional light.
        s.valueChanged.connect(lambda v: self.viewer.update_settings(
            lighting="directional", **{field: float(v)}))
        self.addWidget(s)
        return s

    def _preset(self, name: str) -> None:
        self.viewer.apply_settings(self.viewer.session.settings.with_preset(name))

    def _offset_changed(self, value: int) -> None:
        # While dragging: LOD frames (moved); full quality once the slider settles.
        self.viewer.session.apply(replace(self.viewer.session.settings,
                                          section_offset=value / 1000.0))
        self.viewer.moved()

    def _tool(self, tool: str, on: bool) -> None:
        other = self.landmark if tool == "measure" else self.measure
        if on:
            other.blockSignals(True)
            other.setChecked(False)
            other.blockSignals(False)
        self.viewer.set_tool(tool if on else "navigate")
