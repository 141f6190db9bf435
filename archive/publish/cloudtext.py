"""Text clouds read a block of lines at a time as :class:`.cloudstream.CloudSource`: XYZ and
PTS (:mod:`archive.formats.textcloud`, the importer's own rules) and an ASCII PLY holding
only vertices.

A text file says neither how many points it holds nor where they lie, so the first pass
over it measures both (with the colour rule, which needs every line); that pass is kept per
file (path, size, modification time) for the process, so the levels' thinning and the pick
index that follow in the same worker read the file once more each, not twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from archive.errors import CorruptFile
from archive.formats.textcloud import BLOCK, TextCloudFacts, measure_text_cloud, numbers, text_blocks
from glbtools import lines as L
from glbtools.plymesh import ply_colour_names, ply_origin

from .cloudstream import Chunk, _Affine, _box_in_frame, _finite
from .modelframe import ModelFrame

#: bytes of the file's start read to guess a text cloud's points before its first pass
GUESS_BYTES = 1024**2
_MEASURED: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
_KEEP = 8


def _file_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def _measured(path: Path, measure: Callable[[], Any]) -> Any:
    """``measure()`` of the file at ``path``, once per process while the file is unchanged."""
    key = _file_key(path)
    if key not in _MEASURED:
        _MEASURED[key] = measure()
        while len(_MEASURED) > _KEEP:
            _MEASURED.popitem(last=False)
    return _MEASURED[key]


def _rgba(rgb: np.ndarray) -> np.ndarray:
    """(m, 3) float colours 0..255 -> (m, 4) uint8 RGBA (the whole reader's rounding)."""
    out = np.full((len(rgb), 4), 255, dtype=np.uint8)
    out[:, :3] = np.clip(rgb, 0, 255).round()
    return out


class TextSource:
    """An XYZ or PTS cloud, a block of lines at a time, in ``frame``."""

    def __init__(self, path: Path, fmt: str, frame: ModelFrame, block: int = BLOCK):
        self.path, self.fmt, self.frame, self.block = path, fmt, frame, block
        self.moved = _Affine(frame)

    def facts(self) -> TextCloudFacts:
        """Count, bounds and colour rule of the whole file (one pass, kept)."""
        return _measured(self.path, lambda: measure_text_cloud(self.path, self.fmt, size=self.block))

    @property
    def count(self) -> int:
        """The points: measured once read, until then guessed from the file's first lines."""
        known = _MEASURED.get(_file_key(self.path))
        return known.count if known is not None else _guess_points(self.path, self.fmt)

    @property
    def coloured(self) -> bool:
        return self.facts().coloured

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        facts = self.facts()
        if facts.lo is None or facts.hi is None:
            return np.zeros(3), np.zeros(3)
        return _box_in_frame(self.frame, facts.lo, facts.hi)

    def chunks(self) -> Iterator[Chunk]:
        coloured = self.coloured
        for rows in text_blocks(self.path, self.fmt, self.block):
            colours = _rgba(rows.last_three()) if coloured and len(rows.tokens) else None
            yield _finite(self.moved(rows.columns(0, 3)), colours)


def _guess_points(path: Path, fmt: str) -> int:
    """Points of a text cloud guessed from the point lines of its first megabyte."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(GUESS_BYTES)
    head = head[:head.rfind(b"\n") + 1] if len(head) < size else head + b"\n"
    if not head.strip():
        return 0
    from archive.formats.textcloud import parse_block

    rows = parse_block(head, fmt, path.name)
    return round(len(rows.tokens) * size / len(head))


class PlyTextSource:
    """An ASCII PLY holding only vertices (fixed properties, no lists), a block of lines at a
    time; colours from its 8-bit colour properties as the binary :class:`.cloudstream.PlySource`."""

    def __init__(self, path: Path, frame: ModelFrame, header: Any, block: int = BLOCK):
        self.path, self.frame, self.header, self.block = path, frame, header, block
        self.vertex = header.elements[0]
        self.names = [p.name for p in self.vertex.props]
        self.xyz = [self.names.index(a) for a in "xyz"]
        dtype = np.dtype([(p.name, p.dtype) for p in self.vertex.props])
        trio = ply_colour_names(dtype)
        self.colour_columns = None if trio is None else [self.names.index(c) for c in trio]
        self.coloured = trio is not None
        self.count = int(self.vertex.count)
        self.origin = ply_origin(header.comments)
        self.moved = _Affine(frame)

    def _rows(self) -> Iterator[np.ndarray]:
        """(m, properties) float64 vertex rows, blank lines skipped, ``count`` rows in all."""
        width, left, line = len(self.names), self.count, 1
        for data in L.line_chunks(self.path, self.block, offset=self.header.data_offset):
            if left <= 0:
                return
            ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10) + 1
            tokens = L.line_tokens(data, np.diff(ends, prepend=0))
            used = np.flatnonzero(tokens)[:left]
            wrong = used[tokens[used] != width]
            if wrong.size:
                raise CorruptFile(f"{self.path.name}: line {line + int(wrong[0]):,} of the data does not hold the "
                                  f"{width} numbers of a PLY vertex.")
            take = len(used)
            if take < len(tokens) and take:  # the vertices end in this block: what follows is not theirs
                data = data[:int(ends[used[-1]])]
                tokens = tokens[:int(used[-1]) + 1]
            nums = numbers(data, tokens, f"{self.path.name}: line {{}} of the data", line)
            left -= take
            line += len(ends)
            yield nums[:take * width].reshape(take, width)
        if left > 0:
            raise CorruptFile(f"{self.path.name}: the PLY declares {self.count:,} vertices but holds only "
                              f"{self.count - left:,}; it is truncated.")

    def _measure(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
        for rows in self._rows():
            xyz = rows[:, self.xyz]
            ok = np.isfinite(xyz).all(axis=1)
            if ok.any():
                lo, hi = np.minimum(lo, xyz[ok].min(axis=0)), np.maximum(hi, xyz[ok].max(axis=0))
        return lo, hi

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = _measured(self.path, self._measure)
        if not np.isfinite(lo).all():
            return np.zeros(3), np.zeros(3)
        return _box_in_frame(self.frame, lo + self.origin, hi + self.origin)

    def chunks(self) -> Iterator[Chunk]:
        for rows in self._rows():
            colours = None
            if self.colour_columns is not None:
                colours = np.full((len(rows), 4), 255, dtype=np.uint8)
                colours[:, :len(self.colour_columns)] = rows[:, self.colour_columns]
            yield _finite(self.moved(rows[:, self.xyz] + self.origin), colours)
