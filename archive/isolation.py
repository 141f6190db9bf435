"""Run readers of masters (import inspection, export) in a worker process with limits.

A malformed or hostile scan can crash a native parser or exhaust memory; in a worker that
costs one failed import or export (a typed error), never the app or the archive. The pool
itself (start method, kill on failure, time-out, memory limit, parent-death handling)
lives in :mod:`workers`; this module turns its failures into the archive's typed errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from workers import (
    MACHINE_SHARE,
    JobLimits,
    WorkerCancelled,
    WorkerCrashed,
    WorkerPool,
    WorkerTimedOut,
    job_limits,
    limit_memory,
    machine_memory,
)

from .errors import Cancelled, CorruptFile, LimitExceeded
from .formats import DEFAULT_LIMITS, Limits, ScanInfo
from .memory_estimate import contents_expected  # a glTF's counts and images, an OBJ's textures
from .store import CancelToken

T = TypeVar("T")

MEMORY_FLOOR = 2 * 1024**3  # address space for the interpreter, numpy and the parser
TIMEOUT_S = 300.0

POOL = WorkerPool(preload=["archive.formats", "archive.publish.export"])


def _inspect_with_limits(path: Path, root: Path, limits: Limits, memory: int) -> ScanInfo:
    from .formats import inspect_scan

    return inspect_scan(path, root, limits)


Reader = Callable[[Path, Path, Limits, int], ScanInfo]


def _cancelled(cancel: CancelToken | None) -> Callable[[], bool] | None:
    return None if cancel is None else (lambda: cancel.cancelled)


def _result(future: Future[T], name: str, timeout: float, cancel: CancelToken | None, memory: int) -> T:
    """The job's result; pool failures as the archive's typed errors."""
    try:
        return POOL.wait(future, timeout, _cancelled(cancel))
    except WorkerTimedOut:
        raise LimitExceeded(f"{name} took longer than {timeout:.0f} s to read; it was stopped") from None
    except WorkerCrashed:
        raise CorruptFile(f"{name} made the file reader crash; it is probably damaged or hostile") from None
    except WorkerCancelled:
        raise Cancelled("cancelled by the user; nothing was changed") from None
    except MemoryError:
        raise LimitExceeded(f"{name} needs more memory than the reader may use "
                            f"({memory / 1024**3:.1f} GiB); it was stopped") from None


def _start(fn: Callable[..., T], args: tuple[Any, ...], memory: int, cancel: CancelToken | None) -> Future[T]:
    try:
        return POOL.start(fn, *args, memory=memory, cancelled=_cancelled(cancel))
    except WorkerCancelled:
        raise Cancelled("cancelled by the user; nothing was changed") from None


def start_inspection(path: Path, root: Path, limits: Limits = DEFAULT_LIMITS,
                     timeout: float = TIMEOUT_S, reader: Reader | None = None) -> Callable[[], ScanInfo]:
    """Start ``formats.inspect_scan`` in the worker; the returned callable waits for it.
    A crash, an exhausted memory limit or a time-out become typed errors, and the worker
    is replaced for the next file."""
    # Memory-mapped files count against the address space: allow the file twice over.
    size = path.stat().st_size if path.exists() else 0
    memory = MEMORY_FLOOR + 2 * size
    future = _start(reader or _inspect_with_limits, (path, root, limits, memory), memory, None)
    return lambda: _result(future, path.name, timeout, None, memory)


def inspect_isolated(path: Path, root: Path, limits: Limits = DEFAULT_LIMITS,
                     timeout: float = TIMEOUT_S) -> ScanInfo:
    """``formats.inspect_scan`` in the worker process (see ``start_inspection``)."""
    return start_inspection(path, root, limits, timeout)()


def limits_for(files: Iterable[Path], per_byte: int = 8, total: int | None = None) -> JobLimits:
    """Memory and time for reading a master made of ``files``: the floor plus ``per_byte``
    times their size (decoded textures and decimation need several copies), at most 80 % of
    this machine's memory (``total`` bytes when given); 300 s + 10 s per 100 MB. Raises
    ``LimitExceeded`` when even the floor plus the files' size is more than the machine has."""
    paths = [p for p in files if p.is_file()]
    size = sum(p.stat().st_size for p in paths)
    counted, textures = contents_expected(paths)  # what the files say they hold (memory_estimate)
    expected = max(per_byte * size // 2, sum(_ply_expected(p) for p in paths) + counted) + textures
    limits = job_limits(expected, size, floor=MEMORY_FLOOR, total=total)
    if MEMORY_FLOOR + size > limits.cap:
        name = paths[0].name if paths else "the master"
        raise LimitExceeded(f"{name} needs more than {(MEMORY_FLOOR + size) / 1024**3:.1f} GiB of memory to read; "
                            f"this computer lets the reader use {limits.cap / 1024**3:.1f} GiB")
    return limits


def limits_for_holding(name: str, held: int, timeout: float, total: int | None = None, task: str = "read") -> JobLimits:
    """Memory and time for a job whose peak follows what it holds, not its input's size (a
    cloud thinned while it is read a chunk at a time): the floor plus ``held`` bytes and half
    as much again for the allocator's slack, at most :data:`workers.MACHINE_SHARE` of this
    machine's memory (``total`` bytes when given), so a big machine never starves the job
    and a small one is asked for no more than it has. Raises ``LimitExceeded`` naming the
    figures when even the floor plus ``held`` is more than that share."""
    machine = total if total is not None else machine_memory()
    cap = int(MACHINE_SHARE * machine)
    needed = MEMORY_FLOOR + int(held)
    if needed > cap:
        raise LimitExceeded(f"{name}: to {task} it needs about {needed / 1024**3:.1f} GiB of memory, but this "
                            f"computer lets the reader use {cap / 1024**3:.1f} GiB ({MACHINE_SHARE:.0%} of its "
                            f"{machine / 1024**3:.1f} GiB); do it on a computer with at least "
                            f"{needed / MACHINE_SHARE / 1024**3:.0f} GiB of memory")
    return JobLimits(min(MEMORY_FLOOR + int(1.5 * held), cap), timeout, needed, cap)


#: Bytes per vertex and per triangle of a PLY master while exporting or building levels
#: (float64 copies, normals, decimation's quadrics): a compact binary PLY is far smaller.
PLY_BYTES_PER_VERTEX = 100
PLY_BYTES_PER_TRIANGLE = 300
_PLY_ELEMENT = re.compile(rb"^element\s+(vertex|face)\s+(\d+)\s*$", re.MULTILINE)


def _ply_expected(path: Path) -> int:
    """Memory a PLY master is expected to take, from its header's counts (0 for other files)."""
    if path.suffix.lower() != ".ply":
        return 0
    with open(path, "rb") as fh:
        head = fh.read(65536).split(b"end_header", 1)[0]
    counts = {m.group(1): int(m.group(2)) for m in _PLY_ELEMENT.finditer(head)}
    return counts.get(b"vertex", 0) * PLY_BYTES_PER_VERTEX + counts.get(b"face", 0) * PLY_BYTES_PER_TRIANGLE


def memory_for(files: Iterable[Path], per_byte: int = 8) -> int:
    """Address-space limit for reading a master made of ``files`` (see :func:`limits_for`)."""
    return limits_for(files, per_byte).memory


def run_isolated(fn: Callable[..., T], *args: Any, name: str, memory: int, timeout: float = TIMEOUT_S,
                 cancel: CancelToken | None = None) -> T:
    """``fn(*args)`` (a module-level function, picklable arguments and result) in the worker
    under ``memory`` bytes of address space and ``timeout`` seconds; ``cancel`` kills it.
    Errors name the file ``name``; the archive's own typed errors pass through."""
    return _result(_start(fn, args, memory, cancel), name, timeout, cancel, memory)


__all__ = ["MEMORY_FLOOR", "POOL", "TIMEOUT_S", "inspect_isolated", "limit_memory", "limits_for", "limits_for_holding",
           "memory_for", "run_isolated", "start_inspection"]
