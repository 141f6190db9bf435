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


def assign(points: np.ndarray, cube: Cube, bucket_depth: int, bucket_xyz: tuple[int, int, int], grid: int,
           leaf_max: int) -> Iterator[tuple[int, tuple[int, int, int], np.ndarray]]:
    """Yield ``(depth, tile xyz, indices into points)`` until every point of the bucket has
    its tile. ``points`` (n, 3) float64 published metres, all in the bucket's cell."""
    bits = grid_bits(grid)
    assert bucket_depth <= bits, "a bucket deeper than log2(grid) would split the coarser levels' cells"
    edge = cube.size / (1 << bucket_depth)
    origin = cube.corner + np.asarray(bucket_xyz, dtype=np.float64) * edge
    left = np.arange(len(points))
    depth = 0
    while len(left):
        step = spacing(cube, grid, depth)
        rel = (points[left] - origin) / step
        side = max(1, (grid << depth) >> bucket_depth)  # sampling cells along the bucket's edge
        q = np.clip(np.floor(rel).astype(np.int64), 0, side - 1)
        off_centre = np.square(rel - q - 0.5).sum(1)
        if depth < bucket_depth:  # one tile above the bucket: sample only
            key = (q[:, 0] * side + q[:, 1]) * side + q[:, 2]
            taken = _nearest_per_cell(key, off_centre)
            tile = tuple(int(c) >> (bucket_depth - depth) for c in bucket_xyz)
            yield depth, (tile[0], tile[1], tile[2]), left[taken]
        else:
            per = 1 << (depth - bucket_depth)  # tiles along the bucket's edge at this depth
            node = q >> bits
            node_key = (node[:, 0] * per + node[:, 1]) * per + node[:, 2]
            _, inverse, counts = np.unique(node_key, return_inverse=True, return_counts=True)
            keep_all = counts[inverse] <= leaf_max
            if depth - bucket_depth >= (62 - 3 * bits) // 3:  # cell keys stay within 63 bits: keep the rest
                keep_all[:] = True
            cell = q & (grid - 1)
            key = (node_key << (3 * bits)) | (((cell[:, 0] << bits) | cell[:, 1]) << bits) | cell[:, 2]
            sampled = np.flatnonzero(~keep_all)
            mask = keep_all.copy()
            mask[sampled[_nearest_per_cell(key[sampled], off_centre[sampled])]] = True
            taken = np.flatnonzero(mask)
            yield from _by_tile(depth, node_key[taken], left[taken], per, bucket_xyz)
        done = np.zeros(len(left), bool)
        done[taken] = True
        left = left[~done]
        depth += 1


def _nearest_per_cell(key: np.ndarray, off_centre: np.ndarray) -> np.ndarray:
    """Sorted positions of the point nearest its cell's centre, one per distinct ``key``."""
    if not len(key):
        return np.zeros(0, np.int64)
    order = np.lexsort((off_centre, key))
    first = np.ones(len(order), bool)
    first[1:] = key[order][1:] != key[order][:-1]
    return np.sort(order[first])


def _by_tile(depth: int, node_key: np.ndarray, indices: np.ndarray, per: int,
             bucket_xyz: tuple[int, int, int]) -> Iterator[tuple[int, tuple[int, int, int], np.ndarray]]:
    order = np.argsort(node_key, kind="stable")
    node_key, indices = node_key[order], indices[order]
    starts = np.flatnonzero(np.r_[True, node_key[1:] != node_key[:-1]])
    for a, b in zip(starts.tolist(), [*starts[1:].tolist(), len(node_key)], strict=True):
        k = int(node_key[a])
        local = (k // (per * per), (k // per) % per, k % per)
        tile = (bucket_xyz[0] * per + local[0], bucket_xyz[1] * per + local[1], bucket_xyz[2] * per + local[2])
        yield depth, tile, indices[a:b]
