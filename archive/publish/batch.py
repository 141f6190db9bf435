"""Exporting several items: each one that can be exported is, and each failure is reported.

A failure of one item (no model, an unreadable master, a budget not met) never stops the
others, and leaves nothing of its own in the output folder: :func:`.export.export_item`
writes into a folder of its run and removes it. Only cancelling stops the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import ArchiveError, Cancelled
from archive.store import CancelToken

from .export import ExportResult, export_item
from .profiles import Profile, Progress, RenderImage

if TYPE_CHECKING:
    from archive.service import Archive


@dataclass
class ItemFailure:
    item_id: int
    reason: str

    def line(self) -> str:
        return f"item {self.item_id} was not exported: {self.reason}"


@dataclass
class BatchReport:
    """What a batch export achieved: one result per exported item, one failure per other."""

    results: list[ExportResult] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def failure_reason(exc: BaseException) -> str:
    """The archive's own message for its typed errors; other errors keep their type's name."""
    return str(exc) if isinstance(exc, ArchiveError) else f"{type(exc).__name__}: {exc}"


def export_items(archive: Archive, item_ids: list[int], out_dir: Path, fmt: str = "glb",
                 profile: str | Profile = "web", render_image: RenderImage | None = None, up_axis: str = "auto",
                 progress: Progress | None = None, cancel: CancelToken | None = None) -> BatchReport:
    """Export each of ``item_ids`` into ``out_dir``; progress runs over all of them (100 steps
    an item). Raises :class:`Cancelled` when ``cancel`` is set; every other error of an item is
    recorded in the report and the next item is exported."""
    report = BatchReport()
    total = len(item_ids)
    created = _new_folders(out_dir)
    try:
        _export_each(archive, item_ids, out_dir, fmt, profile, render_image, up_axis, progress, cancel, report)
    finally:
        _remove_if_empty(created)  # a batch that wrote nothing leaves no empty folder behind
    if progress is not None:
        progress(total * 100, total * 100, "Done")
    return report


def _export_each(archive: Archive, item_ids: list[int], out_dir: Path, fmt: str, profile: str | Profile,
                 render_image: RenderImage | None, up_axis: str, progress: Progress | None,
                 cancel: CancelToken | None, report: BatchReport) -> None:
    total = len(item_ids)
    for n, item_id in enumerate(item_ids):
        if cancel is not None:
            cancel.check()
        step = _item_progress(progress, n, total)
        try:
            report.results.append(export_item(archive, item_id, out_dir, fmt, profile, render_image=render_image,
                                              up_axis=up_axis, progress=step, cancel=cancel))
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - one item's failure is reported; the batch goes on
            report.failures.append(ItemFailure(item_id, failure_reason(exc)))


def _new_folders(out_dir: Path) -> list[Path]:
    """``out_dir`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders this batch created, deepest first, as long as they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (something was exported there) or already gone: keep it
            return


def _item_progress(progress: Progress | None, n: int, total: int) -> Progress | None:
    if progress is None:
        return None

    def step(done: int, of: int, message: str) -> None:
        progress(n * 100 + int(100 * done / max(of, 1)), total * 100, message)

    return step
