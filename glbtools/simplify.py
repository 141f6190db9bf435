"""One block of a big mesh simplified, in a worker process (imports numpy, scipy and
fast-simplification only, so a worker starts in a fraction of a second).

:mod:`archive.publish.blocks` cuts a mesh into spatial blocks and sends each here. A block's
cut edges are open borders to it; with ``preserve_border`` no edge touching a border vertex
collapses, so every border vertex comes back at exactly the position it was given and the
blocks weld together again by position.
"""

from __future__ import annotations

import numpy as np

#: fast-simplification's aggressiveness: its collapse threshold grows as (iteration + 3) ** agg
#: (in a frame where the mesh's diagonal is 1). Lower takes collapses closer to cheapest
#: first and keeps the surface closer, and takes longer. On a 12.7M-triangle scan brought
#: to 391k in blocks: 3 gives a mean error of 3.0e-5 of the diagonal in 31 s, 4 gives 4.1e-5
#: in 23 s, 5 gives 4.5e-5, fast-simplification's default 7 gives 5.0e-5; gltfpack's is 4.6e-5.
AGGRESSIVENESS = 4.0


Simplified = tuple[np.ndarray, np.ndarray, np.ndarray | None]


def simplify_block(points: np.ndarray, faces: np.ndarray, target: int, colours: np.ndarray | None,
                   preserve_border: bool, agg: float = AGGRESSIVENESS) -> Simplified:
    """(points (k, 3) float64, faces (t, 3) int32, colours (k, 4) uint8 or None) of the block
    given as ``points`` (n, 3) float64 and ``faces`` (m, 3) int32, reduced to about ``target``
    triangles by quadric edge collapse (``agg``: fast-simplification's aggressiveness; lower
    keeps the surface closer and takes longer). Each kept vertex takes the colour of the given vertex
    nearest to it (colours are never averaged)."""
    import fast_simplification

    if target >= len(faces):
        return points, faces.astype(np.int32), colours
    kept, out = fast_simplification.simplify(points, faces.astype(np.int32), target_count=max(target, 1),
                                             agg=agg, preserve_border=preserve_border)
    kept = np.asarray(kept, dtype=np.float64)
    return kept, np.asarray(out, dtype=np.int32), nearest_colours(points, colours, kept)


def nearest_colours(points: np.ndarray, colours: np.ndarray | None, where: np.ndarray) -> np.ndarray | None:
    """The colour of the point of ``points`` nearest to each of ``where`` (None without colours)."""
    if colours is None:
        return None
    from scipy.spatial import cKDTree

    _, index = cKDTree(points).query(where, workers=1)
    return colours[index]


__all__ = ["AGGRESSIVENESS", "nearest_colours", "simplify_block"]
