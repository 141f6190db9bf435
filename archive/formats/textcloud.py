"""XYZ and PTS text clouds for the archive: the block parser of :mod:`glbtools.textcloud`
(its rules and colour rule, shared with the viewer) with the archive's errors, and the one
pass that measures a cloud at import.

One parser for import (:mod:`.pointclouds`: count, bounds, columns, colours), the export's
whole reader and the streamed reader of big masters (:mod:`archive.publish.cloudtext`), so
they read the same points and colours. Memory follows the block, not the file: a 1B-point
PTS is measured at import and thinned for its levels without ever being held whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archive.errors import CorruptFile
from glbtools import textcloud as T
from glbtools.textcloud import BLOCK, COUNT_LINES, TextRows, head_sample, joined_rows, looks_like_rgb


def text_blocks(path: Path, fmt: str, size: int = BLOCK) -> Iterator[TextRows]:
    """The point rows of the XYZ (``fmt`` "xyz") or PTS ("pts") cloud at ``path``, a block of
    whole lines at a time; raises :class:`CorruptFile` naming the first bad line."""
    try:
        yield from T.text_blocks(path, fmt, size)
    except T.TextCloudError as exc:
        raise CorruptFile(str(exc)) from exc


def parse_block(data: bytes, fmt: str, name: str, line: int = 1, wanted: int = COUNT_LINES) -> TextRows:
    """:func:`glbtools.textcloud.parse_block`, a bad line raising :class:`CorruptFile`."""
    try:
        return T.parse_block(data, fmt, name, line, wanted)
    except T.TextCloudError as exc:
        raise CorruptFile(str(exc)) from exc


def numbers(data: bytes, tokens: np.ndarray, where: str, line: int = 1) -> np.ndarray:
    """:func:`glbtools.textcloud.numbers`, a token that is no number raising :class:`CorruptFile`."""
    try:
        return T.numbers(data, tokens, where, line)
    except T.TextCloudError as exc:
        raise CorruptFile(str(exc)) from exc


@dataclass
class TextCloudFacts:
    """What one pass over a text cloud measured (:func:`measure_text_cloud`).

    count: point rows; lo, hi: (3,) float64 bounds of the finite points (None when there is
    none); not_finite: rows with a NaN or infinite coordinate; columns: (k,) int64 point rows
    per count of numbers; declared: the PTS count lines' sum (None for XYZ or without one);
    head: the first :data:`glbtools.textcloud.SAMPLE_ROWS` or more point rows, for the colour rule."""

    count: int
    lo: np.ndarray | None
    hi: np.ndarray | None
    not_finite: int
    columns: np.ndarray
    declared: int | None
    head: TextRows

    @property
    def usual_columns(self) -> int:
        """The commonest count of numbers on a point line (the importer's ``columns``)."""
        return int(self.columns.argmax()) if self.columns.size else 0

    @property
    def coloured(self) -> bool:
        """Whether the last three columns are colours (the readers' rule: every point line
        has the same count, six or more, and the first rows hold whole numbers 0..255)."""
        used = np.flatnonzero(self.columns)
        return used.size == 1 and int(used[0]) >= 6 and looks_like_rgb(self.head, int(used[0]))


def measure_text_cloud(path: Path, fmt: str, max_points: int | None = None, size: int = BLOCK) -> TextCloudFacts:
    """Count, bounds and column facts of a text cloud in one pass, a block at a time.
    ``max_points`` refuses a bigger cloud as soon as it is passed (``LimitExceeded``)."""
    from archive.formats._common import check_count

    count = bad = 0
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    columns = np.zeros(0, np.int64)
    declared: list[int] = []
    heads: list[TextRows] = []
    for rows in text_blocks(path, fmt, size):
        count += len(rows.tokens)
        if max_points is not None:
            check_count(count, max_points, "points", path.name)
        declared += rows.counts
        if sum(len(h.tokens) for h in heads) <= T.SAMPLE_ROWS:
            heads.append(rows)
        hist = np.bincount(rows.tokens)
        columns = np.pad(columns, (0, max(0, len(hist) - len(columns))))
        columns[:len(hist)] += hist
        xyz = rows.columns(0, 3)
        ok = np.isfinite(xyz).all(axis=1)
        bad += int(len(ok) - np.count_nonzero(ok))
        if ok.any():
            lo, hi = np.minimum(lo, xyz[ok].min(axis=0)), np.maximum(hi, xyz[ok].max(axis=0))
    found = bool(np.isfinite(lo).all())
    head = head_sample(joined_rows(heads), len(columns))
    return TextCloudFacts(count, lo if found else None, hi if found else None, bad, columns,
                          sum(declared) if fmt == "pts" and declared else None, head)
