"""A big triangle mesh reduced for one picture: vertex clustering on a grid sized to the image.

A 1024-pixel picture of a 12-50M-triangle scan shows at most a few million of its triangles,
most smaller than a pixel. Here every vertex falls into a cubic cell of a grid with about
``cells_across`` cells along the model's longest side; each occupied cell becomes one
vertex (the mean of the vertices in it, their mean colour), each triangle whose corners
end in three different cells is kept once, and the rest vanish (Rossignac and Borrel's
vertex clustering). With cells of a few pixels, what the picture loses is detail
under a cell: sub-pixel relief is averaged (it would alias anyway), features thinner than a
cell merge. Shading comes from the area-weighted normals of the kept triangles.

It runs over :class:`~glbtools.plymesh.PlyMesh` chunks: the whole mesh is never in memory,
only a cell number per vertex (4 bytes), per-cell sums and the kept triangles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .plymesh import CHUNK, PlyMesh, open_ply_mesh


@dataclass
class ClusteredMesh:
    """The reduced mesh. vertices : (k, 3) float32 relative to ``origin`` (3,) float64 (file
    coordinates = origin + vertices); faces : (t, 3) int32; normals : (k, 3) float32 unit;
    colours : (k, 4) uint8 or None; ``cell`` is the grid's cell size in file units."""

    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray
    colours: np.ndarray | None
    origin: np.ndarray
    cell: float
    source_triangles: int


def cluster_mesh(mesh: PlyMesh, cells_across: int, chunk: int = CHUNK) -> ClusteredMesh:
    """``mesh`` reduced by vertex clustering on a grid of ``cells_across`` cells along its
    longest side (see the module docstring). Raises ``ValueError`` when it has no finite
    vertex or no triangle."""
    lo, hi, finite = _bounds(mesh, chunk)
    cell = float((hi - lo).max()) / max(cells_across, 1) or 1.0
    dims = np.floor((hi - lo) / cell).astype(np.int64) + 1
    cell_of: np.ndarray = np.empty(mesh.vertex_count, dtype=np.int64 if int(dims.prod()) >= 2**31 else np.int32)
    for start, points, _ in mesh.vertex_chunks(chunk):
        cell_of[start:start + len(points)] = _cells(points, lo, cell, dims, cell_of.dtype.type, finite)
    occupied = _sorted_unique(cell_of)
    occupied = occupied[occupied >= 0]
    for a in range(0, len(cell_of), chunk):  # the cell number becomes the new vertex's number
        part = cell_of[a:a + chunk]
        cell_of[a:a + chunk] = np.where(part >= 0, np.searchsorted(occupied, part), -1)
    vertices, colours = _means(mesh, cell_of, len(occupied), lo, chunk)
    faces = _faces(mesh, cell_of, chunk)
    del cell_of
    if not len(faces):
        raise ValueError(f"{mesh.path.name}: no triangle is left to draw")
    centre = (lo + hi) / 2
    vertices = vertices - (centre - lo)
    return ClusteredMesh(vertices.astype(np.float32), faces, _normals(vertices, faces), colours,
                         mesh.origin + centre, cell, mesh.face_count)


def cluster_file(path: Path, cells_across: int) -> ClusteredMesh:
    """:func:`cluster_mesh` of the PLY at ``path`` (what a worker runs: this module imports
    only numpy). Raises :class:`~glbtools.plymesh.PlyLayoutError`,
    :class:`~glbtools.plymesh.PlyCorrupt` or ``ValueError`` as those do."""
    return cluster_mesh(open_ply_mesh(path), cells_across)


def _bounds(mesh: PlyMesh, chunk: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """(min, max) of the finite vertices, and whether every vertex is finite. (Column by
    column: numpy reduces one contiguous column many times faster than an (n, 3) axis.)"""
    lo, hi, finite = np.full(3, np.inf), np.full(3, -np.inf), True
    for _, points, _ in mesh.vertex_chunks(chunk):
        a, b = _column_bounds(points)
        if not (np.isfinite(a).all() and np.isfinite(b).all()):  # NaN or inf somewhere: the slow way
            finite = False
            points = points[np.isfinite(points).all(1)]
            if not len(points):
                continue
            a, b = _column_bounds(points)
        lo, hi = np.minimum(lo, a), np.maximum(hi, b)
    if not np.isfinite(lo).all():
        raise ValueError(f"{mesh.path.name}: no vertex has finite coordinates")
    return lo, hi, finite


def _column_bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cols = [np.ascontiguousarray(points[:, k]) for k in range(3)]
    return np.array([c.min() for c in cols], np.float64), np.array([c.max() for c in cols], np.float64)


def _cells(points: np.ndarray, lo: np.ndarray, cell: float, dims: np.ndarray, dtype: type,
           finite: bool) -> np.ndarray:
    """Each point's cell number (row-major over ``dims``), -1 for non-finite points."""
    out: np.ndarray = np.zeros(len(points), dtype=dtype)
    scale = points.dtype.type(1.0 / cell)
    for k in range(3):
        q = (points[:, k] - points.dtype.type(lo[k])) * scale
        if not finite:
            q[~np.isfinite(q)] = 0
        q = np.clip(q.astype(dtype), 0, dtype(dims[k] - 1))  # q >= 0: truncation is floor
        out = out * dtype(dims[k]) + q
    if not finite:
        out[~np.isfinite(points).all(1)] = -1
    return out


def _means(mesh: PlyMesh, cell_of: np.ndarray, n: int, lo: np.ndarray,
           chunk: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(n, 3) float64 mean position (relative to ``lo``) and (n, 4) uint8 mean colour per cell.
    (bincount is fastest with intp indices and float64 weights, one column at a time.)"""
    sums, counts = [np.zeros(n) for _ in range(3)], np.zeros(n)
    colour_sums = None if mesh.colours is None else [np.zeros(n) for _ in range(4)]
    for start, points, colours in mesh.vertex_chunks(chunk):
        ids = cell_of[start:start + len(points)].astype(np.intp)
        ok = ids >= 0
        if not ok.all():
            ids, points, colours = ids[ok], points[ok], None if colours is None else colours[ok]
        counts += np.bincount(ids, minlength=n)
        for k in range(3):
            sums[k] += np.bincount(ids, points[:, k].astype(np.float64) - lo[k], minlength=n)
        if colour_sums is not None and colours is not None:
            for k in range(4):
                colour_sums[k] += np.bincount(ids, colours[:, k].astype(np.float64), minlength=n)
    counts = np.maximum(counts, 1)
    mean_colours = None
    if colour_sums is not None:
        mean_colours = np.column_stack([np.round(c / counts) for c in colour_sums]).astype(np.uint8)
    return np.column_stack([c / counts for c in sums]), mean_colours


def _faces(mesh: PlyMesh, cell_of: np.ndarray, chunk: int) -> np.ndarray:
    """The triangles between three different cells, each once (orientation kept)."""
    kept, holes = [], cell_of.min(initial=0) < 0  # vertices that are not finite: their faces go
    for _, faces in mesh.face_chunks(chunk):
        a, b, c = cell_of[faces.T]  # three contiguous rows: the comparisons run at full speed
        ok = (a != b) & (b != c) & (c != a)
        if holes:
            ok &= (a >= 0) & (b >= 0) & (c >= 0)
        kept.append((a[ok], b[ok], c[ok]))
    if not kept:
        return np.zeros((0, 3), np.int32)
    return _unique_triangles(*(np.concatenate([k[i] for k in kept]) for i in range(3)))


def _unique_triangles(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Triangles (corner columns ``a``, ``b``, ``c``, no two equal) without repeats: each
    turned to start at its smallest corner (same orientation), then deduplicated on one
    int64 key per triangle. Returns (t, 3) int32."""
    if not len(a):
        return np.zeros((0, 3), np.int32)
    n = int(max(a.max(), b.max(), c.max())) + 1
    if n >= 2**21:  # the key would overflow: keep the repeats (they cost drawing time, not looks)
        return np.column_stack([a, b, c]).astype(np.int32)
    first_a = (a < b) & (a < c)
    first_b = ~first_a & (b < c)
    x = np.where(first_a, a, np.where(first_b, b, c)).astype(np.int64)
    y = np.where(first_a, b, np.where(first_b, c, a)).astype(np.int64)
    z = np.where(first_a, c, np.where(first_b, a, b)).astype(np.int64)
    keys = _sorted_unique((x * n + y) * n + z)
    return np.column_stack([keys // (n * n), keys // n % n, keys % n]).astype(np.int32)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (a plain sort: faster here than numpy's hashing unique)."""
    out = np.sort(values)
    if len(out):
        out = out[np.concatenate([[True], out[1:] != out[:-1]])]
    return out


def _normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(k, 3) float32 area-weighted unit vertex normals; +Y for vertices on no triangle."""
    v = vertices.astype(np.float32)
    a, b, c = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    b -= a
    c -= a
    face_n = np.cross(b, c).astype(np.float64)
    del a, b, c
    corners = [faces[:, k].astype(np.intp) for k in range(3)]
    normals = np.column_stack([sum(np.bincount(i, np.ascontiguousarray(face_n[:, k]), minlength=len(v))
                                   for i in corners) for k in range(3)])
    length = np.linalg.norm(normals, axis=1)
    bad = ~(length > 0)
    normals[bad], length[bad] = (0.0, 1.0, 0.0), 1.0
    return (normals / length[:, None]).astype(np.float32)


__all__ = ["ClusteredMesh", "cluster_file", "cluster_mesh"]
