"""Ray queries on a master's spatial index (written by the archive next to its levels),
memory-mapped: a pick touches only the boxes and triangles along its ray.

The index (``<sha>.pick.json`` and three ``.npy`` files, format version 1) holds float32
vertices relative to an ``origin``, int32 triangles in Morton order, and boxes: one per leaf
of ``leaf`` consecutive triangles (or points), then one per ``fan`` boxes of the level below.
A query walks the boxes from the top, keeps those the ray enters, and tests the triangles of
the leaves it reaches in float64, nearest leaves first, stopping as soon as no farther leaf
can hold a nearer hit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CorruptFile

FORMAT_VERSION = 1
_BATCH = 32  # leaves tested together (vectorised) before checking whether to stop


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

    @property
    def primitives(self) -> int:
        """Triangles of a mesh, points of a cloud."""
        return self.count

    # -- traversal ----------------------------------------------------------------------
    def _leaves(self, o: np.ndarray, d: np.ndarray, t_max: float,
                pad: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
        """Leaves whose box the ray enters before ``t_max``, nearest first: (ids, entry t).
        ``pad`` = (a, b) grows each box by ``a + b * (its farthest distance)`` (cones)."""
        inv = 1.0 / np.where(np.abs(d) < 1e-30, 1e-30, d)
        nodes = np.arange(len(self.levels[-1]))
        enter = np.zeros(0)
        for depth in range(len(self.levels) - 1, -1, -1):
            box = np.asarray(self.levels[depth][nodes], dtype=np.float64)
            lo, hi = box[:, :3], box[:, 3:]
            if pad != (0.0, 0.0):
                far = np.linalg.norm((lo + hi) / 2 - o, axis=1) + np.linalg.norm(hi - lo, axis=1) / 2
                grow = (pad[0] + pad[1] * far)[:, None]
                lo, hi = lo - grow, hi + grow
            t1, t2 = (lo - o) * inv, (hi - o) * inv
            near = np.minimum(t1, t2).max(axis=1)
            far_t = np.maximum(t1, t2).min(axis=1)
            ok = (far_t >= np.maximum(near, 0.0)) & (near <= t_max) & (lo <= hi).all(axis=1)
            nodes, enter = nodes[ok], np.maximum(near[ok], 0.0)
            if depth:
                below = len(self.levels[depth - 1])
                nodes = (nodes[:, None] * self.fan + np.arange(self.fan)).ravel()
                nodes = nodes[nodes < below]
        order = np.argsort(enter, kind="stable")
        return nodes[order], enter[order]

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
        assert self.faces is not None, "first_hit is for meshes"
        o, d = np.asarray(origin, np.float64), np.asarray(direction, np.float64)
        leaves, enter = self._leaves(o, d, t_max)
        best: IndexHit | None = None
        for a in range(0, len(leaves), _BATCH):
            if best is not None and best.t <= enter[a]:
                break
            rows = self._rows(leaves[a:a + _BATCH])
            tri = np.asarray(self.faces[rows])
            corners = np.asarray(self.vertices[tri.reshape(-1)], dtype=np.float64).reshape(-1, 3, 3)
            t = _ray_triangles(o, d, corners)
            hit_points = o + np.where(np.isfinite(t), t, 0.0)[:, None] * d
            ok = np.isfinite(t) & (t < t_max)
            if keep is not None:
                ok &= (hit_points - keep[0]) @ keep[1] <= 0
            if ok.any():
                k = int(np.flatnonzero(ok)[np.argmin(t[ok])])
                if best is None or t[k] < best.t:
                    best = IndexHit(float(t[k]), int(rows[k]), hit_points[k], _facing(corners[k], d))
        return best

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
        leaves, enter = self._leaves(o, d, np.inf, (tol_base, tol_slope))
        best: IndexHit | None = None
        for a in range(0, len(leaves), _BATCH):
            if best is not None and best.t <= enter[a]:
                break
            rows = self._rows(leaves[a:a + _BATCH])
            pts = np.asarray(self.vertices[rows], dtype=np.float64)
            rel = pts - o
            t = rel @ d
            off = np.einsum("ij,ij->i", rel, rel) - t * t
            ok = (t > 0) & (off <= (tol_base + tol_slope * np.maximum(t, 0)) ** 2)
            if keep is not None:
                ok &= (pts - keep[0]) @ keep[1] <= 0
            if ok.any():
                k = int(np.flatnonzero(ok)[np.argmin(t[ok])])
                if best is None or t[k] < best.t:
                    best = IndexHit(float(t[k]), int(rows[k]), pts[k], np.zeros(3))
        return best


def _ray_triangles(o: np.ndarray, d: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """(k,) distance along the ray to each of (k, 3, 3) triangles (Möller–Trumbore, both
    sides), inf where it misses."""
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    p = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / det
        s = o - tri[:, 0]
        u = np.einsum("ij,ij->i", s, p) * inv
        q = np.cross(s, e1)
        v = (q @ d) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        eps = 1e-9
        ok = (np.abs(det) > 1e-30) & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps) & (t > 0)
    return np.where(ok, t, np.inf)


def _facing(tri: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(3,) unit normal of a (3, 3) triangle, turned to face against ``d``."""
    n = np.cross(tri[1] - tri[0], tri[2] - tri[0])
    norm = float(np.linalg.norm(n))
    if norm == 0:
        return np.zeros(3)
    n = n / norm
    return -n if n @ d > 0 else n
