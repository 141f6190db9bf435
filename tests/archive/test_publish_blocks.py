"""Big meshes are simplified in spatial blocks (bounded memory, every core) that weld back
without cracks, close to what one pass gives; big masters are read lean, reduced before
their first write, and measured against the master cheaply."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from archive.publish import blocks, budget, webcopy
from archive.publish.blocks import partition, simplify_big
from archive.publish.budget import decimate, geometric_error
from archive.publish.geometry import Model, Part, load_model, read_with_trimesh
from archive.publish.profiles import get_profile


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 20,000 triangles, one pass only up to 30,000 (real: 1M and 2M)."""
    monkeypatch.setattr(blocks, "BLOCK_TRIANGLES", 20_000)
    monkeypatch.setattr(blocks, "SINGLE_PASS", 30_000)
    monkeypatch.setattr(budget, "SINGLE_PASS", 30_000)


def _bumpy_sphere(subdivisions: int = 6) -> trimesh.Trimesh:
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions)  # 81,920 triangles at 6
    mesh.vertices *= (1 + 0.03 * np.sin(mesh.vertices[:, :1] * 9) * np.cos(mesh.vertices[:, 1:2] * 7))
    return mesh


def _edges_used_twice(faces: np.ndarray) -> bool:
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return bool((counts == 2).all())


def test_partition_gives_every_face_one_compact_block() -> None:
    mesh = _bumpy_sphere()
    block_of, count = partition(mesh.vertices, mesh.faces, 10_000)
    assert 7 <= count <= 10 and block_of.min() == 0 and block_of.max() == count - 1
    sizes = np.bincount(block_of)
    assert sizes.max() < 1.3 * 10_000 and sizes.min() > 0.5 * 10_000  # cut at the median face
    centres = mesh.triangles_center
    spread = [np.ptp(centres[block_of == b], axis=0).max() for b in range(count)]
    assert max(spread) < 1.5  # a piece of the sphere (diameter 2), not faces from all over


def test_blocks_weld_back_without_cracks(small_blocks: None) -> None:
    mesh = _bumpy_sphere()
    assert _edges_used_twice(mesh.faces)
    points, faces, colours = simplify_big(mesh.vertices, mesh.faces, 8_000, workers=2)
    assert colours is None
    assert 7_000 <= len(faces) <= 8_000
    assert _edges_used_twice(faces)  # closed: no open seam where the blocks met


def test_blocks_keep_the_surface_about_as_well_as_one_pass(small_blocks: None) -> None:
    mesh = _bumpy_sphere()
    master = Model([Part(mesh.vertices, mesh.faces)])
    points, faces, _ = simplify_big(mesh.vertices, mesh.faces, 8_000, workers=2)
    in_blocks = geometric_error(master, Model([Part(points, faces.astype(np.int64))]))
    whole = geometric_error(master, Model([decimate(Part(mesh.vertices, mesh.faces), 8_000)]))
    assert in_blocks.mean_rel < 1.3 * whole.mean_rel


def test_colours_follow_the_nearest_vertex(small_blocks: None) -> None:
    mesh = _bumpy_sphere()
    colours = np.column_stack([(np.abs(mesh.vertices) * 255).astype(np.uint8), np.full(len(mesh.vertices), 255,
                                                                                          np.uint8)])
    part = decimate(Part(mesh.vertices, mesh.faces, colors=colours), 8_000)  # over SINGLE_PASS: in blocks
    assert part.colors is not None and part.triangles <= 8_000
    from scipy.spatial import cKDTree

    nearest = cKDTree(mesh.vertices).query(part.vertices)[1]
    assert (part.colors == colours[nearest]).all(1).mean() > 0.99  # ties between equidistant vertices aside


def test_a_big_binary_ply_master_is_read_lean_as_trimesh_reads_it(tmp_path: Path) -> None:
    mesh = _bumpy_sphere(4)
    mesh.visual.vertex_colors = np.column_stack([(np.abs(mesh.vertices) * 255).astype(np.uint8),
                                                 np.full(len(mesh.vertices), 200, np.uint8)])
    path = tmp_path / "m.ply"
    path.write_bytes(trimesh.exchange.ply.export_ply(mesh, encoding="binary"))
    (part,) = load_model(path, "mm", "z").parts
    (slow,) = read_with_trimesh(path)
    assert part.vertices.dtype == np.float64 and part.faces is not None
    assert part.faces.dtype == np.int32  # read lean (trimesh gives int64)
    np.testing.assert_allclose(part.vertices, (slow.vertices @ _z_up().T) * 0.001, atol=1e-9)
    np.testing.assert_array_equal(part.faces, slow.faces)
    np.testing.assert_array_equal(part.colors, slow.colors)


def _z_up() -> np.ndarray:
    from glbtools.frames import to_y_up

    return to_y_up("z")


def test_a_master_far_over_the_budget_is_reduced_before_it_is_first_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mesh = _bumpy_sphere()
    master = Model([Part(mesh.vertices, mesh.faces)])
    written: list[int] = []
    real = webcopy.write_glb

    def spy(model: Model, *args: object, **kwargs: object) -> int:
        written.append(model.triangles)
        return real(model, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(webcopy, "write_glb", spy)
    profile = get_profile("web").with_overrides(max_bytes=200_000)
    report = webcopy.make_web_glb(master, profile, [], tmp_path / "w.glb", {}, measure_error=False)
    assert report.bytes <= 200_000
    assert max(written) < len(mesh.faces) / 5  # the whole master was never written


def test_the_error_of_a_big_master_is_measured_near_what_the_exact_way_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    mesh = _bumpy_sphere()
    master = Model([Part(mesh.vertices, mesh.faces)])
    copy = Model([decimate(Part(mesh.vertices, mesh.faces), 4_000)])
    exact = geometric_error(master, copy)
    monkeypatch.setattr(budget, "ERROR_CHUNK", 10_000)  # the master counts as big
    cheap = geometric_error(master, copy)
    assert cheap.samples < exact.samples
    assert cheap.mean_rel == pytest.approx(exact.mean_rel, rel=0.1)
    assert cheap.max_rel <= exact.max_rel * 1.05
