"""Reading a master in chunks for its pick index (:mod:`archive.pickindex`): a binary PLY
through a memory map, a LAS/LAZ through laspy's chunks, anything else through the levels'
reader. The levels' build hands over the master it already holds instead
(:func:`ensure_pick_index` with ``geometry``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptFile
from .pickindex import CHUNK, Progress, RowFile, RowsOnDisk, build_pick_index, find_pick_index, finite_bounds
from .store import CancelToken


def ensure_pick_index(master: Path, sha256: str, folder: Path, geometry: Any = None,
                      progress: Progress | None = None, cancel: CancelToken | None = None) -> Path:
    """The index of ``master`` in ``folder``, built when missing: from ``geometry`` (an
    ``archive.levels.MasterGeometry`` already in memory) or else read from the file in chunks."""
    found = find_pick_index(folder, sha256)
    if found is not None:
        return found
    if geometry is not None:
        return build_pick_index(geometry.vertices, geometry.faces, geometry.origin, folder, sha256, progress, cancel)
    return build_pick_index_for(master, sha256, folder, progress, cancel)


def build_pick_index_for(master: Path, sha256: str, folder: Path, progress: Progress | None = None,
                         cancel: CancelToken | None = None) -> Path:
    """Build the index reading ``master`` in chunks: a binary PLY through a memory map, a
    LAS/LAZ through laspy's chunks (spilled once to a scratch file); any other format through
    the levels' reader (the whole master in memory, as for its levels)."""
    from .formats.identify import identify

    fmt = identify(master)
    if fmt == "ply":
        mapped = _mapped_ply(master)
        if mapped is not None:
            vertices, faces, file_origin = mapped
            origin, shift = _origin_for(vertices, file_origin)
            return build_pick_index(vertices, faces, origin, folder, sha256, progress, cancel, shift=shift)
    if fmt in ("las", "laz"):
        folder.mkdir(parents=True, exist_ok=True)
        spill = folder / f"{sha256}.pick.spill.npy"
        try:
            origin = _spill_las(master, spill, cancel)
            points = RowsOnDisk(spill)
            try:
                return build_pick_index(points, None, origin, folder, sha256, progress, cancel)
            finally:
                points.fh.close()
        finally:
            spill.unlink(missing_ok=True)
    from .levels import read_master

    g = read_master(master)
    return build_pick_index(g.vertices, g.faces, g.origin, folder, sha256, progress, cancel)


def _mapped_ply(path: Path) -> tuple[Any, Any, np.ndarray] | None:
    """(vertex x/y/z view, triangle view, origin of the ``comment origin``) of a binary
    little-endian PLY of triangles, memory-mapped; None for any other layout."""
    from glbtools.plymesh import ply_origin

    from .formats.ply import _triangle_dtype, read_header

    header = read_header(path)
    if header.encoding != "binary_little_endian" or not header.elements or header.elements[0].name != "vertex":
        return None
    vertex, rest = header.elements[0], header.elements[1:]
    if vertex.has_lists or not {"x", "y", "z"} <= {p.name for p in vertex.props}:
        return None
    vdtype = np.dtype([(p.name, "<" + p.dtype) for p in vertex.props])
    fdtype = _triangle_dtype(rest[0]) if len(rest) == 1 and len(rest[0].props) == 1 else None
    if rest and fdtype is None:
        return None
    nfaces = rest[0].count if rest else 0
    end = header.data_offset + vertex.count * vdtype.itemsize
    if path.stat().st_size < end + nfaces * (fdtype.itemsize if fdtype else 0):
        raise CorruptFile(f"{path.name}: the PLY is shorter than its header declares; it is truncated.")
    rows = np.memmap(path, dtype=vdtype, mode="r", offset=header.data_offset, shape=(vertex.count,))
    xyz = _Columns(rows, ("x", "y", "z"))
    if not nfaces or fdtype is None:
        return xyz, None, ply_origin(header.comments)
    recs = np.memmap(path, dtype=fdtype, mode="r", offset=end, shape=(nfaces,))
    for a in range(0, nfaces, CHUNK):
        if not (recs["n"][a:a + CHUNK] == 3).all():
            return None
    return xyz, recs["v"], ply_origin(header.comments)


class _Columns:
    """(n, 3) rows read from three fields of a structured array, a chunk at a time."""

    def __init__(self, rows: np.ndarray, names: tuple[str, str, str]) -> None:
        self.rows, self.names = rows, names

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, sl: slice) -> np.ndarray:
        block = self.rows[sl]
        return np.column_stack([block[n] for n in self.names])


def _origin_for(vertices: Any, file_origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(origin, shift): coordinates far from zero (georeferenced) are kept relative to a
    whole offset near their centre, which float32 would otherwise round to decimetres."""
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for a in range(0, len(vertices), CHUNK):
        lo, hi = finite_bounds(np.asarray(vertices[a:a + CHUNK], dtype=np.float64), lo, hi)
    if not np.isfinite(lo).all():
        return file_origin, np.zeros(3)
    centre, extent = (lo + hi) / 2, float((hi - lo).max()) or 1.0
    shift = np.round(centre) if np.abs(centre).max() >= max(1e4, 100.0 * extent) else np.zeros(3)
    return file_origin + shift, shift


def _spill_las(path: Path, out: Path, cancel: CancelToken | None) -> np.ndarray:
    """Write a LAS/LAZ's points as float32 relative to an origin near their centre into the
    .npy ``out``, a chunk at a time; return the origin."""
    import laspy

    with laspy.open(str(path)) as reader:
        header: Any = reader.header
        n = int(header.point_count)
        lo, hi = np.asarray(header.mins, np.float64), np.asarray(header.maxs, np.float64)
        centre, extent = (lo + hi) / 2, float((hi - lo).max()) or 1.0
        origin = np.round(centre) if np.abs(centre).max() >= max(1e4, 100.0 * extent) else np.zeros(3)
        at = 0
        with RowFile(out, (n, 3), np.dtype(np.float32)) as w:
            for block in reader.chunk_iterator(CHUNK):
                if cancel:
                    cancel.check()
                m = min(len(block), n - at)
                xyz = np.column_stack([np.asarray(getattr(block, k))[:m] - origin[i] for i, k in enumerate("xyz")])
                w.write_rows(at, xyz)
                at += m
    if at < n:
        raise CorruptFile(f"{path.name}: the LAS header declares {n:,} points but only {at:,} could be read.")
    return origin

