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


def decimate(part: Part, target_triangles: int) -> Part:
    """A copy of ``part`` reduced to at most about ``target_triangles`` (quadric edge collapse).

    Parts without texture coordinates or colours go through fast-simplification, whose
    optimal vertex placement keeps the surface closest. Parts with them (vertices split at
    UV seams) are welded by position, simplified the same way as one closed surface, and
    split again along the seams, each vertex taking the attributes of one original vertex
    (:func:`.seams.decimate_welded`). Should that stop short of the target, the optional
    meshoptimizer wrapper ``almeshopt`` is tried when installed (not a project dependency:
    its wheel declares no licence and needs AVX2), and last fast-simplification on the split
    mesh with attributes averaged along the collapses.
    """
    assert part.faces is not None
    target = max(target_triangles, 4)  # the simplifier keeps at least a handful of faces
    if target >= len(part.faces):
        return part  # a tiny part (fewer faces than the floor) is kept whole
    if part.uv is None and part.colors is None:
        import fast_simplification

        points, faces = fast_simplification.simplify(part.vertices, part.faces.astype(np.int32), target_count=target)
        out = Part(np.asarray(points), np.asarray(faces, dtype=np.int64), base_color=part.base_color,
                   double_sided=part.double_sided, details=part.details)
        recompute_normals(out)
        return out
    welded = decimate_welded(part, target)
    if welded is not None:
        return welded
    reduced = _seam_aware(part, target)
    if reduced is not None and reduced.triangles <= target:
        return reduced
    return _replayed(reduced or part, target)


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


def voxel_thin(points: np.ndarray, target: int) -> tuple[np.ndarray, float]:
    """:func:`voxel_pick`'s indices and the grid's cell size (the kept points' spacing, in
    the units of ``points``)."""
    corner = points.min(0)
    extent = float((points.max(0) - corner).max()) or 1.0
    fine, coarse = _bracket(points, corner, extent, target)
    while coarse / fine > 1.05:  # within 5 % of the cell size
        mid = (fine * coarse) ** 0.5
        fine, coarse = (fine, mid) if _occupied(points, corner, mid)[1] <= target else (mid, coarse)
    keys, _ = _occupied(points, corner, coarse)
    cell = np.floor((points - corner) / coarse)
    off_centre = np.square(points - corner - (cell + 0.5) * coarse).sum(1)
    order = np.lexsort((off_centre, keys))
    first = np.ones(len(order), bool)
    first[1:] = keys[order][1:] != keys[order][:-1]
    return np.sort(order[first]), float(coarse)


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
    """Each point's cell key (int64) for cubic cells of ``size``, and how many cells hold points."""
    cell = np.floor((points - corner) / size).astype(np.int64)
    dims = cell.max(0) + 1
    keys = (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]
    cells = int(dims.prod())
    if cells <= 4 * len(points):  # a count per cell is cheaper than sorting the keys
        return keys, int(np.count_nonzero(np.bincount(keys, minlength=cells)))
    return keys, len(np.unique(keys))


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


def _surface_samples(model: Model, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 3) points spread over the surfaces by area (and over point clouds)."""
    chunks = []
    areas = []
    for part in model.parts:
        if part.faces is None:
            chunks.append(part.vertices)
            continue
        tri = part.vertices[part.faces]
        area = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1) / 2
        areas.append((tri, area))
    total = sum(float(a.sum()) for _, a in areas)
    for tri, area in areas:
        k = max(1, int(count * float(area.sum()) / total)) if total > 0 else 0
        if k == 0 or not len(tri):
            continue
        pick = rng.choice(len(tri), size=k, p=area / area.sum()) if area.sum() > 0 else rng.integers(0, len(tri), k)
        r1, r2 = rng.random(k), rng.random(k)
        s = np.sqrt(r1)
        a, b_, c = tri[pick, 0], tri[pick, 1], tri[pick, 2]
        chunks.append(a * (1 - s)[:, None] + b_ * (s * (1 - r2))[:, None] + c * (s * r2)[:, None])
    pts = np.concatenate(chunks) if chunks else np.zeros((0, 3))
    if len(pts) > count:
        pts = pts[rng.choice(len(pts), size=count, replace=False)]
    return pts


def _distance_to(model: Model, query: np.ndarray) -> np.ndarray:
    """(n,) distance from each query point to the nearest triangle or point of ``model``."""
    import open3d as o3d

    best = np.full(len(query), np.inf)
    meshes = [p for p in model.parts if p.faces is not None and len(p.faces)]
    if meshes:
        scene = o3d.t.geometry.RaycastingScene()
        tensor: Any = o3d.core.Tensor
        for part in meshes:
            faces: Any = part.faces
            scene.add_triangles(tensor(part.vertices.astype(np.float32)), tensor(faces.astype(np.uint32)))
        d = scene.compute_distance(tensor(query.astype(np.float32))).numpy()
        best = np.minimum(best, d)
    clouds = [p.vertices for p in model.parts if p.faces is None]
    if clouds:
        best = np.minimum(best, cKDTree(np.concatenate(clouds)).query(query, workers=-1)[0])
    return best


def geometric_error(master: Model, copy: Model, samples: int = 100_000) -> GeometricError:
    """Two-sided sampled surface distance between ``master`` and ``copy`` (same frame):
    ``samples`` points on each surface, exact distance to the other's triangles."""
    rng = np.random.default_rng(SEED + 1)
    both = np.concatenate([_distance_to(copy, _surface_samples(master, samples, rng)),
                           _distance_to(master, _surface_samples(copy, samples, rng))])
    diag = master.diagonal()
    mean, worst = float(both.mean()), float(both.max())
    return GeometricError(mean, worst, mean / diag, worst / diag, len(both))
