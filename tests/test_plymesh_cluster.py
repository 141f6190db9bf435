"""glbtools.plymesh reads plain binary triangle PLYs in chunks (and refuses other layouts with
a typed error); glbtools.cluster reduces them for a picture on a grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from glbtools.cluster import cluster_file, cluster_mesh
from glbtools.plymesh import PlyCorrupt, PlyLayoutError, open_ply_mesh


def _ply(path: Path, mesh: trimesh.Trimesh, encoding: str = "binary") -> Path:
    path.write_bytes(trimesh.exchange.ply.export_ply(mesh, encoding=encoding))
    return path


def _sphere(subdivisions: int = 4, colours: bool = False) -> trimesh.Trimesh:
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions)
    if colours:
        mesh.visual.vertex_colors = np.column_stack([(np.abs(mesh.vertices) * 255).astype(np.uint8),
                                                     np.full(len(mesh.vertices), 255, np.uint8)])
    return mesh


def test_chunks_read_what_trimesh_reads(tmp_path: Path) -> None:
    mesh = _sphere(colours=True)
    ply = open_ply_mesh(_ply(tmp_path / "s.ply", mesh))
    vertices, colours = ply.read_vertices()
    assert ply.vertex_count == len(mesh.vertices) and ply.face_count == len(mesh.faces)
    np.testing.assert_allclose(vertices, mesh.vertices, atol=1e-6)
    np.testing.assert_array_equal(ply.read_faces(), mesh.faces)
    assert colours is not None
    np.testing.assert_array_equal(colours, mesh.visual.vertex_colors)
    chunked = np.concatenate([f for _, f in ply.face_chunks(chunk=97)])  # chunk edges fall anywhere
    np.testing.assert_array_equal(chunked, mesh.faces)


@pytest.mark.parametrize("case", ["ascii", "uv", "quads", "extra-element", "float-colours"])
def test_other_layouts_are_left_to_the_general_reader(tmp_path: Path, case: str) -> None:
    path = tmp_path / "m.ply"
    if case == "ascii":
        _ply(path, _sphere(1), encoding="ascii")
    elif case == "uv":
        path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\n"
                         b"property float y\nproperty float z\nproperty float s\nproperty float t\nend_header\n")
    elif case == "quads":
        rows = np.zeros(4, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4")])
        quad = np.array([(4, 0, 1, 2, 3)], dtype=[("n", "u1"), ("a", "<i4"), ("b", "<i4"), ("c", "<i4"), ("d", "<i4")])
        path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 4\nproperty float x\nproperty float y\n"
                         b"property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
                         + rows.tobytes() + quad.tobytes())
    elif case == "extra-element":
        path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\n"
                         b"property float y\nproperty float z\nelement edge 0\nproperty int a\nend_header\n")
    else:
        path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\n"
                         b"property float y\nproperty float z\nproperty float red\nproperty float green\n"
                         b"property float blue\nend_header\n")
    with pytest.raises(PlyLayoutError):
        mesh = open_ply_mesh(path)
        mesh.read_faces()  # quads are found while reading


def test_a_truncated_file_and_a_face_past_the_vertices_are_corrupt(tmp_path: Path) -> None:
    path = _ply(tmp_path / "s.ply", _sphere(2))
    data = path.read_bytes()
    (tmp_path / "short.ply").write_bytes(data[:-40])
    with pytest.raises(PlyCorrupt):
        open_ply_mesh(tmp_path / "short.ply")
    bad = bytearray(data)
    bad[-12:-8] = (10**6).to_bytes(4, "little")  # the last face's first index
    (tmp_path / "bad.ply").write_bytes(bytes(bad))
    with pytest.raises(PlyCorrupt):
        open_ply_mesh(tmp_path / "bad.ply").read_faces()


def test_clustering_keeps_the_shape_with_fewer_triangles(tmp_path: Path) -> None:
    mesh = _sphere(6)  # 81,920 triangles on a unit sphere
    reduced = cluster_file(_ply(tmp_path / "s.ply", mesh), 40)
    assert 1000 < len(reduced.faces) < len(mesh.faces) // 4
    points = reduced.vertices.astype(np.float64) + reduced.origin
    radius = np.linalg.norm(points[np.unique(reduced.faces)], axis=1)
    assert np.abs(radius - 1).max() < 2 * reduced.cell  # every kept vertex lies within a cell of the surface
    assert np.allclose(np.linalg.norm(reduced.normals, axis=1), 1, atol=1e-5)
    outward = np.einsum("ij,ij->i", reduced.normals, points / np.linalg.norm(points, axis=1)[:, None])
    assert (outward[np.unique(reduced.faces)] > 0.9).mean() > 0.99  # orientation kept
    first = reduced.faces.argmin(1)[:, None]
    turned = np.take_along_axis(reduced.faces, (first + np.arange(3)) % 3, axis=1)  # same triangle, same order
    assert len(np.unique(turned, axis=0)) == len(turned)  # no triangle twice


def test_clustering_averages_colours_and_drops_faces_on_missing_vertices(tmp_path: Path) -> None:
    mesh = _sphere(4, colours=True)
    path = _ply(tmp_path / "s.ply", mesh)
    ply = open_ply_mesh(path)
    vertices, _ = ply.read_vertices()
    data = bytearray(path.read_bytes())
    row = ply.vertex_dtype.itemsize
    data[ply.vertex_offset:ply.vertex_offset + 4] = np.float32(np.nan).tobytes()  # vertex 0's x
    (tmp_path / "nan.ply").write_bytes(bytes(data))
    reduced = cluster_mesh(open_ply_mesh(tmp_path / "nan.ply"), 8)
    assert reduced.colours is not None and reduced.colours.dtype == np.uint8
    assert reduced.colours[:, :3].max() > 100  # real colours, not a placeholder
    assert np.isfinite(reduced.vertices).all()
    assert row == 16  # float x, y, z and four colour bytes: the NaN went where it was meant to


def test_nothing_finite_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nan.ply"
    rows = np.full(3, np.nan, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4")])
    face = np.array([(3, (0, 1, 2))], dtype=[("n", "u1"), ("v", "<i4", (3,))])
    path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
                     b"property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
                     + rows.tobytes() + face.tobytes())
    with pytest.raises(ValueError, match="finite"):
        cluster_file(path, 16)
