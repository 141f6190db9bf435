"""Levels of detail in the app: built in the background after an import, shown first in the
viewer, with picking and measuring kept on the full-detail master.

A level is a derived file (``derived/levels/``), never a catalogue write, so building runs
on the reader lane of the window's ``TaskManager`` and never waits behind imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThreadPool

from archive import Archive

from .tasks import Task

#: The level the viewer opens first: the finest with at most this many triangles (points)
VIEW_LEVEL_PRIMITIVES = 1_000_000


@dataclass(frozen=True)
class ViewLevel:
    """A kept level the viewer shows instead of the master, and what the master holds."""

    path: Path
    primitives: int
    master_primitives: int
    kind: str  # "mesh" or "points"


def view_level(archive: Archive, item_id: int, assets: list[dict[str, Any]]) -> ViewLevel | None:
    """The level to open first for ``item_id`` (None when it has none: open the master)."""
    path = archive.level_path(item_id, VIEW_LEVEL_PRIMITIVES)
    if path is None:
        return None
    level = next(lv for lv in archive.levels(item_id) if lv.path == path)
    from .up_axis import master_asset

    asset = master_asset(assets) or {}
    master = int(asset.get("faces") or asset.get("points") or 0)
    return ViewLevel(path, level.primitives, master, "mesh" if level.triangles else "points")


def _build(archive: Archive, progress: Any, cancel: Any, item_ids: list[int]) -> Any:
    return archive.build_levels(progress, cancel, item_ids)


def levels_task(archive_dir: Path, item_ids: list[int], title: str = "Levels of detail") -> Task:
    """A cancellable task building the missing levels of ``item_ids`` (an ``archive.levels.LevelsReport``)."""
    return Task(_build, list(item_ids), archive_dir=archive_dir, title=title)


def start_levels_after_import(window: Any, item_ids: list[int]) -> Task | None:
    """Build the levels of freshly imported items on the window's reader lane, with progress."""
    if not item_ids or window.archive_dir is None:
        return None
    title = QCoreApplication.translate("LevelPicking", "Preparing lighter copies")
    task = levels_task(window.archive_dir, sorted(set(item_ids)), title)
    window.progress.track(task)
    window.tasks.run_read(task)
    return task


class LevelPicking(QObject):
    """While a viewer shows a level, picks and measurements go to the master: it is loaded in
    the background (the isolated reader) and its picker replaces the level's. Until then, or
    if it cannot be loaded, nothing is picked on the level and the status says why."""

    def __init__(self, viewer: Any) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.level: ViewLevel | None = None
        self.master: Path | None = None
        self.units: str | None = None
        self._master_model: Any = None
        self._task: Any = None
        self._error: str | None = None
        viewer.loaded.connect(self._on_loaded)

    def show(self, level: ViewLevel | None, master: Path | None, units: str | None) -> None:
        """Say what the next model opened in the viewer is (a level of ``master``, or the master)."""
        if self._task is not None:
            self._task.cancel.cancel()
        self.level, self.master, self.units = level, master, units
        self._master_model, self._task, self._error = None, None, None

    def _on_loaded(self, model: Any) -> None:
        level = self.level
        if level is None or model.path != level.path or self.master is None:
            return
        self.viewer.session.picker = None  # never measure on the lighter copy
        if self._master_model is not None:
            self._use_master(model)
        elif self._error is not None:
            self._say(self._error)
        else:
            if self._task is None:
                self._load_master(model.up_axis)
            self._say(self.tr("full detail for picking and measuring is loading…"))

    def _load_master(self, up_axis: str) -> None:
        from .viewer_tasks import LoadModelTask

        assert self.master is not None
        task = LoadModelTask(self.master, self.units, up_axis)
        self._task = task
        task.signals.succeeded.connect(lambda m: self._master_loaded(task, m))
        task.signals.failed.connect(lambda exc: self._master_failed(task, exc))
        QThreadPool.globalInstance().start(task)

    def _master_loaded(self, task: Any, master: Any) -> None:
        if task is not self._task:
            return
        self._master_model = master
        shown = self.viewer.session.model
        if shown is not None and self.level is not None and shown.path == self.level.path:
            self._use_master(shown)

    def _master_failed(self, task: Any, exc: Any) -> None:
        if task is not self._task:
            return
        self._error = self.tr("picking and measuring are off: the full-detail model could not be loaded "
                                     "({error})").format(error=str(exc).strip().splitlines()[0] if str(exc) else exc)
        self._say(self._error)

    def _use_master(self, shown: Any) -> None:
        """Pick on the master, moved into the shown level's frame (their load offsets may differ)."""
        from viewer.orientation import reoriented
        from viewer.picking import Picker

        master = self._master_model
        if master.up_axis != shown.up_axis:
            master = self._master_model = reoriented(master, shown.up_axis)
        shift = shown.rotation @ (np.asarray(master.origin) - np.asarray(shown.origin))
        if np.any(shift):
            master.geometry.translate(shift)
            master.origin = np.asarray(shown.origin).copy()
            master.geometry_changed()
        self.viewer.session.picker = Picker(master)
        self._say(self.tr("picking and measuring use the full detail"))

    def _say(self, tail: str) -> None:
        level = self.level
        if level is None:
            return
        noun = self.tr("triangles") if level.kind == "mesh" else self.tr("points")
        # Kept as the status line's note, so the viewer's own later updates keep saying it.
        self.viewer.set_status_note(self.tr("Showing a lighter copy ({n} {noun} of {m}); {tail}").format(
            n=f"{level.primitives:,}", noun=noun, m=f"{level.master_primitives:,}", tail=tail))
