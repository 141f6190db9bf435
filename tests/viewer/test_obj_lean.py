"""The viewer reads a textured photogrammetry OBJ without Open3D's one-vertex-per-corner split,
showing what Open3D showed; its texture is found from Windows-style names, never outside."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh
from PIL import Image

from glbtools.plymesh import ply_comments, ply_origin
from viewer import load_model
from viewer.readers import read_textured_obj_lean


def _scan(folder: Path, map_kd: str = "tex.png", faces: str = "f {a}/{a} {b}/{b} {c}/{c}", mtllib: str = "m.mtl",
          offset: float = 0.0, image_at: str = "tex.png") -> Path:
    """A textured sphere OBJ (positions repeated at seams the usual way) whose texture is a
    gradient, so every corner's colour says where it samples."""
    mesh = trimesh.creation.uv_sphere(count=[12, 16])
    v = np.asarray(mesh.vertices) + offset
    uv = np.column_stack([(v[:, 0] - v[:, 0].min()) / np.ptp(v[:, 0]), (v[:, 1] - v[:, 1].min()) / np.ptp(v[:, 1])])
    grad = np.zeros((64, 64, 3), np.uint8)
    grad[..., 0] = np.arange(64)[None, :] * 4
    grad[..., 1] = np.arange(64)[:, None] * 4
    target = folder / image_at
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grad).save(target)
    (folder / "m.mtl").write_text(f"newmtl scan\nKd 1 1 1\nmap_Kd {map_kd}\n")
    lines = [f"mtllib {mtllib}", "usemtl scan"]
    lines += [f"v {x!r} {y!r} {z!r}" for x, y, z in v.tolist()]
    lines += [f"vt {a:.6f} {b:.6f}" for a, b in uv]
    lines += [faces.format(a=a + 1, b=b + 1, c=c + 1) for a, b, c in np.asarray(mesh.faces).tolist()]
    obj = folder / "m.obj"
    obj.write_text("\n".join(lines) + "\n")
    return obj


def _corners(mesh: o3d.geometry.TriangleMesh) -> np.ndarray:
    return np.asarray(mesh.vertices)[np.asarray(mesh.triangles).ravel()]


def test_shows_what_open3d_shows(tmp_path: Path) -> None:
    obj = _scan(tmp_path)
    lean = read_textured_obj_lean(obj)
    full = o3d.io.read_triangle_mesh(str(obj))
    assert isinstance(lean, o3d.geometry.TriangleMesh) and len(lean.triangles) == len(full.triangles)
    np.testing.assert_allclose(_corners(lean), _corners(full), atol=1e-6)
    # The same texel under every corner: Open3D turns the OBJ's image upside down and keeps v,
    # the lean reader keeps the image and turns v (as the levels do).
    assert len(lean.textures) == 1 and len(full.textures) == 2 and full.textures[0].is_empty()
    np.testing.assert_array_equal(np.asarray(lean.textures[0]), np.flipud(np.asarray(full.textures[1])))
    lean_uv, full_uv = np.asarray(lean.triangle_uvs), np.asarray(full.triangle_uvs)
    np.testing.assert_allclose(lean_uv[:, 0], full_uv[:, 0], atol=1e-6)
    np.testing.assert_allclose(lean_uv[:, 1], 1.0 - full_uv[:, 1], atol=1e-6)


@pytest.mark.parametrize("ref", [".\\sub\\tex.png", "sub\\tex.png", "./sub/tex.png", "C:\\Scans\\tex.png"])
def test_windows_style_texture_names_resolve(tmp_path: Path, ref: str) -> None:
    image_at = "tex.png" if ref.startswith("C:") else "sub/tex.png"  # an absolute name: its bare name, next to the OBJ
    model = load_model(_scan(tmp_path, map_kd=ref, image_at=image_at))
    assert model.textured and not model.warnings


@pytest.mark.parametrize("mtl_ref, tex_ref", [("m.mtl", "../outside/tex.png"), ("../outside/m.mtl", "tex.png")])
def test_a_reference_outside_the_folder_is_refused(tmp_path: Path, mtl_ref: str, tex_ref: str) -> None:
    folder = tmp_path / "scan"
    folder.mkdir()
    obj = _scan(folder, map_kd=tex_ref, mtllib=mtl_ref, image_at="../outside/tex.png")
    (tmp_path / "outside" / "m.mtl").write_text((folder / "m.mtl").read_text())
    model = load_model(obj)
    assert not model.textured and len(model.geometry.triangles) > 0
    assert any("outside its folder" in w for w in model.warnings)


def test_a_missing_texture_is_a_note(tmp_path: Path) -> None:
    obj = _scan(tmp_path, map_kd="gone.png")
    model = load_model(obj)
    assert not model.textured and any("gone.png is missing" in w for w in model.warnings)


@pytest.mark.parametrize("faces, map_kd", [("f {a}/{a} {b}/{b} {c}/{c} {a}/{a}", "tex.png"),  # a polygon
                                           ("f {a}/{a} {b}/{b} {c}/{c}", "-s 1 1 1 tex.png")])  # texture options
def test_what_the_lean_reader_declines_open3d_reads(tmp_path: Path, faces: str, map_kd: str) -> None:
    obj = _scan(tmp_path, map_kd=map_kd, faces=faces)
    assert read_textured_obj_lean(obj) is None
    assert load_model(obj).textured


def test_georeferenced_coordinates_keep_their_millimetres(tmp_path: Path) -> None:
    """Float32 far from zero keeps only centimetres (Open3D's own OBJ reader loses them)."""
    obj = _scan(tmp_path, offset=512_345.0)
    lean = read_textured_obj_lean(obj)
    assert isinstance(lean, o3d.geometry.TriangleMesh)
    sphere = trimesh.creation.uv_sphere(count=[12, 16])
    written = np.asarray(sphere.vertices)[np.asarray(sphere.faces).ravel()] + 512_345.0
    np.testing.assert_allclose(_corners(lean), written, atol=1e-6, rtol=0)


@pytest.mark.parametrize("comment, origin", [(b"comment origin 1 2 3", [1, 2, 3]),
                                             (b"comment origin 1 nan 3", [0, 0, 0]), (b"comment origin 1 2", [0, 0, 0]),
                                             (b"comment other 1 2 3", [0, 0, 0])])
def test_one_reader_of_a_ply_origin(comment: bytes, origin: list[float]) -> None:
    head = b"ply\r\nformat binary_little_endian 1.0\r\n" + comment + b"\r\nelement vertex 0\r\n"
    np.testing.assert_array_equal(ply_origin(ply_comments(head)), origin)
