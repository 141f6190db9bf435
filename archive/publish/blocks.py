"""Simplifying a mesh too big for one pass: in spatial blocks, in parallel, in bounded memory.

fast-simplification keeps about 300 bytes per triangle while it works (its triangles carry
normals, errors and texture slots in doubles): 4 GB for a 12.7M-triangle scan, 15 GB for
50M, and one core. Here:

1. the faces are sorted into blocks of about :data:`BLOCK_TRIANGLES` by the cell of a coarse
   grid their first corner lies in, the cells split like a k-d tree (median face, longest
   side), so that a block is a compact piece of surface with a short rim;
2. each block is simplified to its share of the target in a worker process, with its cut
   edges kept where they are (:func:`glbtools.simplify.simplify_block`), up to
   :data:`workers` blocks at a time;
3. the blocks are welded back by position (the vertices on the cuts did not move) and the
   whole is simplified once more to the target, which also removes the strips of full
   detail left along the cuts.

Everything works in a frame where the mesh's bounding-box diagonal is 1, the scale that
fast-simplification's absolute collapse threshold is made for; the weld compares those
coordinates exactly (each vertex is converted once, the same way, in whichever block).

Memory: the caller's vertices and faces, about 300 bytes per triangle of each block in
flight, and in the last pass the merged mesh (the target plus the cut strips).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

from glbtools.simplify import AGGRESSIVENESS, nearest_colours, simplify_block

#: triangles per block (~300 MB in fast-simplification)
BLOCK_TRIANGLES = 1_000_000
#: meshes of at most this many triangles are simplified in one pass
SINGLE_PASS = 2_000_000
#: a block aims this much above its share of the target, so the last pass chooses among
#: collapses across the whole mesh rather than only along the cuts
BLOCK_SLACK = 1.5
#: cells of the partition grid along the longest side
GRID = 64

Progress = Callable[[int, int, str], None]
Simplified = tuple[np.ndarray, np.ndarray, np.ndarray | None]


def default_workers() -> int:
    """Worker processes for the blocks: the machine's cores, at most four (each holds a block)."""
    return max(1, min(os.cpu_count() or 1, 4))


def simplify_big(vertices: np.ndarray, faces: np.ndarray, target: int, colours: np.ndarray | None = None,
                 workers: int | None = None, progress: Progress | None = None,
                 check: Callable[[], None] | None = None, aggressiveness: float = AGGRESSIVENESS) -> Simplified:
    """``vertices`` (n, 3) float32/float64 and ``faces`` (m, 3) int32/int64 reduced to about
    ``target`` triangles (see the module docstring); colours (n, 4) uint8 follow as the
    colour of the input vertex nearest to each kept one. Returns (points (k, 3) float64, faces (t, 3) int32,
    colours (k, 4) uint8 or None). ``check`` is called between blocks (a cancel token's check)."""
    centre, scale = _frame(vertices)
    if len(faces) <= SINGLE_PASS:
        points, out, kept = simplify_block(_unit(vertices, np.arange(len(vertices)), centre, scale),
                                           np.asarray(faces, dtype=np.int32), target, colours, False, aggressiveness)
        return points * scale + centre, out, kept
    block_of, blocks = partition(vertices, faces, BLOCK_TRIANGLES)
    share = min(1.0, target / len(faces) * BLOCK_SLACK)
    parts = list(_blocks_done(vertices, faces, block_of, blocks, share, centre, scale,
                              workers or default_workers(), progress, check, aggressiveness))
    del block_of
    points, merged, _ = weld(parts)
    del parts
    if check:
        check()
    if progress:
        progress(blocks, blocks + 1, "Joining the blocks")
    points, out, _ = simplify_block(points, merged, target, None, False, aggressiveness)
    kept = None
    if colours is not None:  # each kept vertex: the colour of the input vertex nearest to it
        kept = nearest_colours(_unit(vertices, np.arange(len(vertices)), centre, scale), colours, points)
    return points * scale + centre, out, kept


def partition(vertices: np.ndarray, faces: np.ndarray, per_block: int) -> tuple[np.ndarray, int]:
    """(block number of each face (m,) int32, number of blocks): faces grouped by the cell of
    their first corner on a :data:`GRID`-cell grid, the occupied cells split in two along the
    longest side of their box at the median face, again and again, until each part holds
    about ``per_block`` faces (a k-d tree over cells: compact blocks, short cuts)."""
    lo = np.array([vertices[:, k].min() for k in range(3)], dtype=np.float64)
    hi = np.array([vertices[:, k].max() for k in range(3)], dtype=np.float64)
    size = float((hi - lo).max()) / GRID or 1.0
    cell_of_face = np.empty(len(faces), dtype=np.int32)
    step = 4_000_000
    for a in range(0, len(faces), step):
        corner = vertices[faces[a:a + step, 0]].astype(np.float64)
        q = np.clip(((corner - lo) / size).astype(np.int32), 0, GRID - 1)
        cell_of_face[a:a + step] = (q[:, 0] * GRID + q[:, 1]) * GRID + q[:, 2]
    counts = np.bincount(cell_of_face, minlength=GRID**3)
    cells = np.flatnonzero(counts)
    block_of_cell = np.zeros(GRID**3, dtype=np.int32)
    parts = _split(np.column_stack(np.unravel_index(cells, (GRID,) * 3)), counts[cells], per_block)
    for number, members in enumerate(parts):
        block_of_cell[cells[members]] = number
    return block_of_cell[cell_of_face], len(parts)


def _split(coords: np.ndarray, counts: np.ndarray, per_block: int) -> list[np.ndarray]:
    """Indices of the cells in each part (see :func:`partition`)."""
    parts, todo = [], [np.arange(len(coords))]
    while todo:
        members = todo.pop()
        total = int(counts[members].sum())
        if total <= per_block * 1.25 or len(members) == 1:
            parts.append(members)
            continue
        axis = int(np.argmax(np.ptp(coords[members], axis=0)))
        order = members[np.argsort(coords[members, axis], kind="stable")]
        half = int(np.searchsorted(np.cumsum(counts[order]), total / 2))
        half = min(max(half, 1), len(order) - 1)
        todo += [order[:half], order[half:]]
    return parts


def _frame(vertices: np.ndarray) -> tuple[np.ndarray, float]:
    lo = np.array([vertices[:, k].min() for k in range(3)], dtype=np.float64)
    hi = np.array([vertices[:, k].max() for k in range(3)], dtype=np.float64)
    return (lo + hi) / 2, float(np.linalg.norm(hi - lo)) or 1.0


def _unit(vertices: np.ndarray, ids: np.ndarray, centre: np.ndarray, scale: float) -> np.ndarray:
    """Vertices ``ids`` in the unit frame, float64, computed the same way wherever they are used."""
    return (vertices[ids].astype(np.float64) - centre) / scale


def _blocks_done(vertices: np.ndarray, faces: np.ndarray, block_of: np.ndarray, blocks: int, share: float,
                 centre: np.ndarray, scale: float, workers: int, progress: Progress | None,
                 check: Callable[[], None] | None, agg: float) -> Iterator[Simplified]:
    """Each block simplified (in order), at most ``workers`` + 1 blocks held at a time."""
    import multiprocessing

    from platform_support import start_method

    context = multiprocessing.get_context(start_method())
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: list[Future[Simplified]] = []
        for b in range(blocks):
            if check:
                check()
            points, local, target = _block(vertices, faces, block_of, b, share, centre, scale)
            pending.append(pool.submit(simplify_block, points, local, target, None, True, agg))
            while len(pending) > workers or (b == blocks - 1 and pending):
                done = pending.pop(0).result()
                if progress:
                    progress(b + 1 - len(pending), blocks + 1, "Simplifying in blocks")
                yield done


def _block(vertices: np.ndarray, faces: np.ndarray, block_of: np.ndarray, b: int, share: float,
           centre: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Arguments of :func:`~glbtools.simplify.simplify_block` for block ``b`` (its faces
    renumbered over the vertices they use)."""
    mine = faces[np.flatnonzero(block_of == b)]
    used = np.sort(mine.ravel())
    used = used[np.concatenate([[True], used[1:] != used[:-1]])]
    local = np.searchsorted(used, mine).astype(np.int32)
    target = max(4, int(round(len(mine) * share)))
    return _unit(vertices, used, centre, scale), local, target


def weld(parts: list[Simplified]) -> Simplified:
    """The blocks as one mesh, vertices at the very same position made one (and the colours of
    the first of them, when the blocks have colours)."""
    points = np.concatenate([p for p, _, _ in parts])
    offsets = np.cumsum([0] + [len(p) for p, _, _ in parts])[:-1]
    faces = np.concatenate([f + o for (_, f, _), o in zip(parts, offsets, strict=True)])
    colours = None if parts[0][2] is None else np.concatenate([c for _, _, c in parts])  # type: ignore[misc]
    unique, first, index = np.unique(points, axis=0, return_index=True, return_inverse=True)
    index = index.ravel().astype(np.int32)
    faces = index[faces]
    faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])]
    return unique, faces, None if colours is None else colours[first]


__all__ = ["BLOCK_TRIANGLES", "SINGLE_PASS", "default_workers", "partition", "simplify_big", "weld"]
