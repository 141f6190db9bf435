"""Camera maths: orbit, pan, zoom, standard views, projection and pixel rays.

The camera is the single source of truth for both rendering and picking: the renderer is
given :meth:`Camera.extrinsic` / :attr:`Camera.fov_deg`, and :meth:`Camera.ray` casts
through the same pixel centres, so a pick lands where the user clicked.

Conventions: right-handed world; ``front`` points from the eye to the target; pixel
(0, 0) is the top-left corner of the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

Projection = Literal["perspective", "orthographic"]

#: Standard views: name -> (direction from target to eye, up vector).
def _three_quarter(to_eye: tuple[float, float, float]) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """An oblique view: (direction to the eye, screen up), both unit and orthogonal."""
    eye = np.asarray(to_eye, dtype=float)
    eye /= np.linalg.norm(eye)
    up = np.array([0.0, 1.0, 0.0]) - eye[1] * eye
    up /= np.linalg.norm(up)
    return (float(eye[0]), float(eye[1]), float(eye[2])), (float(up[0]), float(up[1]), float(up[2]))


STANDARD_VIEWS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "front": ((0, 0, 1), (0, 1, 0)),
    "back": ((0, 0, -1), (0, 1, 0)),
    "left": ((-1, 0, 0), (0, 1, 0)),
    "right": ((1, 0, 0), (0, 1, 0)),
    "top": ((0, 1, 0), (0, 0, -1)),
    "bottom": ((0, -1, 0), (0, 0, 1)),
    # Three-quarter view from front-right and above: shows the inside of a bowl and the
    # shape of a vase at once (thumbnails and posters).
    "iso": _three_quarter((0.55, 0.55, 0.75)),
}

#: The renderer clamps zoom (``distance·tan(fov/2) / extent``) to this range; the camera
#: applies the same clamp so that picking always matches the rendered image.
ZOOM_RANGE = (0.02, 2.0)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _rotate(v: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues rotation of (3,) ``v`` about unit ``axis`` by ``angle`` radians."""
    k = _unit(axis)
    return (v * np.cos(angle) + np.cross(k, v) * np.sin(angle)
            + k * np.dot(k, v) * (1 - np.cos(angle)))


@dataclass
class Camera:
    """Orbit camera around a target.

    Attributes
    ----------
    target
        (3,) point the camera orbits around and looks at.
    front
        (3,) unit vector from the eye towards the target.
    up
        (3,) unit vector, orthogonal to ``front``.
    distance
        Eye-to-target distance in model units.
    extent
        Size of the scene (largest bounding-box side), used for clamping and panning.
    """

    target: np.ndarray = field(default_factory=lambda: np.zeros(3))
    front: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, -1.0]))
    up: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0, 0.0]))
    distance: float = 1.0
    extent: float = 1.0
    fov_deg: float = 45.0
    projection: Projection = "perspective"

    # -- derived ------------------------------------------------------------------------
    @property
    def eye(self) -> np.ndarray:
        """(3,) camera position."""
        return self.target - self.front * self.distance

    @property
    def right(self) -> np.ndarray:
        """(3,) unit vector to the right of the image."""
        return _unit(np.cross(self.front, self.up))

    @property
    def zoom(self) -> float:
        """Half the visible height at the target, relative to the scene extent."""
        return self.distance * np.tan(np.radians(self.fov_deg) / 2) / self.extent

    def copy(self) -> Camera:
        return replace(self, target=self.target.copy(), front=self.front.copy(),
                       up=self.up.copy())

    def extrinsic(self) -> np.ndarray:
        """(4, 4) world-to-camera matrix, OpenCV axes (x right, y down, z forward)."""
        r = np.stack([self.right, -self.up, self.front])
        m = np.eye(4)
        m[:3, :3] = r
        m[:3, 3] = -r @ self.eye
        return m

    # -- moves ---------------------------------------------------------------------------
    def frame(self, lo: np.ndarray, hi: np.ndarray, view: str = "front") -> None:
        """Centre on the box (lo, hi) (each (3,)) and fit it in view from ``view``."""
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        self.extent = float(np.max(hi - lo)) or 1.0
        self.target = (lo + hi) / 2.0
        self.set_view(view)
        # Fit the box's corners: half-height covering them, pushed back by the nearest one.
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])]) - self.target
        half = max(np.abs(corners @ self.up).max(), np.abs(corners @ self.right).max()) * 1.08
        half = max(half, 1e-6 * self.extent)
        t = np.tan(np.radians(self.fov_deg) / 2)
        # Per corner: far enough that it fits the view at its own depth (tighter than the
        # largest offset plus the nearest depth, which leaves oblique views too far away).
        spread = np.maximum(np.abs(corners @ self.up), np.abs(corners @ self.right)) * 1.08
        dist = max(float((spread / t + corners @ -self.front).max()), half / t * 0.5)
        if self.projection == "orthographic":
            dist = half / t
        self._set_zoom(dist * t / self.extent)

    def set_view(self, name: str) -> None:
        """Look from one of :data:`STANDARD_VIEWS`, keeping target and distance."""
        if name not in STANDARD_VIEWS:
            raise ValueError(f"unknown view {name!r}; choose from {', '.join(STANDARD_VIEWS)}")
        to_eye, up = STANDARD_VIEWS[name]
        self.front = -np.asarray(to_eye, dtype=float)
        self.up = np.asarray(up, dtype=float)

    def orbit(self, yaw_deg: float, pitch_deg: float) -> None:
        """Turn around the target: yaw about the screen's vertical, pitch about its horizontal."""
        right = self.right
        self.front = _unit(_rotate(self.front, self.up, np.radians(-yaw_deg)))
        right = _unit(np.cross(self.front, self.up))
        self.front = _unit(_rotate(self.front, right, np.radians(pitch_deg)))
        self.up = _unit(np.cross(right, self.front))

    def pan(self, dx_px: float, dy_px: float, height_px: int) -> None:
        """Move the target with the cursor: (dx, dy) pixels on an image ``height_px`` tall."""
        per_px = 2.0 * self.zoom * self.extent / max(height_px, 1)
        self.target = self.target + (-dx_px * self.right + dy_px * self.up) * per_px

    def dolly(self, factor: float) -> None:
        """Zoom in (factor < 1) or out (factor > 1), clamped like the renderer."""
        self._set_zoom(self.zoom * factor)

    def recentre(self, point: np.ndarray) -> None:
        """Make (3,) ``point`` the new orbit centre, keeping orientation and distance."""
        self.target = np.asarray(point, dtype=float).copy()

    def set_projection(self, projection: Projection) -> None:
        if projection not in ("perspective", "orthographic"):
            raise ValueError(f"unknown projection {projection!r}")
        self.projection = projection

    def _set_zoom(self, zoom: float) -> None:
        zoom = float(np.clip(zoom, *ZOOM_RANGE))
        self.distance = zoom * self.extent / np.tan(np.radians(self.fov_deg) / 2)

    # -- rays ----------------------------------------------------------------------------
    def rays(self, px: np.ndarray, py: np.ndarray, width: int, height: int
             ) -> tuple[np.ndarray, np.ndarray]:
        """Rays through pixel centres.

        Parameters
        ----------
        px, py
            (n,) pixel coordinates, origin top-left, may be fractional.
        width, height
            Image size in pixels.

        Returns
        -------
        origins, directions
            (n, 3) ray origins and (n, 3) unit directions in world space.
        """
        px = np.atleast_1d(np.asarray(px, dtype=float))
        py = np.atleast_1d(np.asarray(py, dtype=float))
        ndc_x = 2.0 * (px + 0.5) / width - 1.0
        ndc_y = 1.0 - 2.0 * (py + 0.5) / height
        half_h = np.tan(np.radians(self.fov_deg) / 2)
        aspect = width / height
        sx = (ndc_x * aspect)[:, None]
        sy = ndc_y[:, None]
        if self.projection == "orthographic":
            half = self.zoom * self.extent
            origins = self.eye + (sx * half) * self.right + (sy * half) * self.up
            dirs = np.tile(self.front, (len(px), 1))
            return origins, dirs
        dirs = self.front + (sx * half_h) * self.right + (sy * half_h) * self.up
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        return np.tile(self.eye, (len(px), 1)), dirs

    def ray(self, px: float, py: float, width: int, height: int
            ) -> tuple[np.ndarray, np.ndarray]:
        """One ray through pixel (px, py): (3,) origin and (3,) unit direction."""
        o, d = self.rays(np.array([px]), np.array([py]), width, height)
        return o[0], d[0]

    def project(self, points: np.ndarray, width: int, height: int) -> np.ndarray:
        """(n, 3) world points -> (n, 2) pixel coordinates (inverse of :meth:`rays`)."""
        rel = np.atleast_2d(points) - self.eye
        x, y, z = rel @ self.right, rel @ self.up, rel @ self.front
        half_h = np.tan(np.radians(self.fov_deg) / 2)
        if self.projection == "orthographic":
            sx, sy = x / (self.zoom * self.extent), y / (self.zoom * self.extent)
        else:
            sx, sy = x / (z * half_h), y / (z * half_h)
        ndc_x = sx / (width / height)
        return np.column_stack([(ndc_x + 1) * width / 2 - 0.5, (1 - sy) * height / 2 - 0.5])
