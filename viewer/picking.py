"""Picking by ray casting against the full-resolution geometry (never the screen).

:class:`Picker` works on a model in memory: meshes through
``open3d.t.geometry.RaycastingScene``; clouds take the point nearest the camera among those
within a few pixels of the ray. :class:`IndexPicker` does the same on a big master that is
never loaded, through its memory-mapped spatial index (:mod:`viewer.pickindex`), while a
lighter level of it is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d

from .camera import Camera
from .model import Model
from .pickindex import IndexHit, PickIndex


@dataclass(frozen=True)
class Pick:
    """A picked surface point.

    Attributes
    ----------
    point
        (3,) position in model (geometry) coordinates.
    normal
        (3,) surface normal at the pick (unit).
    index
        Triangle index for meshes, point index for clouds.
    distance
        Distance from the ray origin.
    """

    point: np.ndarray
    normal: np.ndarray
    index: int
    distance: float


class Picker:
    """Ray picking on one model; build once (a few ms per 100k triangles), reuse."""

    def __init__(self, model: Model, tolerance_px: float = 4.0) -> None:
        self.model = model
        self.tolerance_px = tolerance_px
        self._scene: o3d.t.geometry.RaycastingScene | None = None
        if model.kind == "mesh":
            self._scene = o3d.t.geometry.RaycastingScene()
            v = o3d.core.Tensor.from_numpy(np.ascontiguousarray(model.vertices, dtype=np.float32))
            f = o3d.core.Tensor.from_numpy(np.ascontiguousarray(model.triangles, dtype=np.uint32))
            self._scene.add_triangles(v, f)

    def pick(self, camera: Camera, px: float, py: float, width: int, height: int,
             keep: tuple[np.ndarray, np.ndarray] | None = None) -> Pick | None:
        """Pick at pixel (px, py) of a ``width`` x ``height`` frame rendered with ``camera``.

        ``keep`` is an optional section plane (point, normal): hits on the cut-away side
        are skipped, so a pick lands on what is visible.
        """
        origin, direction = camera.ray(px, py, width, height)
        if self._scene is not None:
            return self._pick_mesh(origin, direction, keep)
        per_px = self._world_per_px(camera, height)
        return self._pick_points(origin, direction, per_px, camera.projection == "perspective",
                                 keep)

    def pick_ray(self, origin: np.ndarray, direction: np.ndarray) -> Pick | None:
        """First hit along a (3,) origin / (3,) unit direction ray (meshes only)."""
        return self._pick_mesh(origin, direction, None)

    def hidden(self, eye: np.ndarray, points: np.ndarray) -> np.ndarray:
        """(n,) bool: which of the (n, 3) ``points`` (on or near the surface) the surface hides
        from ``eye``; one batch of rays, so 200 markers cost well under a millisecond.
        Always all False for clouds (points do not hide each other)."""
        pts = np.asarray(points, dtype=float).reshape(-1, 3)
        if self._scene is None or len(pts) == 0:
            return np.zeros(len(pts), dtype=bool)
        rel = pts - np.asarray(eye, dtype=float)
        dist = np.linalg.norm(rel, axis=1)
        dirs = rel / np.maximum(dist, 1e-300)[:, None]
        rays = np.concatenate([np.broadcast_to(eye, pts.shape), dirs], axis=1).astype(np.float32)
        t = self._scene.cast_rays(o3d.core.Tensor.from_numpy(np.ascontiguousarray(rays)))["t_hit"].numpy()
        return np.asarray(t < dist - 1e-3 * self.model.extent)

    def _pick_mesh(self, origin: np.ndarray, direction: np.ndarray,
                   keep: tuple[np.ndarray, np.ndarray] | None) -> Pick | None:
        assert self._scene is not None
        start = 0.0
        for _ in range(64):  # step through cut-away layers
            ray = np.concatenate([origin + direction * start, direction]).astype(np.float32)
            ans = self._scene.cast_rays(o3d.core.Tensor.from_numpy(np.ascontiguousarray(ray[None, :])))
            t = float(ans["t_hit"].numpy()[0])
            if not np.isfinite(t):
                return None
            # Refine in float64 from the hit triangle's plane (float32 loses detail far out).
            tri = int(ans["primitive_ids"].numpy()[0])
            point, normal, t_total = self._refine(origin, direction, tri, start + t)
            if keep is None or (point - keep[0]) @ keep[1] <= 0:
                return Pick(point, normal, tri, t_total)
            start = t_total + 1e-6 * self.model.extent
        return None

    def _refine(self, origin: np.ndarray, direction: np.ndarray, tri: int, t: float
                ) -> tuple[np.ndarray, np.ndarray, float]:
        a, b, c = self.model.vertices[self.model.triangles[tri]]
        n = np.cross(b - a, c - a)
        norm = np.linalg.norm(n)
        if norm == 0 or abs(n @ direction) < 1e-12:
            return origin + direction * t, np.zeros(3), t
        n = n / norm
        t_exact = float((a - origin) @ n / (direction @ n))
        if n @ direction > 0:
            n = -n
        return origin + direction * t_exact, n, t_exact

    def _world_per_px(self, camera: Camera, height: int) -> float:
        return 2.0 * camera.zoom * camera.extent / max(height, 1)

    def _pick_points(self, origin: np.ndarray, direction: np.ndarray, per_px: float,
                     perspective: bool, keep: tuple[np.ndarray, np.ndarray] | None
                     ) -> Pick | None:
        pts = self.model.vertices
        rel = pts - origin
        t = rel @ direction
        perp = np.linalg.norm(rel - np.outer(t, direction), axis=1)
        # Tolerance grows with depth under perspective (a pixel covers more far away).
        tol = self.tolerance_px * per_px
        if perspective:
            tol = tol * np.maximum(t, 0) / max(float(np.median(np.abs(t))), 1e-12)
        ok = (t > 0) & (perp <= tol)
        if keep is not None:
            ok &= (pts - keep[0]) @ keep[1] <= 0
        if not ok.any():
            return None
        cand = np.flatnonzero(ok)
        i = int(cand[np.argmin(t[cand])])
        g = self.model.geometry
        normal = np.asarray(g.normals)[i] if isinstance(g, o3d.geometry.PointCloud) and g.has_normals() else np.zeros(3)
        return Pick(pts[i].copy(), normal, i, float(t[i]))


class IndexPicker:
    """Picking on a master's full resolution through its memory-mapped spatial index
    (:class:`viewer.pickindex.PickIndex`), while a lighter level is drawn.

    Parameters
    ----------
    index
        The master's index (its own frame: ``index.origin`` + local float32 coordinates).
    rotation, origin
        The display frame of the levels shown: display = ``rotation @ (file - origin)``.
    extent
        Size of the scene (for the "hidden behind the surface" margin).
    """

    def __init__(self, index: PickIndex, rotation: np.ndarray, origin: np.ndarray, extent: float,
                 tolerance_px: float = 4.0) -> None:
        self.index = index
        self.rotation = np.asarray(rotation, dtype=np.float64)
        self.shift = np.asarray(origin, dtype=np.float64) - index.origin  # display origin in index frame
        self.extent = extent
        self.tolerance_px = tolerance_px

    def _to_index(self, point: np.ndarray) -> np.ndarray:
        return self.rotation.T @ np.asarray(point, dtype=np.float64) + self.shift

    def _to_display(self, point: np.ndarray) -> np.ndarray:
        return self.rotation @ (np.asarray(point, dtype=np.float64) - self.shift)

    def _plane(self, keep: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray] | None:
        return None if keep is None else (self._to_index(keep[0]), self.rotation.T @ keep[1])

    def pick(self, camera: Camera, px: float, py: float, width: int, height: int,
             keep: tuple[np.ndarray, np.ndarray] | None = None) -> Pick | None:
        """As :meth:`Picker.pick`, on the master's full resolution."""
        origin, direction = camera.ray(px, py, width, height)
        o, d = self._to_index(origin), self.rotation.T @ direction
        if self.index.kind == "mesh":
            hit = self.index.first_hit(o, d, keep=self._plane(keep))
        else:
            per_px = 2.0 * np.tan(np.radians(camera.fov_deg) / 2) / max(height, 1)
            base, slope = ((0.0, self.tolerance_px * per_px) if camera.projection == "perspective"
                           else (self.tolerance_px * 2.0 * camera.zoom * camera.extent / max(height, 1), 0.0))
            hit = self.index.nearest_point(o, d, base, slope, keep=self._plane(keep))
        return None if hit is None else self._pick(hit)

    def pick_ray(self, origin: np.ndarray, direction: np.ndarray) -> Pick | None:
        """First hit along a (3,) origin / (3,) unit direction ray (meshes only)."""
        if self.index.kind != "mesh":
            return None
        hit = self.index.first_hit(self._to_index(origin), self.rotation.T @ np.asarray(direction, float))
        return None if hit is None else self._pick(hit)

    def hidden(self, eye: np.ndarray, points: np.ndarray) -> np.ndarray:
        """As :meth:`Picker.hidden`, against the master's surface."""
        pts = np.asarray(points, dtype=float).reshape(-1, 3)
        if self.index.kind != "mesh" or len(pts) == 0:
            return np.zeros(len(pts), dtype=bool)
        local = pts @ self.rotation + self.shift  # rotation.T @ p for each row
        return self.index.hidden(self._to_index(eye), local, 1e-3 * self.extent)

    def _pick(self, hit: IndexHit) -> Pick:
        return Pick(self._to_display(hit.point), self.rotation @ hit.normal, hit.index, hit.t)
