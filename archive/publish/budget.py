"""Bringing a model under a size budget, and measuring what that cost.

Geometry is reduced by quadric edge collapse with fast-simplification. Meshes with texture
coordinates or colours are welded by position first and their attributes rebuilt from the
collapses (:mod:`.seams`), keeping UV seams closed and each vertex's attributes those of an
original vertex (see :func:`decimate`). Point
clouds are thinned on a voxel grid (one point per occupied cell), so what is kept is spread
evenly in space rather than following the scanner's density. The error of the reduced copy against the
master is the two-sided distance between surface samples, relative to the bbox diagonal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from .blocks import SINGLE_PASS, simplify_big
from .geometry import Model, Part, recompute_normals
from .seams import decimate_welded

SEED = 1802


@dataclass
class GeometricError:
    """Distances between the master and the web copy, in metres and relative to the
    master's bounding-box diagonal (``mean_rel``, ``max_rel``)."""

    mean: float
    max: float
    mean_rel: float
    max_rel: float
    samples: int

    def as_dict(self) -> dict[str, float | int]:
        return {"mean_m": self.mean, "max_m": self.max, "mean_relative": self.mean_rel,
                "max_relative": self.max_rel, "samples": self.samples}


def decimate(part: Part, target_triangles: int, schedule: tuple[float, ...] | None = None) -> Part:
    """A copy of ``part`` reduced to at most about ``target_triangles`` (quadric edge collapse).

    Parts without texture coordinates or colours go through fast-simplification, whose
    optimal vertex placement keeps the surface closest; parts without texture coordinates
    of over :data:`~.blocks.SINGLE_PASS` triangles go through it block by block
    (:func:`.blocks.simplify_big`: bounded memory, every core). Parts with them (vertices split at
    UV seams) are welded by position, simplified the same way as one closed surface, and
    split again along the seams, each vertex taking the attributes of one original vertex
    (:func:`.seams.decimate_welded`). Should that stop short of the target, the optional
    meshoptimizer wrapper ``almeshopt`` is tried when installed (not a project dependency:
    its wheel declares no licence and needs AVX2), and last fast-simplification on the split
    mesh with attributes averaged along the collapses. ``schedule`` replaces the seam-aware
    pass's aggressiveness schedule (:data:`.seams.AGGRESSIVENESS`).
    """
    assert part.faces is not None
    target = max(target_triangles, 4)  # the simplifier keeps at least a handful of faces
    if target >= len(part.faces):
        return part  # a tiny part (fewer faces than the floor) is kept whole
    if part.uv is None and len(part.faces) > SINGLE_PASS:
        return _in_blocks(part, target)
    if part.uv is None and part.colors is None:
        import fast_simplification

        points, faces = fast_simplification.simplify(part.vertices, part.faces.astype(np.int32), target_count=target)
        out = Part(np.asarray(points), np.asarray(faces, dtype=np.int64), base_color=part.base_color,
                   double_sided=part.double_sided, details=part.details)
        recompute_normals(out)
        return out
    welded = decimate_welded(part, target, schedule=schedule)
    if welded is not None:
        return welded
    reduced = _seam_aware(part, target)
    if reduced is not None and reduced.triangles <= target:
        return reduced
    return _replayed(reduced or part, target)


def _in_blocks(part: Part, target: int) -> Part:
    """A big part without texture coordinates simplified block by block, in parallel and in
    bounded memory (:func:`.blocks.simplify_big`); vertex colours follow the nearest vertex."""
    assert part.faces is not None
    points, faces, colours = simplify_big(part.vertices, part.faces, target, part.colors)
    out = Part(points, faces.astype(np.int64), colors=colours, base_color=part.base_color,
               double_sided=part.double_sided, details=part.details)
    recompute_normals(out)
    return out


#: weight of each RGB channel (0..1) against the relative position error in meshoptimizer's
#: attribute metric: enough to keep painted detail, small beside the geometry.
COLOUR_WEIGHT = 0.5


def _seam_aware(part: Part, target: int) -> Part | None:
    """meshoptimizer's simplification (None when the package is missing)."""
    try:
        import almeshopt
    except ImportError:
        return None
    assert part.faces is not None
    indices = np.ascontiguousarray(part.faces.astype(np.uint32).ravel())
    positions = np.ascontiguousarray(part.vertices.astype(np.float32))
    if part.colors is not None:
        rgb = np.ascontiguousarray(part.colors[:, :3].astype(np.float32) / 255.0)
        kept, _ = almeshopt.simplify_with_attributes(indices, positions, rgb, np.full(3, COLOUR_WEIGHT, np.float32),
                                                     target * 3, 1.0)
    else:  # UV seams are split vertices: meshoptimizer keeps them apart without a metric
        kept, _ = almeshopt.simplify(indices, positions, target * 3, 1.0)
    used, faces = np.unique(kept, return_inverse=True)
    out = Part(part.vertices[used], faces.reshape(-1, 3).astype(np.int64), image=part.image,
               base_color=part.base_color, double_sided=part.double_sided, details=part.details,
               uv=None if part.uv is None else part.uv[used], colors=None if part.colors is None else part.colors[used])
    recompute_normals(out)
    return out


def _replayed(part: Part, target: int) -> Part:
    """fast-simplification with UVs and colours carried along the collapses: each new vertex
    takes the distance-weighted mean of the vertices merged into it."""
    import fast_simplification

    assert part.faces is not None
    _, _, collapses = fast_simplification.simplify(part.vertices, part.faces.astype(np.int32),
                                                   target_count=target, return_collapses=True)
    points, faces, mapping = fast_simplification.replay_simplification(
        part.vertices, part.faces.astype(np.int32), collapses)
    points = np.asarray(points)
    mapping = np.asarray(mapping)
    out = Part(points, np.asarray(faces, dtype=np.int64), image=part.image, base_color=part.base_color,
               double_sided=part.double_sided, details=part.details)
    valid = mapping >= 0
    dist = np.linalg.norm(part.vertices[valid] - points[mapping[valid]], axis=1)
    weight = 1.0 / (dist + 1e-9 * max(float(np.ptp(points)), 1e-12))
    if part.uv is not None:
        out.uv = _weighted_mean(part.uv[valid], mapping[valid], weight, len(points))
    if part.colors is not None:
        mean = _weighted_mean(part.colors[valid].astype(np.float64), mapping[valid], weight, len(points))
        out.colors = mean.round().clip(0, 255).astype(np.uint8)
    recompute_normals(out)
    return out


def _weighted_mean(values: np.ndarray, index: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    total = np.bincount(index, weight, minlength=n)
    total[total == 0] = 1.0
    cols = [np.bincount(index, weight * values[:, k], minlength=n) / total for k in range(values.shape[1])]
    return np.column_stack(cols)


def thin_points(part: Part, target_points: int) -> Part:
    """At most ``target_points`` of a point cloud, spread evenly in space (:func:`voxel_pick`)."""
    n = len(part.vertices)
    if target_points >= n:
        return part
    keep = voxel_pick(part.vertices, max(target_points, 1))
    return Part(part.vertices[keep], colors=None if part.colors is None else part.colors[keep],
                base_color=part.base_color)


def voxel_pick(points: np.ndarray, target: int) -> np.ndarray:
    """Sorted indices of at most ``target`` of ``points`` (n, 3): one per cell of the finest
    cubic grid found with no more than ``target`` occupied cells (the cell size is bracketed
    from a surface-like first guess, then bisected on a log scale), the point nearest each
    cell's centre."""
    return voxel_thin(points, target)[0]


def voxel_thin(points: np.ndarray, target: int, corner: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """:func:`voxel_pick`'s indices and the grid's cell size (the kept points' spacing, in
    the units of ``points``); the grid is laid from ``corner`` (at most the points' minimum;
    the minimum by default)."""
    corner = points.min(0) if corner is None else np.minimum(np.asarray(corner, dtype=np.float64), points.min(0))
    extent = float((points.max(0) - corner).max()) or 1.0
    fine, coarse = _bracket(points, corner, extent, target)
    while coarse / fine > 1.05:  # within 5 % of the cell size
        mid = (fine * coarse) ** 0.5
        fine, coarse = (fine, mid) if _occupied(points, corner, mid)[1] <= target else (mid, coarse)
    keys, _ = _occupied(points, corner, coarse)
    off_centre = np.zeros(len(points), dtype=np.float32)
    for k in range(3):
        at = (points[:, k] - corner[k]) * (1.0 / coarse)  # in cells
        off_centre += np.square(at - np.floor(at) - 0.5, dtype=np.float32)
    return _nearest_in_cells(keys, off_centre), float(coarse)


def _nearest_in_cells(keys: np.ndarray, off_centre: np.ndarray) -> np.ndarray:
    """Sorted indices of the point of least ``off_centre`` (0..0.75) in each cell ``keys``.
    One int64 per point (cell, distance to a 1/1024 of the largest, index) sorted once:
    numpy sorts plain integers far faster than it runs ``lexsort``."""
    n = len(keys)
    index_bits = max(int(n - 1).bit_length(), 1)
    if n and int(keys.max()).bit_length() + 10 + index_bits > 63:
        order = np.lexsort((off_centre, keys))
        first = np.ones(len(order), bool)
        first[1:] = keys[order][1:] != keys[order][:-1]
        return np.sort(order[first])
    near = np.minimum(off_centre * (1023 / 0.75), 1023).astype(np.int64)
    packed = np.sort((keys << (10 + index_bits)) | (near << index_bits) | np.arange(n, dtype=np.int64))
    cell = packed >> (10 + index_bits)
    first = np.ones(n, bool)
    first[1:] = cell[1:] != cell[:-1]
    return np.sort(packed[first] & ((1 << index_bits) - 1))


def _bracket(points: np.ndarray, corner: np.ndarray, extent: float, target: int) -> tuple[float, float]:
    """Cell sizes ``fine`` (too many cells) and ``coarse`` (at most ``target``), a factor 2 apart."""
    size = extent / max(target, 1) ** 0.5  # a scan is mostly a surface
    if _occupied(points, corner, size)[1] > target:
        while _occupied(points, corner, size * 2)[1] > target:
            size *= 2
        return size, size * 2
    while _occupied(points, corner, size / 2)[1] <= target:
        if size < extent / 2e6:  # every point has a cell of its own: no finer grid is needed
            return size, size
        size /= 2
    return size / 2, size


def _occupied(points: np.ndarray, corner: np.ndarray, size: float) -> tuple[np.ndarray, int]:
    """Each point's cell key (int64) for cubic cells of ``size``, and how many cells hold points.
    (Column by column, and counted by a plain sort: both several times faster in numpy than
    the (n, 3) forms and ``unique``.)"""
    cell = [((points[:, k] - corner[k]) * (1.0 / size)).astype(np.int64) for k in range(3)]  # >= 0: floor
    dims = [int(c.max(initial=0)) + 1 for c in cell]
    keys = (cell[0] * dims[1] + cell[1]) * dims[2] + cell[2]
    cells = dims[0] * dims[1] * dims[2]
    if cells <= 4 * len(points):  # a count per cell is cheaper than sorting the keys
        return keys, int(np.count_nonzero(np.bincount(keys, minlength=cells)))
    ordered = np.sort(keys)
    return keys, int(np.count_nonzero(ordered[1:] != ordered[:-1])) + (1 if len(ordered) else 0)


def reduce_model(model: Model, triangle_ratio: float, point_ratio: float) -> Model:
    """``model`` with each mesh part decimated to ``triangle_ratio`` of its triangles and
    each point cloud thinned to ``point_ratio`` of its points."""
    parts = []
    for part in model.parts:
        if part.faces is None:
            parts.append(thin_points(part, int(len(part.vertices) * point_ratio)))
        else:
            parts.append(decimate(part, int(len(part.faces) * triangle_ratio)))
    return Model(parts, list(model.notes))


#: a master of more triangles is measured the cheap way (see :func:`geometric_error`)
ERROR_CHUNK = 2_000_000
#: against a big master, this many times fewer samples of the copy are measured (each needs
#: the master's triangles around it in the ray-casting index, built at ~1 µs a triangle)
BIG_MASTER_SHARE = 50


def _surface_samples(model: Model, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 3) points spread over the surfaces by area (and over point clouds)."""
    chunks = []
    areas = []
    for part in model.parts:
        if part.faces is None:
            chunks.append(part.vertices)
            continue
        if len(part.faces) > ERROR_CHUNK:
            areas.append((part, None))
            continue
        tri = part.vertices[part.faces]
        area = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1) / 2
        areas.append((tri, area))
    big = {id(tri): _big_samples(tri, count, rng) for tri, area in areas if area is None}
    sums = [big[id(tri)][1] if area is None else float(area.sum()) for tri, area in areas]
    total = sum(sums)
    for (tri, area), part_area in zip(areas, sums, strict=True):
        k = max(1, int(count * part_area / total)) if total > 0 else 0
        if k == 0:
            continue
        if area is None:
            chunks.append(big[id(tri)][0][:k])
            continue
        if not len(tri):
            continue
        pick = rng.choice(len(tri), size=k, p=area / area.sum()) if area.sum() > 0 else rng.integers(0, len(tri), k)
        chunks.append(_in_triangles(tri[pick], rng))
    pts = np.concatenate(chunks) if chunks else np.zeros((0, 3))
    if len(pts) > count:
        pts = pts[rng.choice(len(pts), size=count, replace=False)]
    return pts


def _in_triangles(tri: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniform random point in each of ``tri`` (k, 3, 3)."""
    k = len(tri)
    r1, r2 = rng.random(k), rng.random(k)
    s = np.sqrt(r1)
    return tri[:, 0] * (1 - s)[:, None] + tri[:, 1] * (s * (1 - r2))[:, None] + tri[:, 2] * (s * r2)[:, None]


def _big_samples(part: Part, k: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """(``k`` points on a big part, its estimated area): faces drawn uniformly four times over,
    then ``k`` of them drawn by area (sampling-importance-resampling: close to sampling by
    area without computing the area of every face)."""
    assert part.faces is not None
    candidates = part.faces[rng.integers(0, len(part.faces), 4 * k)]
    tri = part.vertices[candidates].astype(np.float64)
    area = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1) / 2
    estimate = float(area.mean()) * len(part.faces)
    if not area.sum() > 0:
        return np.zeros((0, 3)), 0.0
    return _in_triangles(tri[rng.choice(len(tri), size=k, p=area / area.sum())], rng), estimate


def _distance_to(model: Model, query: np.ndarray, radius: float | None = None) -> np.ndarray:
    """(n,) distance from each query point to the nearest triangle or point of ``model``.

    A mesh of over :data:`ERROR_CHUNK` triangles is searched only near the queries when
    ``radius`` is given (:func:`_near_faces`): exact for every query within ``radius`` of it,
    the others searched again over the whole mesh."""
    best = np.full(len(query), np.inf)
    meshes = [p for p in model.parts if p.faces is not None and len(p.faces)]
    if meshes:
        best = np.minimum(best, _mesh_distance(meshes, query, radius))
    clouds = [p.vertices for p in model.parts if p.faces is None]
    if clouds:
        best = np.minimum(best, cKDTree(np.concatenate(clouds)).query(query, workers=-1)[0])
    return best


def _mesh_distance(meshes: list[Part], query: np.ndarray, radius: float | None) -> np.ndarray:
    """Distance to the nearest triangle of ``meshes``; with ``radius`` only the faces near the
    queries are indexed, and queries farther than it are searched again with four times
    the radius (the whole mesh once the radius spans it)."""
    import open3d as o3d

    tensor: Any = o3d.core.Tensor
    span = float(np.linalg.norm(np.ptp(np.concatenate([p.vertices[:1] for p in meshes] + [query]), axis=0)))
    local = radius is not None and sum(p.triangles for p in meshes) > ERROR_CHUNK
    scene = o3d.t.geometry.RaycastingScene()
    for part in meshes:
        faces: Any = _near_faces(part, query, radius) if local and radius else part.faces
        if len(faces):
            scene.add_triangles(tensor(part.vertices.astype(np.float32)), tensor(faces.astype(np.uint32)))
    best = scene.compute_distance(tensor(query.astype(np.float32))).numpy().astype(np.float64)
    if local and radius:
        far = best > radius
        if far.any():  # the nearest face may lie outside what was indexed: look farther
            wider = 4 * radius if 4 * radius < max(span, radius) else None
            best[far] = _mesh_distance(meshes, query[far], wider)
    return best


def _near_faces(part: Part, query: np.ndarray, radius: float) -> np.ndarray:
    """The faces of ``part`` with a corner in a grid cell next to (or holding) a query point,
    the cells ``radius`` plus the 99th percentile of the longest edges in size. A face within
    ``radius`` of a query has a corner within that plus its longest edge of it, so only one
    of the longest 1 % of faces can be missed (and then a face next to it is found, a
    little farther away)."""
    assert part.faces is not None
    pick = np.random.default_rng(SEED).integers(0, len(part.faces), min(200_000, len(part.faces)))
    size = radius + float(np.percentile(_longest_edges(part, part.faces[pick]), 99))
    lo = query.min(0) - size
    dims = np.ceil((query.max(0) + size - lo) / size).astype(np.int64) + 1
    cells = float(np.prod(dims.astype(np.float64)))
    if cells > 2**62:
        return part.faces
    cell = np.floor((query - lo) / size).astype(np.int64)
    around = np.array([(x, y, z) for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)])
    marked = np.unique(_cell_keys((cell[:, None, :] + around).reshape(-1, 3), dims))
    table = None
    if cells <= 2**28:  # a bit per cell is cheaper than a sorted search
        table = np.zeros(int(cells), dtype=bool)
        table[marked] = True
    near = np.zeros(len(part.vertices), dtype=bool)
    for a in range(0, len(part.vertices), ERROR_CHUNK):
        c = np.floor((part.vertices[a:a + ERROR_CHUNK] - lo) / size).astype(np.int64)
        inside = ((c >= 0) & (c < dims)).all(1)
        keys = _cell_keys(np.clip(c, 0, dims - 1), dims)
        near[a:a + ERROR_CHUNK] = inside & (table[keys] if table is not None else np.isin(keys, marked))
    return part.faces[near[part.faces].any(1)]


def _cell_keys(cell: np.ndarray, dims: np.ndarray) -> np.ndarray:
    return (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]


def _longest_edges(part: Part, faces: np.ndarray) -> np.ndarray:
    """(k,) longest edge of each of ``faces`` (k, 3)."""
    tri = part.vertices[faces].astype(np.float32)
    return np.max([np.linalg.norm(tri[:, i] - tri[:, (i + 1) % 3], axis=1) for i in range(3)], axis=0)


def geometric_error(master: Model, copy: Model, samples: int = 100_000) -> GeometricError:
    """Two-sided sampled surface distance between ``master`` and ``copy`` (same frame):
    ``samples`` points on each surface, exact distance to the other's triangles.

    A master of over :data:`ERROR_CHUNK` triangles is sampled by importance resampling
    (:func:`_big_samples`), and its distance from :data:`BIG_MASTER_SHARE` times fewer
    samples of the copy is searched only among its faces near them (:func:`_near_faces`,
    exact within four times the 99th percentile of the distances found the other way,
    anything farther searched again farther out): seconds instead of a minute and
    gigabytes of index."""
    rng = np.random.default_rng(SEED + 1)
    there = _distance_to(copy, _surface_samples(master, samples, rng))
    finite = there[np.isfinite(there)]
    radius = 4 * float(np.percentile(finite, 99)) if len(finite) else None
    big = master.triangles > ERROR_CHUNK
    back = _distance_to(master, _surface_samples(copy, samples // BIG_MASTER_SHARE if big else samples, rng),
                        radius or None)
    both = np.concatenate([there, back])
    diag = master.diagonal()
    mean, worst = float(both.mean()), float(both.max())
    return GeometricError(mean, worst, mean / diag, worst / diag, len(both))
