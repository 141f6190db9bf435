"""The loaded model: Open3D geometry plus what the viewer needs to know about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import open3d as o3d

from .errors import EmptyGeometry

Geometry = o3d.geometry.TriangleMesh | o3d.geometry.PointCloud
Kind = Literal["mesh", "points"]


@dataclass
class Model:
    """A scan ready to render, pick and measure.

    Attributes
    ----------
    geometry
        Full-resolution geometry; a ``TriangleMesh`` (with normals, optional vertex colours,
        optional textures) or a ``PointCloud`` (with normals, optional colours).
    kind
        ``"mesh"`` or ``"points"``.
    units
        Units of the model coordinates when known (``"mm"``, ``"cm"``, ``"m"``), else None.
    warnings
        Human-readable notes about what was repaired or left out while loading.
    origin
        (3,) offset removed from far-off (georeferenced) coordinates at load time:
        file coordinates are ``rotation.T @ geometry coordinates + origin``.
    up_axis, rotation
        The file's up axis (``"y"`` or ``"z"``) and the (3, 3) rotation that turned the
        geometry from the file's frame into the viewer's Y-up display frame
        (see :func:`viewer.orientation.orient`).
    """

    geometry: Geometry
    kind: Kind
    path: Path | None = None
    units: str | None = None
    warnings: list[str] = field(default_factory=list)
    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))
    up_axis: str = "y"
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    _bbox: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)

    @property
    def vertices(self) -> np.ndarray:
        """(n, 3) float64 vertex or point positions."""
        if isinstance(self.geometry, o3d.geometry.TriangleMesh):
            return np.asarray(self.geometry.vertices)
        return np.asarray(self.geometry.points)

    @property
    def triangles(self) -> np.ndarray:
        """(m, 3) int32 triangle indices; (0, 3) for point clouds."""
        if isinstance(self.geometry, o3d.geometry.TriangleMesh):
            return np.asarray(self.geometry.triangles)
        return np.zeros((0, 3), dtype=np.int32)

    @property
    def n_primitives(self) -> int:
        """Triangles for a mesh, points for a cloud: what drives render cost."""
        return len(self.triangles) if self.kind == "mesh" else len(self.vertices)

    @property
    def textured(self) -> bool:
        g = self.geometry
        return isinstance(g, o3d.geometry.TriangleMesh) and g.has_textures() and g.has_triangle_uvs()

    @property
    def has_colors(self) -> bool:
        g = self.geometry
        if isinstance(g, o3d.geometry.TriangleMesh):
            return bool(g.has_vertex_colors())
        return bool(g.has_colors())

    @property
    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounds as two (3,) float64 arrays (min, max).

        Computed once (a pass over millions of vertices costs milliseconds per frame);
        call :meth:`geometry_changed` after editing the geometry in place.
        """
        if self._bbox is None:
            v = self.vertices
            if len(v) == 0:
                raise EmptyGeometry("The model has no geometry.")
            self._bbox = (v.min(axis=0), v.max(axis=0))
        return self._bbox[0].copy(), self._bbox[1].copy()

    def to_file(self, point: np.ndarray) -> np.ndarray:
        """(3,) display coordinates -> the file's own frame (turn and load offset undone)."""
        return self.rotation.T @ np.asarray(point, dtype=float) + self.origin

    def from_file(self, point: np.ndarray) -> np.ndarray:
        """(3,) file coordinates -> display coordinates (inverse of :meth:`to_file`)."""
        return self.rotation @ (np.asarray(point, dtype=float) - self.origin)

    def geometry_changed(self) -> None:
        """Forget cached bounds after the geometry was modified in place."""
        self._bbox = None

    @property
    def center(self) -> np.ndarray:
        """(3,) centre of the bounding box."""
        lo, hi = self.bbox
        return (lo + hi) / 2.0

    @property
    def dimensions(self) -> np.ndarray:
        """(3,) bounding-box size along X, Y, Z in model units."""
        lo, hi = self.bbox
        return hi - lo

    @property
    def extent(self) -> float:
        """Largest bounding-box side; never zero (a single point gets 1.0)."""
        e = float(self.dimensions.max())
        return e if e > 0 else 1.0
