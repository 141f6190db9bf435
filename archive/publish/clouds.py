"""Point-cloud masters (PCD, XYZ, PTS, E57, LAS, LAZ) read for export as plain arrays.

Each reader returns ``(points, colours)``: (n, 3) float64 coordinates in the file's frame
and units, and (n, 3) float64 colours on a 0..255 scale or None. They use the same
libraries as import and viewing (Open3D for PCD in every encoding including LZF, laspy with
lazrs for LAS/LAZ, pye57 for E57, the importer's own text parser for XYZ/PTS). Points with
non-finite coordinates (organised PCD clouds mark holes with NaN) are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archive.errors import CorruptFile
from archive.formats.base import DEFAULT_LIMITS
from archive.formats.pointclouds import read_text_points
from glbtools.las import read_las_chunks

Cloud = tuple[np.ndarray, np.ndarray | None]


def read_pcd(path: Path) -> Cloud:
    import open3d as o3d

    cloud = o3d.io.read_point_cloud(path, format="pcd", remove_nan_points=False)
    points = np.asarray(cloud.points, dtype=np.float64)
    colours = np.asarray(cloud.colors, dtype=np.float64) * 255.0 if cloud.has_colors() else None
    if not len(points):
        raise CorruptFile(f"{path.name}: the PCD master holds no points that can be read.")
    return _finite(points, colours)


def read_xyz(path: Path) -> Cloud:
    return _finite(*read_text_points(path, "xyz", DEFAULT_LIMITS))


def read_pts(path: Path) -> Cloud:
    return _finite(*read_text_points(path, "pts", DEFAULT_LIMITS))


def read_las(path: Path) -> Cloud:
    """LAS or LAZ (lazrs); 16-bit colours are brought to 0..255."""
    import laspy

    las = laspy.read(str(path))
    points = np.column_stack([las.x, las.y, las.z]).astype(np.float64)
    colours = None
    if {"red", "green", "blue"} <= set(las.point_format.dimension_names):
        colours = _to_255(np.column_stack([las.red, las.green, las.blue]))
    return _finite(points, colours)


def read_las_lean(path: Path, chunk: int = 2_000_000) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """LAS or LAZ read in chunks into compact arrays: (n, 3) float32 coordinates relative to
    the returned (3,) float64 origin (a whole offset near the centre of georeferenced data,
    zeros otherwise), (n, 4) uint8 RGBA colours or None. Peak memory is about 20 bytes per
    point plus one chunk, against ~70 for :func:`read_las`."""

    points, raw, origin, n = read_las_chunks(path, _near_centre, chunk)
    at = len(points)
    if at < n:
        raise CorruptFile(f"{path.name}: the LAS header declares {n:,} points but only {at:,} could be read.")
    colours = None
    if raw is not None:
        colours = np.full((n, 4), 255, dtype=np.uint8)
        shift = 8 if raw.max(initial=0) > 255 else 0  # 16-bit colours (the LAS rule) or 8-bit values
        colours[:, :3] = raw >> shift
    return points, colours, origin


@dataclass
class ThinCloud:
    """A cloud thinned while it was read (:func:`thin_las`, :func:`thin_chunks`).

    points : (k, 3) float64 (relative to ``origin`` (3,) float64); colours : (k, 4) uint8 or
    None; ``cell`` is the grid's cell size (the kept points' spacing) in the points' units;
    ``total`` the points read.
    """

    points: np.ndarray
    colours: np.ndarray | None
    origin: np.ndarray
    cell: float
    total: int


#: the first pass keeps one point per cell this many times finer than the target's cells
FINE = 1.5
#: the fine cells may hold at most this many times the target's points: a cloud that fills a
#: volume (vegetation, a noisy scan) rather than a surface would otherwise keep nearly every
#: point read; past it the fine grid is made twice as coarse, so memory follows the target.
#: A scanned surface fills 3-8 (the 100M-point tiled statue of bench_cloud100m: 3.99); the
#: level's grid is chosen afterwards among the points kept, so a coarser fine grid leaves it
#: as fine and as full (tests/archive/test_cloud_levels_memory.py)
HOLD = 4
Chunks = Iterable[tuple[np.ndarray, np.ndarray | None]]


def thin_chunks(chunks: Chunks, lo: np.ndarray, hi: np.ndarray, target: int) -> ThinCloud:
    """At most ``target`` of the points that ``chunks`` yields ((m, 3) float64, colours (m, k)
    or None), one per cell of a regular grid, in memory that follows the points kept, not
    the points read (100M points cost what a few million do). ``lo``, ``hi`` bound the
    points (a LAS header's box; points outside land in the border cells).

    Each chunk keeps one point per cell of a grid :data:`FINE` times finer than the
    target's (guessed from the box as for a scanned surface); the grid for the target is
    then found among those points by :func:`.budget.voxel_thin`, which keeps per cell the one
    nearest its centre. The result differs from thinning every point at once only in which
    point of a cell is kept (one within a fine cell of the best)."""
    from .budget import voxel_thin  # late: budget reaches this module through geometry

    grid = _FloatGrid(lo, hi, float((hi - lo).max()) / np.sqrt(max(target, 1)) / FINE or 1.0)
    kept = _FineCells(grid.keys, grid.coarsen, HOLD * max(target, 1))
    for xyz, colours in chunks:
        kept.read += len(xyz)
        if len(xyz):
            kept.add(grid.keys(xyz), xyz, colours)
    points, colours, read = kept.result()
    if not len(points):
        return ThinCloud(points, colours, np.zeros(3), grid.size, read)
    keep, cell = voxel_thin(points, target, corner=lo)  # the grid laid from the box's corner
    return ThinCloud(points[keep], None if colours is None else colours[keep], np.zeros(3), cell, read)


def thin_las(path: Path, target: int, chunk: int = 2_000_000) -> ThinCloud:
    """:func:`thin_chunks` of a LAS/LAZ file in its own frame and units: points relative to a
    whole offset near the centre of georeferenced data (:func:`read_las_lean`'s rule), 16-bit
    colours brought to 8 bits (8-bit files, which break the LAS rule, kept).

    The fine cells are found on the file's own integer coordinates (no float copy of 100M
    points), and a LAS 1.4 file's other fields (intensity, time…) are not even decompressed;
    decompressing the coordinates is then nearly all the work."""
    import laspy

    from .budget import voxel_thin  # late: budget reaches this module through geometry

    wanted = laspy.DecompressionSelection
    with laspy.open(str(path), decompression_selection=wanted.XY_RETURNS_CHANNEL | wanted.Z | wanted.RGB) as reader:
        header: Any = reader.header
        total = int(header.point_count)
        lo, hi = np.asarray(header.mins, np.float64), np.asarray(header.maxs, np.float64)
        origin = _near_centre(lo, hi)
        scale, offset = np.asarray(header.scales, np.float64), np.asarray(header.offsets, np.float64)
        rgb = {"red", "green", "blue"} <= set(header.point_format.dimension_names)
        size = float((hi - lo).max()) / np.sqrt(max(target, 1)) / FINE or 1.0
        first = np.round((lo - offset) / scale).astype(np.int64)
        last = np.round((hi - offset) / scale).astype(np.int64)
        grid = _IntGrid(first, last, np.maximum(np.floor(size / scale), 1).astype(np.int64))
        kept = _FineCells(grid.keys, grid.coarsen, HOLD * max(target, 1))
        for block in reader.chunk_iterator(chunk):
            ints = [np.asarray(getattr(block, a)) for a in "XYZ"]
            kept.read += len(ints[0])
            if not len(ints[0]):
                continue
            keys = grid.keys(ints)
            one = _first_of_each(keys)  # stacked for the points kept only
            kept.hold(keys[one], np.column_stack([c[one] for c in ints]),
                      np.column_stack([block.red[one], block.green[one], block.blue[one]]) if rgb else None)
    held, raw, read = kept.result()
    if read < total:
        raise CorruptFile(f"{path.name}: the LAS header declares {total:,} points but only {read:,} could be read.")
    if not len(held):
        return ThinCloud(np.zeros((0, 3)), None, origin, size, read)
    points = held * scale + (offset - origin)  # the kept points only, as float64 in the file's units
    keep, cell = voxel_thin(points, target, corner=lo - origin)
    colours = None
    if raw is not None:
        colours = np.full((len(keep), 4), 255, dtype=np.uint8)
        colours[:, :3] = raw[keep] >> (8 if raw.max(initial=0) > 255 else 0)
    return ThinCloud(points[keep], colours, origin, cell, read)


class _FloatGrid:
    """Fine cells of ``size`` laid from ``lo`` over the box (lo, hi) of float coordinates."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, size: float) -> None:
        self.lo, self.hi, self.size = lo, hi, size
        self.dims = self._dims()
        while float(np.prod(self.dims.astype(np.float64))) >= 2**40:  # keys must leave room for an index
            self.coarsen()

    def _dims(self) -> np.ndarray:
        return np.floor((self.hi - self.lo) / self.size).astype(np.int64) + 1

    def coarsen(self) -> None:
        self.size *= 2
        self.dims = self._dims()

    def keys(self, xyz: np.ndarray) -> np.ndarray:
        """(n,) int64 cell numbers of (n, 3) points (points outside the box: its border cells)."""
        q = np.clip(((xyz - self.lo) / self.size).astype(np.int64), 0, self.dims - 1)
        return (q[:, 0] * self.dims[1] + q[:, 1]) * self.dims[2] + q[:, 2]


class _IntGrid:
    """Fine cells of ``step`` file integers per axis laid from ``first`` (a LAS file's own
    integer coordinates: no float copy of every point)."""

    def __init__(self, first: np.ndarray, last: np.ndarray, step: np.ndarray) -> None:
        self.first, self.last, self.step = first, last, step
        self.dims = self._dims()
        while float(np.prod(self.dims.astype(np.float64))) >= 2**40:  # keys must leave room for an index
            self.coarsen()

    def _dims(self) -> np.ndarray:
        # int32 arithmetic when it cannot overflow: half the memory traffic of int64
        self.narrow = bool((np.abs(self.first) < 2**30).all() and ((self.last - self.first) < 2**30).all())
        return (self.last - self.first) // self.step + 1

    def coarsen(self) -> None:
        self.step = self.step * 2
        self.dims = self._dims()

    def keys(self, ints: np.ndarray | list[np.ndarray]) -> np.ndarray:
        """(n,) int64 cell numbers of (n, 3) integer coordinates, or of their three columns."""
        columns = [ints[:, k] for k in range(3)] if isinstance(ints, np.ndarray) else ints
        keys = np.zeros(len(columns[0]), dtype=np.int64)
        for k, column in enumerate(columns):  # a difference times a float32 reciprocal: no integer division
            start = np.int32(self.first[k]) if self.narrow and column.dtype == np.int32 else np.int64(self.first[k])
            q = ((column - start) * np.float32(1 / self.step[k])).astype(np.int64)
            keys = keys * self.dims[k] + np.clip(q, 0, self.dims[k] - 1)
        return keys


class _FineCells:
    """One point per fine cell, kept across chunks, never more than about ``cap`` of them.

    Duplicates are found by sorting one int64 per point (cell number above, position in the
    batch below): numpy's sort of plain integers is several times faster than an argsort or
    ``unique``. When more than ``cap`` cells are occupied, ``coarsen()`` makes the grid twice
    as coarse and the points held are numbered again by ``keys_of`` (the grid the next chunks
    use), so the points held stay under ``cap`` plus twice that between merges, whatever the
    cloud's shape and size.
    """

    MERGE_AT = 8_000_000

    def __init__(self, keys_of: Callable[[np.ndarray], np.ndarray], coarsen: Callable[[], None], cap: int) -> None:
        self.keys_of, self.coarsen, self.cap = keys_of, coarsen, max(cap, 1)
        self.keys: list[np.ndarray] = []
        self.points: list[np.ndarray] = []
        self.raw: list[np.ndarray] = []
        self.held = 0
        self.read = 0
        self.coarsened = 0  # times the grid was made coarser to stay under ``cap``
        self.limit = self._limit(0)

    def _limit(self, held: int) -> int:
        """Merge when more than this is held: doubles with what survives, within twice the cap."""
        return min(max(self.MERGE_AT, 2 * held), 2 * self.cap)

    def add(self, keys: np.ndarray, points: np.ndarray, raw: np.ndarray | None) -> None:
        """Keep one of these points per cell (``keys``: their cells on the grid in use)."""
        first = _first_of_each(keys)
        self.hold(keys[first], points[first], None if raw is None else raw[first])

    def hold(self, keys: np.ndarray, points: np.ndarray, raw: np.ndarray | None) -> None:
        """Keep these points, one per cell already (``keys``): merged with the rest later."""
        self.keys.append(keys)
        self.points.append(points)
        if raw is not None:
            self.raw.append(raw)
        self.held += len(keys)
        if self.held > self.limit:
            self._merge()
            self.limit = self._limit(self.held)

    def _merge(self) -> None:
        keys, points = np.concatenate(self.keys), np.concatenate(self.points)
        raw = np.concatenate(self.raw) if self.raw else None
        self.keys, self.points, self.raw = [], [], []  # let the pieces go before the sort
        first = _first_of_each(keys)
        while len(first) > self.cap:
            self.coarsen()
            self.coarsened += 1
            keys, points = keys[first], points[first]
            raw = None if raw is None else raw[first]
            keys = self.keys_of(points)
            first = _first_of_each(keys)
        self.keys, self.points, self.raw = [keys[first]], [points[first]], [] if raw is None else [raw[first]]
        self.held = len(first)

    def result(self) -> tuple[np.ndarray, np.ndarray | None, int]:
        if not self.keys:
            return np.zeros((0, 3)), None, self.read
        self._merge()
        return self.points[0], self.raw[0] if self.raw else None, self.read


def _first_of_each(keys: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of each distinct key (sorted by key)."""
    bits = max(int(len(keys) - 1).bit_length(), 1)
    if int(keys.max(initial=0)) >= 1 << (63 - bits):  # no room for the index: the slower way
        return np.unique(keys, return_index=True)[1]
    packed = np.sort((keys << bits) | np.arange(len(keys), dtype=np.int64))
    cell = packed >> bits
    start = np.concatenate([[True], cell[1:] != cell[:-1]]) if len(packed) else np.zeros(0, bool)
    return packed[start] & ((1 << bits) - 1)


def _near_centre(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A whole offset near the centre of georeferenced data (float32 would round it to
    decimetres), zeros otherwise (or for a box that is not finite: no points)."""
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        return np.zeros(3)
    centre, extent = (lo + hi) / 2, float((hi - lo).max()) or 1.0
    return np.round(centre) if np.abs(centre).max() >= max(1e4, 100.0 * extent) else np.zeros(3)


def read_e57(path: Path) -> Cloud:
    """Every scan of an E57 file, placed by its pose (pye57 applies it), merged."""
    import pye57

    e57 = pye57.E57(str(path))
    try:
        scans = [e57.read_scan(i, colors=True, ignore_missing_fields=True) for i in range(e57.scan_count)]
    finally:
        e57.close()
    if not scans:
        raise CorruptFile(f"{path.name}: the E57 master holds no scans.")
    points = np.concatenate([np.column_stack([s["cartesianX"], s["cartesianY"], s["cartesianZ"]]) for s in scans])
    colours = None
    if all("colorRed" in s for s in scans):
        colours = _to_255(np.concatenate([np.column_stack([s["colorRed"], s["colorGreen"], s["colorBlue"]])
                                          for s in scans]))
    return _finite(points.astype(np.float64), colours)


def _to_255(colours: np.ndarray) -> np.ndarray:
    c = np.asarray(colours, dtype=np.float64)
    return c / 257.0 if c.max(initial=0) > 255 else c


def _finite(points: np.ndarray, colours: np.ndarray | None) -> Cloud:
    ok = np.isfinite(points).all(1)
    if ok.all():
        return points, colours
    return points[ok], None if colours is None else colours[ok]


READERS = {"pcd": read_pcd, "xyz": read_xyz, "pts": read_pts, "e57": read_e57, "las": read_las, "laz": read_las}
"""Import format -> reader of its points for export."""
