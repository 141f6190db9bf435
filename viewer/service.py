"""A single render thread that owns the GL backend.

OpenGL contexts belong to the thread that made them, so every call into a renderer goes
through one :class:`RenderService` thread. Callers on any thread submit work and get a
``concurrent.futures.Future`` back (the Qt widget turns its completion into a signal).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from .renderer import Renderer, create_renderer

T = TypeVar("T")


class RenderService:
    """One thread, one renderer, created lazily on that thread."""

    def __init__(self, prefer: str = "auto") -> None:
        self._prefer = prefer
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="viewer-render")
        self._renderer: Renderer | None = None

    @property
    def renderer(self) -> Renderer:
        """The backend; only valid inside a function running on the service thread."""
        if self._renderer is None:
            self._renderer = create_renderer(self._prefer)
        return self._renderer

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        """Run ``fn(*args)`` on the render thread."""
        return self._pool.submit(fn, *args)

    def call(self, fn: Callable[..., T], *args: object, timeout: float | None = None) -> T:
        """Run ``fn(*args)`` on the render thread and wait for its result."""
        return self.submit(fn, *args).result(timeout=timeout)

    def close(self) -> None:
        def _close() -> None:
            if self._renderer is not None:
                self._renderer.close()
                self._renderer = None

        self._pool.submit(_close).result()
        self._pool.shutdown(wait=True)


_default: RenderService | None = None
_lock = threading.Lock()


def default_service() -> RenderService:
    """Process-wide service used by thumbnails and snapshots."""
    global _default
    with _lock:
        if _default is None:
            _default = RenderService()
        return _default
