"""Decimating a mesh whose vertices are split at UV (or colour) seams, with fast-simplification.

A textured scan stores one vertex per (position, texture coordinate): along a seam two or
more vertices sit at one position. Simplified as they are, the seams are open borders to the
quadric metric, which then keeps them badly and measures the surface around them wrong. Here
the mesh is welded by position first, so the surface is simplified as the closed shape it is,
and the attributes are rebuilt afterwards from the collapse history:

* each original face that survives keeps its corners' split vertices (wedges);
* an original face that collapsed joins those of its corners that ended on one surviving
  vertex: the collapsed edge lay inside that face, so inside one chart, and the wedges on
  either side of it continue into each other. Wedges across a seam never share a face, so
  they stay apart and the seam stays a seam (its vertices share their new positions);
* every joined wedge takes the texture coordinates and colour of one original vertex in it,
  the one closest to where its surviving vertex ended up: no attribute is ever averaged.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .geometry import Part, recompute_normals

#: aggressiveness schedule of fast-simplification, tried in turn until the target is reached.
#: Its collapse threshold is absolute (1e-9 * (iteration + 3) ** agg, 100 iterations), so the
#: mesh is scaled to a unit bounding-box diagonal first; low values collapse closer to the
#: cheapest-first order of a priority queue and keep the surface closer.
AGGRESSIVENESS = (2.0, 3.0, 5.0, 7.0)
#: the schedule for levels of detail: 30 % less time than starting at 2, for a mean error
#: still about two thirds of gltfpack's at the same size (1M-triangle textured Spot scan to
#: 250k: 2.4e-5 of the diagonal against gltfpack's 3.7e-5; 2.2e-5 at 2, 4.5e-5 at 5)
LEVEL_AGGRESSIVENESS = (3.0, 5.0, 7.0)


def weld(part: Part) -> tuple[np.ndarray, np.ndarray]:
    """(unique positions, index of each of ``part``'s vertices among them)."""
    return unique_rows(part.vertices)


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows of ``rows`` (n, 3) float, index (n,) of each row among them): equal rows
    are one, as ``np.unique(rows, axis=0)`` has it, in another order. Each row is
    hashed to one 64-bit number and those are sorted (one sort of n numbers, where
    ``np.unique(axis=0)`` compares whole rows: about ten times the time); a hash collision
    is detected and then the rows are sorted the long way."""
    data = np.ascontiguousarray(rows) + rows.dtype.type(0)  # -0.0 becomes 0.0: one position, as np.unique has it
    bits = data.view(np.uint32 if data.dtype.itemsize == 4 else np.uint64).reshape(len(data), 3).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = bits[:, 0] * _MIX[0]
        h ^= (h >> np.uint64(29)) + bits[:, 1] * _MIX[1]
        h ^= (h >> np.uint64(31)) + bits[:, 2] * _MIX[2]
    del bits
    _, first, index = np.unique(h, return_index=True, return_inverse=True)
    del h
    unique, index = data[first], index.ravel()
    if not np.array_equal(unique[index].view(np.uint8), data.view(np.uint8)):  # a collision
        unique, index = np.unique(data, axis=0, return_inverse=True)
        index = index.ravel()
    return unique, index


def decimate_welded(part: Part, target: int, *, unit_frame: bool = False, preserve_border: bool = False,
                    best_effort: bool = False, schedule: tuple[float, ...] | None = None) -> Part | None:
    """``part`` reduced to at most ``target`` triangles with its seams kept (see the module
    docstring); None when fast-simplification stops short of the target at every setting.

    For one block of a bigger mesh (:mod:`.blocks_textured`): ``unit_frame`` says ``part``
    is already in the frame the simplifier is made for (its positions are used, and come
    back, exactly as given); ``preserve_border`` keeps every edge on an open border (the
    block's cuts) in place; ``best_effort`` keeps the first setting's result even above
    ``target`` instead of trying more aggressive ones or giving up. ``schedule`` replaces
    :data:`AGGRESSIVENESS`."""
    import fast_simplification

    assert part.faces is not None
    positions, index = weld(part)
    faces = index[part.faces]
    if unit_frame:
        centre, scale = np.zeros(3), 1.0
        unit = np.asarray(positions, dtype=np.float64)
    else:
        centre = (positions.min(0) + positions.max(0)) / 2
        scale = float(np.linalg.norm(np.ptp(positions, axis=0))) or 1.0
        unit = (positions - centre) / scale
    tris = faces.astype(np.int32)
    del faces
    collapses = None
    for agg in schedule or AGGRESSIVENESS:
        points, reduced, collapses = fast_simplification.simplify(unit, tris, target_count=target, agg=agg,
                                                                  return_collapses=True,
                                                                  preserve_border=preserve_border)
        if len(reduced) <= target or best_effort:
            break
    else:
        return None
    mapping = collapse_mapping(len(unit), tris, np.asarray(collapses), len(points), len(reduced))
    if mapping is None:  # the shortcut's check failed: replay the collapses (a third of the time again)
        points, _, mapping = fast_simplification.replay_simplification(unit, tris, collapses)
    # vertices the collapses left at one point (two corners of a box both placed on its
    # tip) are one vertex: the faces between them have no area and collapse too
    points = np.asarray(points) if unit_frame else np.asarray(points) * scale + centre
    points, same = unique_rows(points)
    mapping = np.asarray(mapping, dtype=np.int64)
    survivor = np.where(mapping >= 0, same[mapping], -1)[index]  # per original (split) vertex
    return _rebuild(part, points, survivor)


def collapse_mapping(n: int, tris: np.ndarray, collapses: np.ndarray, kept_points: int,
                     kept_faces: int) -> np.ndarray | None:
    """(n,) index of each of ``n`` vertices among the simplifier's output vertices (-1 for one
    left on no triangle), from its ``collapses`` ((k, 2): the second vertex merged into the
    first) without replaying them: each vertex follows its merges to its last one; the output
    keeps the vertices still on a triangle in their original order (fast-simplification's
    compaction). None when the triangles this predicts differ in number from its output."""
    parent = np.arange(n, dtype=np.int64)
    if len(collapses):
        parent[collapses[:, 1]] = collapses[:, 0]
    while True:  # pointer jumping: log(longest chain) passes
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    ends = parent[tris]
    alive = (ends[:, 0] != ends[:, 1]) & (ends[:, 1] != ends[:, 2]) & (ends[:, 2] != ends[:, 0])
    on_face = np.zeros(n, bool)
    on_face[ends[alive]] = True
    if int(alive.sum()) != kept_faces or int(on_face.sum()) != kept_points:
        return None
    number = np.where(on_face, np.cumsum(on_face) - 1, -1)  # the compaction keeps the original order
    return number[parent]


def _rebuild(part: Part, points: np.ndarray, survivor: np.ndarray) -> Part:
    """The reduced mesh with one vertex per joined wedge (see the module docstring)."""
    assert part.faces is not None
    split = part.faces
    ends = survivor[split]  # (m, 3) surviving vertex of each corner
    kept = (ends[:, 0] != ends[:, 1]) & (ends[:, 1] != ends[:, 2]) & (ends[:, 2] != ends[:, 0])
    # join the corners of each collapsed face that ended on one vertex
    gone, gone_ends = split[~kept], ends[~kept]
    pairs = np.concatenate([gone[gone_ends[:, a] == gone_ends[:, b]][:, [a, b]]
                            for a, b in ((0, 1), (1, 2), (2, 0))])
    n = len(part.vertices)
    graph = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, wedge = connected_components(graph, directed=False)
    # each wedge's attributes: those of its original vertex closest to the new position
    valid = survivor >= 0
    dist = np.full(n, np.inf)
    dist[valid] = np.linalg.norm(part.vertices[valid] - points[survivor[valid]], axis=1)
    best = np.full(wedge.max() + 1, np.inf)
    np.minimum.at(best, wedge, dist)
    closest = np.flatnonzero(dist == best[wedge])[::-1]  # reversed: of equally close ones, the first wins
    source = np.empty(len(best), np.int64)
    source[wedge[closest]] = closest
    # one output vertex per wedge used by a surviving face, in the wedges' order
    corners = wedge[split[kept]]
    on_face = np.zeros(len(best), bool)
    on_face[corners] = True
    used = np.flatnonzero(on_face)
    out_faces = (np.cumsum(on_face) - 1)[corners]
    origin = source[used]  # original vertex whose attributes each output vertex carries
    out = Part(points[survivor[origin]], out_faces.reshape(-1, 3).astype(np.int64), image=part.image,
               base_color=part.base_color, double_sided=part.double_sided, details=part.details,
               uv=None if part.uv is None else part.uv[origin],
               colors=None if part.colors is None else part.colors[origin])
    recompute_normals(out)
    return out
