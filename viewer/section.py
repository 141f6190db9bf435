"""Cross-section: clip geometry by a plane and trace the cut outline."""

from __future__ import annotations

import numpy as np
import open3d as o3d

from .loading import keep_triangles

AXES = {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]), "z": np.array([0, 0, 1.0])}


def section_plane(axis: str, offset: float, lo: np.ndarray, hi: np.ndarray,
                  view_front: np.ndarray | None = None, flip: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Plane through the box (lo, hi) at ``offset`` (0..1) along ``axis``.

    Returns
    -------
    point, normal
        (3,) point on the plane and (3,) unit normal; geometry on the normal's side is cut
        away. For ``axis="view"`` the normal is the camera's ``front`` reversed, so the
        half nearer the viewer is removed.
    """
    if axis == "view":
        if view_front is None:
            raise ValueError("a view section needs the camera direction")
        n = -np.asarray(view_front, dtype=float)
        n = n / np.linalg.norm(n)
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])])
        d = corners @ n
        point = ((lo + hi) / 2) + n * ((d.min() + offset * (d.max() - d.min())) - ((lo + hi) / 2) @ n)
    else:
        n = AXES[axis].copy()
        point = lo + offset * (hi - lo)
    if flip:
        n = -n
    return point, n


def clip(geometry: o3d.geometry.Geometry3D, point: np.ndarray, normal: np.ndarray
         ) -> o3d.geometry.Geometry3D:
    """Keep the part of a mesh or cloud behind the plane (signed distance <= 0).

    Triangles straddling the plane are kept whole so the cut edge has no gaps.
    """
    if isinstance(geometry, o3d.geometry.TriangleMesh):
        d = (np.asarray(geometry.vertices) - point) @ normal
        keep = (d[np.asarray(geometry.triangles)] <= 0).any(axis=1)
        return keep_triangles(geometry, keep)
    if isinstance(geometry, o3d.geometry.PointCloud):
        d = (np.asarray(geometry.points) - point) @ normal
        return geometry.select_by_index(np.flatnonzero(d <= 0).tolist())
    return geometry


def outline_segments(vertices: np.ndarray, triangles: np.ndarray, point: np.ndarray,
                     normal: np.ndarray) -> np.ndarray:
    """Segments where the plane cuts the mesh.

    Parameters
    ----------
    vertices : (n, 3) float
    triangles : (m, 3) int
    point, normal : (3,) plane

    Returns
    -------
    (k, 2, 3) float segment end points.
    """
    d = (vertices - point) @ normal
    dt = d[triangles]
    pos = dt > 0
    crossing = pos.any(axis=1) & ~pos.all(axis=1)
    tri = triangles[crossing]
    dt = dt[crossing]
    pos = pos[crossing]
    # The lone vertex is the one whose side differs from the other two.
    lone = np.where(pos.sum(axis=1) == 1, np.argmax(pos, axis=1), np.argmin(pos, axis=1))
    idx = np.arange(len(tri))
    a = tri[idx, lone]
    b = tri[idx, (lone + 1) % 3]
    c = tri[idx, (lone + 2) % 3]
    da, db, dc = dt[idx, lone], dt[idx, (lone + 1) % 3], dt[idx, (lone + 2) % 3]
    p1 = vertices[a] + (vertices[b] - vertices[a]) * (da / (da - db))[:, None]
    p2 = vertices[a] + (vertices[c] - vertices[a]) * (da / (da - dc))[:, None]
    return np.stack([p1, p2], axis=1)


def outline_lineset(segments: np.ndarray, colour: tuple[float, float, float] = (0.9, 0.15, 0.1)
                    ) -> o3d.geometry.LineSet:
    """LineSet drawing (k, 2, 3) ``segments``."""
    pts = segments.reshape(-1, 3)
    lines = np.arange(len(pts)).reshape(-1, 2)
    ls = o3d.geometry.LineSet(o3d.utility.Vector3dVector(pts), o3d.utility.Vector2iVector(lines))
    ls.paint_uniform_color(colour)
    return ls
