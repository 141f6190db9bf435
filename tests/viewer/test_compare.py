"""Comparing scans: known offsets, dents and rigid moves give known answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from tests.viewer.conftest import to_model
from viewer.compare import (
    CompareError,
    CompareParams,
    compare,
    deviations_to_cloud,
    deviations_to_mesh,
    heat_colours,
    heat_map_geometry,
    kabsch,
)
from viewer.loading import load_model

CORPUS = Path(__file__).resolve().parents[3] / "shared/corpus"
SPOT = CORPUS / "common-3d-test-models/spot_unzipped/spot/spot_triangulated.obj"
R = 50.0  # mm


def _rigid(angle_deg: float, axis: tuple[float, float, float], shift: tuple[float, float, float]) -> np.ndarray:
    m = trimesh.transformations.rotation_matrix(np.radians(angle_deg), axis)
    m[:3, 3] = shift
    return m


def _sphere(radius: float = R) -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=5, radius=radius)


def test_kabsch_recovers_a_rigid_move() -> None:
    rng = np.random.default_rng(1)
    src = rng.random((5, 3)) * 100
    m = _rigid(30, (1, 2, 3), (5, -2, 7))
    dst = src @ m[:3, :3].T + m[:3, 3]
    np.testing.assert_allclose(kabsch(src, dst), m, atol=1e-9)


def test_kabsch_needs_three_pairs() -> None:
    with pytest.raises(CompareError):
        kabsch(np.zeros((2, 3)), np.zeros((2, 3)))


def test_signed_distance_to_mesh_is_positive_outside() -> None:
    tm = _sphere(10.0)
    pts = np.array([[0, 0, 12.0], [0, 0, 8.0], [13.0, 0, 0]])
    d = deviations_to_mesh(pts, tm.vertices, tm.faces)
    np.testing.assert_allclose(d, [2.0, -2.0, 3.0], atol=0.02)


def test_distance_to_cloud_uses_nearest_point_and_normal_sign() -> None:
    ref = np.array([[0, 0, 0.0], [10, 0, 0]])
    normals = np.array([[0, 0, 1.0], [0, 0, 1.0]])
    d = deviations_to_cloud(np.array([[0, 0, 2.0], [10, 0, -3.0]]), ref, normals)
    np.testing.assert_allclose(d, [2.0, -3.0])


def test_offset_along_normals_reports_the_offset_after_alignment() -> None:
    """A sphere grown by 1 mm along its normals, then moved: mean deviation 1 mm within 1 %."""
    ref = _sphere()
    grown = trimesh.Trimesh(ref.vertices + ref.vertex_normals * 1.0, ref.faces)
    grown.apply_transform(_rigid(3, (0, 1, 0), (2.0, -1.0, 1.5)))
    result = compare(to_model(ref), to_model(grown), CompareParams(tolerance=0.5, align="none"))
    s = result.summary()
    assert s["mean"] == pytest.approx(1.0, rel=0.01)
    assert s["beyond_tolerance"] == pytest.approx(1.0)
    assert result.units == "mm"


def test_dent_is_found_with_its_depth() -> None:
    """A 4 mm deep dent in a cap of the sphere: the points beyond tolerance are the dent's,
    and the deepest deviation is 4 mm within 2 %."""
    ref = _sphere()
    v = ref.vertices.copy()
    direction = v / np.linalg.norm(v, axis=1, keepdims=True)
    in_dent = direction @ np.array([0, 0, 1.0]) > np.cos(np.radians(20))
    v[in_dent] -= direction[in_dent] * 4.0
    dented = trimesh.Trimesh(v, ref.faces, process=False)
    dented.apply_transform(_rigid(2, (1, 0, 0), (0.5, 0.3, -0.4)))
    result = compare(to_model(ref), to_model(dented), CompareParams(tolerance=0.5, align="none"))
    beyond = np.abs(result.deviations) > 0.5
    assert beyond.any()
    assert in_dent[result.sample_index][beyond].all()
    assert result.summary()["max"] == pytest.approx(4.0, rel=0.02)
    assert result.summary()["min_signed"] == pytest.approx(-4.0, rel=0.02)  # material lost: negative


@pytest.mark.skipif(not SPOT.exists(), reason="corpus not present")
def test_rigidly_moved_copy_aligns_back_by_global_registration() -> None:
    ref = load_model(SPOT, units="mm")
    moved = load_model(SPOT, units="mm")
    m = _rigid(40, (0.3, 1, 0.2), (0.3, -0.2, 0.1))
    moved.geometry.transform(m)
    result = compare(ref, moved, CompareParams(tolerance=0.001))
    assert result.summary()["rms"] < 1e-4 * ref.extent
    inverse = np.linalg.inv(m)
    np.testing.assert_allclose(result.transform[:3, :3], inverse[:3, :3], atol=1e-3)


def test_three_picked_pairs_give_the_coarse_alignment() -> None:
    box = trimesh.creation.box((40.0, 20.0, 10.0))
    m = _rigid(120, (0, 0, 1), (30, 5, 0))
    moved = box.copy()
    moved.apply_transform(m)
    corners = box.vertices[:3]
    pairs = [[a.tolist(), (m[:3, :3] @ a + m[:3, 3]).tolist()] for a in corners]
    coarse = compare(to_model(box), to_model(moved), CompareParams(pairs=pairs, icp=False))
    assert coarse.summary()["rms"] < 1e-6
    refined = compare(to_model(box), to_model(moved), CompareParams(pairs=pairs))
    assert refined.summary()["rms"] < 1e-4 * 40.0  # ICP on independent samples: jitter of ~1e-5 extent


def test_pairs_picked_on_a_scan_in_other_units_are_converted() -> None:
    """Pairs are picked in each scan's own frame and units: on a copy kept in cm, moved, the
    pairs' compared points are in cm and the coarse alignment still lands on the reference."""
    box = trimesh.creation.box((40.0, 20.0, 10.0))
    m = _rigid(120, (0, 0, 1), (30, 5, 0))
    moved = box.copy()
    moved.apply_transform(m)
    in_cm = trimesh.Trimesh(moved.vertices / 10.0, moved.faces)
    pairs = [[a.tolist(), ((m[:3, :3] @ a + m[:3, 3]) / 10.0).tolist()] for a in box.vertices[:3]]
    coarse = compare(to_model(box, "mm"), to_model(in_cm, "cm"), CompareParams(pairs=pairs, icp=False))
    assert coarse.summary()["rms"] < 1e-6


@pytest.mark.parametrize("pairs", [[[[0, 0, 0], [1, 1]]] * 3, [[[0, 0, 0]]] * 3,
                                   [[[0, 0, float("nan")], [0, 0, 0]]] * 3])
def test_malformed_pairs_are_refused(pairs: list) -> None:
    box = to_model(trimesh.creation.box((4.0, 2.0, 1.0)))
    with pytest.raises(CompareError, match="one point on the reference"):
        compare(box, box, CompareParams(pairs=pairs))


def test_the_same_parameters_give_the_same_summary_again() -> None:
    """A saved comparison is rebuildable: sampling, registration and ICP are seeded."""
    box = trimesh.creation.annulus(10, 30, 20)
    moved = box.copy()
    moved.apply_transform(_rigid(25, (0, 1, 0.3), (3, 1, 2)))
    params = CompareParams(tolerance=0.1, sample_points=2000)
    first, again = (compare(to_model(box), to_model(moved), params) for _ in range(2))
    for key, value in first.summary().items():
        assert again.summary()[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
    np.testing.assert_array_equal(first.sample_index, again.sample_index)


def test_a_kept_comparison_shows_again_from_its_derived_file(tmp_path: Path) -> None:
    from viewer.compare import params_from_record, restored_comparison
    from viewer.compare_report import heat_map_model, read_derived, write_derived

    result, mov = _dented_result()
    write_derived(result, tmp_path)
    kept = read_derived(tmp_path)
    assert kept["deviations"].dtype == np.float32 and kept["sample_index"].dtype == np.uint32
    params = params_from_record({**result.to_record()["parameters"], "from_a_later_version": 1})
    again = restored_comparison(mov, result.units, params, kept["transform"], kept["sample_index"],
                                kept["deviations"])
    np.testing.assert_allclose(again.points, result.points, atol=1e-9)
    np.testing.assert_allclose(again.deviations, result.deviations, atol=1e-5)
    assert again.summary()["max"] == pytest.approx(result.summary()["max"], rel=1e-5)
    frame = to_model(_sphere())
    frame.rotation = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])  # a Z-up file shown Y-up
    shown = heat_map_model(again, mov, frame)
    np.testing.assert_allclose(shown.to_file(shown.vertices[5]), result.points[5], atol=1e-9)
    other = to_model(trimesh.creation.box((1.0, 1.0, 1.0)))
    with pytest.raises(CompareError, match="do not belong"):
        restored_comparison(other, "mm", params, kept["transform"], kept["sample_index"], kept["deviations"])


def test_damaged_derived_file_says_to_run_again(tmp_path: Path) -> None:
    from viewer.compare_report import read_derived
    from viewer.errors import ViewerError

    (tmp_path / "deviations.npz").write_bytes(b"not a zip")
    with pytest.raises(ViewerError, match="run the comparison again"):
        read_derived(tmp_path)
    with pytest.raises(ViewerError, match="run the comparison again"):
        read_derived(tmp_path / "missing")


def test_compared_in_the_reference_units() -> None:
    ref = _sphere(R)
    in_cm = trimesh.Trimesh(ref.vertices / 10.0, ref.faces)
    result = compare(to_model(ref, "mm"), to_model(in_cm, "cm"), CompareParams(align="none", icp=False))
    assert result.summary()["max"] < 1e-3


def test_record_round_trips_as_json(tmp_path: Path) -> None:
    ref = _sphere()
    result = compare(to_model(ref), to_model(ref), CompareParams(align="none", icp=False, tolerance=0.2))
    path = result.save_json(tmp_path / "cmp.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["parameters"]["tolerance"] == 0.2
    assert record["units"] == "mm"
    assert sum(record["histogram"]["counts"]) == len(ref.vertices)
    assert np.allclose(record["transform"], np.eye(4))


def test_heat_colours_diverge_from_white() -> None:
    c = heat_colours(np.array([-2.0, 0.0, 2.0, 9.0]), 2.0)
    np.testing.assert_allclose(c[1], [1, 1, 1])
    assert c[0][2] > c[0][0] and c[2][0] > c[2][2]  # blue below, red above
    np.testing.assert_allclose(c[3], c[2])  # clipped at the limit


def test_heat_map_colours_the_compared_mesh() -> None:
    ref = _sphere()
    result = compare(to_model(ref), to_model(ref), CompareParams(align="none"))
    g = heat_map_geometry(result, to_model(ref))
    assert len(np.asarray(g.vertex_colors)) == len(ref.vertices)


def _dented_result() -> tuple[object, object]:
    ref = _sphere()
    v = ref.vertices.copy()
    cap = v[:, 2] > R * 0.9
    v[cap] *= 0.96
    mov = to_model(trimesh.Trimesh(v, ref.faces, process=False))
    return compare(to_model(ref), mov, CompareParams(align="none", icp=False, tolerance=0.5)), mov


def test_report_has_its_pictures_and_figures_without_network(tmp_path: Path) -> None:
    from PIL import Image

    from viewer.compare_report import write_report

    result, mov = _dented_result()
    path = write_report(result, mov, tmp_path, render=False)
    text = path.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert f"{result.summary()['max']:.4g} mm" in text
    assert Image.open(tmp_path / "histogram.png").size == (720, 300)
    assert json.loads((tmp_path / "comparison.json").read_text())["kind"] == "scan-comparison"


@pytest.mark.gl
def test_report_renders_the_heat_map(tmp_path: Path) -> None:
    from PIL import Image

    from viewer.compare_report import write_report

    result, mov = _dented_result()
    write_report(result, mov, tmp_path)
    img = np.asarray(Image.open(tmp_path / "heatmap.png").convert("RGB")).astype(int)
    blue = (img[..., 2] - img[..., 0] > 60).sum()
    assert blue > 100  # the dent (material lost) shows blue


def test_cli_prints_the_summary_of_two_files(tmp_path: Path) -> None:
    import subprocess
    import sys

    ref = _sphere()
    grown = trimesh.Trimesh(ref.vertices + ref.vertex_normals * 1.0, ref.faces)
    ref.export(tmp_path / "a.ply")
    grown.export(tmp_path / "b.ply")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "heritage_app.viewer_cli", "compare", str(tmp_path / "a.ply"),
                          str(tmp_path / "b.ply"), "--units", "mm", "--align", "none", "--json",
                          "--record", str(tmp_path / "c.json")], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["summary"]["mean"] == pytest.approx(1.0, rel=0.01)
    assert record["parameters"]["tolerance"] == 0.5
    assert (tmp_path / "c.json").exists()
    bad = subprocess.run([sys.executable, "-m", "heritage_app.viewer_cli", "compare", str(tmp_path / "a.ply"),
                          str(tmp_path / "missing.ply")], cwd=root, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr


def test_the_heat_map_view_looks_at_where_it_changed_most() -> None:
    from viewer.camera import Camera
    from viewer.compare_report import change_view, heat_map_model

    result, mov = _dented_result()  # the cap around +z is pushed in
    heat = heat_map_model(result, mov)
    camera = Camera()
    view = change_view(result, heat, camera)
    target, eye = np.asarray(view["target"]), np.asarray(view["eye"])
    assert target[2] > 0.8 * R * 0.96 and eye[2] > target[2]  # at the cap, seen from outside it
    unchanged = compare(to_model(_sphere()), to_model(_sphere()), CompareParams(align="none", icp=False))
    assert change_view(unchanged, heat_map_model(unchanged, to_model(_sphere())), camera) is None
