"""XYZ and PTS text clouds parsed a block of whole lines at a time: the one parser of the
archive (import, export, the streamed reader of big masters) and the viewer, which may not
import each other, so both read the same points and colours.

Rules (as the importer has always read them): ``#`` and ``//`` start a comment to the end
of the line; commas and semicolons separate like spaces; a line of three or more numbers is
a point (x y z first); a PTS line of one number is a scan's count; any other non-blank line
is refused (:class:`TextCloudError` naming the line). Colours are the last three columns
when every point line has the same count of six or more and the first :data:`SAMPLE_ROWS`
hold whole numbers 0..255 (rather than normals).

No archive or viewer errors here: each side turns :class:`TextCloudError` (a ``ValueError``)
into its own ``CorruptFile`` with the same message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glbtools import lines as L

#: bytes of whole lines parsed at once: ~1M points of a typical PTS, ~100 MB in flight
BLOCK = 32 * 1024**2
#: point rows whose last three columns decide whether they are colours
SAMPLE_ROWS = 10_000
#: PTS count lines summed for the declared count (a multi-scan file has one per scan)
COUNT_LINES = 1000
_COMMENTS = re.compile(rb"(#|//)[^\n]*")
_SEPARATORS = bytes.maketrans(b",;", b"  ")


class TextCloudError(ValueError):
    """A text cloud's line that is neither a point, a PTS count, a comment nor blank; the
    message names the file and the line, for a museum worker."""


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
    whole lines at a time; raises :class:`TextCloudError` naming the first bad line."""
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
        raise TextCloudError(f"{name}: line {line + int(short[0]):,} has fewer than 3 coordinates.")
    first = np.cumsum(tokens) - tokens
    counts = [int(nums[i]) for i in first[lone][:max(wanted, 0)] if np.isfinite(nums[i])]
    return TextRows(nums, first[points], tokens[points], counts)


def numbers(data: bytes, tokens: np.ndarray, where: str, line: int = 1) -> np.ndarray:
    """(sum(tokens),) float64: every number of ``data`` (whole lines holding ``tokens``
    each); a token that is no number raises :class:`TextCloudError` with ``where`` formatted
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
    raise TextCloudError(f"{where.format(at)} holds a value that is not a number.".replace("line  ", "a line "))


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


def head_sample(rows: TextRows, width: int) -> TextRows:
    """The first :data:`SAMPLE_ROWS` point rows of ``rows`` with the numbers the colour rule
    may look at (up to ``width`` from each row's first; a copy, so the block they came from
    can be let go)."""
    if len(rows.first) <= SAMPLE_ROWS:
        return rows
    end = min(len(rows.nums), int(rows.first[SAMPLE_ROWS - 1]) + width)
    return TextRows(rows.nums[:end].copy(), rows.first[:SAMPLE_ROWS].copy(), rows.tokens[:SAMPLE_ROWS].copy())
