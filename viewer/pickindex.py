"""Ray queries on a master's spatial index (written by the archive next to its levels),
memory-mapped: a pick touches only the boxes and triangles along its ray.

The index (``<sha>.pick.json`` and three ``.npy`` files, format version 1) holds float32
vertices relative to an ``origin``, int32 triangles in Morton order, and boxes: one per leaf
of ``leaf`` consecutive triangles (or points), then one per ``fan`` boxes of the level below.
The boxes above the leaves (a sixteenth of them) are read into memory when the index is
opened; leaf boxes, triangles and vertices stay mapped. A query tests the upper levels
against the ray at once (vectorised per level) down to the parents of the leaves, then
visits those parents nearest first, a few at a time and more each step: their leaves the
ray enters are read with their triangles (or points) and tested in float64, and the walk
stops as soon as no farther parent can hold a nearer hit. A first pick on a cold disk reads
the pages of the leaves near the hit only, not of every leaf along the ray.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CorruptFile

FORMAT_VERSION = 1
_FIRST_STEP = 2  # parents of leaves visited in the first step; doubled each step ...
_MOST_STEP = 64  # ... up to this many (a ray that hits nothing near the front pays few steps)
_START = 512  # the walk starts at the largest level of at most this many boxes, all tested at once


@dataclass(frozen=True)
class IndexHit:
    """A hit in the index's own frame: ``t`` along the ray, the triangle (or point) number in
    index order, the (3,) point and (3,) unit normal facing the ray (zeros for points)."""

    t: float
    index: int
    point: np.ndarray
    normal: np.ndarray


class PickIndex:
    """A memory-mapped index of one master (see the module docstring).

    Parameters
    ----------
    manifest
        The ``<sha>.pick.json`` file.
    """

    def __init__(self, manifest: str | Path) -> None:
        path = Path(manifest)
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CorruptFile(f"{path.name}: the pick index cannot be read ({exc}).") from exc
        if meta.get("version") != FORMAT_VERSION:
            raise CorruptFile(f"{path.name}: pick index of another format version; rebuild the levels.")
        stem = path.name[: -len(".json")]
        self.kind: str = meta["kind"]
        self.origin = np.asarray(meta["origin"], dtype=np.float64)
        self.leaf, self.fan = int(meta["leaf"]), int(meta["fan"])
        try:
            self.vertices = np.load(path.with_name(f"{stem}.vertices.npy"), mmap_mode="r")
            self.faces = np.load(path.with_name(f"{stem}.faces.npy"), mmap_mode="r") if self.kind == "mesh" else None
            boxes = np.load(path.with_name(f"{stem}.boxes.npy"), mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise CorruptFile(f"{path.name}: a file of the pick index is missing or damaged ({exc}).") from exc
        counts = [int(c) for c in meta["levels"]]
        starts = np.r_[0, np.cumsum(counts)]
        if starts[-1] != len(boxes) or len(self.vertices) != meta["vertices"]:
            raise CorruptFile(f"{path.name}: the pick index files do not match their manifest; rebuild the levels.")
        self.levels = [boxes[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]  # leaves first
        self.count = len(self.faces) if self.faces is not None else len(self.vertices)
        # Plain views of the maps (a memmap's own indexing costs ~30 us a call) and the upper
        # levels in memory, in float64: one sequential read here instead of a page fault per
        # box on the first picks.
        self._vertices = np.asarray(self.vertices)
        self._faces = None if self.faces is None else np.asarray(self.faces)
        self._leaf_boxes = np.asarray(self.levels[0])
        self._upper = [_Boxes(np.array(level, dtype=np.float64)) for level in self.levels[1:]]

    @property
    def primitives(self) -> int:
        """Triangles of a mesh, points of a cloud."""
        return self.count

    # -- traversal ----------------------------------------------------------------------
    def _walk(self, o: np.ndarray, d: np.ndarray, t_max: float, pad: tuple[float, float],
              test: Callable[[np.ndarray], IndexHit | None]) -> IndexHit | None:
        """The nearest hit ``test(rows)`` finds among the rows (triangles or points) of the
        leaves whose box the ray enters before ``t_max``. ``pad`` = (a, b) grows each box by
        ``a + b * (its farthest distance)`` (cones). A box's entry distance bounds every hit
        inside it, so parents are visited nearest first and the walk stops at the first whose
        entry is past the best hit."""
        ray = _Ray(o, d, t_max, pad)
        parents, enter = self._parents_on_ray(ray)
        best: IndexHit | None = None
        a, step = 0, _FIRST_STEP
        while a < len(parents) and (best is None or best.t > enter[a]):
            leaves, leaf_enter = self._leaves_on_ray(parents[a:a + step], ray, ordered=True)
            b, batch = 0, _FIRST_STEP * self.fan  # each page of a cold disk read only when needed
            while b < len(leaves) and (best is None or best.t > leaf_enter[b]):
                hit = test(self._rows(leaves[b:b + batch]))
                if hit is not None and (best is None or hit.t < best.t):
                    best = hit
                b, batch = b + batch, 2 * batch
            a, step = a + step, min(2 * step, _MOST_STEP)
        return best

    def _parents_on_ray(self, ray: _Ray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes of the level above the leaves (the leaves themselves when there is one level)
        that the ray enters, nearest first: (ids, entry t). Vectorised per level, in memory,
        from the largest level of at most :data:`_START` boxes (fewer, bigger steps)."""
        if not self._upper:
            return self._leaves_on_ray(np.arange(len(self._leaf_boxes)), ray, ordered=True)
        depth = next((i for i, level in enumerate(self._upper) if len(level) <= _START), len(self._upper) - 1)
        nodes = np.arange(len(self._upper[depth]))
        while True:
            nodes, enter = ray.enters(self._upper[depth], nodes, ordered=depth == 0)
            if depth == 0:
                return nodes, enter
            depth -= 1
            nodes = self._children(nodes, len(self._upper[depth]))

    def _leaves_on_ray(self, parents: np.ndarray, ray: _Ray, ordered: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Leaves of these parents that the ray enters: (ids, entry t), read from the map."""
        leaves = self._children(parents, len(self._leaf_boxes)) if self._upper else parents
        boxes = _Boxes(np.asarray(self._leaf_boxes[leaves], dtype=np.float64), cones=ray.cone)
        return ray.enters(boxes, leaves, ordered)

    def _children(self, nodes: np.ndarray, below: int) -> np.ndarray:
        children = (nodes[:, None] * self.fan + np.arange(self.fan)).ravel()
        return children[children < below]

    def _rows(self, leaves: np.ndarray) -> np.ndarray:
        """Row numbers (triangles or points) of the given leaves."""
        rows = (leaves[:, None] * self.leaf + np.arange(self.leaf)).ravel()
        return rows[rows < self.count]

    # -- meshes -------------------------------------------------------------------------
    def first_hit(self, origin: np.ndarray, direction: np.ndarray, t_max: float = np.inf,
                  keep: tuple[np.ndarray, np.ndarray] | None = None) -> IndexHit | None:
        """Nearest triangle hit by the ray (3,) ``origin`` + t (3,) unit ``direction``,
        0 < t < ``t_max``, in the index frame; ``keep`` = (point, normal) skips hits on the
        plane's positive side (a section's cut-away part)."""
        assert self._faces is not None, "first_hit is for meshes"
        faces = self._faces
        o, d = np.asarray(origin, np.float64), np.asarray(direction, np.float64)

        def test(rows: np.ndarray) -> IndexHit | None:
            corners = np.asarray(self._vertices[faces[rows].reshape(-1)], dtype=np.float64).reshape(-1, 3, 3)
            t = _ray_triangles(o, d, corners)
            ok = t < t_max
            if keep is not None:
                ok &= (o + np.where(ok, t, 0.0)[:, None] * d - keep[0]) @ keep[1] <= 0
            if not ok.any():
                return None
            k = int(np.flatnonzero(ok)[np.argmin(t[ok])])
            return IndexHit(float(t[k]), int(rows[k]), o + t[k] * d, _facing(corners[k], d))

        return self._walk(o, d, t_max, (0.0, 0.0), test)

    def hidden(self, origin: np.ndarray, targets: np.ndarray, margin: float) -> np.ndarray:
        """(k,) bool: which (k, 3) ``targets`` a triangle hides from (3,) ``origin`` (a hit
        nearer than the target by more than ``margin``)."""
        out = np.zeros(len(targets), dtype=bool)
        if self.faces is None:
            return out
        for i, p in enumerate(np.asarray(targets, dtype=np.float64)):
            rel = p - origin
            dist = float(np.linalg.norm(rel))
            if dist > margin:
                out[i] = self.first_hit(origin, rel / dist, dist - margin) is not None
        return out

    # -- clouds -------------------------------------------------------------------------
    def nearest_point(self, origin: np.ndarray, direction: np.ndarray, tol_base: float, tol_slope: float,
                      keep: tuple[np.ndarray, np.ndarray] | None = None) -> IndexHit | None:
        """The point nearest the ray's origin among those within ``tol_base + tol_slope * t``
        of the ray (a cone: a few pixels at every depth), in the index frame."""
        o, d = np.asarray(origin, np.float64), np.asarray(direction, np.float64)

        def test(rows: np.ndarray) -> IndexHit | None:
            pts = np.asarray(self._vertices[rows], dtype=np.float64)
            rel = pts - o
            t = rel @ d
            off = np.einsum("ij,ij->i", rel, rel) - t * t
            ok = (t > 0) & (off <= (tol_base + tol_slope * np.maximum(t, 0)) ** 2)
            if keep is not None:
                ok &= (pts - keep[0]) @ keep[1] <= 0
            if not ok.any():
                return None
            k = int(np.flatnonzero(ok)[np.argmin(t[ok])])
            return IndexHit(float(t[k]), int(rows[k]), pts[k], np.zeros(3))

        return self._walk(o, d, np.inf, (tol_base, tol_slope), test)


_OUTWARD = np.array([[[-1.0], [1.0]]])  # grows (k, 2, 3) corners: min down, max up


class _Boxes:
    """(k, 6) float64 boxes as (k, 2, 3) corners, a box without a valid corner (min > max)
    as NaN (never entered: every comparison with NaN is false), with what cones need."""

    def __init__(self, boxes: np.ndarray, cones: bool = True) -> None:
        corners = boxes.reshape(-1, 2, 3)
        inverted = corners[:, 0] > corners[:, 1]
        corners[inverted[:, 0] | inverted[:, 1] | inverted[:, 2]] = np.nan
        self.corners = corners
        if cones:
            self.centre = (corners[:, 0] + corners[:, 1]) * 0.5  # not .sum(axis=1): slow on short axes
            size = corners[:, 1] - corners[:, 0]
            self.radius = np.sqrt(np.einsum("ij,ij->i", size, size)) * 0.5

    def __len__(self) -> int:
        return len(self.corners)


class _Ray:
    """o + t d, 0 <= t <= ``t_max``, tested against boxes grown by ``pad`` = (a, b): a + b
    times the box's farthest distance from o (a cone)."""

    def __init__(self, o: np.ndarray, d: np.ndarray, t_max: float, pad: tuple[float, float]) -> None:
        self.o, self.d, self.t_max, self.pad = o, d, t_max, pad
        self.inv = 1.0 / np.where(np.abs(d) < 1e-30, 1e-30, d)
        self.cone = pad != (0.0, 0.0)
        self.nearest_corner = ((d < 0).astype(np.intp), np.arange(3))  # per axis: min or max corner

    def enters(self, boxes: _Boxes, ids: np.ndarray, ordered: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Which of the boxes (the ``ids`` rows of ``boxes``, or all of them when ``boxes``
        holds just those) the ray enters: (their ids, entry t >= 0), nearest first if
        ``ordered``."""
        rows = slice(None) if len(boxes) == len(ids) else ids
        corners = boxes.corners[rows]
        ahead = None
        if self.cone:
            # No point of a box lies nearer along the ray than its corner nearest along it:
            # the padded box's entry alone comes far too early on a grazing ray.
            ahead = (corners[:, self.nearest_corner[0], self.nearest_corner[1]] - self.o) @ self.d
            rel = boxes.centre[rows] - self.o
            far = np.sqrt(np.einsum("ij,ij->i", rel, rel)) + boxes.radius[rows]
            corners = corners + (self.pad[0] + self.pad[1] * far)[:, None, None] * _OUTWARD
        t = (corners - self.o) * self.inv
        # elementwise over the 2 corners and 3 axes: numpy's reductions over short axes are slow
        lo_t, hi_t = np.minimum(t[:, 0], t[:, 1]), np.maximum(t[:, 0], t[:, 1])
        near = np.maximum(np.maximum(lo_t[:, 0], lo_t[:, 1]), lo_t[:, 2])
        far_t = np.minimum(np.minimum(hi_t[:, 0], hi_t[:, 1]), hi_t[:, 2])
        ok = (far_t >= near) & (far_t >= 0.0) & (near <= self.t_max)
        near = near[ok] if ahead is None else np.maximum(near[ok], ahead[ok])
        ids, enter = ids[ok], np.maximum(near, 0.0)
        if ordered:
            order = np.argsort(enter, kind="stable")
            ids, enter = ids[order], enter[order]
        return ids, enter


def _ray_triangles(o: np.ndarray, d: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """(k,) distance along the ray to each of (k, 3, 3) triangles (Möller–Trumbore, both
    sides), inf where it misses."""
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    p = _cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / det
        s = o - tri[:, 0]
        u = np.einsum("ij,ij->i", s, p) * inv
        q = _cross(s, e1)
        v = (q @ d) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        eps = 1e-9
        ok = (np.abs(det) > 1e-30) & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps) & (t > 0)
    return np.where(ok, t, np.inf)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross product of (k, 3) or (3,) arrays (np.cross costs ~10x more on small ones)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def _facing(tri: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(3,) unit normal of a (3, 3) triangle, turned to face against ``d``."""
    n = np.cross(tri[1] - tri[0], tri[2] - tri[0])
    norm = float(np.linalg.norm(n))
    if norm == 0:
        return np.zeros(3)
    n = n / norm
    return -n if n @ d > 0 else n
