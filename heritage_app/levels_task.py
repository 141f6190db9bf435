"""Levels of detail in the app: built in the background after an import (with the master's
pick index), streamed into the viewer (``heritage_app.level_stream``), picking and measuring
on the full-detail master through that index.

A level is a derived file (``derived/levels/``), never a catalogue write, so building runs
on the reader lane of the window's ``TaskManager`` and never waits behind imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from archive import Archive, ArchiveError

from .tasks import Task


@dataclass(frozen=True)
class ViewLevels:
    """The kept levels of an item's master for the viewer: ``files`` as (number, path,
    primitives, kind) finest first, what the master holds, its pick index manifest (None
    until built) and the master file (named in messages, never loaded). Plain values: the
    window has not imported the viewer (Open3D) when it asks."""

    files: tuple[tuple[int, Path, int, str], ...]
    master_primitives: int
    index: Path | None = None
    master: Path | None = None

    def level_set(self) -> Any:
        """As a ``viewer.streaming.LevelSet`` (imports the viewer)."""
        from viewer.streaming import LevelFile, LevelSet

        return LevelSet(tuple(LevelFile(*f) for f in self.files), self.master_primitives, self.index, self.master)


def view_level(archive: Archive, item_id: int, assets: list[dict[str, Any]]) -> ViewLevels | None:
    """The kept levels the viewer streams for ``item_id``, with the master's pick index
    (None when the master has no levels: the viewer opens the master itself)."""
    kept = archive.levels(item_id)
    if not kept:
        return None
    from .up_axis import master_asset

    asset = master_asset(assets) or {}
    files = tuple((lv.level, lv.path, lv.primitives, "mesh" if lv.triangles else "points") for lv in kept)
    master = int(asset.get("faces") or asset.get("points") or 0)
    try:
        master_path: Path | None = archive.master_path(item_id)
    except ArchiveError:  # the name is only for messages
        master_path = None
    return ViewLevels(files, master, archive.pick_index(item_id), master_path)


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


def index_when_ready(window: Any, item_id: int, levels: ViewLevels | None) -> None:
    """Levels kept from before the pick index existed: build it in the background (the levels
    task makes what is missing); the viewer picks through it once it is there."""
    if levels is None or levels.index is not None:
        return
    task = start_levels_after_import(window, [item_id])
    if task is None:
        return

    def built(_report: Any) -> None:
        viewer = getattr(window.detail, "viewer", None)
        if window._shown_id == item_id and viewer is not None and window.archive is not None:
            manifest = window.archive.pick_index(item_id)
            if manifest is not None:
                viewer.use_pick_index(manifest)

    task.signals.succeeded.connect(built)
