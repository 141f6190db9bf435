"""XYZ and PTS text clouds parsed a block of whole lines at a time.

One parser for import (:mod:`.pointclouds`: count, bounds, columns, colours), the export's
whole reader and the streamed reader of big masters (:mod:`archive.publish.cloudtext`), so
they read the same points and colours. Memory follows the block, not the file: a 1B-point
PTS is measured at import and thinned for its levels without ever being held whole.

Rules (as the importer has always read them): ``#`` and ``//`` start a comment to the end
of the line; commas and semicolons separate like spaces; a line of three or more numbers is
a point (x y z first); a PTS line of one number is a scan's count; any other non-blank line
is refused (:class:`~archive.errors.CorruptFile` naming the line). Colours are the last
three columns when every point line has the same count of six or more and the first
:data:`SAMPLE_ROWS` hold whole numbers 0..255 (rather than normals).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archive.errors import CorruptFile
from glbtools import lines as L

#: bytes of whole lines parsed at once: ~1M points of a typical PTS, ~100 MB in flight
BLOCK = 32 * 1024**2
#: point rows whose last three columns decide whether they are colours
SAMPLE_ROWS = 10_000
#: PTS count lines summed for the declared count (a multi-scan file has one per scan)
COUNT_LINES = 1000
_COMMENTS = re.compile(rb"(#|//)[^\n]*")
_SEPARATORS = bytes.maketrans(b",;", b"  ")


@dataclass
class TextRows:
    """The point rows of one block of lines.

    nums : (k,) float64, every number of the block in order (count lines included);
    first : (m,) int64, index in ``nums`` of each point row's first number;
    tokens : (m,) int64, each point row's count of numbers;
    counts : values of the block's PTS count lines (at most what is still wanted).
    """

    nums: np.ndarray
    first: np.ndarray
    tokens: np.ndarray
    counts: list[int] = field(default_factory=list)

    def columns(self, a: int, b: int) -> np.ndarray:
        """(m, b - a) float64: columns a..b of every point row."""
        return self.nums[self.first[:, None] + np.arange(a, b)]

    def last_three(self) -> np.ndarray:
        """(m, 3) float64: each row's last three numbers (its colours when it has any)."""
        return self.nums[(self.first + self.tokens)[:, None] + np.arange(-3, 0)]


def text_blocks(path: Path, fmt: str, size: int = BLOCK) -> Iterator[TextRows]:
    """The point rows of the XYZ (``fmt`` "xyz") or PTS ("pts") cloud at ``path``, a block of
    whole lines at a time; raises :class:`CorruptFile` naming the first bad line."""
    line, wanted = 1, COUNT_LINES
    for data in L.line_chunks(path, size):
        rows = parse_block(data, fmt, path.name, line, wanted)
        wanted -= len(rows.counts)
        line += data.count(b"\n")
        yield rows


def parse_block(data: bytes, fmt: str, name: str, line: int = 1, wanted: int = COUNT_LINES) -> TextRows:
    """The point rows of ``data`` (whole lines, each ending with a newline) whose first line
    is line ``line`` of the file ``name``; keeps the values of at most ``wanted`` count lines."""
    if b"#" in data or b"//" in data:
        data = _COMMENTS.sub(b"", data)
    data = data.translate(_SEPARATORS)
    buf = np.frombuffer(data, np.uint8)
    if not buf.size:
        return TextRows(np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))
    ends = np.flatnonzero(buf == 10) + 1
    tokens = L.line_tokens(data, np.diff(ends, prepend=0))
    nums = numbers(data, tokens, f"{name}: line {{}}", line)
    points = tokens >= 3
    lone = tokens == 1 if fmt == "pts" else np.zeros_like(points)
    short = np.flatnonzero((tokens > 0) & ~points & ~lone)
    if short.size:
        raise CorruptFile(f"{name}: line {line + int(short[0]):,} has fewer than 3 coordinates.")
    first = np.cumsum(tokens) - tokens
    counts = [int(nums[i]) for i in first[lone][:max(wanted, 0)] if np.isfinite(nums[i])]
    return TextRows(nums, first[points], tokens[points], counts)


def numbers(data: bytes, tokens: np.ndarray, where: str, line: int = 1) -> np.ndarray:
    """(sum(tokens),) float64: every number of ``data`` (whole lines holding ``tokens``
    each); a token that is no number raises :class:`CorruptFile` with ``where`` formatted
    with its line number (``line`` being the first line's)."""
    try:
        nums = L.parse_numbers(data)
    except ValueError:  # numpy 2.4 refuses unmatched data instead of stopping there
        nums = None
    if nums is not None and nums.shape[0] == int(tokens.sum()):
        return nums
    bad = _first_bad_line(data)
    if bad is None and nums is not None:  # parsing stopped at the first token that is no number
        bad = int(np.searchsorted(np.cumsum(tokens), nums.shape[0], side="right"))
    at = "" if bad is None else f"{line + bad:,}"
    raise CorruptFile(f"{where.format(at)} holds a value that is not a number.".replace("line  ", "a line "))


def _first_bad_line(data: bytes) -> int | None:
    """Index of the first line of ``data`` with a token that is no number (slow; for the
    error's message only)."""
    for i, text in enumerate(data.split(b"\n")):
        for token in text.split():
            try:
                float(token)
            except ValueError:
                return i
    return None


@dataclass
class TextCloudFacts:
    """What one pass over a text cloud measured (:func:`measure_text_cloud`).

    count: point rows; lo, hi: (3,) float64 bounds of the finite points (None when there is
    none); not_finite: rows with a NaN or infinite coordinate; columns: (k,) int64 point rows
    per count of numbers; declared: the PTS count lines' sum (None for XYZ or without one);
    head: the first :data:`SAMPLE_ROWS` or more point rows, for the colour rule."""

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
        if sum(len(h.tokens) for h in heads) <= SAMPLE_ROWS:
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
    head = _sample(joined_rows(heads), len(columns))
    return TextCloudFacts(count, lo if found else None, hi if found else None, bad, columns,
                          sum(declared) if fmt == "pts" and declared else None, head)


def _sample(rows: TextRows, width: int) -> TextRows:
    """The first :data:`SAMPLE_ROWS` point rows of ``rows`` with the numbers the colour rule
    may look at (up to ``width`` from each row's first; a copy: the facts are kept, the
    block they came from is not)."""
    if len(rows.first) <= SAMPLE_ROWS:
        return rows
    end = min(len(rows.nums), int(rows.first[SAMPLE_ROWS - 1]) + width)
    return TextRows(rows.nums[:end].copy(), rows.first[:SAMPLE_ROWS].copy(), rows.tokens[:SAMPLE_ROWS].copy())


def joined_rows(blocks: list[TextRows]) -> TextRows:
    """One :class:`TextRows` of several blocks (their numbers end to end)."""
    if len(blocks) == 1:
        return blocks[0]
    if not blocks:
        return TextRows(np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))
    starts = np.cumsum([0] + [len(b.nums) for b in blocks[:-1]])
    return TextRows(np.concatenate([b.nums for b in blocks]),
                    np.concatenate([b.first + s for b, s in zip(blocks, starts, strict=True)]),
                    np.concatenate([b.tokens for b in blocks]))


def looks_like_rgb(rows: TextRows, ncol: int) -> bool:
    """Columns ncol-3..ncol of the first :data:`SAMPLE_ROWS` point rows are whole numbers
    0..255 (colours rather than normals)."""
    sample = rows.first[:SAMPLE_ROWS][:, None] + np.arange(ncol - 3, ncol)
    sample = sample[sample.max(axis=1) < rows.nums.shape[0]]
    vals = rows.nums[sample]
    return bool(vals.size and (vals >= 0).all() and (vals <= 255).all() and (vals == np.round(vals)).all())
