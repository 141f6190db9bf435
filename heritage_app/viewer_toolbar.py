"""Compact toolbar of the viewer: modes, lighting, section, tools, snapshot, reset."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
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


class ViewerToolbar(QToolBar):
    """Each control sets one settings field through ``ViewerWidget.update_settings``."""

    def __init__(self, viewer: ViewerWidget) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.mode = self._combo(DISPLAY_MODES, "Display mode",
                                lambda t: viewer.update_settings(mode=t))
        self.view_box = self._combo(STANDARD_VIEWS, "Standard view", viewer.set_view)
        self.addAction("Reset", viewer.reset_view).setToolTip("Frame the whole model (R)")
        self.ortho = self.addAction("Ortho")
        self.ortho.setCheckable(True)
        self.ortho.toggled.connect(lambda on: viewer.update_settings(
            projection="orthographic" if on else "perspective"))
        self.addSeparator()
        self.light = self._combo(LIGHT_PRESETS, "Lighting preset", self._preset)
        self.azimuth = self._labelled_slider("Az", -180, 180, 45, "light_azimuth")
        self.elevation = self._labelled_slider("El", 0, 90, 30, "light_elevation")
        self.addSeparator()
        self.section = self.addAction("Section")
        self.section.setCheckable(True)
        self.section.toggled.connect(lambda on: viewer.update_settings(section_enabled=on))
        self.axis = self._combo(("x", "y", "z", "view"), "Section axis",
                                lambda t: viewer.update_settings(section_axis=t))
        self.offset = _slider(0, 1000, 500)
        self.offset.setToolTip("Section position")
        self.offset.valueChanged.connect(self._offset_changed)
        self.offset.sliderReleased.connect(lambda: viewer.request_frame(False))
        self.addWidget(self.offset)
        self.addSeparator()
        self.measure = self.addAction("Measure")
        self.measure.setCheckable(True)
        self.measure.toggled.connect(lambda on: self._tool("measure", on))
        self.landmark = self.addAction("Landmark")
        self.landmark.setCheckable(True)
        self.landmark.toggled.connect(lambda on: self._tool("landmark", on))
        self.addAction("Export…", viewer.export_landmarks).setToolTip("Export landmarks (CSV/JSON)")
        self.addSeparator()
        self.addAction("Snapshot…", viewer.save_snapshot)
        self.addAction("Open3D", viewer.open_in_open3d).setToolTip(
            "Open in Open3D's own viewer window (separate process)")

    def _combo(self, items: Any, tip: str, slot: Any) -> QComboBox:
        box = QComboBox()
        box.addItems([str(i) for i in items])
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        box.setToolTip(tip)
        box.textActivated.connect(slot)
        self.addWidget(box)
        return box

    def _labelled_slider(self, label: str, lo: int, hi: int, value: int, field: str) -> QSlider:
        self.addWidget(QLabel(label))
        s = _slider(lo, hi, value)
        s.setToolTip(f"Light {field.split('_')[1]} (degrees)")
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
