"""Points sorted into octree buckets on disk, so a tileset is built a bucket at a time.

The first pass of the 3D Tiles writer (:mod:`.tiles3d`): every chunk of the cloud is cut
by the octree cells of one depth and appended to one file per occupied cell (16 bytes a
point: float32 x y z relative to the cube's ``origin``, as the tiles will hold them, and
RGBA). A bucket that ends up holding more than the writer may load at once is cut again, a
level deeper, from its own file; none goes below ``log2(grid)``, where the cells of every
level's sampling grid still lie inside one bucket (:mod:`.tilelevels` relies on that).
Memory is two chunks (one read ahead) plus the write buffer.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from archive.store import CancelToken

from .cloudstream import Chunk

T = TypeVar("T")

RECORD = np.dtype([("p", "<f4", (3,)), ("c", "u1", (4,))])
#: records buffered in memory before they are appended to their files (~100 MB)
FLUSH = 6_000_000
#: records read back at once when a bucket is cut again
READ = 2_000_000


@dataclass(frozen=True)
class Cube:
    """The octree's root cell: edge ``size`` in metres, ``corner`` (3,) float64 relative to
    ``origin`` (3,) float64, the published point near its centre (rounded to the millimetre)
    that every record and tile is relative to, so float32 keeps georeferenced detail."""

    corner: np.ndarray
    size: float
    origin: np.ndarray

    @classmethod
    def around(cls, lo: np.ndarray, hi: np.ndarray) -> Cube:
        """The cube about the published box ``lo``..``hi``."""
        finite = bool(np.all(np.isfinite([lo, hi])))
        extent = float(np.max(hi - lo)) if finite else 0.0
        size = extent * (1 + 1e-6) if extent > 0 else 1.0
        centre = (np.asarray(lo, dtype=np.float64) + np.asarray(hi, dtype=np.float64)) / 2 if finite else np.zeros(3)
        origin = np.round(centre, 3)
        return cls(centre - origin - size / 2, size, origin)

    def cells(self, points: np.ndarray, depth: int) -> np.ndarray:
        """(n, 3) int64 cell coordinates of ``points`` at ``depth``, clamped into the cube
        (a point beyond a lying header's box counts as on its face)."""
        side = 1 << depth
        q = np.floor((points - self.corner) * (side / self.size)).astype(np.int64)
        return np.clip(q, 0, side - 1, out=q)

    def holds(self, lo: np.ndarray, hi: np.ndarray) -> bool:
        """Whether the box (relative to ``origin``) fits the cube snugly: inside it, and not
        lost in a cube too big."""
        slack = 1e-3 * self.size
        inside = bool(np.all(lo >= self.corner - slack) and np.all(hi <= self.corner + self.size + slack))
        return inside and float(np.max(hi - lo)) > self.size / 2


@dataclass(frozen=True)
class Bucket:
    """An octree cell at ``depth`` with integer coordinates ``xyz`` and its points' file."""

    depth: int
    xyz: tuple[int, int, int]
    count: int
    path: Path

    def read(self, start: int = 0, count: int = -1) -> np.ndarray:
        return np.fromfile(self.path, dtype=RECORD, count=count, offset=start * RECORD.itemsize)

    def records(self) -> Iterator[np.ndarray]:
        for a in range(0, self.count, READ):
            yield self.read(a, min(READ, self.count - a))


#: deepest bucket for the default grid of 128: a bucket's edge is at least one cell of the
#: root's sampling grid (the writer passes ``log2(grid)``)
MAX_DEPTH = 7


class Binner:
    """Appends records to one file per octree cell of one ``depth`` in ``folder``, limited
    to the cells below ``parent`` (depth, xyz) when cutting a bucket again."""

    def __init__(self, folder: Path, cube: Cube, depth: int, parent: tuple[int, tuple[int, int, int]] | None = None):
        self.folder, self.cube, self.depth = folder, cube, depth
        self.low = np.zeros(3, np.int64)
        self.high = np.full(3, (1 << depth) - 1, np.int64)
        if parent is not None:
            shift = depth - parent[0]
            self.low = np.array(parent[1], np.int64) << shift
            self.high = self.low + (1 << shift) - 1
        self.counts: dict[tuple[int, int, int], int] = {}
        self.pending: dict[tuple[int, int, int], list[np.ndarray]] = {}
        self.held = 0

    def add(self, records: np.ndarray, points: np.ndarray | None = None) -> None:
        """Buffer ``records``; ``points`` is their coordinates when at hand contiguously."""
        q = np.clip(self.cube.cells(records["p"] if points is None else points, self.depth), self.low, self.high)
        side = 1 << self.depth
        key = (q[:, 0] * side + q[:, 1]) * side + q[:, 2]
        order = np.argsort(key, kind="stable")
        key, records = key[order], records[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            k = int(key[a])
            cell = (k // (side * side), (k // side) % side, k % side)
            self.pending.setdefault(cell, []).append(records[a:b])
            self.counts[cell] = self.counts.get(cell, 0) + (b - a)
        self.held += len(records)
        if self.held >= FLUSH:
            self.flush()

    def path(self, cell: tuple[int, int, int]) -> Path:
        return self.folder / f"{self.depth}-{cell[0]}-{cell[1]}-{cell[2]}.bin"

    def flush(self) -> None:
        for cell, parts in self.pending.items():
            with open(self.path(cell), "ab") as fh:
                for part in parts:
                    part.tofile(fh)
        self.pending.clear()
        self.held = 0

    def buckets(self) -> list[Bucket]:
        self.flush()
        return [Bucket(self.depth, cell, n, self.path(cell)) for cell, n in sorted(self.counts.items())]


def bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(3,) min and max of (n, 3) ``points``, a column at a time (``min(0)`` over rows of
    three is several times slower)."""
    return (np.array([points[:, k].min() for k in range(3)]), np.array([points[:, k].max() for k in range(3)]))


def to_records(points: np.ndarray, colours: np.ndarray | None) -> np.ndarray:
    """Records of ``points`` (n, 3) float32 relative to the cube's origin and their colours."""
    records = np.empty(len(points), dtype=RECORD)
    records["p"] = points
    records["c"] = 255 if colours is None else colours
    return records


def first_depth(count: int, bucket_max: int, max_depth: int = MAX_DEPTH) -> int:
    """The depth whose cells hold about half ``bucket_max`` points each for a scan (a surface:
    occupied cells grow four-fold a level)."""
    if count <= bucket_max:
        return 0
    return min(max_depth, math.ceil(math.log(count / (bucket_max / 2), 4)))


def bin_chunks(chunks: Iterable[Chunk], folder: Path, cube: Cube, depth: int,
               cancel: CancelToken | None = None) -> tuple[list[Bucket], np.ndarray, np.ndarray]:
    """The points of ``chunks`` into buckets at ``depth``; with their true bounds (relative
    to the cube's origin). The next chunk is read while one is binned (:func:`prefetched`)."""
    binner = Binner(folder, cube, depth)
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for points, colours in prefetched(chunks):
        if cancel:
            cancel.check()
        if len(points):
            rel = points - cube.origin
            rel32 = rel.astype(np.float32)
            del rel
            low, high = bounds(rel32)
            lo, hi = np.minimum(lo, low), np.maximum(hi, high)
            binner.add(to_records(rel32, colours), rel32)
    return binner.buckets(), lo, hi


def prefetched(items: Iterable[T], ahead: int = 1) -> Iterator[T]:
    """``items`` produced by a thread ``ahead`` of the consumer: decompressing the next LAZ
    chunk (native code, without the interpreter lock) overlaps with binning this one."""
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(("item", item), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            slots.put(("error", exc))

    worker = threading.Thread(target=produce, name="tiles-reader", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while worker.is_alive():  # let a producer blocked on a full slot see the stop
            try:
                slots.get(timeout=0.2)
            except queue.Empty:
                pass
        worker.join()


def split_big(buckets: list[Bucket], cube: Cube, bucket_max: int, max_depth: int = MAX_DEPTH,
              cancel: CancelToken | None = None) -> list[Bucket]:
    """``buckets`` with each one over ``bucket_max`` points cut into deeper ones, from its
    own file, until all fit or ``max_depth`` is reached."""
    done: list[Bucket] = []
    todo = list(buckets)
    while todo:
        bucket = todo.pop()
        if bucket.count <= bucket_max or bucket.depth >= max_depth:
            done.append(bucket)
            continue
        if cancel:
            cancel.check()
        steps = max(1, math.ceil(math.log(bucket.count / (bucket_max / 2), 4)))
        depth = min(max_depth, bucket.depth + steps)
        binner = Binner(bucket.path.parent, cube, depth, (bucket.depth, bucket.xyz))
        for records in bucket.records():
            binner.add(records)
        os.remove(bucket.path)
        todo.extend(binner.buckets())
    return sorted(done, key=lambda b: (b.depth, b.xyz))
