"""Progress reporting and cancellation for long work (loading, LOD building).

Long functions take ``progress(done, total, message)`` and a :class:`CancelToken`; neither
knows about Qt, the app adapts them to signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .errors import Cancelled

ProgressFn = Callable[[int, int, str], None]


class CancelToken:
    """A thread-safe flag a worker checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`Cancelled` if :meth:`cancel` was called."""
        if self._event.is_set():
            raise Cancelled("Cancelled by the user.")


def report(progress: ProgressFn | None, done: int, total: int, message: str,
           cancel: CancelToken | None = None) -> None:
    """Report a step and check for cancellation (both optional)."""
    if cancel is not None:
        cancel.raise_if_cancelled()
    if progress is not None:
        progress(done, total, message)
