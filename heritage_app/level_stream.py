"""A big scan in the viewer: its kept levels of detail streamed in, picking on the master
through its spatial index. The rules (which level, when) are :class:`viewer.streaming.LevelStream`;
this controller gives them a clock (the camera still for :data:`STILL_MS`), worker threads
and the viewer widget's status line.

Nothing here ever loads the master: the coarsest level is the first picture and what is drawn
while moving; the finest level that fits the user's memory budget (Settings) comes in when
the camera rests; picks and measurements go through the master's memory-mapped index.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer

from viewer import ViewerError
from viewer.pickindex import PickIndex
from viewer.picking import IndexPicker
from viewer.streaming import LevelSet, LevelStream

from .viewer_tasks import LoadLevelTask, MovingCopyTask

log = logging.getLogger(__name__)

# How long the camera must rest before a finer level is loaded.
STILL_MS = 300


class LevelStreamController(QObject):
    """Streams one :class:`LevelSet` into ``viewer`` (a ``ViewerWidget``) for one opening
    (``generation``); :meth:`stop` ends it (another item, another axis)."""

    def __init__(self, viewer: Any, levels: LevelSet, up_axis: str | None, budget: int) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.levels = levels
        self.up_axis = up_axis
        self.stream = LevelStream(list(levels.files), budget)
        self.task: LoadLevelTask | None = None
        self.frame: Any = None  # the first level shown: every later one is put in its frame
        self.picking_note = ""
        self.lighter: list[Any] = []  # copies lighter than the coarsest level, for moving frames
        self.stopped = False
        self.started = time.perf_counter()
        self.still = QTimer(self, singleShot=True, interval=STILL_MS)
        self.still.timeout.connect(self._settled)

    # -- driven by the widget -------------------------------------------------------------
    def start(self) -> None:
        self.started = time.perf_counter()
        self._load(self.stream.begin())

    def moved(self) -> None:
        """The camera moved: a finer level on its way is cancelled; wait for rest again."""
        if self.stopped:
            return
        if self.stream.moved() is not None and self.task is not None:
            self.task.cancel.cancel()
            self.task = None
        self.still.start()

    def set_budget(self, budget: int) -> None:
        if self.stopped:
            return
        if self.stream.set_budget(budget):
            self._show()
        self.still.start()

    def stop(self) -> None:
        self.stopped = True
        self.still.stop()
        if self.task is not None:
            self.task.cancel.cancel()
            self.task = None

    def use_index(self, manifest: Any) -> None:
        """The master's pick index is there now (built after the levels were kept)."""
        from dataclasses import replace

        self.levels = replace(self.levels, index=manifest)
        if self.frame is not None and not self.stopped:
            self.viewer.session.picker = self._picker(self.frame)
            self.viewer.set_status_note(self.describe())

    def used(self) -> int:
        """Bytes the loaded levels cost (the estimate the budget is checked against)."""
        return self.stream.used()

    # -- loading --------------------------------------------------------------------------
    def _settled(self) -> None:
        if not self.stopped and self.frame is not None:
            wanted = self.stream.settled()
            if wanted is not None:
                self._load(wanted)

    def _load(self, level: Any) -> None:
        task = LoadLevelTask(level.number, level.path, self.up_axis, self.frame)
        self.task = task
        task.signals.succeeded.connect(lambda model: self._arrived(task, model))
        task.signals.failed.connect(lambda exc: self._failed(task, exc))
        self.viewer.track_task(task)
        QThreadPool.globalInstance().start(task)

    def _arrived(self, task: LoadLevelTask, model: Any) -> None:
        if self.stopped or task is not self.task:
            return
        self.task = None
        if not self.stream.arrived(task.number, model):
            return
        log.info("level %d (%d primitives) shown %.2f s after opening", task.number,
                 model.n_primitives, time.perf_counter() - self.started)
        if self.frame is None:  # the first picture: nothing else runs until it is drawn
            self.frame = model
            self.viewer.frameRendered.connect(self._first_drawn)
            self.viewer.show_first_level(model, self._picker(model))
            self._show()
            return
        self._show()
        self.still.start()  # the camera may not have moved: go on to the finest level that fits

    def _first_drawn(self) -> None:
        """The first picture is on screen: now the lighter copy for moving and, once the
        camera rests, the finest level that fits."""
        self.viewer.frameRendered.disconnect(self._first_drawn)
        log.info("first picture drawn %.2f s after opening", time.perf_counter() - self.started)
        if not self.stopped and self.frame is not None:
            self._make_lighter(self.frame)
            self.still.start()

    def _make_lighter(self, coarsest: Any) -> None:
        """In the background: copies lighter than the coarsest level, so moving frames fit."""
        task = MovingCopyTask(coarsest)
        task.signals.succeeded.connect(lambda levels: self._lighter_made(levels))
        self.viewer.track_task(task)
        QThreadPool.globalInstance().start(task)

    def _lighter_made(self, levels: list[Any]) -> None:
        if levels and not self.stopped:
            self.lighter = levels
            self._show(redraw=False)

    def _failed(self, task: LoadLevelTask, exc: Any) -> None:
        if self.stopped or task is not self.task:
            return
        self.task = None
        self.stream.failed(task.number)
        if self.frame is None:  # not even the first picture: say so as a failed load
            self.viewer.level_failed(str(exc))
        else:
            self.still.start()

    def _picker(self, frame: Any) -> IndexPicker | None:
        if self.levels.index is None:
            self.picking_note = self.tr("picking and measuring wait for the full-detail index (being built)")
            return None
        try:
            index = PickIndex(self.levels.index)
        except ViewerError as exc:
            self.picking_note = self.tr("picking and measuring are off: {error}").format(error=str(exc))
            return None
        self.picking_note = self.tr("picking and measuring use the full detail")
        return IndexPicker(index, frame.rotation, frame.origin, frame.extent)

    def _show(self, redraw: bool = True) -> None:
        """Put the stream's rest and moving levels on screen in one swap, and say so."""
        rest = self.stream.rest()
        if rest is None:
            return
        self.viewer.session.show_level(rest, self.stream.moving(), self.lighter)
        self.viewer.set_status_note(self.describe())
        if redraw:
            self.viewer.request_frame(moving=False)

    def describe(self) -> str:
        rest = self.stream.rest()
        shown = next((f for f in self.stream.files if self.stream.loaded.get(f.number) is rest), None)
        if shown is None:
            return ""
        noun = self.tr("triangles") if shown.kind == "mesh" else self.tr("points")
        return self.tr("Showing level {k} of {n} ({p} of {m} {noun}); {picking}").format(
            k=shown.number, n=len(self.stream.files), p=f"{shown.primitives:,}",
            m=f"{self.levels.master_primitives:,}", noun=noun, picking=self.picking_note)
