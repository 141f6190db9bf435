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


def weld(part: Part) -> tuple[np.ndarray, np.ndarray]:
    """(unique positions, index of each of ``part``'s vertices among them)."""
    positions, index = np.unique(part.vertices, axis=0, return_inverse=True)
    return positions, index.ravel()


def decimate_welded(part: Part, target: int, *, unit_frame: bool = False, preserve_border: bool = False,
                    best_effort: bool = False) -> Part | None:
    """``part`` reduced to at most ``target`` triangles with its seams kept (see the module
    docstring); None when fast-simplification stops short of the target at every setting.

    For one block of a bigger mesh (:mod:`.blocks_textured`): ``unit_frame`` says ``part``
    is already in the frame the simplifier is made for (its positions are used, and come
    back, exactly as given); ``preserve_border`` keeps every edge on an open border (the
    block's cuts) in place; ``best_effort`` keeps the first setting's result even above
    ``target`` instead of trying more aggressive ones or giving up."""
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
    for agg in AGGRESSIVENESS:
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
    points, same = np.unique(points, axis=0, return_inverse=True)
    mapping = np.asarray(mapping, dtype=np.int64)
    survivor = np.where(mapping >= 0, same.ravel()[mapping], -1)[index]  # per original (split) vertex
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
    used = np.unique(ends[alive])
    if int(alive.sum()) != kept_faces or len(used) != kept_points:
        return None
    index = np.searchsorted(used, parent)
    index[index >= len(used)] = 0
    return np.where(used[index] == parent, index, -1)


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
    order = np.lexsort((dist, wedge))
    first = np.ones(n, bool)
    first[1:] = wedge[order][1:] != wedge[order][:-1]
    source = np.empty(wedge.max() + 1, np.int64)
    source[wedge[order][first]] = order[first]
    # one output vertex per wedge used by a surviving face
    used, out_faces = np.unique(wedge[split[kept]], return_inverse=True)
    origin = source[used]  # original vertex whose attributes each output vertex carries
    out = Part(points[survivor[origin]], out_faces.reshape(-1, 3).astype(np.int64), image=part.image,
               base_color=part.base_color, double_sided=part.double_sided, details=part.details,
               uv=None if part.uv is None else part.uv[origin],
               colors=None if part.colors is None else part.colors[origin])
    recompute_normals(out)
    return out
