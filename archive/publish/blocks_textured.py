"""Simplifying a big textured mesh in spatial blocks, in bounded memory (levels of detail of
5-50M-triangle photogrammetry).

The seam-aware decimation (:func:`.seams.decimate_welded`) holds fast-simplification's ~300
bytes per triangle of the whole mesh: 15 GB for 50M triangles. As for meshes without texture
coordinates (:mod:`.blocks`), the faces are cut into blocks of about
:data:`~.blocks.BLOCK_TRIANGLES` (:func:`.blocks.partition`), each block is decimated with its
seams kept and its cut edges in place in a worker process, and the blocks, which meet at the
very same positions along the cuts, are decimated once more together to the target. Each kept
vertex carries the texture coordinates of one original vertex, block or not.

The price: a vertex's texture coordinates are chosen twice (in its block, then in the last
pass) among ever fewer candidates, so a few vertices take those of a vertex one or two edges
away (on a test plane: 99 % within 1.5 grid cells, the worst 6, against 1.25 in one pass).
Hence blocks only above :data:`SINGLE_PASS` triangles, where one pass no longer fits.

Memory: the caller's arrays, ~300 bytes per triangle of each block in flight, and the last
pass over the joined blocks (about :data:`~.blocks.BLOCK_SLACK` times the target plus the
strips along the cuts).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

from .blocks import BLOCK_SLACK, BLOCK_TRIANGLES, _frame, _unit, default_workers, partition

Textured = tuple[np.ndarray, np.ndarray, np.ndarray]
#: textured meshes of at most this many triangles are decimated in one pass (~0.5 GB per
#: million triangles: 4 GB here), keeping the texture coordinates closest
SINGLE_PASS = 8_000_000
#: address space one pass takes per triangle of a textured master, the master's own arrays
#: included (3.2 GB resident for a 6M-triangle GLB): above the worker's limit, blocks
BYTES_PER_TRIANGLE = 700


def textured_block(points: np.ndarray, faces: np.ndarray, uv: np.ndarray, target: int,
                   preserve_border: bool) -> Textured:
    """(points (k, 3) float64, faces (t, 3) int64, uv (k, 2)) of one block given in the unit
    frame (points (n, 3) float64, faces (m, 3) int32, uv (n, 2)), decimated towards ``target``
    with its seams and (with ``preserve_border``) its cut edges kept. Runs in a worker."""
    from .geometry import Part
    from .seams import decimate_welded

    if target >= len(faces):
        return points, faces.astype(np.int64), uv
    out = decimate_welded(Part(points, faces, uv=uv), target, unit_frame=True, preserve_border=preserve_border,
                          best_effort=preserve_border)
    if out is None or out.faces is None or out.uv is None:
        return points, faces.astype(np.int64), uv
    return out.vertices, out.faces, out.uv


def decimate_textured_big(vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, target: int,
                          workers: int | None = None, per_block: int = BLOCK_TRIANGLES,
                          check: Callable[[], None] | None = None) -> Textured:
    """``vertices`` (n, 3) float32 with ``uv`` (n, 2) and ``faces`` (m, 3) int32 reduced to
    about ``target`` triangles in blocks of ``per_block`` (see the module docstring). Returns
    (points (k, 3) float64 in the given frame, faces (t, 3) int64, uv (k, 2))."""
    import multiprocessing

    from platform_support import start_method

    centre, scale = _frame(vertices)
    block_of, blocks = partition(vertices, faces, per_block)
    share = min(1.0, target / len(faces) * BLOCK_SLACK)
    done: list[Textured] = []
    workers = workers or default_workers()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(start_method())) as pool:
        pending: list[Future[Textured]] = []
        for b in range(blocks):
            if check:
                check()
            mine = faces[np.flatnonzero(block_of == b)]
            used = np.unique(mine)
            local = np.searchsorted(used, mine).astype(np.int32)
            wanted = max(4, int(round(len(mine) * share)))
            pending.append(pool.submit(textured_block, _unit(vertices, used, centre, scale), local, uv[used],
                                       wanted, True))
            del mine, local
            while len(pending) > workers or (b == blocks - 1 and pending):
                done.append(pending.pop(0).result())
    del block_of
    points = np.concatenate([p for p, _, _ in done])
    offsets = np.cumsum([0] + [len(p) for p, _, _ in done])[:-1]
    joined = np.concatenate([f + o for (_, f, _), o in zip(done, offsets, strict=True)]).astype(np.int32)
    coords = np.concatenate([u for _, _, u in done])
    del done
    if check:
        check()
    # the blocks meet at the very same positions along their cuts: the last pass welds them
    points, out, coords = textured_block(points, joined, coords, target, False)
    return points * scale + centre, out, coords


__all__ = ["BYTES_PER_TRIANGLE", "SINGLE_PASS", "decimate_textured_big", "textured_block"]
