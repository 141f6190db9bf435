"""Vectorised helpers over text files read as chunks of whole lines: line tables, token
counts, number parsing at C speed. Shared by the archive (OBJ/OFF/PLY/point-cloud inspection
at import, the export's OBJ readers) and the viewer's fast OBJ reader, which may not import
each other."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

CHUNK = 16 * 1024**2
#: bytes that separate tokens in the text formats (tab, newlines, vertical tab, form feed, space)
WS = np.zeros(256, dtype=bool)
WS[[9, 10, 11, 12, 13, 32]] = True


def parse_numbers(block: bytes, dtype: type = np.float64) -> np.ndarray:
    """All whitespace-separated numbers of ``block`` (C speed); stops at the first bad token.

    Callers compare the length with the token count to detect malformed text.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.fromstring(block, dtype=dtype, sep=" ")  # type: ignore[call-overload]


def line_table(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of each line of a byte array (ends exclude the newline).

    Returns
    -------
    starts, ends : (n,) int64
    """
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [buf.shape[0]]))
    if starts[-1] >= buf.shape[0]:  # file ends with a newline: no empty last line
        starts, ends = starts[:-1], ends[:-1]
    return starts.astype(np.int64), ends.astype(np.int64)


def token_counts(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Number of whitespace-separated tokens on each line, shape (n,).

    Bytes <= 0x20 count as whitespace (text formats hold no other control bytes).
    Token starts are located once, then counted per line with two binary searches, which
    avoids a cumulative sum over every byte.
    """
    if buf.size == 0:
        return np.zeros(starts.shape[0], np.int64)
    ws = buf <= 32
    pos = np.flatnonzero(ws[:-1] & ~ws[1:]) + 1
    if not ws[0]:
        pos = np.concatenate(([0], pos))
    return np.searchsorted(pos, ends) - np.searchsorted(pos, starts)


def line_chunks(path: Path, size: int = CHUNK, decode_utf16: bool = False, offset: int = 0) -> Iterator[bytes]:
    """Yield chunks of whole lines (the last one given a newline when the file has none),
    from byte ``offset`` on (a PLY's data after its header). With ``decode_utf16``, a file
    with a UTF-16 byte-order mark is decoded to UTF-8 first (otherwise its bytes come as they
    are)."""
    with open(path, "rb") as fh:
        if decode_utf16 and fh.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            fh.seek(0)
            yield fh.read(size * 16).decode("utf-16").encode("utf-8")
            return
        fh.seek(offset)
        carry = b""
        while block := fh.read(size):
            block = carry + block
            cut = block.rfind(b"\n") + 1
            carry, block = block[cut:], block[:cut]
            if block:
                yield block
        if carry:
            yield carry + b"\n"


def select_lines(buf: np.ndarray, lengths: np.ndarray, mask: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Bytes of the masked lines (newlines kept) and their lengths. OBJ files keep their
    ``v`` and ``f`` lines in long runs: slicing those is cheaper than a byte mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])).astype(np.int8)))
    if len(edges) > 128:
        return buf[np.repeat(mask, lengths)].tobytes(), lengths[mask]
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    data = buf.data
    return b"".join(data[offsets[a]:offsets[b]] for a, b in edges.reshape(-1, 2)), lengths[mask]


_BLANK_KEYWORD = {b"v": bytes.maketrans(b"v", b" "), b"f": bytes.maketrans(b"f", b" ")}


def keyword_lines(buf: np.ndarray, lengths: np.ndarray, mask: np.ndarray,
                  keyword: bytes) -> tuple[bytes, np.ndarray] | None:
    """The masked ``v`` or ``f`` lines with their keyword blanked (only numbers and ``/``
    left) and the (n,) token count of each line; None when no line is masked. What both OBJ
    readers (inspection at import, the export's reader) start from."""
    if not mask.any():
        return None
    text, lens = select_lines(buf, lengths, mask)
    text = text.translate(_BLANK_KEYWORD[keyword])
    return text, line_tokens(text, lens)


def line_tokens(text: bytes, lengths: np.ndarray) -> np.ndarray:
    """(n,) whitespace-separated tokens on each line of ``text``."""
    uniform = _uniform_tokens(text, lengths)
    if uniform is not None:
        return np.full(len(lengths), uniform, np.int64)
    starts = np.cumsum(lengths) - lengths
    return token_counts(np.frombuffer(text, np.uint8), starts, starts + lengths)


def _uniform_tokens(text: bytes, lengths: np.ndarray) -> int | None:
    """k when every line holds exactly k tokens (the usual case), else None. Cheaper than
    counting per line: with k·n token starts in all, line i holding the i-th group of k
    (its first at or after the line's start, its last before the line's end) leaves
    exactly k on each line."""
    buf = np.frombuffer(text, np.uint8)
    n = len(lengths)
    if n == 0 or buf.size == 0:
        return None
    ws = buf <= 32
    first = np.flatnonzero(ws[:-1] & ~ws[1:]) + 1
    if not ws[0]:
        first = np.concatenate(([0], first))
    if len(first) % n:
        return None
    k = len(first) // n
    ends = np.cumsum(lengths)
    groups = first.reshape(n, k)
    if k == 0 or (groups[:, 0] < ends - lengths).any() or (groups[:, -1] >= ends).any():
        return None
    return k
