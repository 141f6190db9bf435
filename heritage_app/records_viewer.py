"""The shown item's research records in its 3D view (issue 15): a measurement (distance, path or
angle) made by clicking and kept with Save measurement, a clicked point kept as a landmark or an
annotation (with the surface normal there), every record drawn by the 2D overlay (lines, dots,
labels with value and unit), a click in the records list flying to the record's saved view (or
framing its points), and Save view keeping the camera in an annotation. An unsaved measurement is
never dropped silently: leaving the item asks Save / Discard / Cancel.

Frames: the viewer draws in a Y-up display frame (``viewer.orientation``); records keep the
master's own frame and units. Points go through the model's ``to_file``/``from_file`` (its turn
to Y-up and its load offset), directions (a normal, a view's up) through its rotation only
(``viewer.markers.view_to_file``). The measurement being made is kept in the master's frame too,
so a model shown again (another level, another up axis) draws it where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QWidget

from viewer.markers import MarkerRecord, camera_to_view, framing_view, view_from_file, view_to_file
from viewer.measure import convert, polyline_length

from .dialogs import ask_save_discard_cancel
from .record_dialog import value_text
from .records_panel import RecordsPanel, title_of

if TYPE_CHECKING:
    from .viewer_widget import ViewerWidget

#: points a measurement needs before it can be saved
NEEDED = {"distance": 2, "polyline": 2, "angle": 3}
#: a click after this many points starts a new measurement (a path goes on)
FULL = {"distance": 2, "angle": 3}
FRAME_SHARE = 0.15  # a record with one point is shown with this share of the model around it
translate = QCoreApplication.translate  # the name pyside6-lupdate looks for


class RecordsInViewer(QObject):
    """Joins a :class:`ViewerWidget` and a :class:`RecordsPanel` (``viewer.records`` is set to it)."""

    def __init__(self, viewer: ViewerWidget, panel: RecordsPanel):
        super().__init__(viewer)
        self.viewer, self.panel = viewer, panel
        self.measure = "distance"
        self.points: list[np.ndarray] = []  # the measurement being made, in the master's frame
        self.shown_key: tuple[Any, Any] | None = None  # (item id, master id) the measurement belongs to
        self.records: list[dict[str, Any]] = []
        self.next_kind = "landmark"
        viewer.records = self
        panel.can_pick = True
        panel.recordsShown.connect(self.show_records)
        panel.recordActivated.connect(self.fly_to_record)
        panel.addRequested.connect(self.ask_for_point)
        panel.lockChanged.connect(lambda _reason: self._apply_lock())
        self._tips: dict[QWidget, str] = {}  # a control's own tooltip while a lock's reason replaces it
        viewer.loaded.connect(lambda _model: self._redraw())
        viewer.toolbar.show_records_tools(True)
        panel.update_actions()
        self._apply_lock()
        self.show_records(panel.records)

    # -- the item's records --------------------------------------------------------------------
    def show_records(self, records: list[dict[str, Any]]) -> None:
        """Draw ``records`` (the panel's list); a new item or scan version drops the measurement
        of the one before (leaving it asked first: :meth:`confirm_leave`)."""
        key = ((self.panel.item or {}).get("id"), self.panel.master_id())
        if key != self.shown_key:
            if self.points and self.shown_key is not None and key[0] == self.shown_key[0]:
                self.viewer.status.setText(self.tr("A new version of the scan replaced the one measured: the "
                                                   "unsaved measurement was on the old one and was dropped."))
            self.shown_key, self.points = key, []
        self.records = list(records)
        self._redraw()
        views = [r for r in self.records if r.get("view")]
        box = self.viewer.toolbar.views
        box.clear()
        for record in views:
            box.addItem(title_of(record) or value_text(record), record["id"])

    def _redraw(self) -> None:
        """Overlay records and the measurement in the shown model's display frame."""
        model = self.viewer.session.model
        master = self.panel.master_id()
        markers = []
        if model is not None:
            for record in self.records:
                if record.get("asset_id") == master and record.get("points"):
                    markers.append(MarkerRecord(record["kind"], marker_label(record), self._display(record)))
            self.viewer.session.measurement.points = [model.from_file(p) for p in self.points]
        self.viewer.set_overlay_records(markers)
        self.viewer.toolbar.save_measurement.setEnabled(self.has_unsaved() and not self.panel.locked)

    def _apply_lock(self) -> None:
        """Save measurement, Mark a point and Save view write records: greyed out, saying why,
        for a user who may not (``RecordsPanel.locked``); measuring and flying stay theirs."""
        toolbar, reason = self.viewer.toolbar, self.panel.locked
        if reason and toolbar.landmark.isChecked():
            toolbar.landmark.setChecked(False)  # back to navigating: a click would open a record to save
        for widget in (toolbar.save_measurement, toolbar.landmark, toolbar.save_view_button):
            if reason:
                self._tips.setdefault(widget, widget.toolTip())
                widget.setToolTip(reason)
            elif widget in self._tips:
                widget.setToolTip(self._tips.pop(widget))
        toolbar.landmark.setEnabled(not reason)
        toolbar.save_view_button.setEnabled(not reason)
        self._redraw()

    def _display(self, record: dict[str, Any]) -> np.ndarray:
        model = self.viewer.session.model
        assert model is not None
        pts = np.array([model.from_file(np.asarray(p, float)) for p in record["points"]])
        return np.vstack([pts, pts[:1]]) if record.get("measure") == "area" else pts  # a region is closed

    def fly_to_record(self, record: dict[str, Any]) -> None:
        """Move the camera to the record's saved view, else frame its points."""
        model = self.viewer.session.model
        if model is None or not record.get("points"):
            return
        if record.get("asset_id") != self.panel.master_id():
            self.viewer.status.setText(self.tr("This record belongs to an earlier version of the scan."))
            return
        if record.get("view"):
            view = view_from_file(record["view"], model.from_file, model.rotation)
        else:
            view = framing_view(self.viewer.session.camera, self._display(record), FRAME_SHARE * model.extent)
        self.viewer.fly_to(view)

    def fly_to_view(self, index: int) -> None:
        """The toolbar's saved-view box: fly to the ``index``-th record with a view."""
        record_id = self.viewer.toolbar.views.itemData(index)
        record = next((r for r in self.records if r["id"] == record_id), None)
        if record is not None:
            self.fly_to_record(record)

    # -- picking -------------------------------------------------------------------------------
    def take_pick(self, pick: Any) -> bool:
        """A click on the model with the measure or mark tool: True when it was used here."""
        model, tool = self.viewer.session.model, self.viewer.tool
        if model is None or self.panel.item is None or tool not in ("measure", "landmark"):
            return False
        point = model.to_file(pick.point)
        if tool == "landmark":
            normal = model.rotation.T @ np.asarray(pick.normal, float)
            ok = np.all(np.isfinite(normal)) and np.linalg.norm(normal) > 1e-9
            self.panel.new_point_record(point.tolist(), normal.tolist() if ok else None, kind=self.next_kind)
            self.next_kind = "landmark"
            return True
        if len(self.points) >= FULL.get(self.measure, 1 << 30):
            self.points = []  # a new distance or angle starts: the last one is on screen until here
        self.points.append(point)
        self._redraw()
        self._say()
        return True

    def ask_for_point(self) -> None:
        """"Add annotation…" in the list: the next click on the model places it."""
        self.next_kind = "annotation"
        self.viewer.toolbar.landmark.setChecked(True)
        self.viewer.status.setText(self.tr("Click the model where the annotation goes."))

    # -- the measurement being made -----------------------------------------------------------
    def set_measure(self, measure: str) -> None:
        """"distance", "polyline" or "angle": how the clicked points are read."""
        self.measure = measure
        self._redraw()
        if self.points:
            self._say()

    def has_unsaved(self) -> bool:
        return len(self.points) >= NEEDED.get(self.measure, 2)

    def save_kind(self) -> str:
        """The measure to save: a distance or angle with more points (the kind changed) is a path."""
        full = FULL.get(self.measure)
        return "polyline" if full is not None and len(self.points) > full else self.measure

    def live_label(self) -> str:
        """The measurement's label in the overlay: its length (display units) or its angle."""
        if len(self.points) < 2:
            return ""
        if self.save_kind() == "angle":
            return f"{angle_deg(self.points):.1f}°" if len(self.points) == 3 else ""
        model = self.viewer.session.model
        units = self.viewer.display_units()
        length = convert(polyline_length(self.points), model.units if model else None, units)
        return f"{length:.2f} {units or self.tr('units')}"

    def _say(self) -> None:
        label = self.live_label()
        if self.has_unsaved():
            text = self.tr("{value} — Save measurement keeps it with the item").format(value=label)
        else:
            text = self.tr("Point {n} of {needed}: click the next point").format(
                n=len(self.points), needed=NEEDED.get(self.measure, 2))
        self.viewer.status.setText(text)

    def save_measurement(self) -> bool:
        """Keep the measurement as a record of the item (the master's frame); True when saved."""
        if not self.has_unsaved():
            self.viewer.status.setText(self.tr("Nothing to save yet: click the points to measure first."))
            return False
        record_id = self.panel.save_measurement(self.save_kind(), [p.tolist() for p in self.points])
        if record_id is None:
            return False
        self.points = []
        self._redraw()
        self.viewer.status.setText(self.panel.note.text())
        return True

    def clear_measurement(self) -> None:
        self.points = []
        self._redraw()

    def confirm_leave(self) -> bool:
        """Before another item (or closing): an unsaved measurement is saved, discarded or kept
        (the user stays). True when leaving may go on."""
        if not self.has_unsaved():
            return True
        answer = ask_unsaved_measurement(self.viewer, self.live_label())
        if answer == "save":
            return self.save_measurement()
        if answer == "discard":
            self.clear_measurement()
            return True
        return False

    # -- views ----------------------------------------------------------------------------------
    def save_view(self) -> Any:
        """Keep the current camera in a new annotation, placed on the surface at the picture's
        centre (else at the point the camera turns around); the dialog asks for its title."""
        viewer, model = self.viewer, self.viewer.session.model
        if model is None or self.panel.item is None:
            return None
        camera = viewer.session.camera
        view = view_to_file(camera_to_view(camera), model.to_file, model.rotation)
        pick = viewer.session.pick(viewer.view.width() / 2, viewer.view.height() / 2,
                                   viewer.view.width(), viewer.view.height())
        point = model.to_file(pick.point if pick is not None else camera.target)
        normal = (model.rotation.T @ np.asarray(pick.normal, float)).tolist() if pick is not None else None
        return self.panel.new_point_record(point.tolist(), normal, view=view, kind="annotation")

    def export(self) -> int:
        return self.panel.export()


# -- helpers (below the class: lupdate keeps the class's context) --------------------------------
def marker_label(record: dict[str, Any]) -> str:
    """What the overlay writes beside a record: the value and unit, or the title; flagged when
    a new scan version may have moved it."""
    if record.get("kind") == "measurement" and record.get("value") is not None:
        unit = record.get("unit") or ""
        value = float(record["value"])
        text = {"angle": f"{value:.1f}°", "area": f"{value:.2f} {unit}²".rstrip()}.get(
            str(record.get("measure")), f"{value:.2f} {unit}".rstrip())
        title = title_of(record)
        text = f"{title}: {text}" if title else text
    else:
        text = title_of(record)
    return f"⚠ {text}" if record.get("review") == "needs_review" else text


def angle_deg(points: list[np.ndarray]) -> float:
    """The angle at the middle of three (3,) points, in degrees (the archive's rule)."""
    a, b, c = (np.asarray(p, float) for p in points[:3])
    u, v = a - b, c - b
    cos = float(u @ v / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-300))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def ask_unsaved_measurement(parent: QWidget | None, what: str) -> str:
    """Ask what to do with an unsaved measurement: "save", "discard" or "cancel" (tests replace it)."""
    return ask_save_discard_cancel(
        parent, translate("RecordsInViewer", "Unsaved measurement"),
        translate("RecordsInViewer", "The measurement {what} is not saved.").format(what=what),
        translate("RecordsInViewer", "Save it as a record of this item before continuing?"),
        translate("RecordsInViewer", "Discard"))
