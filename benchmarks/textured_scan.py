"""A big textured photogrammetry-like mesh for the benchmarks, generated at run time (never committed).

:func:`make_textured` writes an OBJ + MTL + JPEG (and optionally the same as a GLB) of about
N triangles: Keenan Crane's Spot (CC0, 5,856 triangles, a UV atlas with seams) subdivided
(midpoint, x4 per step, texture coordinates interpolated, seams kept split), given a fine
relief along the welded normals (so both sides of a seam move alike and a simplifier has real
work), and tiled side by side. Its texture is Spot's 1024 px atlas scaled to ``texture_px``
with a little noise (a 4-8k photogrammetry texture's size and JPEG cost).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPOT = ROOT.parent / "shared" / "corpus" / "common-3d-test-models" / "spot_unzipped" / "spot"


def _spot(triangles: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices (n, 3) float32, uv (n, 2) float32 v-up, faces (m, 3) int32) of one relief copy."""
    import trimesh

    mesh = trimesh.load(SPOT / "spot_triangulated.obj", process=False, force="mesh")
    vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    uv = np.asarray(mesh.visual.uv, dtype=np.float64)
    while len(faces) * 4 <= triangles:
        vertices, faces, attrs = trimesh.remesh.subdivide(vertices, faces, vertex_attributes={"uv": uv})
        uv = attrs["uv"]
    welded, index = np.unique(vertices, axis=0, return_inverse=True)
    index = index.ravel()
    normals = np.asarray(trimesh.Trimesh(welded, index[faces], process=False).vertex_normals)
    rng = np.random.default_rng(12)
    dirs = rng.normal(size=(3, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    scales = (1.0, 0.53, 0.29)
    h = sum(np.sin(welded @ d * (2 * np.pi / (0.03 * s)) + k) * s
            for k, (d, s) in enumerate(zip(dirs, scales, strict=True)))
    welded = welded + normals * (h * 0.002 / 1.8)[:, None]
    return welded[index].astype(np.float32), uv.astype(np.float32), faces.astype(np.int32)


def _texture(path: Path, px: int) -> None:
    from PIL import Image

    base = Image.open(SPOT / "spot_texture.png").convert("RGB").resize((px, px), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(5).integers(-12, 13, size=(px, px, 1), dtype=np.int16)
    img = np.clip(np.asarray(base, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(img).save(path, quality=90)


def _rows(fmt: str, table: np.ndarray) -> bytes:
    """Lines of ``fmt`` (one %-format per column) for each row of ``table``, in chunks."""
    out = []
    for a in range(0, len(table), 500_000):
        chunk = table[a:a + 500_000]
        out.append(("\n".join(fmt % tuple(r) for r in chunk.tolist()) + "\n").encode())
    return b"".join(out)


def make_textured(folder: Path, triangles: int, texture_px: int = 4096, glb: bool = False) -> Path:
    """``folder/textured-<triangles>.obj`` (+ ``.mtl``, ``.jpg``; ``.glb`` with ``glb``) of about
    ``triangles`` triangles; nothing is done for files already there. Returns the OBJ."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"textured-{triangles}"
    obj, jpg = folder / f"{stem}.obj", folder / f"{stem}.jpg"
    if obj.exists() and (not glb or obj.with_suffix(".glb").exists()):
        return obj
    vertices, uv, faces = _spot(triangles // 4 + 1)
    copies = max(1, round(triangles / len(faces)))
    width = float(np.ptp(vertices[:, 0])) * 1.1
    all_v = np.concatenate([vertices + np.array([k * width, 0, 0], np.float32) for k in range(copies)])
    all_uv = np.tile(uv, (copies, 1))
    all_f = np.concatenate([faces + k * len(vertices) for k in range(copies)])
    if not jpg.exists():
        _texture(jpg, texture_px)
    (folder / f"{stem}.mtl").write_text(f"newmtl scan\nKd 1 1 1\nmap_Kd {jpg.name}\n")
    tmp = obj.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(f"mtllib {stem}.mtl\nusemtl scan\n".encode())
        fh.write(_rows("v %.6f %.6f %.6f", all_v))
        fh.write(_rows("vt %.6f %.6f", all_uv))
        f1 = all_f + 1
        fh.write(_rows("f %d/%d %d/%d %d/%d", np.repeat(f1, 2, axis=1)))
    tmp.replace(obj)
    if glb:
        _glb(obj.with_suffix(".glb"), all_v, all_uv, all_f, jpg)
    return obj


def _glb(path: Path, vertices: np.ndarray, uv: np.ndarray, faces: np.ndarray, jpg: Path) -> None:
    import trimesh
    from PIL import Image

    visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.open(jpg))
    trimesh.Trimesh(vertices, faces, visual=visual, process=False).export(path)
