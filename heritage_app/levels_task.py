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

#: A master this big is never opened whole by the viewer (Open3D would hold gigabytes of
#: float64 and take a minute): until its levels exist the viewer says they are being made.
BIG_TRIANGLES = 5_000_000
BIG_POINTS = 20_000_000


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
    kind: str = "mesh"  # what the master holds: "mesh" or "points"

    @property
    def pending(self) -> bool:
        """A big master whose levels are still being made: nothing to show yet."""
        return not self.files

    def level_set(self) -> Any:
        """As a ``viewer.streaming.LevelSet`` (imports the viewer)."""
        from viewer.streaming import LevelFile, LevelSet

        return LevelSet(tuple(LevelFile(*f) for f in self.files), self.master_primitives, self.index, self.master,
                        self.kind)


def view_level(archive: Archive, item_id: int, assets: list[dict[str, Any]]) -> ViewLevels | None:
    """The kept levels the viewer streams for ``item_id``, with the master's pick index
    (None when the master has no levels: the viewer opens the master itself)."""
    from .up_axis import master_asset

    kept = archive.levels(item_id)
    asset = master_asset(assets) or {}
    big = int(asset.get("faces") or 0) > BIG_TRIANGLES or int(asset.get("points") or 0) > BIG_POINTS
    if not kept and not big:
        return None
    files = tuple((lv.level, lv.path, lv.primitives, "mesh" if lv.triangles else "points") for lv in kept)
    master = int(asset.get("faces") or asset.get("points") or 0)
    try:
        master_path: Path | None = archive.master_path(item_id)
    except ArchiveError:  # the name is only for messages
        master_path = None
    kind = "mesh" if asset.get("faces") or not asset.get("points") else "points"
    return ViewLevels(files, master, archive.pick_index(item_id), master_path, kind)


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
    """What a big item's view still lacks is made in the background (the levels task makes
    whatever is missing): its levels (the viewer waits, then streams them) or, for levels kept
    from before pick indexes existed, its index (the viewer then picks through it)."""
    if levels is None or levels.index is not None:
        return
    task = start_levels_after_import(window, [item_id])
    if task is None:
        return
    task.signals.succeeded.connect(lambda _report: _made(window, item_id, levels))


def _made(window: Any, item_id: int, before: ViewLevels) -> None:
    viewer = getattr(window.detail, "viewer", None)
    if window._shown_id != item_id or viewer is None or window.archive is None:
        return  # another item is shown now: this one gets its levels when it is chosen again
    item = window.archive.get(item_id)
    now = view_level(window.archive, item_id, item["assets"])
    if before.pending and now is not None and not now.pending:
        from .up_axis import master_asset, recorded_up_axis

        asset = master_asset(item["assets"])
        viewer.open_levels(now.level_set(), (asset or {}).get("units"), recorded_up_axis(asset))
    elif now is not None and now.index is not None:
        viewer.use_pick_index(now.index)
