"""Qt workers for the viewer: loading and LOD building off the GUI thread.

Pattern: a ``QRunnable`` with a separate ``QObject`` carrying its signals; results come
back by signal, no widget is touched from a worker. The signals are the app's one task
vocabulary (:class:`heritage_app.tasks.TaskSignals`): ``progressed``, then ``succeeded``
(the result), ``failed`` (a :class:`viewer.ViewerError` whose text is for the user) or
``cancelled``, then ``finished``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRunnable

from viewer import Cancelled, CancelToken, ViewerError, ViewerSession, load_model_isolated

from .tasks import TaskSignals

log = logging.getLogger(__name__)


class ViewerTask(QRunnable):
    """One piece of viewer work; subclasses say what in ``work`` and how an unexpected error reads."""

    def __init__(self) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the widget keeps it referenced until it finishes
        self.cancel = CancelToken()
        self.signals = TaskSignals()

    def work(self) -> Any:
        raise NotImplementedError

    def unexpected(self, exc: Exception) -> str:
        raise NotImplementedError

    def run(self) -> None:
        try:
            result = self.work()
        except Cancelled:
            self.signals.cancelled.emit()
        except ViewerError as exc:
            self.signals.failed.emit(exc)
        except Exception as exc:  # noqa: BLE001 - a worker must never take the app down; logged as the bug it is
            log.exception("viewer task failed")
            self.signals.failed.emit(ViewerError(self.unexpected(exc)))
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


class LoadModelTask(ViewerTask):
    """Read a file into a :class:`viewer.Model` on a worker thread.

    The file is parsed in the viewer's isolated reader process (memory and time limits), so
    a damaged or hostile file that crashes a native parser costs one error message, never
    the app."""

    def __init__(self, path: str | Path, units: str | None = None, up_axis: str | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.units = units
        self.up_axis = up_axis

    def work(self) -> Any:
        return load_model_isolated(self.path, units=self.units, up_axis=self.up_axis,
                                   progress=self.signals.progressed.emit, cancel=self.cancel)

    def unexpected(self, exc: Exception) -> str:
        return f"{self.path.name} could not be shown ({type(exc).__name__}: {exc})."


class BuildLodTask(ViewerTask):
    """Build the session's lighter levels of detail on a worker thread (the full model still shows
    if it fails)."""

    def __init__(self, session: ViewerSession, cache_dir: Path | None = None) -> None:
        super().__init__()
        self.session = session
        self.cache_dir = cache_dir

    def work(self) -> Any:
        return self.session.build_lod(self.signals.progressed.emit, self.cancel, self.cache_dir)

    def unexpected(self, exc: Exception) -> str:
        return f"Lighter copy failed ({type(exc).__name__}: {exc})."


class LoadLevelTask(ViewerTask):
    """Read one kept level of detail into a :class:`viewer.Model` in ``frame``'s display frame
    (the first level shown), or in its own turned for ``up_axis`` when there is none yet.

    A level is the archive's own file in one fixed layout, read straight through a memory
    map; a file in any other layout goes through the isolated reader like a master."""

    def __init__(self, number: int, path: Path, up_axis: str | None, frame: Any = None) -> None:
        super().__init__()
        self.number, self.path, self.up_axis, self.frame = number, Path(path), up_axis, frame

    def work(self) -> Any:
        from viewer.errors import CorruptFile
        from viewer.level_files import in_frame, load_level

        self.cancel.raise_if_cancelled()
        try:
            model = load_level(self.path, self.up_axis, self.frame)
        except CorruptFile:
            model = load_model_isolated(self.path, up_axis=self.up_axis, cancel=self.cancel)
            if self.frame is not None:
                model = in_frame(model, self.frame)
        self.cancel.raise_if_cancelled()
        return model

    def unexpected(self, exc: Exception) -> str:
        return f"{self.path.name} could not be shown ({type(exc).__name__}: {exc})."


class MovingCopyTask(ViewerTask):
    """Make lighter copies of a model for moving frames (``viewer.lod.moving_copies``)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def work(self) -> Any:
        from viewer.lod import moving_copies

        return moving_copies(self.model)

    def unexpected(self, exc: Exception) -> str:
        return f"Lighter copy failed ({type(exc).__name__}: {exc})."
