"""A vectorised reader for the usual photogrammetry OBJ: positions, texture coordinates,
triangles ``f a/t b/t c/t`` (or ``a/t/n``) and one material with its texture.

A 5-50M-triangle textured scan read line by line through trimesh costs minutes and several
gigabytes of float64 copies; here the ``v``, ``vt`` and ``f`` lines are parsed a chunk at a
time into float32 and int64 arrays, and each distinct (position, texture coordinate) pair of
the faces becomes one vertex (the split a renderer needs, as trimesh makes it). The material is
only named (``mtllib``, ``usemtl``): each caller reads it its own way (the export through
trimesh, the viewer by Open3D's MTL rules).
Any other file (several materials, polygons, relative indices, faces without texture
coordinates, line continuations…) gives ``None``: the caller falls back to trimesh.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glbtools.lines import CHUNK, WS, line_chunks, line_table, line_tokens, parse_numbers, select_lines

_V, _T, _F, _N, _U, _M = (ord(c) for c in "vtfnum")
_IGNORED = np.zeros(256, dtype=bool)
_IGNORED[[ord("#"), ord("o"), ord("g"), ord("s"), 13]] = True
_BLANK = bytes.maketrans(b"vtf/", b"    ")


@dataclass
class TexturedObj:
    """vertices : (n, 3) float32, relative to ``origin`` (3,) float64 (zeros unless the file's
    coordinates lie far from zero, as georeferenced ones do: float32 keeps their millimetres
    only near zero); uv : (n, 2) float32 (OBJ's way: v up); faces : (m, 3) int64, zero-based,
    into the split vertices; ``mtllib`` and ``material``: the file's first ``mtllib`` and its
    one ``usemtl`` name (None when absent)."""

    vertices: np.ndarray
    uv: np.ndarray
    faces: np.ndarray
    mtllib: str | None
    material: str | None
    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))


@dataclass
class _Acc:
    positions: list[np.ndarray] = field(default_factory=list)
    coords: list[np.ndarray] = field(default_factory=list)
    corners: list[np.ndarray] = field(default_factory=list)  # (k, 2): position, texture index
    mtllib: list[bytes] = field(default_factory=list)
    materials: set[bytes] = field(default_factory=set)


    def extend(self, other: _Acc) -> None:
        self.positions += other.positions
        self.coords += other.coords
        self.corners += other.corners
        self.mtllib += other.mtllib
        self.materials |= other.materials


#: files of at least this size are parsed a chunk per worker process, in parallel
PARALLEL_BYTES = 64 * 1024**2
#: bytes of whole lines parsed at a time
CHUNK_BYTES = CHUNK


def read_textured_obj(path: Path, workers: int | None = None) -> TexturedObj | None:
    """``path`` as split arrays, or None when it needs the full reader (module docstring).
    A file of :data:`PARALLEL_BYTES` or more is parsed by ``workers`` processes (by default
    one per core, at most four), a chunk of whole lines each at a time."""
    workers = workers or min(os.cpu_count() or 1, 4)
    parsed = _parsed_in_workers(path, workers) if workers > 1 and path.stat().st_size >= PARALLEL_BYTES else None
    acc = parsed if parsed is not None else _Acc()
    if parsed is None:
        for chunk in line_chunks(path, CHUNK_BYTES):
            if not _chunk(chunk, acc):
                return None
    if not acc.positions or not acc.coords or not acc.corners or len(acc.materials) > 1:
        return None
    positions = np.concatenate(acc.positions).reshape(-1, 3)
    coords = np.concatenate(acc.coords).reshape(-1, 2)
    corners = np.concatenate(acc.corners)
    mtllib = acc.mtllib[0].decode("utf-8", "replace") if acc.mtllib else None
    material = next(iter(acc.materials)).decode("utf-8", "replace") if acc.materials else None
    del acc
    if corners.min() < 1 or corners[:, 0].max() > len(positions) or corners[:, 1].max() > len(coords):
        return None  # relative or broken references: the full reader decides
    position, coord, faces = split_pairs(corners[:, 0] - 1, corners[:, 1] - 1, len(positions))
    del corners
    origin = far_origin(positions)
    vertices = (positions[position] - origin).astype(np.float32)
    return TexturedObj(vertices, coords[coord], faces.reshape(-1, 3), mtllib, material, origin)


def split_pairs(position: np.ndarray, coord: np.ndarray, positions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One vertex per distinct (position, texture coordinate) pair of the corners: (position
    index (k,), coordinate index (k,), vertex of each corner (c,)), from the corners' zero-based
    ``position`` and ``coord`` indices (c,). Most positions carry one coordinate: each used
    position's first vertex takes the coordinate its last corner names, and only the other
    corners (the seams', a few percent) are sorted, not all of them."""
    chosen = np.full(positions, -1, np.int64)
    chosen[position] = coord
    used = np.flatnonzero(chosen >= 0)
    number = np.full(positions, -1, np.int64)
    number[used] = np.arange(len(used))
    vertex = number[position]
    other = np.flatnonzero(chosen[position] != coord)
    if not len(other):
        return used, chosen[used], vertex
    span = int(coord.max()) + 1
    pairs, again = np.unique(position[other] * span + coord[other], return_inverse=True)
    vertex[other] = len(used) + again.ravel()
    return np.concatenate([used, pairs // span]), np.concatenate([chosen[used], pairs % span]), vertex


def far_origin(points: np.ndarray) -> np.ndarray:
    """(3,) float64: the rounded centre of ``points`` (n, 3) when they lie far from zero for
    their size (over 10 km and over 100 times their extent away), else zeros."""
    lo, hi = points.min(axis=0).astype(np.float64), points.max(axis=0).astype(np.float64)
    centre, extent = (lo + hi) / 2.0, float((hi - lo).max()) or 1.0
    return np.round(centre) if np.abs(centre).max() >= max(1e4, 100.0 * extent) else np.zeros(3)


def _parsed_in_workers(path: Path, workers: int) -> _Acc | None:
    """Every chunk of ``path`` parsed in a pool of ``workers`` processes, in order (at most
    two chunks per worker in flight: memory stays bounded); an empty _Acc when one declined,
    None when no pool works here (a worker could not start, e.g. a ``__main__`` that cannot
    be imported again): the caller then parses in this process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from platform_support import start_method

    try:
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context(start_method())) as pool:
            acc = _Acc()
            pending: list[Future[_Acc | None]] = []
            for chunk in line_chunks(path, CHUNK_BYTES):
                pending.append(pool.submit(_parse_chunk, chunk))
                del chunk
                while len(pending) > 2 * workers or (pending and pending[0].done()):
                    if not _take(pending.pop(0), acc):
                        pool.shutdown(cancel_futures=True)
                        return _Acc()
            while pending:
                if not _take(pending.pop(0), acc):
                    pool.shutdown(cancel_futures=True)
                    return _Acc()
            return acc
    except (BrokenProcessPool, OSError, ValueError):
        return None


def _take(future: Future[_Acc | None], acc: _Acc) -> bool:
    part = future.result()
    if part is None:
        return False
    acc.extend(part)
    return True


def _parse_chunk(chunk: bytes) -> _Acc | None:
    """One chunk parsed on its own (in a worker process); None when it declines."""
    acc = _Acc()
    return acc if _chunk(chunk, acc) else None


def _chunk(chunk: bytes, acc: _Acc) -> bool:
    if chunk.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\\\n" in chunk or b"\\\r\n" in chunk:
        return False
    buf = np.frombuffer(chunk, np.uint8)
    starts, ends = line_table(buf)
    pad = np.concatenate((buf, np.array([10, 10, 10], np.uint8)))
    c0, c1, c2 = pad[starts], pad[starts + 1], pad[starts + 2]
    ws1, ws2 = WS[c1], WS[c2]
    is_v, is_f = (c0 == _V) & ws1, (c0 == _F) & ws1
    is_vt, is_vn = (c0 == _V) & (c1 == _T) & ws2, (c0 == _V) & (c1 == _N) & ws2
    is_named = (c0 == _U) | (c0 == _M)  # usemtl, mtllib
    if not (is_v | is_vt | is_vn | is_f | is_named | _IGNORED[c0] | (starts == ends)).all():
        return False
    lengths = np.diff(np.append(starts, buf.shape[0]))
    for a in np.flatnonzero(is_named):
        line = bytes(buf[starts[a]:ends[a]]).strip()
        word = line.split(None, 1)
        if word[0] not in (b"usemtl", b"mtllib") or len(word) < 2:
            return False
        if word[0] == b"usemtl":
            acc.materials.add(word[1].strip())
        else:
            acc.mtllib.append(word[1].strip())
    return (_numbers(buf, lengths, is_v, 3, acc.positions, np.float64)
            and _numbers(buf, lengths, is_vt, 2, acc.coords, np.float32)
            and _faces(buf, lengths, is_f, acc))


def _numbers(buf: np.ndarray, lengths: np.ndarray, mask: np.ndarray, width: int, out: list[np.ndarray],
             dtype: type) -> bool:
    """The ``width`` numbers of each masked line (``v x y z``, ``vt u v``) as ``dtype``
    (positions stay float64 until their origin is known)."""
    if not mask.any():
        return True
    text, lens = select_lines(buf, lengths, mask)
    text = text.translate(_BLANK)
    tokens = line_tokens(text, lens)
    if not (tokens == width).all():
        return False  # v x y z r g b, vt u v w…
    try:
        nums = parse_numbers(text, np.float64)
    except ValueError:
        return False
    if nums.shape[0] != width * len(tokens):
        return False
    out.append(nums.astype(dtype, copy=False))
    return True


def _faces(buf: np.ndarray, lengths: np.ndarray, mask: np.ndarray, acc: _Acc) -> bool:
    """Triangles written ``a/t b/t c/t`` or ``a/t/n b/t/n c/t/n``: (3k, 2) position and
    texture indices, one row per corner."""
    if not mask.any():
        return True
    text, lens = select_lines(buf, lengths, mask)
    if b"//" in text:
        return False  # a corner without texture coordinates
    tokens = line_tokens(text.translate(_BLANK), lens)
    slashes = text.count(b"/")
    per = 2 if slashes == 3 * len(lens) else 3 if slashes == 6 * len(lens) else 0
    if not per or not (tokens == 3 * per).all():
        return False  # polygons, mixed layouts
    try:
        nums = parse_numbers(text.translate(_BLANK), np.int64)
    except ValueError:
        return False
    if nums.shape[0] != 3 * per * len(lens):
        return False
    acc.corners.append(nums.reshape(-1, per)[:, :2])
    return True

__all__ = ["TexturedObj", "far_origin", "read_textured_obj", "split_pairs"]
