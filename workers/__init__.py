"""One worker-process pool for untrusted readers, shared by ``archive`` and ``viewer``.

A hostile or damaged file can crash a native parser, exhaust memory or hang; in a worker
that costs one failed job, never the app. :class:`WorkerPool` keeps one reusable worker
(from a ``forkserver`` on Linux, safe with threads in the parent such as Qt's; ``spawn`` on
Windows and macOS, or wherever ``HERITAGE_START_METHOD=spawn`` says: see
:mod:`platform_support.processes`), runs one job at a time with a memory limit (``RLIMIT_AS``
on Linux; elsewhere a watchdog in the worker and one here in :meth:`WorkerPool.wait`, which also
stops a native parser holding the interpreter lock), a time-out and a cancel check (both kept
here, in the parent, on every system), and kills the worker on any failure so the next job gets
a fresh one.

Workers never outlive the app. On every platform a watchdog thread in each worker exits
when the app is gone (the forkserver then exits too: it lives while a worker holds its
pipe). On Linux the kernel also breaks the chain for a worker stuck in native code: the
app's death kills the forkserver (:mod:`workers.forkserver_guard`) and the forkserver's
death kills each worker (``PR_SET_PDEATHSIG``).

This package imports neither Qt, nor SQL, nor ``archive``/``viewer``: both import it.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

import psutil

from platform_support import kernel_limits_memory, limit_memory, memory_guard, process_memory, start_method
from platform_support.processes import PARENT_GRACE_S, PARENT_HARD_SHARE

T = TypeVar("T")

POLL_S = 0.05  # how often a waiting job looks at its cancel check
WATCHDOG_S = 0.5  # how often a worker looks for its parent


class WorkerFailed(Exception):
    """Base of the pool's own failures; callers turn them into their typed errors."""


class WorkerCrashed(WorkerFailed):
    """The worker died during the job (segfault, abort, killed by the system)."""


class WorkerTimedOut(WorkerFailed):
    """The job ran longer than its time-out; the worker was killed."""


class WorkerCancelled(WorkerFailed):
    """The cancel check said stop; the worker was killed."""


class WorkerOutOfMemory(WorkerFailed, MemoryError):
    """The worker held more memory than its job's limit and the parent killed it (where the
    kernel keeps no limit: Windows, macOS). A ``MemoryError``, as the worker's own is."""


# --- worker side: never outlive the parent ---------------------------------------------

def _set_parent_death_signal() -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent dies (works even while
    a native parser holds the GIL, where the watchdog thread cannot run)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the watchdog still covers it


def _parent_gone(ppid: int) -> bool:
    if os.getppid() != ppid:  # POSIX: an orphan is adopted by init or a subreaper
        return True
    parent = multiprocessing.parent_process()  # its sentinel closes when the parent dies (Windows too)
    return parent is not None and not parent.is_alive()


def _watch_parent(ppid: int) -> None:
    while not _parent_gone(ppid):
        time.sleep(WATCHDOG_S)
    os._exit(1)  # nobody is waiting for our result any more


def _worker_started() -> None:
    """Initializer of every worker process."""
    ppid = os.getppid()
    _set_parent_death_signal()
    if _parent_gone(ppid):  # died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(ppid,), name="parent-watchdog", daemon=True).start()


def _run_limited(fn: Callable[..., T], memory: int | None, args: tuple[Any, ...]) -> T:
    with memory_guard(memory):
        return fn(*args)


# --- limits that follow the machine and the file ---------------------------------------

MACHINE_SHARE = 0.8  # a worker may use at most this share of the machine's memory
BASE_TIMEOUT_S = 300.0
SECONDS_PER_100MB = 10.0


@dataclass(frozen=True)
class JobLimits:
    """Memory (bytes of address space) and time (seconds) for one worker job.

    ``needed`` is the least the job needs (the floor plus the expected in-memory size);
    ``fits`` is False when that is more than the machine allows (``cap``): callers refuse the
    job with their own typed error instead of starting it.
    """

    memory: int
    timeout: float
    needed: int
    cap: int

    @property
    def fits(self) -> bool:
        return self.needed <= self.cap


def machine_memory() -> int:
    """Total physical memory of this machine in bytes."""
    return int(psutil.virtual_memory().total)


def job_limits(expected: int, size: int, *, floor: int, per_byte: float = 2.0,
               total: int | None = None) -> JobLimits:
    """Limits for a job expected to hold ``expected`` bytes in memory while reading a
    ``size``-byte input: memory = ``floor`` + ``per_byte`` x ``expected`` (copies and
    allocator slack), capped at :data:`MACHINE_SHARE` of ``total`` (this machine's memory by
    default); time = 300 s + 10 s per 100 MB of the larger of ``size`` and ``expected``."""
    cap = int(MACHINE_SHARE * (total if total is not None else machine_memory()))
    needed = floor + int(expected)
    memory = min(floor + int(per_byte * expected), cap)
    timeout = BASE_TIMEOUT_S + SECONDS_PER_100MB * max(size, expected) / 100e6
    return JobLimits(max(memory, min(needed, cap)), timeout, needed, cap)


# --- parent side -----------------------------------------------------------------------

def _context() -> Any:
    return multiprocessing.get_context(start_method())  # platform_support decides (and HERITAGE_START_METHOD)


class WorkerPool:
    """One reusable worker process; one job at a time (killing the worker on a failure
    must never hit another caller's job).

    ``preload`` names modules the forkserver imports once (only effective if this process
    has no forkserver yet; otherwise the worker imports them on its first job).
    """

    def __init__(self, preload: Sequence[str] = ()) -> None:
        self._preload = list(preload)
        self._lock = threading.Lock()  # guards _executor
        self._busy = threading.Lock()  # held while a job occupies the worker
        self._executor: ProcessPoolExecutor | None = None
        self._memory: weakref.WeakKeyDictionary[Future[Any], int] = weakref.WeakKeyDictionary()  # job limits
        atexit.register(self.discard)

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = _context()
                if context.get_start_method() == "forkserver":
                    context.set_forkserver_preload(["workers.forkserver_guard", *self._preload])
                self._executor = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                                     initializer=_worker_started)
            return self._executor

    def discard(self) -> None:
        """Kill the worker (if any) and forget it; the next job starts a fresh one."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.kill()
            executor.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for diagnostics and tests)."""
        with self._lock:
            processes = getattr(self._executor, "_processes", None) or {}
            return [p.pid for p in processes.values() if p.pid is not None]

    def start(self, fn: Callable[..., T], *args: Any, memory: int | None = None,
              cancelled: Callable[[], bool] | None = None) -> Future[T]:
        """Submit ``fn(*args)`` (a module-level function) once the worker is free; the job
        runs under an address-space limit of ``memory`` bytes. Wait with :meth:`wait`."""
        while not self._busy.acquire(timeout=POLL_S):
            if cancelled is not None and cancelled():
                raise WorkerCancelled("cancelled")
        try:
            future = self._submit(fn, memory, args)
        except BaseException:
            self._busy.release()
            raise
        # Released when the job ends however it ends, even if nobody waits for it.
        future.add_done_callback(lambda _f: self._busy.release())
        if memory is not None and not kernel_limits_memory():
            self._memory[future] = memory  # wait() watches the worker from here (see platform_support.processes)
        return future

    def _submit(self, fn: Callable[..., T], memory: int | None, args: tuple[Any, ...]) -> Future[T]:
        try:
            return self._get().submit(_run_limited, fn, memory, args)
        except BrokenProcessPool:  # the idle worker died (e.g. killed by the system): start anew
            self.discard()
            return self._get().submit(_run_limited, fn, memory, args)

    def wait(self, future: Future[T], timeout: float, cancelled: Callable[[], bool] | None = None) -> T:
        """The job's result, or its exception. Raises :class:`WorkerTimedOut`,
        :class:`WorkerCancelled` or :class:`WorkerCrashed` after killing the worker."""
        deadline = time.monotonic() + timeout
        limit = self._memory.get(future)
        watch = _MemoryWatch(limit) if limit is not None else None
        while True:
            if cancelled is not None and cancelled():
                self.discard()
                raise WorkerCancelled("cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.discard()
                raise WorkerTimedOut(f"longer than {timeout:.0f} s")
            if watch is not None and not future.done() and watch.over(self.worker_pids()):
                self.discard()
                raise WorkerOutOfMemory(f"the worker held {watch.seen / 1024**2:.0f} MiB, over its limit of "
                                        f"{watch.limit / 1024**2:.0f} MiB; it was stopped")
            try:
                return future.result(timeout=min(POLL_S, remaining))
            except FutureTimeout:
                continue
            except BrokenProcessPool:
                self.discard()
                raise WorkerCrashed("the worker process died") from None

    def run(self, fn: Callable[..., T], *args: Any, memory: int | None = None, timeout: float,
            cancelled: Callable[[], bool] | None = None) -> T:
        """:meth:`start` then :meth:`wait`."""
        return self.wait(self.start(fn, *args, memory=memory, cancelled=cancelled), timeout, cancelled)


class _MemoryWatch:
    """The parent's watchdog over one job's worker: over its limit for :data:`PARENT_GRACE_S`
    (the worker's own guard had its chance), or at once beyond :data:`PARENT_HARD_SHARE` of it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen = 0
        self._since: float | None = None

    def over(self, pids: list[int]) -> bool:
        used = 0
        for pid in pids:
            try:
                used += process_memory(psutil.Process(pid))
            except psutil.Error:  # ended meanwhile: wait() sees why
                continue
        self.seen = max(self.seen, used)
        if used <= self.limit:
            self._since = None
            return False
        now = time.monotonic()
        self._since = self._since if self._since is not None else now
        return used > PARENT_HARD_SHARE * self.limit or now - self._since >= PARENT_GRACE_S


__all__ = ["JobLimits", "WorkerCancelled", "WorkerCrashed", "WorkerFailed", "WorkerOutOfMemory", "WorkerPool",
           "WorkerTimedOut", "job_limits", "limit_memory", "machine_memory"]
