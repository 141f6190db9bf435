"""Comparing two scans of one object: align them, then measure one against the other's surface.

The *reference* (A) stays put; the *compared* scan (B) is moved onto it: a coarse alignment
from three or more picked point pairs (Kabsch) or, with no pairs, a global registration
(FPFH features + RANSAC), then point-to-plane ICP. The deviation of each sample point of B
is its signed distance to A's surface (positive on the side A's normals point to: outside,
for a closed scan), so material lost reads negative and material added positive.

Everything is in A's units: B is converted when both units are known. Coordinates are the
files' own frames (the viewer's turn to "up" and load offset undone), shifted by A's load
offset while computing so that georeferenced scans keep float32 precision.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import open3d as o3d
from scipy.spatial import cKDTree

from .errors import ViewerError
from .measure import convert
from .model import Model
from .progress import CancelToken, ProgressFn, report


class CompareError(ViewerError):
    """The two scans could not be compared (no overlap, too few pairs, empty geometry)."""


@dataclass
class CompareParams:
    """What a comparison was asked to do; saved with its result.

    Attributes
    ----------
    tolerance
        Deviations larger than this (absolute, reference units) count as "beyond tolerance".
    sample_points
        At most this many points of the compared scan are measured (its vertices or points,
        a random subset when there are more).
    align
        ``"auto"`` (pairs when given, else global registration), ``"pairs"``, ``"global"`` or
        ``"none"`` (scans already in one frame).
    icp
        Refine the coarse alignment with point-to-plane ICP.
    icp_points
        Points of each scan used by ICP (alignment needs far fewer than measuring).
    seed
        Random seed: sampling and RANSAC give the same answer each run.
    """

    tolerance: float = 0.5
    sample_points: int = 1_000_000
    align: str = "auto"
    icp: bool = True
    icp_points: int = 30_000
    seed: int = 7
    pairs: list[list[list[float]]] = field(default_factory=list)  # [[a_xyz, b_xyz], ...] file frames


@dataclass
class Comparison:
    """Result of :func:`compare`.

    Attributes
    ----------
    points
        (n, 3) sample points of B after alignment, in A's file frame.
    deviations
        (n,) signed distance of each point to A's surface, in ``units``.
    transform
        (4, 4) rigid transform taking B's file coordinates (converted to A's units) onto A's.
    sample_index
        (n,) indices of the sampled vertices/points of B (for colouring B's own geometry).
    """

    points: np.ndarray
    deviations: np.ndarray
    transform: np.ndarray
    sample_index: np.ndarray
    units: str | None
    params: CompareParams
    fitness: float = 0.0
    seconds: float = 0.0
    sources: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """Mean (signed), mean absolute, RMS, 95th percentile and max of |deviation|, share
        of points beyond the tolerance (0..1), signed min and max."""
        d = self.deviations
        a = np.abs(d)
        return {"points": int(len(d)), "mean": float(d.mean()), "mean_abs": float(a.mean()),
                "rms": float(np.sqrt((d * d).mean())), "p95": float(np.percentile(a, 95)),
                "max": float(a.max()), "min_signed": float(d.min()), "max_signed": float(d.max()),
                "beyond_tolerance": float((a > self.params.tolerance).mean())}

    def histogram(self, bins: int = 41, limit: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(bins,) counts and (bins + 1,) edges over [-limit, limit] (default: the colour range)."""
        lim = limit or colour_range(self.deviations, self.params.tolerance)
        return np.histogram(np.clip(self.deviations, -lim, lim), bins=bins, range=(-lim, lim))

    def to_record(self) -> dict[str, Any]:
        """JSON-ready record: parameters, sources, transform, summary, histogram (no per-point data)."""
        counts, edges = self.histogram()
        return {"kind": "scan-comparison", "version": 1, "units": self.units,
                "sources": self.sources, "parameters": asdict(self.params),
                "transform": self.transform.tolist(), "fitness": self.fitness,
                "seconds": round(self.seconds, 3), "summary": self.summary(),
                "histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
                "colour_range": colour_range(self.deviations, self.params.tolerance)}

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_record` as UTF-8 JSON to ``path`` (the caller chooses where)."""
        p = Path(path)
        p.write_text(json.dumps(self.to_record(), ensure_ascii=False, indent=2), encoding="utf-8")
        return p


# -- geometry in file frames -------------------------------------------------------------------
@dataclass
class _Scan:
    vertices: np.ndarray  # (n, 3) float64, file frame, reference units, shifted
    triangles: np.ndarray  # (m, 3) int; (0, 3) for a cloud


def _scan(model: Model, units: str | None, shift: np.ndarray) -> _Scan:
    v = np.asarray(model.vertices, dtype=np.float64) @ model.rotation + model.origin  # rotation.T @ v
    f = convert(1.0, model.units, units) if (model.units and units) else 1.0
    return _Scan(v * f - shift, np.asarray(model.triangles))


def _sample(scan: _Scan, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of at most ``n`` vertices (all of them when there are fewer)."""
    if len(scan.vertices) <= n:
        return np.arange(len(scan.vertices))
    return np.sort(rng.choice(len(scan.vertices), n, replace=False))


def _cloud(points: np.ndarray, normals: np.ndarray | None = None) -> o3d.geometry.PointCloud:
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.ascontiguousarray(points)))
    if normals is not None:
        pc.normals = o3d.utility.Vector3dVector(np.ascontiguousarray(normals))
    return pc


def _surface_points(scan: _Scan, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """(n, 3) points spread evenly over the surface (area-weighted) with their face normals;
    a cloud gives a random subset of its points (normals estimated later)."""
    if len(scan.triangles) == 0:
        return scan.vertices[_sample(scan, n, rng)], None
    tri = scan.vertices[scan.triangles]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.linalg.norm(cross, axis=1)
    faces = rng.choice(len(tri), n, p=area / area.sum())
    u, v = rng.random((2, n))
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    t = tri[faces]
    pts = t[:, 0] + (t[:, 1] - t[:, 0]) * u[:, None] + (t[:, 2] - t[:, 0]) * v[:, None]
    normals = cross[faces] / np.maximum(area[faces], 1e-300)[:, None]
    return pts, normals


# -- alignment ---------------------------------------------------------------------------------
def kabsch(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(4, 4) rigid transform (no scale) best mapping (k, 3) ``src`` onto (k, 3) ``dst``, k >= 3."""
    src, dst = np.asarray(src, float), np.asarray(dst, float)
    if len(src) < 3 or src.shape != dst.shape:
        raise CompareError("Coarse alignment needs at least three pairs of matching points.")
    cs, cd = src.mean(axis=0), dst.mean(axis=0)
    u, _, vt = np.linalg.svd((src - cs).T @ (dst - cd))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = r, cd - r @ cs
    return m


def _global(src: o3d.geometry.PointCloud, dst: o3d.geometry.PointCloud, voxel: float,
            seed: int) -> np.ndarray:
    """FPFH + RANSAC registration of ``src`` onto ``dst`` on clouds down-sampled to ``voxel``."""
    reg = o3d.pipelines.registration
    o3d.utility.random.seed(seed)
    s, d = src.voxel_down_sample(voxel), dst.voxel_down_sample(voxel)
    feats = []
    for pc in (s, d):
        pc.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=voxel * 2, max_nn=30))
        param = o3d.geometry.KDTreeSearchParamHybrid(radius=voxel * 5, max_nn=100)
        feats.append(reg.compute_fpfh_feature(pc, param))  # type: ignore[call-arg]
    checks = [reg.CorrespondenceCheckerBasedOnEdgeLength(0.9), reg.CorrespondenceCheckerBasedOnDistance(voxel * 1.5)]
    res = reg.registration_ransac_based_on_feature_matching(
        s, d, feats[0], feats[1], True, voxel * 1.5, reg.TransformationEstimationPointToPoint(False), 3, checks,
        reg.RANSACConvergenceCriteria(100_000, 0.999))
    return np.asarray(res.transformation)


def _icp(src: o3d.geometry.PointCloud, dst: o3d.geometry.PointCloud, init: np.ndarray,
         extent: float) -> tuple[np.ndarray, float]:
    """Point-to-plane ICP from coarse to fine; a Tukey kernel keeps real changes (a dent, a
    lost fragment) from pulling the fit. Each finer pass follows the typical (median)
    distance left by the one before, so a uniform change (a coat, a layer worn away) stays
    inside the window and is not mistaken for misalignment."""
    reg = o3d.pipelines.registration
    t = init
    fitness = 0.0
    tree = cKDTree(np.asarray(dst.points))
    src_pts = np.asarray(src.points)
    dist = extent * 0.05
    for _ in range(3):
        est = reg.TransformationEstimationPointToPlane(reg.TukeyLoss(k=dist))
        res = reg.registration_icp(src, dst, dist, t, est, reg.ICPConvergenceCriteria(1e-5, 1e-5, 30))
        t, fitness = np.asarray(res.transformation), float(res.fitness)
        near, _ = tree.query(src_pts @ t[:3, :3].T + t[:3, 3], workers=-1)
        dist = float(np.clip(3.0 * np.median(near), extent * 0.002, dist))
    return t, fitness


def align(ref: _Scan, mov: _Scan, params: CompareParams, pairs_shifted: np.ndarray | None,
          rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """(4, 4) transform moving B onto A (shifted frames) and the ICP fitness (0..1)."""
    extent = float(np.ptp(ref.vertices, axis=0).max()) or 1.0
    mode = params.align
    if mode == "auto":
        mode = "pairs" if pairs_shifted is not None and len(pairs_shifted) else "global"
    ap, an = _surface_points(ref, params.icp_points, rng)
    bp, bn = _surface_points(mov, params.icp_points, rng)
    dst, src = _cloud(ap, an), _cloud(bp, bn)
    if an is None:
        dst.estimate_normals(o3d.geometry.KDTreeSearchParamKNN(20))
    if mode == "pairs":
        if pairs_shifted is None:
            raise CompareError("Coarse alignment from pairs was asked for, but no pairs were given.")
        t = kabsch(pairs_shifted[:, 1], pairs_shifted[:, 0])
    elif mode == "global":
        t = _global(src, dst, extent / 40.0, params.seed)
    elif mode == "none":
        t = np.eye(4)
    else:
        raise CompareError(f"Unknown alignment {params.align!r}; use auto, pairs, global or none.")
    if not params.icp:
        return t, 0.0
    return _icp(src, dst, t, extent)


# -- deviation ---------------------------------------------------------------------------------
def deviations_to_mesh(points: np.ndarray, vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(n,) signed distance of (n, 3) ``points`` to the mesh surface: the distance to the
    closest surface point, negative where the point lies behind that triangle's face."""
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor.from_numpy(np.ascontiguousarray(vertices, dtype=np.float32)),
                        o3d.core.Tensor.from_numpy(np.ascontiguousarray(triangles, dtype=np.uint32)))
    q = o3d.core.Tensor.from_numpy(np.ascontiguousarray(points, dtype=np.float32))
    ans = scene.compute_closest_points(q)
    closest = ans["points"].numpy().astype(np.float64)
    normals = ans["primitive_normals"].numpy().astype(np.float64)
    diff = points - closest
    dist = np.linalg.norm(diff, axis=1)
    return np.where(np.einsum("ij,ij->i", diff, normals) < 0, -dist, dist)


def deviations_to_cloud(points: np.ndarray, ref: np.ndarray, ref_normals: np.ndarray | None) -> np.ndarray:
    """(n,) distance to the nearest reference point (KD-tree), signed by its normal when known."""
    dist, idx = cKDTree(ref).query(points, workers=-1)
    if ref_normals is None:
        return dist
    sign = np.einsum("ij,ij->i", points - ref[idx], ref_normals[idx])
    return np.where(sign < 0, -dist, dist)


def _cloud_normals(model: Model) -> np.ndarray | None:
    g = model.geometry
    if isinstance(g, o3d.geometry.PointCloud) and g.has_normals():
        return np.asarray(g.normals) @ model.rotation
    return None


def compare(reference: Model, compared: Model, params: CompareParams | None = None,
            progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Comparison:
    """Align ``compared`` onto ``reference`` and measure its deviation from the reference surface.

    Parameters
    ----------
    reference, compared
        Loaded models (mesh or cloud); units are taken from each, the result is in the
        reference's units. Picked pairs in ``params.pairs`` are in the files' own frames.

    Raises
    ------
    CompareError, Cancelled
    """
    p = params or CompareParams()
    t0 = time.perf_counter()
    rng = np.random.default_rng(p.seed)
    units = reference.units or compared.units
    shift = np.asarray(reference.origin, float) * (convert(1.0, reference.units, units) if reference.units else 1.0)
    ref, mov = _scan(reference, units, shift), _scan(compared, units, shift)
    if len(ref.vertices) == 0 or len(mov.vertices) == 0:
        raise CompareError("One of the scans has no geometry to compare.")
    pairs = _pairs_in_units(p.pairs, reference, compared, units) - shift if p.pairs else None
    report(progress, 0, 3, "Aligning the scans", cancel)
    t, fitness = align(ref, mov, p, pairs, rng)
    report(progress, 1, 3, "Measuring deviations", cancel)
    idx = _sample(mov, p.sample_points, rng)
    pts = mov.vertices[idx] @ t[:3, :3].T + t[:3, 3]
    if len(ref.triangles):
        dev = deviations_to_mesh(pts, ref.vertices, ref.triangles)
    else:
        dev = deviations_to_cloud(pts, ref.vertices, _cloud_normals(reference))
    report(progress, 2, 3, "Summarising", cancel)
    back, fwd = np.eye(4), np.eye(4)
    back[:3, 3], fwd[:3, 3] = shift, -shift
    sources = {k: {"path": str(m.path) if m.path else None, "units": m.units, "up_axis": m.up_axis,
                   "kind": m.kind, "primitives": m.n_primitives}
               for k, m in (("reference", reference), ("compared", compared))}
    result = Comparison(pts + shift, dev, back @ t @ fwd, idx, units, p, fitness,
                        time.perf_counter() - t0, sources)
    report(progress, 3, 3, "Compared", cancel)
    return result


def _pairs_in_units(pairs: list[list[list[float]]], reference: Model, compared: Model,
                    units: str | None) -> np.ndarray:
    """(k, 2, 3) picked pairs, each point in its own scan's file frame, converted to ``units``
    (as the scans themselves are: a pair picked on a scan in cm is compared in mm)."""
    try:
        arr = np.asarray(pairs, dtype=float)
    except (TypeError, ValueError):
        arr = np.zeros(0)
    if arr.ndim != 3 or arr.shape[1:] != (2, 3) or not np.isfinite(arr).all():
        raise CompareError("Each pair needs one point on the reference and one on the compared scan (x, y, z).")
    out = arr.copy()
    for side, model in ((0, reference), (1, compared)):
        if model.units and units:
            out[:, side] *= convert(1.0, model.units, units)
    return out


def params_from_record(parameters: dict[str, Any]) -> CompareParams:
    """The :class:`CompareParams` a saved comparison ran with (names it does not know are left out,
    so a record of a later version still runs again)."""
    known = {f.name for f in fields(CompareParams)}
    return CompareParams(**{k: v for k, v in parameters.items() if k in known})


def restored_comparison(compared: Model, units: str | None, params: CompareParams, transform: np.ndarray,
                        sample_index: np.ndarray, deviations: np.ndarray, fitness: float = 0.0) -> Comparison:
    """A :class:`Comparison` from what was kept of one (its transform, sampled indices and
    deviations): the aligned points are the compared scan's vertices moved again, so showing a
    saved comparison needs no alignment or distance computation.

    Parameters
    ----------
    transform
        (4, 4) as :attr:`Comparison.transform` (B's file frame, in ``units``, onto A's).
    sample_index, deviations
        (n,) as kept; raises CompareError when they do not fit the compared scan.
    """
    idx = np.asarray(sample_index, dtype=np.int64)
    dev = np.asarray(deviations, dtype=np.float64)
    if idx.shape != dev.shape or (len(idx) and (idx.min() < 0 or idx.max() >= len(compared.vertices))):
        raise CompareError("The kept deviations do not belong to this scan; run the comparison again.")
    scan = _scan(compared, units, np.zeros(3))
    t = np.asarray(transform, dtype=float)
    points = scan.vertices[idx] @ t[:3, :3].T + t[:3, 3]
    return Comparison(points, dev, t, idx, units, params, fitness)


# -- colours -----------------------------------------------------------------------------------
def colour_range(deviations: np.ndarray, tolerance: float) -> float:
    """Symmetric colour limit: the 99th percentile of |deviation|, never below the tolerance."""
    if len(deviations) == 0:
        return max(tolerance, 1e-12)
    return float(max(np.percentile(np.abs(deviations), 99), tolerance, 1e-12))


def heat_colours(deviations: np.ndarray, limit: float) -> np.ndarray:
    """(n, 3) float colours in 0..1: blue (-limit) → white (0) → red (+limit), clipped."""
    t = np.clip(np.asarray(deviations, float) / limit, -1.0, 1.0)[:, None]
    white, blue, red = np.ones(3), np.array([0.13, 0.35, 0.85]), np.array([0.85, 0.13, 0.12])
    return np.where(t < 0, white + (blue - white) * -t, white + (red - white) * t)


def heat_map_geometry(comparison: Comparison, compared: Model, limit: float | None = None
                      ) -> o3d.geometry.Geometry3D:
    """The compared scan, aligned, in A's file frame, coloured by deviation: its own mesh with
    vertex colours when every vertex was measured, else a coloured cloud of the sample."""
    lim = limit or colour_range(comparison.deviations, comparison.params.tolerance)
    colours = heat_colours(comparison.deviations, lim)
    if compared.kind == "mesh" and len(comparison.sample_index) == len(compared.vertices):
        mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(comparison.points),
                                         o3d.utility.Vector3iVector(np.asarray(compared.triangles)))
        mesh.vertex_colors = o3d.utility.Vector3dVector(colours)
        mesh.compute_vertex_normals()
        return mesh
    pc = _cloud(comparison.points)
    pc.colors = o3d.utility.Vector3dVector(colours)
    return pc
