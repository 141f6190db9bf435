"""Reading a master in chunks for its pick index (:mod:`archive.pickindex`): a binary PLY
through a memory map, a LAS/LAZ through laspy's chunks, anything else through the levels'
reader. The levels' build hands over the master it already holds instead
(:func:`ensure_pick_index` with ``geometry``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptFile
from .pickindex import CHUNK, Progress, build_pick_index, find_pick_index, finite_bounds
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
    """Build the index reading ``master`` in chunks: a binary PLY through a memory map, any
    cloud that :func:`.publish.cloudstream.open_cloud_source` streams (LAS/LAZ, text, …)
    spilled once to a scratch file a chunk at a time; any other master through the levels'
    reader (the whole master in memory, as for its levels)."""
    from .formats.identify import identify

    fmt = identify(master)
    if fmt == "ply":
        mapped = _mapped_ply(master)
        if mapped is not None:
            vertices, faces, file_origin = mapped
            origin, shift = _origin_for(vertices, file_origin)
            return build_pick_index(vertices, faces, origin, folder, sha256, progress, cancel, shift=shift)
    from .publish.cloudstream import master_frame, open_cloud_source

    source = open_cloud_source(master, master_frame())
    if source is not None:
        return _index_spilled(source, folder, sha256, progress, cancel)
    from .levels import read_master

    g = read_master(master)
    return build_pick_index(g.vertices, g.faces, g.origin, folder, sha256, progress, cancel)


def _index_spilled(source: Any, folder: Path, sha256: str, progress: Progress | None,
                   cancel: CancelToken | None) -> Path:
    """The index of a cloud read a chunk at a time (any ``publish.cloudstream.CloudSource``),
    through one scratch file of its points that is removed afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    spill = folder / f"{sha256}.pick.spill.f32"
    try:
        origin = _spill_chunks(source, spill, cancel)
        with SpilledRows(spill) as points:
            return build_pick_index(points, None, origin, folder, sha256, progress, cancel)
    finally:
        spill.unlink(missing_ok=True)


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
    from .publish.clouds import _near_centre  # the one rule for a georeferenced offset

    shift = _near_centre(lo, hi)
    return file_origin + shift, shift


def _spill_chunks(source: Any, out: Path, cancel: CancelToken | None) -> np.ndarray:
    """Write a cloud source's points (in the master's own frame) as raw float32 rows relative
    to an origin near their centre into ``out``, a chunk at a time; return the origin. The
    origin follows the source's bounds (a LAS header's box), so the rows keep millimetres of
    georeferenced data."""
    from .publish.clouds import _near_centre  # the one rule for a georeferenced offset

    origin = _near_centre(*(np.asarray(b, dtype=np.float64) for b in source.bounds()))
    read = getattr(source, "coordinate_chunks", source.chunks)  # a source may skip the colours we do not keep
    with open(out, "wb") as fh:
        for points, _ in read():
            if cancel:
                cancel.check()
            fh.write(np.ascontiguousarray(points - origin, dtype=np.float32).data)
    return origin


class SpilledRows:
    """(n, 3) float32 rows of a raw scratch file, read a slice at a time through one file
    handle (no memory map: the build's address space stays a few chunks)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = path.stat().st_size // 12

    def __enter__(self) -> SpilledRows:
        self.fh = open(self.path, "rb")  # noqa: SIM115 - closed in __exit__
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, sl: slice) -> np.ndarray:
        a, b, _ = sl.indices(self.count)
        out = np.empty((max(b - a, 0), 3), dtype=np.float32)
        self.fh.seek(a * 12)
        if self.fh.readinto(out.data) != out.nbytes:  # type: ignore[attr-defined]
            raise OSError(f"{self.path.name}: the scratch file is shorter than it was")
        return out
