"""A PCD cloud (PCL's Point Cloud Data) read a chunk at a time, in every DATA encoding.

* ``binary``: rows of a structured memory map, a slice at a time;
* ``ascii``: blocks of whole lines parsed at C speed, by the importer's parser
  (:func:`archive.formats.pointclouds.pcd_ascii_rows`);
* ``binary_compressed``: the whole cloud is one LZF block laid out field by field (all x,
  then all y…), which cannot be sliced. A small one is decompressed in memory; a bigger one
  is decompressed once, in bounded memory (:func:`archive.formats.lzf.decompress_stream`),
  into an anonymous scratch file in the temporary folder and then memory-mapped a field at a
  time. A disk too full for it is a :class:`~archive.errors.LimitExceeded` naming the space.

Points and colours are those of the export's whole reader (Open3D): colours come from an
``rgb``/``rgba`` field of 4 bytes (packed float or integer; the bytes are blue, green, red),
points with a non-finite coordinate (the holes of an organised cloud, HEIGHT > 1) are
dropped. Coordinates of 8-byte floats are read as they are (Open3D reads them as zeros).
The header is read by the importer's parser (:mod:`archive.formats.pointclouds`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from archive.errors import CorruptFile, LimitExceeded
from archive.formats import lzf
from archive.formats.pointclouds import _pcd_dtype, _pcd_header, _wh, pcd_ascii_rows

from . import cloudstream
from .cloudstream import Chunk, _Affine, _box_in_frame, _finite
from .modelframe import ModelFrame

#: a compressed cloud decompressed in memory up to this many bytes, through a scratch file above
IN_MEMORY = 64 * 1024**2
#: free space kept on the scratch file's disk beyond the decompressed cloud
DISK_MARGIN = 256 * 1024**2
#: bytes of ASCII text read per block, per point of the chunk (a line is 20-60 bytes)
TEXT_BYTES_PER_POINT = 32
_COLOUR_FIELDS = ("rgb", "rgba")

Columns = dict[str, np.ndarray]
"""field name -> (m,) or (m, count) values of a block of points"""


class PcdSource:
    """A PCD file's points a chunk at a time, moved into ``frame``; ``scratch`` is the folder
    of a compressed cloud's decompressed copy (the temporary folder when None)."""

    def __init__(self, path: Path, frame: ModelFrame, chunk: int | None = None, scratch: Path | None = None):
        self.path, self.frame, self.chunk, self.scratch = path, frame, chunk or cloudstream.CHUNK, scratch
        self.moved = _Affine(frame)
        head, self.offset = _pcd_header(path)
        self.dtype = _pcd_dtype(path.name, head)
        names = set(self.dtype.names or ())
        if not {"x", "y", "z"} <= names:
            raise CorruptFile(f"{path.name}: the PCD has no x y z fields.")
        self.count = int(head["POINTS"][0]) if "POINTS" in head else _wh(head)
        self.encoding = head.get("DATA", [""])[0].lower()
        if self.encoding not in ("ascii", "binary", "binary_compressed"):
            raise CorruptFile(f"{path.name}: unknown PCD DATA encoding {self.encoding!r}.")
        self.colour = next((f for f in _COLOUR_FIELDS if f in names), None)
        self.coloured = self.colour is not None
        self.types = _field_types(head, self.dtype)
        self._unpacked: bytes | IO[bytes] | None = None
        self._box: tuple[np.ndarray, np.ndarray] | None = None

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The box of the finite points in the published frame (one pass, kept)."""
        if self._box is None:
            lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
            for block in self._blocks():
                xyz = _xyz(block)
                xyz = xyz[np.isfinite(xyz).all(1)]
                if len(xyz):
                    lo, hi = np.minimum(lo, xyz.min(0)), np.maximum(hi, xyz.max(0))
            if not np.isfinite(lo).all():
                raise CorruptFile(f"{self.path.name}: the PCD holds no points with finite coordinates.")
            self._box = _box_in_frame(self.frame, lo, hi)
        return self._box

    def chunks(self) -> Iterator[Chunk]:
        """(points (m, 3) float64 in the frame, colours (m, 4) uint8 or None), finite only."""
        for block in self._blocks():
            colours = None
            if self.colour is not None:
                colours = _colours(block[self.colour], self.types[self.colour], self.encoding == "ascii")
            yield _finite(self.moved(_xyz(block)), colours)

    def close(self) -> None:
        """Let go of a compressed cloud's scratch file (it was never linked: nothing stays)."""
        if self._unpacked is not None and not isinstance(self._unpacked, bytes):
            self._unpacked.close()
        self._unpacked = None

    def _blocks(self) -> Iterator[Columns]:
        if not self.count:
            return
        if self.encoding == "binary":
            yield from self._binary_blocks()
        elif self.encoding == "ascii":
            yield from self._ascii_blocks()
        else:
            yield from self._compressed_blocks()

    def _binary_blocks(self) -> Iterator[Columns]:
        if self.path.stat().st_size < self.offset + self.count * self.dtype.itemsize:
            raise CorruptFile(f"{self.path.name}: the PCD is shorter than its header declares "
                              f"({self.count:,} points); it is truncated.")
        for a in range(0, self.count, self.chunk):  # a map of the slice only: address space follows the chunk
            block = np.memmap(self.path, dtype=self.dtype, mode="r", offset=self.offset + a * self.dtype.itemsize,
                              shape=(min(self.chunk, self.count - a),))
            yield {k: block[k] for k in self.dtype.names or ()}

    def _ascii_blocks(self) -> Iterator[Columns]:
        widths = [int(np.prod(self.dtype[k].shape or (1,))) for k in self.dtype.names or ()]
        starts, rows = np.cumsum([0, *widths]), 0
        size = max(4096, self.chunk * TEXT_BYTES_PER_POINT)
        for table in pcd_ascii_rows(self.path, self.offset, sum(widths), size):
            table = table[: self.count - rows]  # the surplus past the declared count is not read (Open3D's rule)
            rows += len(table)
            yield {k: table[:, a] if w == 1 else table[:, a:a + w]
                   for k, a, w in zip(self.dtype.names or (), starts, widths, strict=False)}
            if rows == self.count:
                return
        raise CorruptFile(f"{self.path.name}: the PCD declares {self.count:,} points but holds {rows:,}; "
                          "it is truncated.")

    def _compressed_blocks(self) -> Iterator[Columns]:
        """Slices of every field of the field-major layout (all x, then all y…)."""
        if self._unpacked is None:
            self._unpacked = self._decompress()
        data, n = self._unpacked, self.count
        for a in range(0, n, self.chunk):
            m, pos, block = min(self.chunk, n - a), 0, {}
            for k in self.dtype.names or ():
                sub = self.dtype[k]
                block[k] = _field_slice(data, sub, pos + a * sub.itemsize, m)
                pos += n * sub.itemsize
            yield block

    def _decompress(self) -> bytes | IO[bytes]:
        """The decompressed fields: in memory when small, else an open scratch file."""
        name, n = self.path.name, self.count
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            sizes = np.frombuffer(fh.read(8), "<u4")
            if len(sizes) < 2:
                raise CorruptFile(f"{name}: the PCD's compressed block is truncated.")
            packed, unpacked = int(sizes[0]), int(sizes[1])
            if unpacked != n * self.dtype.itemsize:
                raise CorruptFile(f"{name}: the PCD's uncompressed size disagrees with the {n:,} points declared.")
            if self.path.stat().st_size < self.offset + 8 + packed:
                raise CorruptFile(f"{name}: the PCD is shorter than its compressed block; it is truncated.")
            try:
                if unpacked <= IN_MEMORY:
                    return lzf.decompress(fh.read(packed), unpacked)
                scratch = self._scratch_file(unpacked)
                try:
                    lzf.decompress_stream(fh.read, packed, unpacked, scratch.write)
                    scratch.flush()
                    return scratch
                except BaseException:
                    scratch.close()
                    raise
            except CorruptFile as exc:
                raise CorruptFile(f"{name}: {exc}") from None

    def _scratch_file(self, size: int) -> IO[bytes]:
        folder = self.scratch if self.scratch is not None else Path(tempfile.gettempdir())
        free = shutil.disk_usage(folder).free
        if free < size + DISK_MARGIN:
            raise LimitExceeded(f"{self.path.name}: its compressed points need {size / 1e9:.1f} GB of free disk "
                                f"in {folder} to be read a part at a time; {free / 1e9:.1f} GB is free there.")
        return tempfile.TemporaryFile(dir=folder)  # never linked (Unix) or deleted on close: nothing is left behind


def _field_slice(data: bytes | IO[bytes], sub: np.dtype, start: int, m: int) -> np.ndarray:
    """(m,) or (m, count) values of one field from byte ``start`` of the decompressed fields."""
    if isinstance(data, bytes):
        values = m * max(1, int(np.prod(sub.shape or (1,))))
        return np.frombuffer(data, sub.base, values, start).reshape((m, *sub.shape))
    return np.memmap(data, dtype=sub.base, mode="r", offset=start, shape=(m, *sub.shape))


def _field_types(head: dict[str, list[str]], dtype: np.dtype) -> dict[str, str]:
    """field label (as in ``dtype``) -> its TYPE letter (F, I or U)."""
    types = [t.upper() for t in head.get("TYPE", [])]
    return dict(zip(dtype.names or (), types, strict=False))


def _xyz(block: Columns) -> np.ndarray:
    """(m, 3) float64 of a block's x, y, z (the first value of a field of COUNT > 1)."""
    cols = [block[k] if block[k].ndim == 1 else block[k][:, 0] for k in "xyz"]
    return np.column_stack(cols).astype(np.float64, copy=False)


def _colours(values: np.ndarray, kind: str, text: bool) -> np.ndarray:
    """(m, 4) uint8 RGBA of a packed colour field: its 4 bytes read as Open3D does (blue,
    green, red; alpha ignored), whether stored as a float, an integer or ASCII text of
    either; a field of another size gives black, as there."""
    colours = np.zeros((len(values), 4), dtype=np.uint8)
    colours[:, 3] = 255
    if values.ndim != 1:
        return colours
    if text:  # parsed as float64: the number as the file's type
        packed = values.astype(np.float32).view(np.uint32) if kind == "F" else values.astype(np.int64).astype(np.uint32)
    elif values.dtype.itemsize == 4:
        packed = np.ascontiguousarray(values).view(np.uint32)
    else:
        return colours
    for k, shift in enumerate((16, 8, 0)):
        colours[:, k] = (packed >> shift) & 0xFF
    return colours
