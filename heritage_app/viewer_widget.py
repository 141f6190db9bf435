"""Qt widget that shows the viewer's frames and turns mouse and keyboard into camera moves,
picks and measurements. Rendering runs on the viewer's render thread, loading and LOD
building on the global thread pool: the GUI thread never waits for either.

Mouse: left drag orbit, right/middle drag pan, wheel zoom, double-click re-centre on the
picked point; with the measure or landmark tool on, a left click picks a point.
Keys: arrows orbit (Shift: pan), +/- zoom, R reset, 1-6 standard views, O perspective/ortho.
"""

from __future__ import annotations

import sys
import weakref
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QProcess, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget
from shiboken6 import isValid

from viewer import RenderService, Settings, ViewerSession, default_service
from viewer.markers import MarkerRecord, Overlay, PreparedMarkers, apply_view, camera_to_view, interpolate_views
from viewer.markers import layout as marker_layout
from viewer.markers import prepare as prepare_markers
from viewer.measure import bbox_dimensions, format_length
from viewer.orientation import reoriented
from viewer.streaming import LevelSet, level_bytes

from .frame_view import FrameView
from .level_stream import LevelStreamController
from .marker_painting import paint_overlay
from .settings import viewer_budget
from .viewer_tasks import BuildLodTask, LoadModelTask
from .viewer_toolbar import ViewerToolbar

ORBIT_DEG_PER_PX = 0.4
SETTLE_MS = 160  # full quality this long after the last move
_LIVE: weakref.WeakSet[ViewerWidget] = weakref.WeakSet()
VIEW_KEYS = {Qt.Key.Key_1: "front", Qt.Key.Key_2: "back", Qt.Key.Key_3: "left",
             Qt.Key.Key_4: "right", Qt.Key.Key_5: "top", Qt.Key.Key_6: "bottom"}


class ViewerWidget(QWidget):
    """The 3D viewer: frame view, compact toolbar, status line, progress while loading.

    Parameters
    ----------
    parent
        Parent widget.
    service
        Render thread to use (the process-wide one by default).
    lod_cache_dir
        Where lighter levels of detail are cached on disk (None: memory only).
    """

    loaded = Signal(object)  # viewer.Model
    loadFailed = Signal(str)  # noqa: N815 (Qt naming)
    frameRendered = Signal()  # noqa: N815
    measured = Signal(float, str)  # distance of the last segment, units
    picked = Signal(object)  # viewer.Pick
    upAxisChosen = Signal(str)  # noqa: N815 - the user said which axis of the file is up ("y"/"z")
    _frameDone = Signal(object)  # noqa: N815 (Future from the render thread)


    def __init__(self, parent: QWidget | None = None, *,
                 service: RenderService | None = None,
                 lod_cache_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.status_note = ""
        self.moving_note = ""  # while a lighter moving copy is drawn, it replaces status_note
        self.session = ViewerSession()
        self.service = service or default_service()
        self.lod_cache_dir = lod_cache_dir
        self.path: Path | None = None
        self.tool = "navigate"  # navigate | measure | landmark
        self.up_axis = "y"
        # Which open_file call is current: results and frames of an older one are dropped.
        self.generation = 0
        self._tasks: list[Any] = []
        self._inflight = False
        self._pending: bool | None = None
        self._press: QPoint | None = None
        self._last: QPoint | None = None
        self._dragged = False
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(lambda: self.request_frame(moving=False))
        self._frameDone.connect(self._on_frame)
        self.show_markers = True
        self.saved_views: list[tuple[str, dict[str, Any]]] = []
        self._frame_camera: Any = None
        self._markers: tuple[tuple[Any, ...], PreparedMarkers] | None = None
        self._flight: list[dict[str, Any]] = []
        self._fly_timer = QTimer(self, interval=16)
        self._fly_timer.timeout.connect(self._fly_step)
        self._stream: LevelStreamController | None = None
        self._units: str | None = None
        self.records: Any = None  # the shown item's records (records_viewer.RecordsInViewer) in the app
        self.overlay_records: list[MarkerRecord] = []  # drawn with the measurement (set_overlay_records)
        _LIVE.add(self)
        self._build_ui()

    # -- UI ------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.view = FrameView(self)
        self.view.installEventFilter(self)
        self.toolbar = ViewerToolbar(self)
        self.status = QLabel(self.tr("No model"), self)
        self.progress = QProgressBar(self, maximumWidth=160, visible=False)
        self.cancel_button = QPushButton(self.tr("Cancel"), self, visible=False)
        self.cancel_button.clicked.connect(self.cancel_loading)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar.view_row)
        middle = QHBoxLayout()
        middle.addWidget(self.view, 1)
        middle.addWidget(self.toolbar.panel)
        layout.addLayout(middle, 1)
        layout.addLayout(bottom)

    # -- model ---------------------------------------------------------------------------
    def open_file(self, path: str | Path, units: str | None = None, up_axis: str | None = None,
                  preview: QImage | None = None) -> None:
        """Load ``path`` (its up axis ``up_axis``) in the background; ``loaded`` or
        ``loadFailed`` follows. Until then the previous model is gone from the screen: the
        ``preview`` (the item's thumbnail) shows under a loading line."""
        self._begin_opening(Path(path), units, preview)
        message = self.tr("Loading {name}…").format(name=self.path.name)  # type: ignore[union-attr]
        task = LoadModelTask(path, units, up_axis)
        generation = self.generation
        task.signals.progressed.connect(lambda *a: self._current(generation) and self._on_progress(*a))
        task.signals.succeeded.connect(lambda m: self._on_loaded(task, m, generation))
        task.signals.failed.connect(lambda exc: self._on_failed(task, str(exc), generation))
        task.signals.cancelled.connect(lambda: self._finish(task))
        self._start(task, message)

    def _begin_opening(self, path: Path, units: str | None, preview: QImage | None) -> None:
        """Forget the shown model, its tasks and its stream; the loading state shows."""
        self.cancel_loading()
        self._stop_stream()
        self.status_note = ""  # what a helper says about the shown model (e.g. a lighter copy); kept in the line
        self.moving_note = ""
        self.generation += 1
        self.path, self._units = path, units
        self.session.clear_model()
        self.view.show_waiting(self.tr("Loading {name}…").format(name=path.name), preview)

    def open_levels(self, levels: LevelSet, units: str | None = None, up_axis: str | None = None,
                    preview: QImage | None = None) -> None:
        """Show a big scan from its kept levels (:class:`viewer.streaming.LevelSet`): the
        coarsest first, finer ones when the camera rests (within :meth:`memory_budget`),
        picking on the master through its index. ``loaded`` follows the first picture."""
        self._begin_opening(levels.master or (levels.files[0].path if levels.files else Path("scan")), units, preview)
        self.up_axis = up_axis or "y"
        if not levels.files:  # a big master whose levels are being made: never opened whole
            noun = self.tr("triangles") if levels.kind == "mesh" else self.tr("points")
            waiting = self.tr("{name} is big ({n} {noun}): it opens here as soon as its lighter copies are "
                              "ready (being made now)…").format(name=self.path.name if self.path else "",
                                                              n=f"{levels.master_primitives:,}", noun=noun)
            self.view.show_waiting(waiting, preview)
            self.status.setText(waiting)
            return
        self._stream = LevelStreamController(self, levels, up_axis, self.memory_budget())
        self._stream.start()

    def _stop_stream(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.deleteLater()
            self._stream = None

    def track_task(self, task: Any) -> None:
        """Keep a helper's task referenced (and cancelled with the rest) until it finishes."""
        self._tasks.append(task)
        task.signals.finished.connect(lambda: self._tasks.remove(task) if task in self._tasks else None)

    def show_first_level(self, model: Any, picker: Any) -> None:
        """The first level of a streamed scan arrived: frame it, pick through ``picker``."""
        model.units = self._units
        self.up_axis = model.up_axis
        self.toolbar.show_up_axis(model.up_axis)
        self.session.set_model(model, picker=picker)
        self.session.apply(self.session.settings)
        self.loaded.emit(model)

    def use_pick_index(self, manifest: Path) -> None:
        """Pick through this index (``<sha>.pick.json``) from now on, when a streamed scan is shown."""
        if self._stream is not None:
            self._stream.use_index(manifest)

    def level_failed(self, message: str) -> None:
        self._on_failed(None, message)

    def memory_in_use(self) -> int:
        """Bytes the shown scan costs on screen (the estimate the budget is checked against)."""
        if self._stream is not None:
            return self._stream.used()
        m = self.session.model
        if m is None:
            return 0
        lighter = sum(level_bytes(m.kind, lv.primitives) for lv in self.session.levels)
        texels = 0  # a textured scan opened without levels: its images are most of what it costs
        if m.textured:
            texels = sum(int(np.prod(np.asarray(t).shape[:2])) for t in m.geometry.textures)
        return level_bytes(m.kind, m.n_primitives, texels) + lighter

    @staticmethod
    def memory_budget() -> int:
        """Bytes a big scan's levels may take on screen: the Settings value, else automatic."""
        return viewer_budget()

    @classmethod
    def apply_memory_budget(cls) -> None:
        """The budget changed in Settings: every open viewer keeps to it now."""
        for viewer in list(_LIVE):
            if isValid(viewer) and viewer._stream is not None:  # a closed viewer may linger in Python
                viewer._stream.set_budget(cls.memory_budget())

    def _current(self, generation: int) -> bool:
        return generation == self.generation

    def cancel_loading(self) -> None:
        for t in self._tasks:
            t.cancel.cancel()

    def _start(self, task: Any, message: str) -> None:
        self._tasks.append(task)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.cancel_button.setVisible(True)
        self.status.setText(message)
        QThreadPool.globalInstance().start(task)

    def _finish(self, task: Any) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        busy = bool(self._tasks)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(message)

    def _on_loaded(self, task: LoadModelTask, model: Any, generation: int) -> None:
        self._finish(task)
        if self._current(generation):  # else another item was chosen meanwhile: not this one's model
            self.show_model(model)

    def show_model(self, model: Any) -> None:
        """Show an already loaded :class:`viewer.Model`; builds its LOD in the background."""
        self._stop_stream()
        self.status_note = "" if model.path != self.path else self.status_note
        self.path = model.path
        self.up_axis = model.up_axis
        self.toolbar.show_up_axis(model.up_axis)
        self.session.set_model(model)
        self.session.apply(self.session.settings)
        self._show_model_status()
        self.request_frame(moving=False)
        self.loaded.emit(model)
        lod = BuildLodTask(self.session, self.lod_cache_dir)
        lod.signals.succeeded.connect(lambda n: (self._finish(lod), self._show_model_status()))
        lod.signals.failed.connect(lambda exc: (self._finish(lod), self.status.setText(str(exc))))
        lod.signals.cancelled.connect(lambda: self._finish(lod))
        lod.signals.progressed.connect(self._on_progress)
        self._start(lod, self.tr("Preparing a lighter copy for smooth turning…"))

    def _on_failed(self, task: Any, message: str, generation: int | None = None) -> None:
        if task is not None:
            self._finish(task)
        if generation is not None and not self._current(generation):
            return
        self.view.show_waiting(message)
        self.status.setText(message.strip().splitlines()[0] if message.strip() else message)  # the view has it all
        self.loadFailed.emit(message)

    def _show_model_status(self) -> None:
        m = self.session.model
        if m is None:
            return
        units = self.display_units()
        dims = bbox_dimensions(*m.bbox, m.units, units)
        size = " × ".join(format_length(float(d), units) for d in dims)
        what = (self.tr("{n} triangles") if m.kind == "mesh" else self.tr("{n} points")).format(n=f"{m.n_primitives:,}")
        name = self.path.name if self._stream is not None and self.path else (m.path.name if m.path else "")
        line = f"{name} — {what} — {size}"
        note = self.moving_note or self.status_note
        self.status.setText(f"{line} — {note}" if note else line)

    def set_status_note(self, note: str) -> None:
        """A note about the shown model that stays in the status line (e.g. a lighter copy)."""
        self.status_note = note
        self._show_model_status()

    def display_units(self) -> str | None:
        m = self.session.model
        return self.session.settings.display_units or (m.units if m else None)

    # -- settings (one path) -------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        """Every control ends here: store, apply, redraw."""
        self.session.apply(settings)
        self.request_frame(moving=False)

    def update_settings(self, **changes: Any) -> None:
        self.apply_settings(replace(self.session.settings, **changes))

    # -- frames --------------------------------------------------------------------------
    def request_frame(self, moving: bool = False) -> None:
        """Ask for a new frame; requests made while one renders collapse into one."""
        if self.session.model is None:
            return  # the loading state stays on screen
        if self._inflight:
            self._pending = moving if self._pending is None else (self._pending and moving)
            return
        w, h = max(self.view.width(), 16), max(self.view.height(), 16)
        cam = self.session.camera.copy()
        settings, model = self.session.settings, self.session.model
        self._inflight = True
        self._frame_camera = cam
        fut = self.service.submit(lambda: (model, None if model is not self.session.model else self.session.render(
            w, h, moving, cam, settings, renderer=self.service.renderer, shrink=moving)))
        fut.add_done_callback(self._deliver)

    def _deliver(self, fut: Future[tuple[Any, np.ndarray]]) -> None:
        """Render thread -> GUI thread (queued signal); the widget may be gone already."""
        try:
            self._frameDone.emit(fut)
        except RuntimeError:
            pass

    def _on_frame(self, fut: Future[tuple[Any, np.ndarray]]) -> None:
        self._inflight = False
        try:
            model, frame = fut.result()
            if frame is not None and model is self.session.model:  # never a frame of the model before
                self.view.show_frame(frame)
                self._paint_markers()
                self._say_what_is_drawn()
        except Exception as exc:  # noqa: BLE001 (a failed frame must not take the app down)
            if self.session.model is not None:
                self.status.setText(self.tr("Rendering failed: {error}").format(error=exc))
        self.frameRendered.emit()
        if self._pending is not None:
            moving, self._pending = self._pending, None
            self.request_frame(moving)

    def _say_what_is_drawn(self) -> None:
        """While moving, the status line names the lighter copy on screen, not the rest level
        (frames are rendered one at a time, so ``last_frame`` is this frame's)."""
        info, m = self.session.last_frame, self.session.model
        note = ""
        if info.get("level") == "lod" and m is not None:
            noun = self.tr("triangles") if m.kind == "mesh" else self.tr("points")
            note = self.tr("moving: a lighter copy of {p} {noun} is drawn").format(
                p=f"{int(info.get('primitives') or 0):,}", noun=noun)  # type: ignore[call-overload]
        if note != self.moving_note:
            self.moving_note = note
            self._show_model_status()

    def moved(self) -> None:
        """Camera changed by interaction: quick frame now, full quality when it settles."""
        self.request_frame(moving=True)
        self._settle.start()
        if self._stream is not None:
            self._stream.moved()

    # -- input ---------------------------------------------------------------------------
    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
        if obj is self.view:
            et = event.type()
            handlers = {event.Type.MouseButtonPress: self._press_event,
                        event.Type.MouseMove: self._move_event,
                        event.Type.MouseButtonRelease: self._release_event,
                        event.Type.MouseButtonDblClick: self._double_click_event,
                        event.Type.Wheel: self._wheel_event,
                        event.Type.KeyPress: self._key_event,
                        event.Type.Resize: lambda e: self.request_frame(False)}
            if et in handlers:
                handlers[et](event)
                return et != event.Type.Resize
        return super().eventFilter(obj, event)

    def _press_event(self, e: QMouseEvent) -> None:
        self._press = self._last = e.position().toPoint()
        self._dragged = False

    def _move_event(self, e: QMouseEvent) -> None:
        if self._last is None:
            return
        pos = e.position().toPoint()
        d = pos - self._last
        self._last = pos
        if self._press is not None and (pos - self._press).manhattanLength() > 3:
            self._dragged = True
        buttons = e.buttons()
        cam = self.session.camera
        if buttons & Qt.MouseButton.LeftButton:
            cam.orbit(d.x() * ORBIT_DEG_PER_PX, d.y() * ORBIT_DEG_PER_PX)
        elif buttons & (Qt.MouseButton.RightButton | Qt.MouseButton.MiddleButton):
            cam.pan(d.x(), d.y(), self.view.height())
        else:
            return
        self.moved()

    def _release_event(self, e: QMouseEvent) -> None:
        if (not self._dragged and e.button() == Qt.MouseButton.LeftButton
                and self.tool != "navigate"):
            self.click_pick(e.position().x(), e.position().y())
        self._press = self._last = None

    def _double_click_event(self, e: QMouseEvent) -> None:
        p = self.session.pick(e.position().x(), e.position().y(), self.view.width(), self.view.height())
        if p is not None:
            self.session.camera.recentre(p.point)
            self.request_frame(moving=False)

    def _wheel_event(self, e: QWheelEvent) -> None:
        self.session.camera.dolly(0.9 ** (e.angleDelta().y() / 120.0))
        self.moved()

    def _key_event(self, e: QKeyEvent) -> None:
        k, cam = e.key(), self.session.camera
        shift = bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        steps = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
                 Qt.Key.Key_Down: (0, 1)}
        if k in steps:
            dx, dy = steps[k]
            if shift:
                cam.pan(dx * 20, dy * 20, self.view.height())
            else:
                cam.orbit(dx * 5.0, dy * 5.0)
        elif k in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            cam.dolly(0.9)
        elif k == Qt.Key.Key_Minus:
            cam.dolly(1 / 0.9)
        elif k == Qt.Key.Key_R:
            self.reset_view()
            return
        elif k in VIEW_KEYS:
            self.set_view(VIEW_KEYS[k])
            return
        elif k == Qt.Key.Key_O:
            proj = "orthographic" if self.session.settings.projection == "perspective" else "perspective"
            self.update_settings(projection=proj)
            return
        else:
            return
        self.moved()

    # -- tools ---------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """``"navigate"``, ``"measure"`` or ``"landmark"``."""
        self.tool = tool
        if tool == "measure" and self.records is None:  # the records keep theirs until saved or cleared
            self.session.measurement.clear()

    def click_pick(self, x: float, y: float) -> None:
        """Pick at widget pixel (x, y) and feed the active tool."""
        if self.session.picker is None:
            self.status.setText(self.tr("Picking is not ready yet: {why}").format(
                why=self._stream.picking_note if self._stream is not None else self.tr("no model")))
            return
        pick = self.session.pick(x, y, self.view.width(), self.view.height())
        if pick is None:
            self.status.setText(self.tr("No surface under the cursor."))
            return
        self.picked.emit(pick)
        if self.records is not None and self.records.take_pick(pick):  # measured or marked as a record
            self.request_frame(moving=False)
            return
        units = self.display_units()
        if self.tool == "measure":
            self.session.measurement.add(pick.point)
            seg = self.session.measurement.last_segment(units)
            total = self.session.measurement.total(units)
            self.status.setText(self.tr("Distance {d} — path {p}").format(
                d=format_length(seg, units), p=format_length(total, units)))
            if len(self.session.measurement.points) > 1:
                self.measured.emit(seg, units or "")
        elif self.tool == "landmark":
            lm = self.session.landmarks.add("", self.session.file_coordinates(pick.point))
            self.status.setText(self.tr("Landmark {name} at {xyz}").format(
                name=lm.name, xyz=", ".join(f"{c:.3f}" for c in lm.point)))
        self.request_frame(moving=False)

    def choose_up_axis(self, axis: str) -> None:
        """"This way up": show the model with the file's ``axis`` pointing up, then announce it
        (``upAxisChosen``) for the app to save. The file itself is never changed."""
        if self.set_up_axis(axis):
            self.upAxisChosen.emit(axis)

    def set_up_axis(self, axis: str) -> bool:
        """Show the model with ``axis`` up; False when there is no model or nothing to turn."""
        model = self.session.model
        if model is None or axis == model.up_axis:
            return False
        if self._stream is not None:  # levels are read again, turned: the first picture comes back quickly
            self.open_levels(self._stream.levels, self._units, axis)
            return True
        self.cancel_loading()  # a lighter copy of the old orientation is of no use now
        self.show_model(reoriented(model, axis))
        return True

    def reset_view(self) -> None:
        self.session.reset_view()
        self.request_frame(moving=False)

    def set_view(self, name: str) -> None:
        self.session.camera.set_view(name)
        self.request_frame(moving=False)

    def export_landmarks(self, path: str | None = None) -> None:
        if not self.session.landmarks.items:  # never a file of column names only
            self.status.setText(self.tr("No landmarks to export: place some first."))
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export landmarks"), "landmarks.csv",
                                                  "CSV (*.csv);;JSON (*.json)")
        if path:
            self.session.landmarks.export(path)

    def save_snapshot(self, path: str | None = None, width: int = 1920, height: int = 1440) -> None:
        """Render the current view at (width, height) and save a PNG (asks where if needed)."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save snapshot"), "snapshot.png", "PNG (*.png)")
        if not path:
            return
        cam, s = self.session.camera.copy(), self.session.settings
        img = self.service.call(lambda: self.session.render(width, height, False, cam, s,
                                                            renderer=self.service.renderer))
        picture = QImage(img.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888)
        if self.show_markers and self.session.model is not None:  # markers and labels as on screen
            picture = paint_overlay(picture, self.marker_overlay(cam, width, height))
        picture.save(path, "PNG")
        self.status.setText(self.tr("Snapshot saved: {path}").format(path=path))

    def open_in_open3d(self) -> bool:
        """Open the current file in Open3D's own window, in a separate process."""
        if self.path is None:
            return False
        return bool(QProcess.startDetached(sys.executable, ["-m", "viewer.open3d_window", str(self.path),
                                                            "--up", self.up_axis])[0])

    # -- markers, labels and saved views ------------------------------------------------------
    def marker_records(self) -> PreparedMarkers:
        """The measurement and landmarks as overlay records (display coordinates), rebuilt only
        when they change."""
        m = self.session.model
        pts = [tuple(p) for p in self.session.measurement.points]
        lms = [(lm.name, tuple(lm.point)) for lm in self.session.landmarks.items]
        key = (id(m), tuple(pts), tuple(lms), self.display_units())
        if self._markers is not None and self._markers[0] == key:
            return self._markers[1]
        records = []
        if len(pts) > 1:
            total = (self.records.live_label() if self.records is not None
                     else format_length(self.session.measurement.total(self.display_units()), self.display_units()))
            records.append(MarkerRecord("measurement", total, np.array(pts)))
        elif pts:
            records.append(MarkerRecord("measurement", "", np.array(pts)))
        if m is not None:
            records += [MarkerRecord("landmark", lm.name, m.from_file(lm.point)[None, :])
                        for lm in self.session.landmarks.items]
        prepared = prepare_markers(records + self.overlay_records)
        self._markers = (key, prepared)
        return prepared

    def set_overlay_records(self, records: list[MarkerRecord]) -> None:
        """Draw these (display coordinates) with the measurement: the item's records."""
        self.overlay_records = list(records)
        self._markers = None
        self.request_frame(moving=False)

    def marker_overlay(self, camera: Any = None, width: int | None = None, height: int | None = None) -> Overlay:
        """What the overlay draws on the frame now on screen, or on a ``width`` x ``height``
        picture taken with ``camera`` (markers hidden by the surface left out)."""
        cam = camera or self._frame_camera or self.session.camera
        picker = self.session.picker
        hidden = (lambda p: picker.hidden(cam.eye, p)) if picker is not None else None
        w = width or (self.view.image.width() if self.view.image is not None else self.view.width())
        h = height or (self.view.image.height() if self.view.image is not None else self.view.height())
        return marker_layout(self.marker_records(), cam, w, h, hidden)

    def _paint_markers(self) -> None:
        """Draw markers and labels over the frame on screen (see :func:`paint_overlay`)."""
        image = self.view.image
        if not self.show_markers or image is None or self.session.model is None:
            return
        ov = self.marker_overlay()
        if len(ov.dots):
            self.view.image = paint_overlay(image, ov)
            self.view.update()

    def set_markers_visible(self, on: bool) -> None:
        self.show_markers = on
        self.request_frame(moving=False)

    def save_view(self, name: str = "") -> dict[str, Any]:
        """Keep the current camera as a named view (eye, target, up, fov) and return it."""
        view = camera_to_view(self.session.camera)
        self.saved_views.append((name or self.tr("View {n}").format(n=len(self.saved_views) + 1), view))
        return view

    def fly_to(self, view: dict[str, Any], frames: int = 18) -> None:
        """Move the camera smoothly to a saved view (about 0.3 s); ``frames=0`` jumps."""
        if self.session.model is None:
            return
        start = camera_to_view(self.session.camera)
        self._flight = [interpolate_views(start, view, (i + 1) / frames) for i in range(frames)] if frames else [view]
        self._fly_timer.start()

    def _fly_step(self) -> None:
        if not self._flight:
            self._fly_timer.stop()
            self.request_frame(moving=False)
            return
        apply_view(self.session.camera, self._flight.pop(0))
        self.request_frame(moving=bool(self._flight))

    # -- section profile and comparison -------------------------------------------------------
    def export_section_profile(self, path: str | None = None) -> str | None:
        """Save the current section's outline as SVG or DXF in millimetres (asks where if needed)."""
        from viewer import ViewerError
        from viewer.profile_export import export_profile
        from viewer.section import section_profile

        m, plane = self.session.model, self.session.section_keep()
        if m is None or plane is None or m.kind != "mesh":
            self.status.setText(self.tr("Turn on the section of a mesh first."))
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export section profile"), "profile.svg",
                                                  "SVG (*.svg);;DXF (*.dxf)")
        if not path:
            return None
        try:
            export_profile(section_profile(m.vertices, m.triangles, *plane), m.units, path)
        except (ViewerError, ValueError, OSError) as exc:
            self.status.setText(str(exc))
            return None
        self.status.setText(self.tr("Section profile saved: {path}").format(path=path))
        return path

    def open_compare(self) -> Any:
        """Open the "Compare…" dialog for the model on screen."""
        if self.session.model is None:
            self.status.setText(self.tr("Open a scan first, then compare another with it."))
            return None
        from .compare_dialog import CompareDialog

        panel = self.records.panel if self.records is not None else None  # in the app: the shown item's
        dialog = CompareDialog(self.session.model, self, show_heat_map=self.show_model,
                               archive_getter=panel.archive_getter if panel else None,
                               item=panel.item if panel else None)
        dialog.show()
        return dialog
