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


# -- profiles for conservators: loops on the plane, a filled cap, 2D coordinates -------------------
def plane_basis(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(3,) right and (3,) up unit vectors on the plane, as seen from the normal's side: up is
    the model's up (+Y) where the plane is upright, else -Z (a horizontal cut seen from above)."""
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    up = np.array([0.0, 1.0, 0.0]) - n[1] * n
    if np.linalg.norm(up) < 1e-6:
        up = np.array([0.0, 0.0, -1.0]) - n[2] * n
    up /= np.linalg.norm(up)
    return np.cross(up, n), up


def chain_loops(segments: np.ndarray, tolerance: float) -> list[np.ndarray]:
    """Join (k, 2, 3) ``segments`` end to end into polylines.

    Returns
    -------
    list of (p, 3) arrays; a closed loop repeats its first point at the end.
    """
    if len(segments) == 0:
        return []
    ends = segments.reshape(-1, 3)
    keys = np.round(ends / max(tolerance, 1e-300)).astype(np.int64)
    _, node = np.unique(keys, axis=0, return_inverse=True)
    node = node.reshape(-1, 2)
    at: dict[int, list[int]] = {}
    for i, (a, b) in enumerate(node):
        if a != b:
            at.setdefault(int(a), []).append(i)
            at.setdefault(int(b), []).append(i)
    used = np.zeros(len(node), bool)
    used[node[:, 0] == node[:, 1]] = True
    first = {int(n): i for i, n in enumerate(node.reshape(-1))}
    loops = []
    # Start from dead ends first so open chains come out whole.
    starts = sorted(at, key=lambda n: len(at[n]) != 1)
    for start in starts:
        while any(not used[s] for s in at[start]):
            chain, current = [start], start
            while True:
                nxt = next((s for s in at[current] if not used[s]), None)
                if nxt is None:
                    break
                used[nxt] = True
                a, b = node[nxt]
                current = int(b if a == current else a)
                chain.append(current)
                if current == start:
                    break
            loops.append(ends[[first[n] for n in chain]])
    return loops


def section_profile(vertices: np.ndarray, triangles: np.ndarray, point: np.ndarray, normal: np.ndarray
                    ) -> list[np.ndarray]:
    """The cut outline as 2D polylines on the plane, in model units.

    Returns
    -------
    list of (p, 2) arrays in the plane's (right, up) coordinates (see :func:`plane_basis`),
    measured from the projection of the world origin; closed loops end where they start.
    """
    segs = outline_segments(vertices, triangles, point, normal)
    extent = float(np.ptp(vertices, axis=0).max()) if len(vertices) else 1.0
    right, up = plane_basis(normal)
    return [np.column_stack([lp @ right, lp @ up]) for lp in chain_loops(segs, extent * 1e-9)]


def closed_loops(loops: list[np.ndarray], tolerance: float) -> list[np.ndarray]:
    """The loops (p, 2) whose ends meet (within ``tolerance``), without the repeated end point."""
    return [lp[:-1] for lp in loops if len(lp) > 3 and np.linalg.norm(lp[0] - lp[-1]) <= tolerance]


def inside(points: np.ndarray, loops: list[np.ndarray]) -> np.ndarray:
    """(n,) bool: (n, 2) ``points`` inside the closed ``loops`` by the even-odd rule (holes work)."""
    result = np.zeros(len(points), bool)
    edges = np.concatenate([np.stack([lp, np.roll(lp, -1, axis=0)], axis=1) for lp in loops]) if loops else None
    if edges is None:
        return result
    a, b = edges[:, 0], edges[:, 1]
    for lo in range(0, len(points), max(1, 2_000_000 // len(edges))):
        p = points[lo:lo + max(1, 2_000_000 // len(edges))]
        y, x = p[:, 1:2], p[:, 0:1]
        crosses = (a[:, 1] > y) != (b[:, 1] > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
        result[lo:lo + len(p)] = (crosses & (x < xi)).sum(axis=1) % 2 == 1
    return result


def cap_triangles(loops2d: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Fill closed (p, 2) loops: Delaunay triangles of their points kept where their centre
    lies inside (even-odd, so holes stay open).

    Returns
    -------
    (q, 2) points and (t, 3) int triangles. Exact for convex loops; a very coarse concave
    loop may lose or gain a sliver along its edge (a dense scan section does not).
    """
    from scipy.spatial import Delaunay

    if not loops2d:
        return np.zeros((0, 2)), np.zeros((0, 3), np.int64)
    pts = np.concatenate(loops2d)
    tri = Delaunay(pts).simplices
    tri = tri[inside(pts[tri].mean(axis=1), loops2d)]
    a, b, c = pts[tri[:, 0]], pts[tri[:, 1]], pts[tri[:, 2]]
    clockwise = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]) < 0
    tri[clockwise] = tri[clockwise][:, ::-1]  # all counter-clockwise: the cap faces the normal
    return pts, tri


def cap_mesh(vertices: np.ndarray, triangles: np.ndarray, point: np.ndarray, normal: np.ndarray,
             colour: tuple[float, float, float] = (0.85, 0.3, 0.25)) -> o3d.geometry.TriangleMesh:
    """The cut face filled, as a mesh on the plane facing the cut-away side (to draw with the
    clipped model so the section reads as solid)."""
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    extent = float(np.ptp(vertices, axis=0).max()) if len(vertices) else 1.0
    loops = closed_loops(section_profile(vertices, triangles, point, n), extent * 1e-6)
    pts2, tri = cap_triangles(loops)
    right, up = plane_basis(n)
    offset = (np.asarray(point, float) @ n) * n
    pts3 = pts2[:, :1] * right + pts2[:, 1:2] * up + offset
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(pts3), o3d.utility.Vector3iVector(tri.astype(np.int32)))
    mesh.paint_uniform_color(colour)
    mesh.compute_vertex_normals()
    return mesh
