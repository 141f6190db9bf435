"""A point cloud read a chunk at a time, already in the published frame (y-up metres).

The 3D Tiles writer (:mod:`.tiles3d`) never holds a whole 100M-point master: it asks a
:class:`CloudSource` for approximate bounds (to lay out its octree) and then for chunks of
points, each turned by the same :class:`.modelframe.ModelFrame` as the web GLB.

* LAS/LAZ: laspy's chunk iterator (lazrs decompresses LAZ on every core);
* a PLY cloud: rows of a memory map, a slice at a time (binary, either byte order, vertex
  element first and fixed-size), or blocks of lines (ASCII);
* XYZ/PTS text: blocks of lines (:mod:`.cloudtext`);
* E57: each scan in blocks of libe57's reader, placed by its pose (:mod:`.cloud_e57`);
* PCD in every encoding: a memory map, blocks of lines, or a compressed cloud decompressed
  once into a scratch file (:mod:`.cloud_pcd`);
* anything else (a PLY laid out otherwise, a glTF of points…): the export's reader, whole
  (:func:`.geometry.load_model`), then served in chunks.

:func:`open_cloud_source` is the one door: the levels' builder, the 3D Tiles writer, the web
GLB and the pick index all ask it, so every format in :data:`STREAMED_CLOUDS` gets all of
them in bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from archive.errors import CorruptFile
from glbtools.plymesh import ply_colour_names, ply_origin

from .modelframe import ModelFrame

#: points per chunk: ~100 MB of float64 coordinates and colours in flight
CHUNK = 2_000_000
#: PLY elements that make a file a mesh (never streamed as a cloud)
_MESH_ELEMENTS = ("face", "tristrips")

Chunk = tuple[np.ndarray, np.ndarray | None]
"""(points (m, 3) float64 published metres y-up, colours (m, 4) uint8 RGBA or None)"""


class CloudSource(Protocol):
    """What the tiler reads: ``count`` (declared or known), ``coloured``, :meth:`bounds` and
    :meth:`chunks`. Bounds may be approximate (a LAS header can lie): they only lay out
    the octree; every tile's box is measured from the points it holds."""

    @property
    def count(self) -> int: ...

    @property
    def coloured(self) -> bool: ...

    def bounds(self) -> tuple[np.ndarray, np.ndarray]: ...

    def chunks(self) -> Iterator[Chunk]: ...


@dataclass
class ArraySource:
    """Points already in memory and in the published frame (a loaded model, a test cloud)."""

    points: np.ndarray
    colours: np.ndarray | None = None
    chunk: int = CHUNK

    @property
    def count(self) -> int:
        return len(self.points)

    @property
    def coloured(self) -> bool:
        return self.colours is not None

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.points.min(0).astype(np.float64), self.points.max(0).astype(np.float64)

    def chunks(self) -> Iterator[Chunk]:
        for a in range(0, len(self.points), self.chunk):
            colours = None if self.colours is None else self.colours[a:a + self.chunk]
            yield _finite(np.asarray(self.points[a:a + self.chunk], dtype=np.float64), colours)


class _Affine:
    """``frame.points`` applied a chunk at a time: the frame is affine (a rotation, a scale,
    an origin), so its matrix and offset are read off its own images of the origin and the
    unit axes, and applied with einsum, which stays fast where a loaded machine makes the
    (n, 3) @ (3, 3) product of BLAS crawl (seconds per million points)."""

    def __init__(self, frame: ModelFrame):
        images = frame.points(np.vstack([np.zeros(3), np.eye(3)]))
        self.offset, self.matrix = images[0], images[1:] - images[0]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        out = np.einsum("ij,jk->ik", points, self.matrix)
        out += self.offset
        return out


def _is_own_frame(frame: ModelFrame) -> bool:
    """Whether ``frame`` leaves coordinates as they are (:func:`master_frame`)."""
    return bool(frame.scale == 1.0 and np.array_equal(frame.rotation, np.eye(3)) and not frame.origin.any())


def _box_in_frame(frame: ModelFrame, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published box of a master box: the frame turns axes onto axes, so its corners do."""
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    moved = frame.points(corners)
    return moved.min(0), moved.max(0)


class LasSource:
    """LAS or LAZ, a chunk at a time; colours brought from 16 to 8 bits (8-bit files, which
    break the LAS rule, are told apart by their first coloured chunk)."""

    def __init__(self, path: Path, frame: ModelFrame, chunk: int = CHUNK):
        import laspy

        self.path, self.frame, self.chunk = path, frame, chunk
        self.moved = _Affine(frame)
        with laspy.open(str(path)) as reader:
            header: Any = reader.header
            self.count = int(header.point_count)
            self.coloured = {"red", "green", "blue"} <= set(header.point_format.dimension_names)
            self._box = (np.asarray(header.mins, dtype=np.float64), np.asarray(header.maxs, dtype=np.float64))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return _box_in_frame(self.frame, *self._box)

    def chunks(self) -> Iterator[Chunk]:
        yield from self._checked(self.coloured)

    def coordinate_chunks(self) -> Iterator[Chunk]:
        """:meth:`chunks` without colours, and without the frame's product when the frame
        is the master's own: what the pick index's spill reads (as fast as laspy alone)."""
        yield from self._checked(False)

    def _checked(self, coloured: bool) -> Iterator[Chunk]:
        import laspy

        try:
            yield from self._chunks(coloured)
        except (ValueError, RuntimeError, laspy.errors.LaspyException) as exc:  # a truncated or damaged file
            raise CorruptFile(f"{self.path.name}: the point records cannot be read; the file is damaged or "
                              f"truncated ({type(exc).__name__}: {exc})") from None

    def _chunks(self, coloured: bool) -> Iterator[Chunk]:
        import laspy

        shift: int | None = None
        read = 0
        own = _is_own_frame(self.frame)
        with laspy.open(str(self.path)) as reader:
            for block in reader.chunk_iterator(self.chunk):
                points = np.column_stack([np.asarray(block.x), np.asarray(block.y), np.asarray(block.z)])
                read += len(points)
                if not coloured:  # scaled integers: always finite
                    yield (points if own else self.moved(points)), None
                    continue
                colours = None
                if self.coloured:
                    raw = np.column_stack([block.red, block.green, block.blue])
                    if shift is None:
                        shift = 8 if raw.max(initial=0) > 255 else 0
                    colours = np.full((len(raw), 4), 255, dtype=np.uint8)
                    colours[:, :3] = raw >> shift
                yield _finite(self.moved(points), colours)
        if read < self.count:
            raise CorruptFile(f"{self.path.name}: the LAS header declares {self.count:,} points "
                              f"but only {read:,} could be read.")


class PlySource:
    """A binary PLY cloud (either byte order) whose first element is fixed-size vertices,
    through a memory map a slice at a time; any elements after the vertices that are not
    faces are left unread."""

    def __init__(self, path: Path, frame: ModelFrame, rows: np.ndarray, origin: np.ndarray, chunk: int = CHUNK):
        self.path, self.frame, self.rows, self.origin, self.chunk = path, frame, rows, origin, chunk
        self.moved = _Affine(frame)
        self.count = len(rows)
        self.coloured = ply_colour_names(rows.dtype) is not None

    @classmethod
    def open(cls, path: Path, frame: ModelFrame) -> CloudSource | None:
        """The source: a memory map for binary data, blocks of lines for ASCII
        (:class:`.cloudtext.PlyTextSource`); None for a mesh or a vertex element that is not
        first or not fixed-size (lists), which are read whole."""
        from archive.formats.ply import read_header

        header = read_header(path)
        if not header.elements or header.elements[0].name != "vertex":
            return None
        vertex = header.elements[0]
        if (vertex.has_lists or not {"x", "y", "z"} <= {p.name for p in vertex.props}
                or any(e.count and e.name in _MESH_ELEMENTS for e in header.elements[1:])):
            return None
        if header.encoding == "ascii":
            from .cloudtext import PlyTextSource

            return PlyTextSource(path, frame, header)
        order = "<" if header.encoding == "binary_little_endian" else ">"
        dtype = np.dtype([(p.name, order + p.dtype) for p in vertex.props])
        if path.stat().st_size < header.data_offset + vertex.count * dtype.itemsize:
            raise CorruptFile(f"{path.name}: the PLY is shorter than its header declares; it is truncated.")
        rows = np.memmap(path, dtype=dtype, mode="r", offset=header.data_offset, shape=(vertex.count,))
        return cls(path, frame, rows, ply_origin(header.comments))

    def _slices(self) -> Iterator[np.ndarray]:
        for a in range(0, self.count, self.chunk):
            yield self.rows[a:a + self.chunk]

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
        for rows in self._slices():
            for k, axis in enumerate("xyz"):
                column = rows[axis][np.isfinite(rows[axis])]
                if len(column):
                    lo[k], hi[k] = min(lo[k], float(column.min())), max(hi[k], float(column.max()))
        return _box_in_frame(self.frame, lo + self.origin, hi + self.origin)

    def chunks(self) -> Iterator[Chunk]:
        trio = ply_colour_names(self.rows.dtype)
        for rows in self._slices():
            points = np.column_stack([rows[a].astype(np.float64) for a in "xyz"]) + self.origin
            colours = None
            if trio is not None:
                colours = np.full((len(rows), 4), 255, dtype=np.uint8)
                for k, name in enumerate(trio):
                    colours[:, k] = rows[name]
            yield _finite(self.moved(points), colours)


def _finite(points: np.ndarray, colours: np.ndarray | None) -> Chunk:
    """Without the points whose coordinates are not finite (holes of organised clouds)."""
    ok = np.isfinite(points).all(1)
    if ok.all():
        return points, colours
    return points[ok], None if colours is None else colours[ok]


#: format -> opener of a :class:`CloudSource` (None: this file cannot be read a chunk at a
#: time, read it whole). A new streamed format is one module and one row here.
STREAMED_CLOUDS: dict[str, Callable[[Path, ModelFrame], CloudSource | None]] = {
    "las": LasSource,
    "laz": LasSource,
    "e57": lambda path, frame: _e57_source(path, frame),
    "pcd": lambda path, frame: _pcd_source(path, frame),
    "ply": lambda path, frame: PlySource.open(path, frame),
    "xyz": lambda path, frame: _text_source(path, "xyz", frame),
    "pts": lambda path, frame: _text_source(path, "pts", frame),
}


def _e57_source(path: Path, frame: ModelFrame) -> CloudSource:
    from .cloud_e57 import E57Source  # late: it builds on this module

    return E57Source(path, frame)


def _pcd_source(path: Path, frame: ModelFrame) -> CloudSource:
    from .cloud_pcd import PcdSource  # late: it builds on this module

    return PcdSource(path, frame)


def _text_source(path: Path, fmt: str, frame: ModelFrame) -> CloudSource:
    from .cloudtext import TextSource  # late: it builds on this module

    return TextSource(path, fmt, frame)


def open_cloud_source(path: Path, frame: ModelFrame) -> CloudSource | None:
    """The master at ``path`` as a :class:`CloudSource` in ``frame`` when its format and
    layout can be read a chunk at a time; None when it must be read whole (a mesh, a PLY
    laid out otherwise, a format with no row in :data:`STREAMED_CLOUDS`)."""
    from archive.formats.identify import identify

    opener = STREAMED_CLOUDS.get(identify(path))
    return None if opener is None else opener(path, frame)


def master_frame() -> ModelFrame:
    """The master's own frame and units (no turn, no scale): what the levels and the pick
    index keep."""
    return ModelFrame(np.eye(3), 1.0)


def master_source(path: Path, frame: ModelFrame) -> CloudSource:
    """The master at ``path`` as a :class:`CloudSource` in ``frame``; raises
    :class:`~.profiles.PublishError` when it holds no points (a mesh)."""
    from .geometry import load_model
    from .profiles import PublishError

    source = open_cloud_source(path, frame)
    if source is not None:
        return source
    model = load_model(path, "m", "y")  # the master's own frame: ``frame`` is applied below
    clouds = [p for p in model.parts if p.faces is None and len(p.vertices)]
    if not clouds:
        raise PublishError("3D Tiles are made from point clouds; this item is a mesh. Export GLB or HTML instead.")
    points = frame.points(np.concatenate([p.vertices for p in clouds]))
    colours = None
    if any(p.colors is not None for p in clouds):
        colours = np.concatenate([p.colors if p.colors is not None else np.full((len(p.vertices), 4), 255, np.uint8)
                                  for p in clouds])
    return ArraySource(points, colours)


# --- a master's first level of detail, thinned while it is read -----------------------------

def streamed_cloud_points(path: Path) -> int | None:
    """The points of a cloud master that can be thinned and indexed a chunk at a time
    (:func:`open_cloud_source`): a header's count, or for a text cloud an estimate from the
    file's size until it has been read once; None for any other master (read whole)."""
    source = open_cloud_source(path, master_frame())
    return None if source is None else source.count


def thin_cloud_master(path: Path, target: int) -> Any:
    """A :class:`.clouds.ThinCloud` of at most ``target`` points of a master that
    :func:`streamed_cloud_points` counts, in the master's own frame and units, relative to its
    ``origin`` (a whole offset near the centre of georeferenced data): a LAS/LAZ thinned on its
    own integer coordinates (:func:`.clouds.thin_las`), any other a chunk at a time
    (:func:`.clouds.thin_chunks`). Memory follows ``target``, not the master."""
    from archive.formats.identify import identify

    from .clouds import _near_centre, thin_chunks, thin_las

    if identify(path) in ("las", "laz"):
        return thin_las(path, target)
    source = open_cloud_source(path, master_frame())
    if source is None:
        raise ValueError(f"{path.name}: not a cloud that can be read a chunk at a time")
    lo, hi = source.bounds()
    thin = thin_chunks(source.chunks(), lo, hi, target)
    thin.origin = _near_centre(lo, hi)
    thin.points = thin.points - thin.origin
    return thin
