"""Thumbnails that arrive later: the model asks for an item's picture, gets a placeholder at
once, and a background job loads the stored PNG (or renders a missing one with the viewer)
and reports it; the model then repaints that one cell."""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from archive import Archive, ArchiveError, CancelToken, StorageError

from .tasks import TaskSignals, worker_archive
from .up_axis import master_asset, recorded_up_axis

log = logging.getLogger(__name__)
RENDER_SIZE = 256
CACHE_SIZE = 1500
BATCH = 24
RETRY_MS = 30_000  # thumbnails of a shared folder that went away are asked for again this often


Render = Callable[[Path, str], bytes]  # (master path, its up axis) -> PNG


def _renderer() -> Render | None:
    """The viewer's thumbnail renderer, imported late (Open3D takes seconds to import)."""
    if os.environ.get("HERITAGE_NO_RENDER"):
        return None
    from viewer import render_thumbnail

    return lambda path, up_axis: render_thumbnail(path, RENDER_SIZE, up_axis=up_axis)


#: a thumbnail is drawn from the finest kept level of at most this many triangles (or points)
THUMBNAIL_PRIMITIVES = 250_000


def item_renderer(archive: Archive, item_id: int, render: Render) -> Callable[[Path], bytes]:
    """``render`` bound to the up axis recorded for the item's master: the one-argument
    callable ``Archive.ensure_thumbnails`` takes. When the master has kept levels of detail
    the picture is drawn from one (same frame and units) instead of the full master."""
    up_axis = recorded_up_axis(master_asset(archive.assets(item_id)))
    level = archive.level_path(item_id, THUMBNAIL_PRIMITIVES)
    return lambda path: render(level or path, up_axis)


class ThumbnailSignals(TaskSignals):
    """The task vocabulary plus one signal per item: its picture, or that it has none."""

    loaded = Signal(int, QImage)
    missing = Signal(int)
    unreachable = Signal(int)  # the archive folder cannot be reached: ask again later


class ThumbnailJob(QRunnable):
    def __init__(self, archive_dir: Path, item_ids: list[int], size: int, render: bool):
        super().__init__()
        self.setAutoDelete(False)
        self.archive_dir = archive_dir
        self.item_ids = item_ids
        self.size = size
        self.render = render
        self.token = CancelToken()
        self.signals = ThumbnailSignals()

    def run(self) -> None:
        try:
            archive = worker_archive(self.archive_dir)
        except (ArchiveError, OSError) as exc:  # the archive was closed, moved or unplugged meanwhile
            log.info("no thumbnails from %s: %s", self.archive_dir, exc)
            for item_id in self.item_ids:
                self.signals.unreachable.emit(item_id)
            self.signals.failed.emit(exc)
            self.signals.finished.emit()
            return
        render = _renderer() if self.render else None
        try:
            for item_id in self.item_ids:
                if self.token.cancelled:
                    self.signals.cancelled.emit()
                    return
                self._one(archive, item_id, render)
            self.signals.succeeded.emit(None)
        finally:
            archive.close()
            self.signals.finished.emit()

    def _one(self, archive: Archive, item_id: int, render: Render | None) -> None:
        try:
            path = archive.thumbnail_path(item_id)
            if path is None and render is not None:
                archive.ensure_thumbnails(item_renderer(archive, item_id, render), [item_id], self.token)
                path = archive.thumbnail_path(item_id)
        except Exception as exc:  # noqa: BLE001 - a model the renderer cannot draw keeps its placeholder
            log.warning("no thumbnail for item %s: %s", item_id, exc)
            path = None
        if path is None and _folder_away(archive, item_id):
            self.signals.unreachable.emit(item_id)
            return
        image = QImage(str(path)) if path is not None else QImage()
        if image.isNull():
            self.signals.missing.emit(item_id)
            return
        self.signals.loaded.emit(item_id, image.scaled(self.size, self.size, aspectMode=_keep_aspect(), mode=_smooth()))


def _folder_away(archive: Archive, item_id: int) -> bool:
    """Whether the item's scan cannot be read because the archive folder (a shared drive) is away."""
    try:
        archive.master_path(item_id)
    except StorageError:
        return True
    except ArchiveError:
        pass
    return False


def _keep_aspect():
    from PySide6.QtCore import Qt

    return Qt.AspectRatioMode.KeepAspectRatio


def _smooth():
    from PySide6.QtCore import Qt

    return Qt.TransformationMode.SmoothTransformation


class ThumbnailProvider(QObject):
    """A bounded cache of thumbnails; ``request`` queues loading, ``loaded`` says which
    item's picture arrived."""

    loaded = Signal(int)

    def __init__(self, size: int = 160, parent: QObject | None = None):
        super().__init__(parent)
        self.size = size
        self.archive_dir: Path | None = None
        self.render = True
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._missing: set[int] = set()
        self._queued: list[int] = []
        self._pending: set[int] = set()
        self._jobs: set[ThumbnailJob] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one renderer: Open3D offscreen rendering is not shared across threads
        self._timer = QTimer(self, singleShot=True, interval=30)
        self._timer.timeout.connect(self._start_batch)
        self._away: set[int] = set()  # no picture because the archive folder could not be reached
        self._retry = QTimer(self, singleShot=True, interval=RETRY_MS)
        self._retry.timeout.connect(self.retry_unreachable)

    def set_archive(self, archive_dir: Path | None) -> None:
        self.cancel()
        self._cache.clear()
        self._missing.clear()
        self._away.clear()
        self.archive_dir = archive_dir

    def get(self, item_id: int) -> QPixmap | None:
        """The cached thumbnail, or None (then a load is queued unless it is known missing)."""
        pixmap = self._cache.get(item_id)
        if pixmap is not None:
            self._cache.move_to_end(item_id)
            return pixmap
        if item_id not in self._missing and item_id not in self._pending and self.archive_dir is not None:
            self._pending.add(item_id)
            self._queued.append(item_id)
            self._timer.start()
        return None

    def forget(self, item_id: int) -> None:
        """Drop a thumbnail (the item got a new master)."""
        self._cache.pop(item_id, None)
        self._missing.discard(item_id)

    def _start_batch(self) -> None:
        if not self._queued or self.archive_dir is None:
            return
        # Newest requests first: they are the rows on screen now.
        batch, self._queued = self._queued[-BATCH:][::-1], self._queued[:-BATCH]
        job = ThumbnailJob(self.archive_dir, batch, self.size, self.render)
        job.signals.loaded.connect(self._on_loaded)
        job.signals.missing.connect(self._on_missing)
        job.signals.unreachable.connect(self._on_unreachable)
        job.signals.finished.connect(lambda: self._job_done(job))
        self._jobs.add(job)
        self.pool.start(job)
        if self._queued:
            self._timer.start()

    def _job_done(self, job: ThumbnailJob) -> None:
        self._jobs.discard(job)
        for item_id in job.item_ids:
            self._pending.discard(item_id)

    def _on_loaded(self, item_id: int, image: QImage) -> None:
        self._cache[item_id] = QPixmap.fromImage(image)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        self.loaded.emit(item_id)

    def _on_missing(self, item_id: int) -> None:
        self._missing.add(item_id)

    def _on_unreachable(self, item_id: int) -> None:
        self._missing.add(item_id)  # not asked again on every repaint while the folder is away…
        self._away.add(item_id)
        self._retry.start()

    def retry_unreachable(self) -> None:
        """…but again now: the cells repaint and ask for their pictures (the folder may be back)."""
        away, self._away = self._away, set()
        for item_id in away:
            self._missing.discard(item_id)
            self.loaded.emit(item_id)  # the model repaints the cell, which asks for it again

    def cancel(self) -> None:
        """Forget queued requests and stop running jobs at their next item."""
        self._timer.stop()
        for item_id in self._queued:
            self._pending.discard(item_id)
        self._queued.clear()
        for job in self._jobs:
            job.token.cancel()

    def wait(self, msecs: int = 10_000) -> bool:
        return self.pool.waitForDone(msecs)
