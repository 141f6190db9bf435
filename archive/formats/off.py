"""OFF (Object File Format) text meshes, including COFF/NOFF/4OFF headers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from archive.errors import CorruptFile, EmptyModel, UnsupportedFormat
from archive.formats import _common as C
from archive.formats.base import Limits, ScanInfo
from archive.formats.refs import rel_posix
from glbtools import lines as L

_HEAD = re.compile(r"^(ST)?(C)?(N)?(4)?(n)?OFF(.*)$")
_COMMENT = re.compile(rb"#[^\n]*")


def inspect_off(path: Path, root: Path, limits: Limits) -> ScanInfo:
    """Inspect an OFF file; see :func:`archive.formats.inspect_scan`."""
    size = C.file_size(path)
    data = _COMMENT.sub(b"", path.read_bytes() if size else b"")
    buf = np.frombuffer(data, np.uint8)
    starts, ends = L.line_table(buf)
    tokens = L.token_counts(buf, starts, ends) if buf.size else np.zeros(0, np.int64)
    lines = np.flatnonzero(tokens > 0)
    if lines.size == 0:
        raise EmptyModel(f"{path.name}: the file is empty.")
    words = data[starts[lines[0]] : ends[lines[0]]].split()
    match = _HEAD.match(words[0].decode("latin-1"))
    if not match:
        raise CorruptFile(f"{path.name}: does not start with an OFF header.")
    counts_words = ([match.group(6).encode()] if match.group(6) else []) + words[1:]
    body = lines[1:]
    if len(counts_words) < 2:
        counts_words += data[starts[body[0]] : ends[body[0]]].split() if body.size else []
        body = body[1:]
    if counts_words and counts_words[0] == b"BINARY":
        raise UnsupportedFormat(f"{path.name}: binary OFF is not supported; save it as text OFF.")
    nv, nf = _counts(path.name, counts_words, limits)
    C.check_room(nv * 6 + nf * 2, len(data), "OFF vertices and faces", path.name)
    if body.size < nv + nf:
        raise CorruptFile(f"{path.name}: declares {nv:,} vertices and {nf:,} faces but is truncated.")
    info = ScanInfo(format="off", geometry="mesh", files=[rel_posix(path, root)])
    info.details.update(encoding="ascii", header=words[0].decode("latin-1"))
    vl, fl = body[:nv], body[nv : nv + nf]
    _vertices(path.name, buf, starts[vl], ends[vl], tokens[vl], info)
    _faces(path.name, buf, starts[fl], ends[fl], tokens[fl], info, nv)
    info.vertex_colors = bool(match.group(2))
    C.require_geometry(info.vertices, path.name)
    if info.faces == 0:
        info.geometry, info.points = "points", info.vertices
    return info


def _counts(name: str, words: list[bytes], limits: Limits) -> tuple[int, int]:
    try:
        nv, nf = int(words[0]), int(words[1])
    except (ValueError, IndexError):
        raise CorruptFile(f"{name}: OFF header has no vertex and face counts.") from None
    C.check_count(nv, limits.max_vertices, "vertices", name)
    C.check_count(nf, limits.max_faces, "faces", name)
    return nv, nf


def _block(buf: np.ndarray, starts: np.ndarray, tokens: np.ndarray, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of consecutive lines (blank lines between them hold no tokens), flattened,
    and the index of each line's first number."""
    nums = L.parse_numbers(buf[int(starts[0]) : end].tobytes())
    if nums.shape[0] != int(tokens.sum()):
        raise CorruptFile("OFF data holds a value that is not a number.")
    return nums, np.cumsum(tokens) - tokens


def _vertices(
    name: str,
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    tokens: np.ndarray,
    info: ScanInfo,
) -> None:
    if (tokens < 3).any():
        raise CorruptFile(f"{name}: an OFF vertex line has fewer than 3 coordinates.")
    nums, first = _block(buf, starts, tokens, int(ends[-1])) if starts.size else (np.zeros(0), starts)
    xyz = nums[first[:, None] + np.arange(3)] if first.size else np.zeros((0, 3))
    info.bbox_min, info.bbox_max = C.bbox(xyz, info.warnings)
    info.vertices = xyz.shape[0]


def _faces(
    name: str,
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    tokens: np.ndarray,
    info: ScanInfo,
    nv: int,
) -> None:
    if starts.size == 0:
        return
    nums, first = _block(buf, starts, tokens, int(ends[-1]))
    counts = nums[first].astype(np.int64)
    room = np.diff(np.append(first, nums.shape[0])) - 1
    if (counts < 0).any() or (counts > room).any():
        raise CorruptFile(f"{name}: an OFF face lists more vertices than it has.")
    info.faces = int(np.maximum(counts - 2, 0).sum())
    n = nums.shape[0] + 1
    mark = np.bincount(first + 1, minlength=n) - np.bincount(first + 1 + counts, minlength=n)
    idx = nums[np.cumsum(mark[:-1]) > 0]
    if idx.size and (idx.min() < 0 or idx.max() >= nv):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise CorruptFile(f"{name}: a face refers to vertex {bad} but the file has {nv:,} vertices.")
