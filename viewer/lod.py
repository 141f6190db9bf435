"""Levels of detail for interaction: built once in the background, cached in memory and
optionally on disk.

Meshes are decimated with quadric edge collapse (fast-simplification); vertex colours (and
textures, sampled to vertex colours first) are carried over from the nearest original
vertices. Clouds are subsampled with a fixed seed.

How the moving-frame level is chosen: a frame costs a fixed part that follows its pixels
(clear, read back, convert: ~10 ms at 1280x800 on Mesa llvmpipe, 2 cores, before any
geometry) plus a part that follows the primitives drawn. Every full-size frame's time is kept
per level drawn; :func:`frame_cost` fits both parts to those times, and while moving the session
takes the largest level whose time (its own when drawn before, else predicted) fits
``Settings.frame_budget_ms`` (33 ms). Before any measurement it assumes
:data:`DEFAULT_FIXED_MS_PER_MEGAPIXEL` and :data:`DEFAULT_MS_PER_MILLION`. Levels are capped at
250k primitives.

A closed mesh (:func:`is_closed_surface`) shows no back face from outside, so its lighter
levels skip them while moving: software GL then shades about half the fragments (Nefertiti at
1280x800, 2 cores: 5k triangles 22 -> 15 ms, 20k 37 -> 20 ms). At rest every face is drawn.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open3d as o3d

from .model import Model
from .progress import CancelToken, ProgressFn, report

LEVEL_TARGETS = (250_000, 100_000, 40_000)
POINT_TARGETS = (1_000_000, 400_000, 150_000)
DEFAULT_MS_PER_MILLION = 290.0
DEFAULT_FIXED_MS_PER_MEGAPIXEL = 10.0
#: A mesh counts as closed (back faces hidden while moving) with at most this share of open
#: (or wrongly wound) edges and of its area left open (the sum of its vector areas).
OPEN_EDGE_SHARE = 0.02
OPEN_AREA_SHARE = 0.05
OPEN_RIM_LENGTH = 2.0
CLOSED_CHECK_LIMIT = 1_000_000


@dataclass
class Level:
    """A lighter copy drawn while moving; ``closed``: a closed surface (back faces may be skipped)."""

    geometry: o3d.geometry.Geometry3D
    primitives: int
    closed: bool = False


def is_closed_surface(mesh: o3d.geometry.Geometry3D) -> bool:
    """True when no back face can show from outside ``mesh``: a triangle mesh, vertices at the
    same place merged (readers often split them per face), whose triangles agree on their
    winding (no edge twice in one direction), wind outwards (positive volume) and close up
    (their vector areas cancel: a sheet or a bowl keeps ~1 or ~0.5 of its area; the cut of a
    scan or pin holes of decimation keep a few per cent). Open edges up to 2 % pass, if their
    length stays under twice the square root of the area: holes such as an unscanned base
    (Demosthenes: 0.7) pass, a long ragged cut does not (the benchmarks' scan whose last
    copy is cut short: 6.4; skipping its back faces changed up to 19 % of its pixels, against
    at most 1 % for the corpus scans)."""
    if not isinstance(mesh, o3d.geometry.TriangleMesh) or not mesh.has_triangles():
        return False
    v = np.asarray(mesh.vertices)
    low, span = v.min(axis=0), float(np.ptp(v, axis=0).max()) or 1.0
    key = np.zeros(len(v), np.int64)
    for axis in range(3):  # 20 bits per axis (0 .. 1e6 steps of the size), one column at a time
        key = (key << 20) | np.floor((v[:, axis] - low[axis]) / (span * 1e-6)).astype(np.int64)
    _, first, welded = np.unique(key, return_index=True, return_inverse=True)
    del key
    t = welded.ravel().astype(np.int32)[np.asarray(mesh.triangles)]
    v = v[first] - v[first].mean(axis=0)  # one position per merged vertex
    directed = np.concatenate([(t[:, a].astype(np.int64) << 32) | t[:, b] for a, b in ((0, 1), (1, 2), (2, 0))])
    n_edges_one_way = np.count_nonzero(np.unique(directed, return_counts=True)[1] > 1)
    edges, uses = np.unique(np.minimum(directed >> 32, directed & 0xFFFFFFFF) << 32
                            | np.maximum(directed >> 32, directed & 0xFFFFFFFF), return_counts=True)
    del directed
    rim = edges[uses == 1]
    rim_length = float(np.linalg.norm(v[rim >> 32] - v[rim & 0xFFFFFFFF], axis=1).sum())
    p0 = v[t[:, 0]]
    cross = np.cross(v[t[:, 1]] - p0, v[t[:, 2]] - p0)  # twice each triangle's vector area
    area = float(np.linalg.norm(cross, axis=1).sum())
    return bool(len(rim) <= OPEN_EDGE_SHARE * len(uses)
                and n_edges_one_way <= OPEN_EDGE_SHARE * len(uses)
                and rim_length <= OPEN_RIM_LENGTH * np.sqrt(area / 2.0)
                and float(np.einsum("ij,ij->", p0, cross)) > 0.0
                and np.linalg.norm(cross.sum(axis=0)) <= OPEN_AREA_SHARE * area)


def _mesh_colours(mesh: o3d.geometry.TriangleMesh) -> np.ndarray | None:
    """(n, 3) per-vertex colours, sampled from the texture when the mesh is textured."""
    if mesh.has_vertex_colors():
        return np.asarray(mesh.vertex_colors)
    if not (mesh.has_textures() and mesh.has_triangle_uvs()):
        return None
    tris = np.asarray(mesh.triangles).ravel()
    uv = np.asarray(mesh.triangle_uvs)
    mids = (np.repeat(np.asarray(mesh.triangle_material_ids), 3)
            if mesh.has_triangle_material_ids() else np.zeros(len(uv), dtype=int))
    colours = np.zeros((len(mesh.vertices), 3))
    for k, tex in enumerate(mesh.textures):
        img = np.asarray(tex)
        if img.ndim != 3 or img.size == 0:
            continue
        sel = mids == k
        h, w = img.shape[:2]
        x = np.clip((uv[sel, 0] % 1.0) * (w - 1), 0, w - 1).astype(int)
        y = np.clip((uv[sel, 1] % 1.0) * (h - 1), 0, h - 1).astype(int)
        colours[tris[sel]] = img[y, x, :3] / (255.0 if img.dtype == np.uint8 else 1.0)
    return colours


def decimate(mesh: o3d.geometry.TriangleMesh, target: int) -> o3d.geometry.TriangleMesh:
    """Quadric decimation to about ``target`` triangles, carrying colours and normals."""
    import fast_simplification
    from scipy.spatial import cKDTree

    v = np.asarray(mesh.vertices, dtype=np.float32)
    f = np.asarray(mesh.triangles, dtype=np.int64)
    nv, nf = fast_simplification.simplify(v, f, target_count=int(target))
    out = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.asarray(nv, dtype=np.float64)),
                                    o3d.utility.Vector3iVector(np.asarray(nf, dtype=np.int32)))
    colours = _mesh_colours(mesh)
    if colours is not None:
        _, idx = cKDTree(v).query(np.asarray(nv), k=1)
        out.vertex_colors = o3d.utility.Vector3dVector(colours[idx])
    out.compute_vertex_normals()
    return out


def subsample(cloud: o3d.geometry.PointCloud, target: int) -> o3d.geometry.PointCloud:
    """Uniform random subset of about ``target`` points (seeded: same every time)."""
    n = len(cloud.points)
    idx = np.sort(np.random.default_rng(0).choice(n, size=min(target, n), replace=False))
    return cloud.select_by_index(idx.tolist())


def build_levels(model: Model, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None,
                 cache_dir: Path | None = None) -> list[Level]:
    """Build the LOD chain for ``model``, coarsest last; empty when the model is small.

    Each level is built from the previous one (4M -> 250k is the slow step, then cheap).
    Cancellation is checked between levels.
    """
    targets = LEVEL_TARGETS if model.kind == "mesh" else POINT_TARGETS
    wanted = [t for t in targets if t * 1.6 < model.n_primitives]
    levels: list[Level] = []
    source: o3d.geometry.Geometry3D = model.geometry
    # Judged on the model up to a million triangles (a few hundred MB of work arrays), else on
    # its first level: decimation keeps the winding and the open area of what it simplifies.
    closed = bool(wanted) and model.n_primitives <= CLOSED_CHECK_LIMIT and is_closed_surface(source)
    for i, target in enumerate(wanted):
        report(progress, i, len(wanted), f"Preparing a lighter copy ({target:,})", cancel)
        g = _cached(model, target, cache_dir)
        if g is None:
            if isinstance(source, o3d.geometry.TriangleMesh):
                g = decimate(source, target)
            elif isinstance(source, o3d.geometry.PointCloud):
                g = subsample(source, target)
            else:
                break
            _store(model, target, cache_dir, g)
        closed = closed or (i == 0 and model.n_primitives > CLOSED_CHECK_LIMIT and is_closed_surface(g))
        levels.append(Level(g, target, closed))
        source = g
    report(progress, len(wanted), len(wanted), "Lighter copies ready", cancel)
    return levels


#: Lighter copies drawn while moving, made in memory from the coarsest kept level of a big
#: scan: software GL (llvmpipe, 2 cores) draws ~60k triangles in ~75 ms at 1280x800, so the
#: session picks the finest of these that its measured speed says fits the frame budget.
MOVING_TRIANGLES = (20_000, 5_000)
MOVING_POINTS = (100_000, 25_000)


def moving_copies(model: Model, triangles: tuple[int, ...] = MOVING_TRIANGLES,
                  points: tuple[int, ...] = MOVING_POINTS) -> list[Level]:
    """Lighter copies of ``model`` for moving frames, finest first (none that would keep more
    than 60 % of the one above): decimated to each of ``triangles``, or one point per voxel
    cell down to each of ``points``; each from the one above, in the model's own frame."""
    out: list[Level] = []
    g: o3d.geometry.Geometry3D = model.geometry
    is_mesh = isinstance(g, o3d.geometry.TriangleMesh)
    closed: bool | None = None  # of the model they are made from: decimation may open seams
    for target in triangles if is_mesh else points:
        have = len(g.triangles) if is_mesh else len(g.points)  # type: ignore[attr-defined]
        if target > 0.6 * have:
            continue
        if is_mesh:
            closed = is_closed_surface(g) if closed is None else closed
            g = decimate(g, target)  # type: ignore[arg-type]
            out.append(Level(g, len(g.triangles), closed))  # type: ignore[attr-defined]
        else:
            from .readers import voxel_keep

            keep, _ = voxel_keep(np.asarray(g.points), target)  # type: ignore[attr-defined]
            g = g.select_by_index(keep.tolist())  # type: ignore[attr-defined]
            out.append(Level(g, len(keep)))
    return out


def frame_cost(samples: list[tuple[int, float]], pixels: int,
               ms_per_million: float | None = None) -> tuple[float, float]:
    """(fixed ms, ms per million primitives) of a frame of ``pixels``, fitted to measured
    ``samples`` ((primitives, ms) of full-size frames of that size, one per level drawn).

    Two or more levels give a line (slope and intercept, neither below zero); one level keeps
    the rate (``ms_per_million`` or the default) and puts the rest of its time in the fixed
    part; none: the defaults."""
    rate = ms_per_million or DEFAULT_MS_PER_MILLION
    fixed = DEFAULT_FIXED_MS_PER_MEGAPIXEL * pixels / 1e6
    prims = np.array([p for p, _ in samples], dtype=float)
    ms = np.array([m for _, m in samples], dtype=float)
    if len(samples) >= 2 and np.ptp(prims) > 0.2 * prims.max():
        slope, intercept = np.polyfit(prims / 1e6, ms, 1)
        return max(float(intercept), 0.0), max(float(slope), 1.0)
    if samples:
        return max(float(np.min(ms - prims * rate / 1e6)), 0.0), rate
    return fixed, rate


def choose_level(levels: list[Level], full_primitives: int, ms_per_million: float | None,
                 budget_ms: float, measured: dict[int, float] | None = None,
                 full_id: int | None = None, fixed_ms: float = 0.0) -> Level | None:
    """Largest level predicted to render within ``budget_ms`` (None: the full model fits).

    A level (or the full model, by ``full_id``) already drawn is judged by its own measured
    frame time (``measured``: ``id(geometry)`` -> ms); others by ``fixed_ms`` plus
    ``ms_per_million`` per million primitives (:func:`frame_cost`). Software GL pays for pixels
    as well as primitives, so a light level can still miss the budget, and only its own time
    says so."""
    rate = ms_per_million or DEFAULT_MS_PER_MILLION
    measured = measured or {}

    def cost(key: int | None, primitives: int) -> float:
        predicted = fixed_ms + primitives * rate / 1e6
        return measured.get(key, predicted) if key is not None else predicted

    if not levels or cost(full_id, full_primitives) <= budget_ms:
        return None
    for lvl in levels:
        if cost(id(lvl.geometry), lvl.primitives) <= budget_ms:
            return lvl
    return levels[-1]


def _cache_file(model: Model, target: int, cache_dir: Path | None) -> Path | None:
    if cache_dir is None or model.path is None or not model.path.exists():
        return None
    st = model.path.stat()
    # The up axis is part of the key: a level built for one orientation is turned wrong for another.
    key = f"{model.path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{target}|{model.up_axis}|v1"
    return Path(cache_dir) / f"lod-{hashlib.sha1(key.encode()).hexdigest()}.npz"


def _cached(model: Model, target: int, cache_dir: Path | None) -> o3d.geometry.Geometry3D | None:
    f = _cache_file(model, target, cache_dir)
    if f is None or not f.exists():
        return None
    try:
        data = np.load(f)
    except (OSError, ValueError):
        return None
    if "triangles" in data:
        g = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(data["vertices"]),
                                      o3d.utility.Vector3iVector(data["triangles"]))
        g.compute_vertex_normals()
        if "colours" in data:
            g.vertex_colors = o3d.utility.Vector3dVector(data["colours"])
        return g
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(data["vertices"]))
    for name in ("colours", "normals"):
        if name in data:
            setattr(pc, "colors" if name == "colours" else name, o3d.utility.Vector3dVector(data[name]))
    return pc


def _store(model: Model, target: int, cache_dir: Path | None, g: o3d.geometry.Geometry3D) -> None:
    f = _cache_file(model, target, cache_dir)
    if f is None:
        return
    arrays: dict[str, np.ndarray] = {}
    if isinstance(g, o3d.geometry.TriangleMesh):
        arrays["vertices"] = np.asarray(g.vertices)
        arrays["triangles"] = np.asarray(g.triangles)
        if g.has_vertex_colors():
            arrays["colours"] = np.asarray(g.vertex_colors)
    elif isinstance(g, o3d.geometry.PointCloud):
        arrays["vertices"] = np.asarray(g.points)
        if g.has_colors():
            arrays["colours"] = np.asarray(g.colors)
        if g.has_normals():
            arrays["normals"] = np.asarray(g.normals)
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(f)
