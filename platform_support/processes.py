"""Worker processes: the start method, and the memory limit a worker keeps.

``forkserver`` exists only on POSIX and copies nothing of a threaded parent (Qt), so the
pool uses it on Linux; macOS and Windows use ``spawn`` (macOS's default; Windows' only
method). ``HERITAGE_START_METHOD`` forces one (the portable test pass sets ``spawn``).

The memory limit is the address-space limit ``RLIMIT_AS`` on Linux, enforced by the kernel
(an allocation over it raises ``MemoryError``). macOS ignores ``RLIMIT_AS`` and Windows has
no ``resource`` module; there two watchdogs keep it, both reading :func:`process_memory`
(resident memory; private committed bytes on Windows, which the system cannot trim away):

- a thread in the worker (:class:`MemoryGuard`) raises ``MemoryError`` in the worker's main
  thread above the limit, so a Python-level job fails cleanly and the worker lives on;
- the parent (``workers.WorkerPool.wait``) samples the worker too and kills it when it stays
  over the limit (:data:`PARENT_GRACE_S`) or goes far over it (:data:`PARENT_HARD_SHARE`): a
  native parser holding the interpreter lock stops the first watchdog, never this one.

A Windows job object (a kernel limit like ``RLIMIT_AS``) is not used: the worker is reused for
jobs with different limits and the pool's processes are created by ``multiprocessing``, so it
would mean a ctypes layer that this Linux CI cannot run; the parent's watchdog bounds memory
within one sampling period instead.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import sys
import threading
from types import TracebackType
from typing import Any

import psutil

START_METHOD_ENV = "HERITAGE_START_METHOD"
WATCH_S = 0.02  # how often the watchdog samples memory
GRACE_S = 2.0  # how long native code may keep the interpreter before the worker is ended
MEMORY_EXIT = 3  # exit status of a worker ended by its watchdog
PARENT_GRACE_S = 0.5  # how long the parent lets a worker stay over its limit (its own guard acts first)
PARENT_HARD_SHARE = 1.25  # ...unless it is this far over: then at once


def start_method() -> str:
    """The start method for worker processes: ``HERITAGE_START_METHOD`` if set (one of this
    system's methods), else ``forkserver`` on Linux and ``spawn`` elsewhere."""
    available = multiprocessing.get_all_start_methods()
    forced = os.environ.get(START_METHOD_ENV, "").strip()
    if forced:
        if forced not in available:
            raise ValueError(f"{START_METHOD_ENV}={forced!r} is not a start method here ({', '.join(available)})")
        return forced
    return "forkserver" if sys.platform.startswith("linux") and "forkserver" in available else "spawn"


def process_memory(process: psutil.Process) -> int:
    """The memory a worker holds against its limit: private committed bytes on Windows (the
    working set can be trimmed by the system), resident memory elsewhere."""
    info = process.memory_info()
    return int(getattr(info, "private", 0) or info.rss)


def _resource() -> Any:
    """The ``resource`` module where ``RLIMIT_AS`` is kept (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import resource  # the project's only import of ``resource`` (tests/test_platform.py)
    except ImportError:
        return None
    return resource


def kernel_limits_memory() -> bool:
    """Whether :func:`memory_guard` gets the kernel's ``RLIMIT_AS`` here (Linux with
    ``resource``); where not, the pool's parent watches its workers' memory too."""
    return _resource() is not None


def _address_space_limit(memory: int) -> bool:
    """Set ``RLIMIT_AS`` (Linux only; True when set)."""
    resource = _resource()
    if resource is None:
        return False
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    return True


class MemoryGuard:
    """A watchdog thread that keeps this process's resident memory under ``limit`` bytes
    while it runs (see the module's docstring). Use as a context manager around one job."""

    def __init__(self, limit: int, thread_id: int | None = None) -> None:
        self.limit = limit
        self.tripped = False
        self._target: int = thread_id if thread_id is not None else (threading.main_thread().ident or 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="memory-watchdog", daemon=True)

    def __enter__(self) -> MemoryGuard:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        if self.tripped and exc_type is None:  # the job ended just before the exception landed
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._target), None)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(WATCH_S):
            if process_memory(me) > self.limit:
                self.tripped = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._target), ctypes.py_object(MemoryError))
                if self._stop.wait(GRACE_S):
                    return  # the job ended with the MemoryError
                os._exit(MEMORY_EXIT)  # stuck in native code: the parent sees a dead worker


class _NoGuard:
    def __enter__(self) -> _NoGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def memory_guard(memory: int | None) -> MemoryGuard | _NoGuard:
    """What keeps a worker job under ``memory`` bytes: the kernel's ``RLIMIT_AS`` where it
    works (nothing more to do), else a :class:`MemoryGuard` around the job."""
    if memory is None or _address_space_limit(memory):
        return _NoGuard()
    return MemoryGuard(memory)


def limit_memory(memory: int) -> None:
    """Cap this process at ``memory`` bytes for the rest of its life: ``RLIMIT_AS`` on
    Linux, else a watchdog that is never stopped (prefer :func:`memory_guard` per job)."""
    if not _address_space_limit(memory):
        MemoryGuard(memory).__enter__()
