"""Section profiles: a known cylinder gives a known outline in SVG and DXF; the cap is filled."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import trimesh

from viewer.profile_export import EmptyProfile, export_profile, profile_svg, read_dxf_polylines
from viewer.section import cap_mesh, cap_triangles, chain_loops, inside, section_plane, section_profile

R, H = 20.0, 60.0  # mm


@pytest.fixture
def cylinder() -> trimesh.Trimesh:
    """A vessel-like cylinder standing on +Y (the viewer's up), radius R, height H, in cm."""
    c = trimesh.creation.cylinder(radius=R / 10, height=H / 10, sections=256)
    c.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, (1, 0, 0)))
    return c


def _profile(c: trimesh.Trimesh, axis: str) -> list[np.ndarray]:
    point, normal = section_plane(axis, 0.5, *c.bounds)
    return section_profile(np.asarray(c.vertices), np.asarray(c.faces), point, normal)


def _svg_points(svg: str) -> list[np.ndarray]:
    height = float(re.search(r'viewBox="0 0 [\d.]+ ([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    out = []
    for d in re.findall(r' d="([^"]+)"', svg):
        for sub in d.split("M")[1:]:
            xy = np.array([[float(v) for v in p.split(",")] for p in re.findall(r"-?[\d.]+,-?[\d.]+", sub)])
            out.append(np.column_stack([xy[:, 0], height - xy[:, 1]]))
    return out


def test_chain_loops_joins_segments_into_one_closed_loop() -> None:
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0.0]])
    segs = np.stack([square, np.roll(square, -1, axis=0)], axis=1)[[2, 0, 3, 1]]
    loops = chain_loops(segs, 1e-9)
    assert len(loops) == 1 and len(loops[0]) == 5
    np.testing.assert_allclose(loops[0][0], loops[0][-1])


def test_cut_through_the_axis_gives_a_rectangle_2r_by_h_in_svg(cylinder: trimesh.Trimesh) -> None:
    loops = _profile(cylinder, "x")
    assert len(loops) == 1
    pts = np.concatenate(_svg_points(profile_svg(loops, "cm")))
    size = pts.max(axis=0) - pts.min(axis=0)
    np.testing.assert_allclose(size, [2 * R, H], rtol=1e-3)


def test_cut_through_the_axis_gives_a_rectangle_2r_by_h_in_dxf(cylinder: trimesh.Trimesh, tmp_path: Path) -> None:
    path = export_profile(_profile(cylinder, "z"), "cm", tmp_path / "profile.dxf")
    text = path.read_text(encoding="ascii")
    assert "$INSUNITS\n70\n4" in text  # millimetres
    polys = read_dxf_polylines(text)
    assert len(polys) == 1 and polys[0][1]  # one closed outline
    pts = polys[0][0]
    np.testing.assert_allclose(pts.max(axis=0) - pts.min(axis=0), [2 * R, H], rtol=1e-3)
    # the corners are the rectangle's: every point lies on its border
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    on_edge = np.isclose(pts, lo, atol=1e-3).any(axis=1) | np.isclose(pts, hi, atol=1e-3).any(axis=1)
    assert on_edge.all()


def test_cut_across_gives_a_circle_of_radius_r(cylinder: trimesh.Trimesh, tmp_path: Path) -> None:
    loops = _profile(cylinder, "y")
    for ext in ("svg", "dxf"):
        path = export_profile(loops, "cm", tmp_path / f"p.{ext}")
        text = path.read_text()
        pts = np.concatenate(_svg_points(text)) if ext == "svg" else read_dxf_polylines(text)[0][0]
        radii = np.linalg.norm(pts - pts.mean(axis=0), axis=1)
        np.testing.assert_allclose(radii, R, rtol=1e-3)


def test_cap_fills_the_cut_face(cylinder: trimesh.Trimesh) -> None:
    point, normal = section_plane("x", 0.5, *cylinder.bounds)
    cap = cap_mesh(np.asarray(cylinder.vertices), np.asarray(cylinder.faces), point, normal)
    assert cap.get_surface_area() == pytest.approx(2 * R / 10 * H / 10, rel=1e-3)
    normals = np.asarray(cap.triangle_normals) if cap.has_triangle_normals() else None
    assert normals is not None and np.allclose(normals @ normal, 1.0)  # facing the cut-away side
    across = section_plane("y", 0.5, *cylinder.bounds)
    disc = cap_mesh(np.asarray(cylinder.vertices), np.asarray(cylinder.faces), *across)
    assert disc.get_surface_area() == pytest.approx(np.pi * (R / 10) ** 2, rel=1e-3)


def test_cap_leaves_holes_open() -> None:
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    outer = np.column_stack([np.cos(t), np.sin(t)]) * 2
    inner = np.column_stack([np.cos(t), np.sin(t)])
    pts, tri = cap_triangles([outer, inner])
    a, b, c = pts[tri[:, 0]], pts[tri[:, 1]], pts[tri[:, 2]]
    area = 0.5 * np.abs((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0]).sum()
    ring = 0.5 * 64 * np.sin(2 * np.pi / 64) * (4 - 1)
    assert area == pytest.approx(ring, rel=1e-9)
    assert not inside(np.array([[0.0, 0.0]]), [outer, inner])[0]


def test_a_plane_missing_the_model_says_so(cylinder: trimesh.Trimesh, tmp_path: Path) -> None:
    with pytest.raises(EmptyProfile):
        export_profile([], "mm", tmp_path / "p.svg")


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        export_profile([np.zeros((2, 2))], "mm", tmp_path / "p.pdf")


def test_cli_writes_the_profile(cylinder: trimesh.Trimesh, tmp_path: Path) -> None:
    import subprocess
    import sys

    cylinder.export(tmp_path / "vessel.ply")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "heritage_app.viewer_cli", "section", str(tmp_path / "vessel.ply"),
                          "--axis", "x", "--units", "cm", "--out", str(tmp_path / "p.dxf")],
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    pts = read_dxf_polylines((tmp_path / "p.dxf").read_text())[0][0]
    np.testing.assert_allclose(pts.max(axis=0) - pts.min(axis=0), [2 * R, H], rtol=1e-3)
