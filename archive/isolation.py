"""Run file parsers in a separate worker process with memory and time limits.

A malformed or hostile scan can crash a native parser or exhaust memory; in a worker that
costs one failed import (a typed error), never the app or the archive. The worker comes
from a ``forkserver`` (safe with threads in the parent, such as Qt's) and is reused, so
the per-file overhead is one round trip.
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .errors import CorruptFile, LimitExceeded
from .formats import DEFAULT_LIMITS, Limits, ScanInfo

MEMORY_FLOOR = 2 * 1024**3  # address space for the interpreter, numpy and the parser
TIMEOUT_S = 300.0

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["archive.formats"])
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        return _pool


def _discard_pool() -> None:
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


atexit.register(_discard_pool)


def limit_memory(memory: int) -> None:
    """Cap this (worker) process's address space at ``memory`` bytes."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (memory if hard == resource.RLIM_INFINITY else min(memory, hard), hard))


def _inspect_with_limits(path: Path, root: Path, limits: Limits, memory: int) -> ScanInfo:
    from .formats import inspect_scan

    limit_memory(memory)
    return inspect_scan(path, root, limits)


Reader = Callable[[Path, Path, Limits, int], ScanInfo]


def start_inspection(path: Path, root: Path, limits: Limits = DEFAULT_LIMITS,
                     timeout: float = TIMEOUT_S, reader: Reader | None = None) -> Callable[[], ScanInfo]:
    """Start ``formats.inspect_scan`` in the worker; the returned callable waits for it.
    A crash, an exhausted memory limit or a time-out become typed errors, and the worker
    is replaced for the next file."""
    # Memory-mapped files count against the address space: allow the file twice over.
    size = path.stat().st_size if path.exists() else 0
    future = _get_pool().submit(reader or _inspect_with_limits, path, root, limits, MEMORY_FLOOR + 2 * size)

    def result() -> ScanInfo:
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            _discard_pool()
            raise LimitExceeded(f"{path.name} took longer than {timeout:.0f} s to read; it was stopped") from None
        except BrokenProcessPool:
            _discard_pool()
            raise CorruptFile(f"{path.name} made the file reader crash; it is probably damaged or hostile") from None
        except MemoryError:
            raise LimitExceeded(f"{path.name} needs more memory than the reader may use") from None

    return result


def inspect_isolated(path: Path, root: Path, limits: Limits = DEFAULT_LIMITS,
                     timeout: float = TIMEOUT_S) -> ScanInfo:
    """``formats.inspect_scan`` in the worker process (see ``start_inspection``)."""
    return start_inspection(path, root, limits, timeout)()
