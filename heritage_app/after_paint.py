"""Work that waits until a window has painted for the first time.

Opening an archive starts work the first screen does not show (the collections filter's scan of
every item, the daily backup's copy of the catalogue, the item count in the status bar). Started
at once, it competes with building and painting the window; started from a zero timer it may
still run before the first paint (the window system's expose event can come later). Here it
runs once the window's first paint is done; at the next turn of the event loop for a window that
is not shown (nothing will paint it); and at the latest after ``LONGEST_WAIT_MS``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class AfterFirstPaint(QObject):
    """``call(fn)``: run ``fn`` after ``window``'s first paint (soon, if it has painted)."""

    LONGEST_WAIT_MS = 2000

    def __init__(self, window: QWidget):
        super().__init__(window)
        self._window = window
        self._painted = False
        self._waiting: list[Callable[[], object]] = []
        window.installEventFilter(self)

    def call(self, callback: Callable[[], object]) -> None:
        if self._painted:
            QTimer.singleShot(0, self, callback)
            return
        self._waiting.append(callback)
        if len(self._waiting) == 1:
            QTimer.singleShot(0, self, self._unless_it_will_paint)
            QTimer.singleShot(self.LONGEST_WAIT_MS, self, self._run)  # a window shown but never exposed

    def _unless_it_will_paint(self) -> None:
        if not self._window.isVisible():
            self._run()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._window and event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self, self._run)  # once this paint has finished
        return False

    def _run(self) -> None:
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback()
