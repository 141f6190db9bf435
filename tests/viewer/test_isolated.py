"""A reader that crashes, exhausts memory or hangs costs one typed error, never the app; an
isolated load gives the same Model as an in-process one."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh

from viewer import (
    Cancelled,
    CancelToken,
    CorruptFile,
    FileMissing,
    LoadTimeout,
    Model,
    ResourceLimit,
    ViewerError,
    load_model,
    load_model_isolated,
)
from viewer.isolated import MEMORY_FLOOR, default_memory


def crashing_reader(path: Path, units: str | None) -> Model:
    os.abort()  # what a segfaulting native parser looks like from outside


def greedy_reader(path: Path, units: str | None) -> Model:
    hoard = bytearray(3 * 1024**3)  # more than the 2 GiB the test allows
    raise AssertionError(len(hoard))


def greedy_numpy_reader(path: Path, units: str | None) -> Model:
    hoard = np.ones(400 * 1024**2)  # 3.1 GiB of float64
    raise AssertionError(hoard.size)


def hanging_reader(path: Path, units: str | None) -> Model:
    time.sleep(60)
    raise AssertionError("not reached")


@pytest.fixture
def box_ply(tmp_path: Path) -> Path:
    path = tmp_path / "box.ply"
    trimesh.creation.box(extents=[40.0, 20.0, 10.0]).export(path)
    return path


def _assert_next_load_works(path: Path) -> None:
    model = load_model_isolated(path)  # a fresh worker took over
    assert model.kind == "mesh" and len(model.triangles) == 12


@pytest.mark.parametrize("reader, error, words", [
    (crashing_reader, CorruptFile, "made the 3D reader crash"),
    (greedy_reader, ResourceLimit, "more memory"),
    (greedy_numpy_reader, ResourceLimit, "more memory"),
    (hanging_reader, LoadTimeout, "longer than 2 s"),
], ids=["abort", "bytearray", "numpy", "hang"])
def test_reader_failures_become_typed_errors_and_the_next_load_works(box_ply, reader, error, words):
    with pytest.raises(error) as info:
        load_model_isolated(box_ply, timeout=2, memory=MEMORY_FLOOR, reader=reader)
    assert "box.ply" in str(info.value) and words in str(info.value)
    assert isinstance(info.value, ViewerError)
    _assert_next_load_works(box_ply)


def test_cancel_while_waiting_kills_the_worker(box_ply):
    token = CancelToken()
    threading.Timer(0.5, token.cancel).start()
    start = time.monotonic()
    with pytest.raises(Cancelled):
        load_model_isolated(box_ply, cancel=token, reader=hanging_reader)
    assert time.monotonic() - start < 10
    _assert_next_load_works(box_ply)


def test_cancelled_before_start_reads_nothing(box_ply):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        load_model_isolated(box_ply, cancel=token)


def test_progress_reports_start_and_end(box_ply):
    steps: list[tuple[int, int, str]] = []
    load_model_isolated(box_ply, progress=lambda d, t, m: steps.append((d, t, m)))
    assert steps[0][0] == 0 and "box.ply" in steps[0][2]
    assert steps[-1][:2] == (4, 4)


def test_typed_errors_of_the_loader_pass_through(tmp_path):
    with pytest.raises(FileMissing, match="nothing.ply"):
        load_model_isolated(tmp_path / "nothing.ply")


def test_default_memory_grows_with_the_file(box_ply):
    assert default_memory(box_ply) == MEMORY_FLOOR + 4 * box_ply.stat().st_size


def _assert_same(a: Model, b: Model) -> None:
    assert (a.kind, a.units, a.warnings, a.path) == (b.kind, b.units, b.warnings, b.path)
    np.testing.assert_array_equal(a.origin, b.origin)
    assert (a.n_primitives, len(a.vertices)) == (b.n_primitives, len(b.vertices))
    for x, y in zip(a.bbox, b.bbox, strict=True):
        np.testing.assert_array_equal(x, y)
    assert (a.has_colors, a.textured) == (b.has_colors, b.textured)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.triangles, b.triangles)
    ga, gb = a.geometry, b.geometry
    if a.kind == "mesh":
        np.testing.assert_array_equal(np.asarray(ga.vertex_normals), np.asarray(gb.vertex_normals))
        np.testing.assert_array_equal(np.asarray(ga.triangle_uvs), np.asarray(gb.triangle_uvs))
        np.testing.assert_array_equal(np.asarray(ga.triangle_material_ids),
                                      np.asarray(gb.triangle_material_ids))
        assert len(ga.textures) == len(gb.textures)
        for ta, tb in zip(ga.textures, gb.textures, strict=True):
            assert ta.is_empty() == tb.is_empty()
            if not ta.is_empty():
                np.testing.assert_array_equal(np.asarray(ta), np.asarray(tb))
    else:
        np.testing.assert_array_equal(np.asarray(ga.normals), np.asarray(gb.normals))
        np.testing.assert_array_equal(np.asarray(ga.colors), np.asarray(gb.colors))


SAME = [
    "odedstein-meshes/nefertiti/nefertiti-lowres.obj",
    "ycb-pybullet/YcbBanana/textured_simple_reoriented.obj",
    "gltf-sample-assets/BoxTextured/glTF/BoxTextured.gltf",
    "gltf-sample-assets/VertexColorTest/glTF-Binary/VertexColorTest.glb",
    "pcl/milk_color.pcd",
    "pcx-guanyin/Guanyin.ply",
    "trimesh/points_agisoft.xyz",  # far-off coordinates: origin
    "assimp/STL/Spider_ascii.stl",  # degenerate faces: warnings
    "assimp/PLY/float-color.ply",
]


@pytest.mark.parametrize("rel", SAME)
def test_isolated_load_matches_in_process_load(corpus: Path, rel: str) -> None:
    _assert_same(load_model_isolated(corpus / rel, units="mm"), load_model(corpus / rel, units="mm"))


def test_gltf_units_default_to_metres_in_both(corpus: Path) -> None:
    path = corpus / "gltf-sample-assets/BoxTextured/glTF/BoxTextured.gltf"
    assert load_model_isolated(path).units == load_model(path).units == "m"


@pytest.mark.parametrize("rel", ["assimp/invalid/OutOfMemory.off", "assimp/invalid/empty.obj",
                                 "assimp/OBJ/SpiderTex.jpg"])
def test_bad_corpus_files_give_the_same_error(corpus: Path, rel: str) -> None:
    with pytest.raises(ViewerError) as expected:
        load_model(corpus / rel)
    with pytest.raises(type(expected.value)) as isolated:
        load_model_isolated(corpus / rel)
    assert str(isolated.value) == str(expected.value)


def test_broken_faces_and_far_coordinates_give_the_same_warnings(tmp_path: Path) -> None:
    tm = trimesh.creation.icosphere(subdivisions=2)
    vertices = tm.vertices * 5.0 + [500_000.0, 4_000_000.0, 10.0]
    faces = np.vstack([tm.faces, [[0, 0, 1], [0, 1, 10_000]]])
    path = tmp_path / "far.ply"
    trimesh.Trimesh(vertices, faces, process=False).export(path)
    a, b = load_model_isolated(path), load_model(path)
    assert a.warnings and a.origin.any()
    _assert_same(a, b)
