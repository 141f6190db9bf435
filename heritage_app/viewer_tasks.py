"""Qt workers for the viewer: loading and LOD building off the GUI thread.

Pattern: a ``QRunnable`` with a separate ``QObject`` carrying its signals; results come
back by signal, no widget is touched from a worker.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Signal

from viewer import CancelToken, ViewerError, ViewerSession, load_model_isolated


class TaskSignals(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)


class LoadModelTask(QRunnable):
    """Read a file into a :class:`viewer.Model` on a worker thread.

    The file is parsed in the viewer's isolated reader process (memory and time limits), so
    a damaged or hostile file that crashes a native parser costs one error message, never
    the app."""

    def __init__(self, path: str | Path, units: str | None = None) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the widget keeps it referenced until it finishes
        self.path = Path(path)
        self.units = units
        self.cancel = CancelToken()
        self.signals = TaskSignals()

    def run(self) -> None:
        try:
            model = load_model_isolated(self.path, units=self.units,
                                        progress=self.signals.progressed.emit, cancel=self.cancel)
        except ViewerError as exc:
            self.signals.failed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 (a worker must never take the app down)
            self.signals.failed.emit(f"{self.path.name} could not be shown ({type(exc).__name__}: {exc}).")
            return
        self.signals.finished.emit(model)


class BuildLodTask(QRunnable):
    """Build the session's lighter levels of detail on a worker thread."""

    def __init__(self, session: ViewerSession, cache_dir: Path | None = None) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.session = session
        self.cache_dir = cache_dir
        self.cancel = CancelToken()
        self.signals = TaskSignals()

    def run(self) -> None:
        try:
            n = self.session.build_lod(self.signals.progressed.emit, self.cancel, self.cache_dir)
        except ViewerError as exc:
            self.signals.failed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 (the full model still shows)
            self.signals.failed.emit(f"Lighter copy failed ({type(exc).__name__}: {exc}).")
            return
        self.signals.finished.emit(n)
