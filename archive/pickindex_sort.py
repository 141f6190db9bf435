"""The out-of-core Morton sort behind the pick index (:mod:`archive.pickindex`), and the
.npy row files it works through.

Rows (triangles or points) are ordered by the Morton (Z-order) code of a position on a
2^21 grid per axis. The codes go to a scratch file once, with a histogram of 64^3 coarse
cells. A cell of more than ``chunk`` codes is split on its next bits, one pass over the
codes per round, until every cell holds at most ``chunk`` codes or one code value only: one
coarse cell may hold nearly everything (a scan with a stray point kilometres away: the grid
spans the stray, the real data falls into one or two cells). Consecutive cells are packed
into runs of at most ``chunk`` rows; rows and codes are scattered into their runs in the
output file; then each run is sorted in memory (:func:`sort_run`), except a run of one code
value, already in order. Memory: a few chunks and the cell counts, whatever the codes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from .errors import EmptyModel

BITS = 21  # Morton bits per axis
_COARSE_SHIFT = 3 * (BITS - 6)  # histogram cells: 6 bits per axis (64^3)

Rows = Callable[[int, int], np.ndarray]


class Steps(Protocol):
    """Progress and cancel of a build: ``steps(message)`` starts a step, ``steps.check()``
    raises when the build was cancelled."""

    def __call__(self, message: str) -> None: ...

    def check(self) -> None: ...


class MortonGrid:
    """Morton codes of positions inside the box (lo, hi), :data:`BITS` bits per axis."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        if not np.isfinite(lo).all():
            raise EmptyModel("the master has no vertex with valid coordinates")
        self.lo = lo
        self.scale = ((1 << BITS) - 1) / np.maximum(hi - lo, 1e-30)

    def codes(self, p: np.ndarray) -> np.ndarray:
        """(k,) uint64 codes of (k, 3) positions (non-finite ones land in some cell: their
        triangles can never be hit, so where they sit does not matter)."""
        q = (p - self.lo) * self.scale
        np.clip(q, 0, (1 << BITS) - 1, out=q)
        with np.errstate(invalid="ignore"):
            cells = q.astype(np.uint64) & np.uint64((1 << BITS) - 1)
        return (_spread(cells[:, 0]) << np.uint64(2)) | (_spread(cells[:, 1]) << np.uint64(1)) | _spread(cells[:, 2])


def _spread_table() -> np.ndarray:
    x = np.arange(1 << 11, dtype=np.uint64)
    out = np.zeros_like(x)
    for bit in range(11):
        out |= ((x >> np.uint64(bit)) & np.uint64(1)) << np.uint64(3 * bit)
    return out


_SPREAD = _spread_table()


def _spread(x: np.ndarray) -> np.ndarray:
    """Put two zero bits between each of the low 21 bits of ``x`` (uint64), by table."""
    return _SPREAD[x & np.uint64(0x7FF)] | (_SPREAD[x >> np.uint64(11)] << np.uint64(33))


def external_sort(rows: Rows, codes: Rows, count: int, out: Path, dtype: np.dtype, chunk: int,
                  step: Steps) -> None:
    """Write the (count, 3) ``rows(a, b)`` into ``out`` sorted by their ``codes(a, b)``
    (stable), holding a few chunks in memory whatever the distribution of the codes."""
    step("Index: ordering")
    scratch = [out.with_name(out.name + ".codes"), out.with_name(out.name + ".placed")]
    histogram = np.zeros(1 << (3 * 6), dtype=np.int64)
    try:
        with RowFile(scratch[0], (count,), np.dtype(np.uint64)) as first:
            for a in range(0, count, chunk):
                step.check()
                c = codes(a, min(a + chunk, count))
                first.write_rows(a, c)
                histogram += np.bincount((c >> np.uint64(_COARSE_SHIFT)).astype(np.int64), minlength=len(histogram))
            cells = _refine(_Cells.from_histogram(histogram), first, chunk, step)
            del histogram
            runs = _Runs.pack(cells, chunk)
            step("Index: placing")
            with RowFile(out, (count, 3), dtype) as placed, RowFile(scratch[1], (count,), first.dtype) as keys:
                _place(rows, first, runs, placed, keys, chunk, step)
                step("Index: sorting")
                for r in range(len(runs.uniform)):
                    step.check()
                    a, b = int(runs.starts[r]), int(runs.starts[r + 1])
                    if b - a > 1 and not runs.uniform[r]:
                        sort_run(placed, keys, a, b)
    finally:
        for p in scratch:
            p.unlink(missing_ok=True)


def sort_run(placed: RowFile, keys: RowFile, a: int, b: int) -> None:
    """Sort rows ``a:b`` of ``placed`` by their ``keys`` in memory (stable: equal codes keep
    the source's order). Every in-memory sort of a build goes through here."""
    order = np.argsort(keys.read_rows(a, b), kind="stable")
    placed.write_rows(a, placed.read_rows(a, b)[order])


def _place(rows: Rows, first: RowFile, runs: _Runs, placed: RowFile, keys: RowFile, chunk: int,
           step: Steps) -> None:
    """Scatter each chunk of rows and codes to the next free places of their runs."""
    count = first.shape[0]
    cursor = runs.starts[:-1].copy()
    for a in range(0, count, chunk):
        step.check()
        b = min(a + chunk, count)
        c = first.read_rows(a, b)
        run = np.searchsorted(runs.first_code, c, side="right") - 1
        order = np.argsort(run, kind="stable")
        data, c, run = rows(a, b)[order], c[order], run[order]
        edges = np.flatnonzero(np.diff(run)) + 1
        for lo, hi in zip(np.r_[0, edges], np.r_[edges, len(run)], strict=True):
            r = run[lo]
            placed.write_rows(int(cursor[r]), data[lo:hi])
            keys.write_rows(int(cursor[r]), c[lo:hi])
            cursor[r] += hi - lo


class _Cells:
    """Cells of the code space, in code order: cell i holds the ``count[i]`` codes from
    ``first[i]`` to ``first[i] + 2**shift[i] - 1`` (a prefix of the Morton code)."""

    def __init__(self, first: np.ndarray, shift: np.ndarray, count: np.ndarray) -> None:
        order = np.argsort(first, kind="stable")
        self.first, self.shift, self.count = first[order], shift[order], count[order]

    @classmethod
    def from_histogram(cls, histogram: np.ndarray) -> _Cells:
        cells = np.flatnonzero(histogram)
        return cls(cells.astype(np.uint64) << np.uint64(_COARSE_SHIFT),
                   np.full(len(cells), _COARSE_SHIFT, dtype=np.uint64), histogram[cells])

    def overfull(self, chunk: int) -> np.ndarray:
        """(k,) bool: cells with more than ``chunk`` codes that can still be split."""
        return (self.count > chunk) & (self.shift > 0)


_SPLIT_BINS = 1 << 22  # at most 4M counters (32 MB) per refining pass


def _refine(cells: _Cells, codes: RowFile, chunk: int, step: Steps) -> _Cells:
    """Split every cell of more than ``chunk`` codes on its next bits (a pass over the codes
    per round) until each holds at most ``chunk`` codes or a single code value: a cloud whose
    grid spans a few far outliers has its real data in one or two coarse cells."""
    while (over := cells.overfull(chunk)).any():
        first, shift = cells.first[over], cells.shift[over]
        # 12 more bits (4 per axis) per round, fewer when many cells are split at once
        bits = int(np.clip(np.log2(max(_SPLIT_BINS // len(first), 1)), 3, 12))
        below = np.maximum(shift.astype(np.int64) - bits, 0).astype(np.uint64)
        width = 1 << bits
        tally = np.zeros(len(first) * width, dtype=np.int64)
        for a in range(0, codes.shape[0], chunk):
            step.check()
            c = codes.read_rows(a, a + chunk)
            cell = np.searchsorted(first, c, side="right") - 1
            ahead = cell >= 0  # codes before the first cell being split are not counted
            cell, c = cell[ahead], c[ahead]
            offset = c - first[cell]
            inside = offset < (np.uint64(1) << shift[cell])
            cell, offset = cell[inside], offset[inside]
            sub = (offset >> below[cell]).astype(np.int64)
            tally += np.bincount(cell * width + sub, minlength=len(tally))
        parent, sub = np.divmod(np.flatnonzero(tally), width)
        kept = ~over
        cells = _Cells(np.concatenate([cells.first[kept], first[parent] + (sub.astype(np.uint64) << below[parent])]),
                       np.concatenate([cells.shift[kept], below[parent]]),
                       np.concatenate([cells.count[kept], tally[tally > 0]]))
    return cells


class _Runs:
    """Consecutive cells packed into runs of at most ``chunk`` rows: run r holds the codes
    from ``first_code[r]`` on, in rows ``starts[r]:starts[r + 1]`` of the output; a
    ``uniform`` run is one cell of a single code value (more than ``chunk`` equal codes),
    already in order once placed."""

    def __init__(self, first_code: np.ndarray, starts: np.ndarray, uniform: np.ndarray) -> None:
        self.first_code, self.starts, self.uniform = first_code, starts, uniform

    @classmethod
    def pack(cls, cells: _Cells, chunk: int) -> _Runs:
        total = np.r_[0, np.cumsum(cells.count)]  # rows before each cell
        heads, i = [], 0
        while i < len(cells.count):
            heads.append(i)
            # the most cells from i on that fit in a chunk; at least one (a uniform cell)
            i = max(i + 1, int(np.searchsorted(total, total[i] + chunk, side="right")) - 1)
        head = np.asarray(heads, dtype=np.int64)
        return cls(cells.first[head], np.r_[total[head], total[-1]],
                   (cells.count[head] > chunk) & (cells.shift[head] == 0))


# --- files -----------------------------------------------------------------------------

class RowFile:
    """A .npy file of a fixed shape written and read by row ranges through one file handle:
    no memory map, so a build's address space stays a few chunks however big the file."""

    fh: BinaryIO

    def __init__(self, path: Path, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.path, self.shape, self.dtype = path, shape, dtype
        self.row = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize

    def __enter__(self) -> RowFile:
        self.fh = open(self.path, "w+b")  # noqa: SIM115 - closed in __exit__
        np.lib.format.write_array_header_1_0(self.fh, {"descr": np.lib.format.dtype_to_descr(self.dtype),
                                                       "fortran_order": False, "shape": self.shape})
        self.offset = self.fh.tell()
        self.fh.truncate(self.offset + self.shape[0] * self.row)
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def write_rows(self, at: int, rows: np.ndarray) -> None:
        self.fh.seek(self.offset + at * self.row)
        self.fh.write(np.ascontiguousarray(rows, dtype=self.dtype).data)

    def read_rows(self, a: int, b: int) -> np.ndarray:
        b = min(b, self.shape[0])
        out = np.empty((b - a, *self.shape[1:]), dtype=self.dtype)
        self.fh.seek(self.offset + a * self.row)
        if self.fh.readinto(out.data) != out.nbytes:  # type: ignore[attr-defined]
            raise OSError(f"{self.path.name}: shorter than its header says")
        return out


class RowsOnDisk(RowFile):
    """An existing .npy of rows, read (and with ``writable`` rewritten) a slice at a time: an
    array-like for the build that never maps the file."""

    def __init__(self, path: Path, writable: bool = False) -> None:
        self.fh = open(path, "r+b" if writable else "rb")  # noqa: SIM115 - closed with the object
        version = np.lib.format.read_magic(self.fh)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(self.fh)
        super().__init__(path, shape, dtype)
        self.offset = self.fh.tell()

    def __enter__(self) -> RowFile:
        return self

    def __len__(self) -> int:
        return int(self.shape[0])

    def __getitem__(self, sl: slice) -> np.ndarray:
        a, b, _ = sl.indices(len(self))
        return self.read_rows(a, b)
