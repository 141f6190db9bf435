"""Levels of detail for interaction: built once in the background, cached in memory and
optionally on disk.

Meshes are decimated with quadric edge collapse (fast-simplification); vertex colours (and
textures, sampled to vertex colours first) are carried over from the nearest original
vertices. Clouds are subsampled with a fixed seed.

How the moving-frame level is chosen: the renderer's cost per primitive is measured on
every frame; while moving, the session takes the largest level whose predicted time fits
``Settings.frame_budget_ms`` (33 ms). Before any measurement it assumes
:data:`DEFAULT_MS_PER_MILLION` (measured on Mesa llvmpipe, 2 cores: ~100k triangles in
~29 ms at 640x480). Levels are capped at 250k primitives.
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


@dataclass
class Level:
    geometry: o3d.geometry.Geometry3D
    primitives: int


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
        levels.append(Level(g, target))
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
    for target in triangles if is_mesh else points:
        have = len(g.triangles) if is_mesh else len(g.points)  # type: ignore[attr-defined]
        if target > 0.6 * have:
            continue
        if is_mesh:
            g = decimate(g, target)  # type: ignore[arg-type]
            out.append(Level(g, len(g.triangles)))  # type: ignore[attr-defined]
        else:
            from .readers import voxel_keep

            keep, _ = voxel_keep(np.asarray(g.points), target)  # type: ignore[attr-defined]
            g = g.select_by_index(keep.tolist())  # type: ignore[attr-defined]
            out.append(Level(g, len(keep)))
    return out


def choose_level(levels: list[Level], full_primitives: int, ms_per_million: float | None,
                 budget_ms: float, measured: dict[int, float] | None = None,
                 full_id: int | None = None) -> Level | None:
    """Largest level predicted to render within ``budget_ms`` (None: the full model fits).

    A level (or the full model, by ``full_id``) already drawn is judged by its own measured
    frame time (``measured``: ``id(geometry)`` -> ms); others by ``ms_per_million``. Software
    GL pays for pixels as well as primitives, so a light level can still miss the budget,
    and only its own time says so."""
    rate = ms_per_million or DEFAULT_MS_PER_MILLION
    measured = measured or {}

    def cost(key: int | None, primitives: int) -> float:
        return measured.get(key, primitives * rate / 1e6) if key is not None else primitives * rate / 1e6

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
