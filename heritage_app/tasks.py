"""Long work off the GUI thread (superqt's ``_qthreading`` pattern): a ``QRunnable`` with a
separate ``QObject`` for its signals; results come back by queued signals, a worker never
touches a widget. Writes go through ONE single-thread pool (Anki's ``taskman``), so there is
one writer at a time. Each worker opens its own ``Archive`` (its own SQLite connection) and
closes it in the same thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from archive import Archive, Cancelled, CancelToken

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 0.05  # at most 20 progress signals a second: the GUI stays fluid


def worker_archive(root: Path) -> Archive:
    """An ``Archive`` for a worker thread: its own connection, opened and closed in that thread,
    without repeating the integrity check and crash recovery the window ran when it opened the archive."""
    return Archive.open(root, recover=False)


class TaskSignals(QObject):
    """The one vocabulary of every background task in the app (archive work, exports, viewer
    loading, thumbnails): a task emits any number of ``progressed``, then exactly one of
    ``succeeded``, ``failed`` or ``cancelled``, then ``finished``. Tasks with more to say
    (thumbnails arriving one by one) subclass this and add their own past-tense signals."""

    progressed = Signal(int, int, str)  # done, total, message
    succeeded = Signal(object)  # the result
    failed = Signal(object)  # the exception; str(exc) is the message for the user
    cancelled = Signal()
    finished = Signal()  # always, last


class Task(QRunnable):
    """Runs ``fn(archive, progress, cancel, *args)`` (``archive`` is None without
    ``archive_dir``). ``title`` is what the status bar shows."""

    def __init__(self, fn: Callable[..., Any], *args: Any, archive_dir: Path | None = None, title: str = ""):
        super().__init__()
        self.setAutoDelete(False)  # the manager keeps it until ``finished``
        self.fn = fn
        self.args = args
        self.archive_dir = archive_dir
        self.title = title
        self.token = CancelToken()
        self.signals = TaskSignals()
        self._last_progress = 0.0

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def is_cancelled(self) -> bool:
        return self.token.cancelled

    def progress(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if done >= total or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.signals.progressed.emit(done, total, message)

    def open_archive(self, root: Path) -> Archive:
        """The worker's own ``Archive``, opened (and later closed) in the worker thread."""
        return worker_archive(root)

    def run(self) -> None:
        archive = None
        try:
            if self.archive_dir is not None:
                archive = self.open_archive(self.archive_dir)
            result = self.fn(archive, self.progress, self.token, *self.args)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the user, none crashes the app
            if not isinstance(exc, (OSError,)) and type(exc).__module__.split(".")[0] != "archive":
                log.exception("task %s failed", self.title)
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)
        finally:
            if archive is not None:
                archive.close()
            self.signals.finished.emit()


class TaskManager(QObject):
    """Starts tasks and keeps them referenced until they finish."""

    writesChanged = Signal(int)  # number of queued or running writes

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.writer = QThreadPool(self)
        self.writer.setMaxThreadCount(1)
        self.reader = QThreadPool(self)
        self.reader.setMaxThreadCount(2)
        self._running: set[Task] = set()
        self._writes: list[Task] = []

    def run_write(self, task: Task) -> Task:
        """Queue a task that changes the archive; writes run one after another."""
        self._writes.append(task)
        task.signals.finished.connect(lambda: self._write_done(task))
        self._start(task, self.writer)
        self.writesChanged.emit(len(self._writes))
        return task

    def run_read(self, task: Task) -> Task:
        return self._start(task, self.reader)

    def _start(self, task: Task, pool: QThreadPool) -> Task:
        self._running.add(task)
        task.signals.finished.connect(lambda: self._running.discard(task))
        pool.start(task)
        return task

    def _write_done(self, task: Task) -> None:
        if task in self._writes:
            self._writes.remove(task)
        self.writesChanged.emit(len(self._writes))

    @property
    def writes(self) -> list[Task]:
        """Queued and running writes, oldest (the running one) first."""
        return list(self._writes)

    def is_running(self, task: Task) -> bool:
        """Whether ``task`` has not finished yet (its ``finished`` signal not yet handled)."""
        return task in self._running

    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for task in list(self._running):
            task.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every task is done (shutdown, tests)."""
        return self.writer.waitForDone(msecs) and self.reader.waitForDone(msecs)
