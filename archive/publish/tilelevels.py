"""Which tile each point of a bucket belongs to: a uniform sample per level, refined by adding.

A tile at octree depth ``d`` (edge ``size / 2**d``) lays a grid of ``grid``³ cells over
itself and keeps, of the points not kept by a coarser tile, the one nearest each occupied
cell's centre: the root holds a uniform sample of the whole cloud at spacing
``size / grid``, each level down halves the spacing and adds only new points (3D Tiles
``REFINE: ADD``), so every point is in exactly one tile. A tile with at most ``leaf_max``
points left in its cell keeps them all and has no children.

Every level's grid cell lies inside one bucket (buckets are never deeper than
``log2(grid)``: :data:`.tilebins.MAX_DEPTH`), so a bucket is decided on its own; tiles above
the bucket get their share of points from each bucket below them.

The grids nest (each level halves the one above), so one sort of the bucket's points by the
Morton code of their finest cell makes every level's cells, and every tile, runs of
consecutive points: a level is then a few passes over the points still left, not a sort.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .tilebins import Cube


def grid_bits(grid: int) -> int:
    bits = int(grid).bit_length() - 1
    if grid < 2 or 1 << bits != grid:
        raise ValueError(f"the sampling grid must be a power of two, not {grid}")
    return bits


def spacing(cube: Cube, grid: int, depth: int) -> float:
    """Edge of a sampling cell at ``depth``: the spacing of the points a tile adds."""
    return cube.size / (grid << depth)


#: bits of a cell coordinate at the finest level a bucket is cut to (3 × 21 bits: one int64)
CODE_BITS = 21


def assign(points: np.ndarray, cube: Cube, bucket_depth: int, bucket_xyz: tuple[int, int, int], grid: int,
           leaf_max: int) -> Iterator[tuple[int, tuple[int, int, int], np.ndarray]]:
    """Yield ``(depth, tile xyz, indices into points)`` until every point of the bucket has
    its tile. ``points`` (n, 3) float64 published metres, all in the bucket's cell (points
    just outside, from a header box that lied, count as on its faces)."""
    bits = grid_bits(grid)
    assert bucket_depth <= bits, "a bucket deeper than log2(grid) would split the coarser levels' cells"
    finest = bucket_depth + CODE_BITS - bits  # the last level: it keeps whatever is left
    edge = cube.size / (1 << bucket_depth)
    origin = cube.corner + np.asarray(bucket_xyz, dtype=np.float64) * edge
    rel = points - origin
    rel *= (1 << CODE_BITS) / edge  # in cells of the finest level
    cells = np.floor(rel)
    np.maximum(cells, 0, out=cells)
    np.minimum(cells, (1 << CODE_BITS) - 1, out=cells)
    cells = cells.astype(np.uint64)
    code = (_spread(cells[:, 0]) << np.uint64(2)) | (_spread(cells[:, 1]) << np.uint64(1)) | _spread(cells[:, 2])
    del cells
    order = np.argsort(code)
    code, rel = code[order], rel[order]
    left = np.arange(len(points))  # positions in the sorted arrays, still in Morton order
    depth = 0
    while len(left):
        coarser = finest - depth  # this level's cells are 2**coarser finest cells wide
        key = code[left] >> np.uint64(3 * coarser)
        r = rel[left]
        r *= 0.5 ** coarser
        r -= np.floor(r)
        r -= 0.5
        taken = _nearest_per_cell(key, np.einsum("ij,ij->i", r, r))
        tile_key = key >> np.uint64(3 * bits) if depth >= bucket_depth else np.zeros(len(key), np.uint64)
        if depth >= bucket_depth:  # a tile with few points left keeps them all and ends its branch
            starts = np.flatnonzero(np.r_[True, tile_key[1:] != tile_key[:-1]])
            sizes = np.diff(np.r_[starts, len(key)])
            taken |= np.repeat(sizes <= leaf_max, sizes)
            if depth == finest:
                taken[:] = True
        kept = np.flatnonzero(taken)
        yield from _by_tile(depth, tile_key[kept], order[left[kept]], bucket_xyz, bucket_depth)
        left = left[~taken]
        depth += 1


def _nearest_per_cell(key: np.ndarray, off_centre: np.ndarray) -> np.ndarray:
    """(n,) bool: in each run of equal (sorted) ``key``, the first point nearest its cell's centre."""
    out = np.zeros(len(key), bool)
    if not len(key):
        return out
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    nearest = np.flatnonzero(off_centre == np.repeat(np.minimum.reduceat(off_centre, starts), sizes))
    run = np.searchsorted(starts, nearest, side="right")
    out[nearest[np.r_[True, run[1:] != run[:-1]]]] = True
    return out


def _spread(v: np.ndarray) -> np.ndarray:
    """Each of the 21 low bits of ``v`` (uint64) moved to every third bit (a Morton code's part)."""
    v = v & np.uint64(0x1FFFFF)
    for shift, mask in ((32, 0x1F00000000FFFF), (16, 0x1F0000FF0000FF), (8, 0x100F00F00F00F00F),
                        (4, 0x10C30C30C30C30C3), (2, 0x1249249249249249)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _compact(v: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_spread`: every third bit of ``v`` (uint64) gathered."""
    v = v & np.uint64(0x1249249249249249)
    for shift, mask in ((2, 0x10C30C30C30C30C3), (4, 0x100F00F00F00F00F), (8, 0x1F0000FF0000FF),
                        (16, 0x1F00000000FFFF), (32, 0x1FFFFF)):
        v = (v | (v >> np.uint64(shift))) & np.uint64(mask)
    return v


def _by_tile(depth: int, tile_key: np.ndarray, indices: np.ndarray, bucket_xyz: tuple[int, int, int],
             bucket_depth: int) -> Iterator[tuple[int, tuple[int, int, int], np.ndarray]]:
    """Runs of equal (sorted) ``tile_key`` (the Morton code of a tile's place in the bucket) as
    (depth, tile xyz, indices)."""
    if depth < bucket_depth:
        tile = tuple(int(c) >> (bucket_depth - depth) for c in bucket_xyz)
        yield depth, (tile[0], tile[1], tile[2]), indices
        return
    per = depth - bucket_depth  # a bucket holds 2**per tiles along each edge at this depth
    starts = np.flatnonzero(np.r_[True, tile_key[1:] != tile_key[:-1]])
    keys = tile_key[starts]
    local = np.column_stack([_compact(keys >> np.uint64(2)), _compact(keys >> np.uint64(1)), _compact(keys)])
    for n, (a, b) in enumerate(zip(starts.tolist(), [*starts[1:].tolist(), len(tile_key)], strict=True)):
        x, y, z = (int(c) for c in local[n])
        yield depth, ((bucket_xyz[0] << per) + x, (bucket_xyz[1] << per) + y, (bucket_xyz[2] << per) + z), \
            indices[a:b]
