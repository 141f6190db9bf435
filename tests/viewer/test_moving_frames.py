"""Moving frames: the float -> uint8 read-back, which meshes may skip back faces while moving,
and the frame-cost model (fixed part + part per primitive) that picks the moving level."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest
import trimesh

from viewer.lod import Level, choose_level, frame_cost, is_closed_surface, moving_copies

from .conftest import to_model


def _mesh(tm: trimesh.Trimesh) -> o3d.geometry.TriangleMesh:
    return o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.asarray(tm.vertices, float)),
                                     o3d.utility.Vector3iVector(np.asarray(tm.faces, np.int32)))


def _sphere(subdivisions: int = 4) -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)


def test_read_back_rounds_like_the_plain_formula_and_clips_out_of_range_colours() -> None:
    from viewer.render_legacy import to_rgb8

    rng = np.random.default_rng(3)
    img = rng.uniform(-0.2, 1.2, (40, 64, 3)).astype(np.float32)
    img[0, 0] = [0.0, 1.0, 0.5]
    expected = (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    out = to_rgb8(img.copy())
    assert out.dtype == np.uint8 and out.shape == (40, 64, 3)
    assert np.array_equal(out, expected)
    assert out[0, 0].tolist() == [0, 255, 128]


def test_a_closed_outward_surface_is_closed_even_when_its_vertices_are_split_per_face() -> None:
    sphere = _sphere()
    assert is_closed_surface(_mesh(sphere))
    soup = sphere.copy()
    soup.unmerge_vertices()  # what OBJ readers often hand over: three vertices per triangle
    assert len(soup.vertices) == 3 * len(soup.faces)
    assert is_closed_surface(_mesh(soup))


@pytest.mark.parametrize("case", ["sheet", "bowl", "inward", "flipped", "slit", "points"])
def test_surfaces_whose_back_faces_can_show_are_not_closed(case: str) -> None:
    sphere = _sphere()
    if case == "sheet":
        square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
        v, f = trimesh.remesh.subdivide_to_size(square, np.array([[0, 1, 2], [0, 2, 3]]), 0.02)
        g: o3d.geometry.Geometry3D = _mesh(trimesh.Trimesh(v, f))  # a relief, seen from behind
    elif case == "bowl":
        sphere.update_faces(sphere.triangles_center[:, 2] < 0.0)
        g = _mesh(sphere)
    elif case == "inward":
        sphere.invert()
        g = _mesh(sphere)
    elif case == "flipped":
        faces = sphere.faces.copy()
        faces[::7] = faces[::7, ::-1]  # winding that disagrees: culling would punch holes
        g = _mesh(trimesh.Trimesh(sphere.vertices, faces, process=False))
    elif case == "slit":
        # A thin band cut out all round: its vector area cancels and few edges are open, but
        # the long rim lets the inside show (as the ragged cut of a scan cut short does).
        sphere = _sphere(5)
        sphere.update_faces(np.abs(sphere.triangles_center[:, 2]) > 0.03)
        g = _mesh(sphere)
    else:
        g = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(sphere.vertices))
    assert not is_closed_surface(g)


def test_lighter_copies_carry_whether_the_model_they_come_from_is_closed() -> None:
    closed = moving_copies(to_model(_sphere(5)), triangles=(5000,))
    bowl = _sphere(5)
    bowl.update_faces(bowl.triangles_center[:, 2] < 0.0)
    opened = moving_copies(to_model(bowl), triangles=(2000,))
    assert [lv.closed for lv in closed] == [True]
    assert [lv.closed for lv in opened] == [False]


def test_levels_built_in_memory_carry_whether_the_model_is_closed() -> None:
    from viewer.lod import build_levels

    sphere = _sphere(6)  # 81,920 triangles: one level of 40k
    bowl = _sphere(7)
    bowl.update_faces(bowl.triangles_center[:, 2] < 0.0)  # 163,840 triangles
    assert [lv.closed for lv in build_levels(to_model(sphere))] == [True]
    assert [lv.closed for lv in build_levels(to_model(bowl))] == [False, False]


def test_the_frame_cost_splits_a_fixed_part_from_the_part_per_primitive() -> None:
    fixed, rate = frame_cost([(5_000, 16.0), (20_000, 19.0), (60_000, 27.0)], 1280 * 800)
    assert fixed == pytest.approx(15.0, abs=0.05) and rate == pytest.approx(200.0, rel=0.01)
    fixed, rate = frame_cost([(20_000, 30.0)], 1280 * 800, ms_per_million=500.0)
    assert (fixed, rate) == (pytest.approx(20.0), 500.0)  # one level: the rate stays, the rest is fixed
    fixed, _ = frame_cost([], 1280 * 800)
    assert fixed > 0  # before any frame the fixed part is not assumed free


def test_the_fixed_part_of_a_frame_decides_which_level_fits() -> None:
    """A 60k level predicted at 12 ms by its primitives alone misses 33 ms once the 25 ms a
    1280x800 frame costs before any geometry is counted."""
    a, b = (Level(object(), n) for n in (60_000, 5_000))  # type: ignore[arg-type]
    assert choose_level([a, b], 1_000_000, 200.0, 33.0) is a
    assert choose_level([a, b], 1_000_000, 200.0, 33.0, fixed_ms=25.0) is b


def test_frame_times_start_over_when_the_view_changes_size() -> None:
    from viewer import ViewerSession

    session = ViewerSession()
    session._measure_at(640, 480)
    session._learn_cost(1, 20_000, 30.0, 640 * 480)
    assert session.frame_ms == {1: 30.0} and session.fixed_ms is not None
    session._measure_at(640, 480)
    assert session.frame_ms == {1: 30.0}
    session._measure_at(1280, 800)
    assert session.frame_ms == {} and session.fixed_ms is None


def _shown_moving(session, level_mesh: o3d.geometry.TriangleMesh, closed: bool) -> None:  # type: ignore[no-untyped-def]
    full = to_model(_sphere(5))
    session.set_model(full, picker=None)
    level_mesh.compute_vertex_normals()
    session.show_level(full, [], [Level(level_mesh, len(level_mesh.triangles), closed)])
    session.ms_per_million = 1e6  # only the lighter level fits a moving frame


@pytest.mark.gl
def test_a_closed_level_skips_back_faces_while_moving_and_looks_the_same() -> None:
    from viewer import ViewerSession
    from viewer.renderer import create_renderer

    renderer = create_renderer("legacy")
    try:
        session = ViewerSession(renderer)
        _shown_moving(session, _mesh(_sphere(3)), closed=True)
        for _ in range(2):  # the first frame uploads the level
            culled = session.render(160, 120, moving=True)
        assert session.last_frame["level"] == "lod" and session.last_frame["back_faces"] is False
        both = session.render(160, 120, moving=True, settings=session.settings, camera=session.camera,
                              renderer=_BothSides(renderer))
        assert np.abs(culled.astype(int) - both.astype(int)).max() <= 1  # nothing showed from behind
        session.settings = _with(session.settings, section_enabled=True)
        session.render(160, 120, moving=True)
        assert session.last_frame["back_faces"] is True  # a section opens the surface
    finally:
        renderer.close()


@pytest.mark.gl
def test_an_open_level_keeps_back_faces_while_moving() -> None:
    from viewer import ViewerSession

    bowl = _sphere(3)
    bowl.update_faces(bowl.triangles_center[:, 2] < 0.0)
    session = ViewerSession()
    _shown_moving(session, _mesh(bowl), closed=is_closed_surface(_mesh(bowl)))
    session.render(160, 120, moving=True)
    assert session.last_frame["level"] == "lod" and session.last_frame["back_faces"] is True


class _BothSides:
    """The renderer, told to draw back faces whatever the session asks."""

    name = "both-sides"

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner

    def render(self, layers, camera, bounds, width, height, options, slot="full"):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        return self.inner.render(layers, camera, bounds, width, height, replace(options, show_back_face=True), slot)

    def close(self) -> None:
        pass


def _with(settings, **changes):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(settings, **changes)


class _ClockedRenderer:
    """Draws nothing; each frame takes the next of ``frame_ms`` on a fake clock."""

    name = "clocked"

    def __init__(self, frame_ms: list[float]) -> None:
        self.frame_ms, self.now = list(frame_ms), 0.0

    def clock(self) -> float:
        return self.now

    def render(self, layers, camera, bounds, width, height, options, slot="full"):  # type: ignore[no-untyped-def]
        self.now += self.frame_ms.pop(0) / 1000.0
        return np.zeros((height, width, 3), np.uint8)

    def close(self) -> None:
        pass


def test_one_slow_frame_does_not_shrink_moving_frames_but_a_slow_level_does(monkeypatch) -> None:
    """Other work on the machine can make one frame slow; only the level's smoothed full-size
    time may halve the picture for the rest of the session."""
    import viewer.session as session_module
    from viewer import ViewerSession

    light = to_model(_sphere(2))
    renderer = _ClockedRenderer([5.0, 20.0, 20.0, 90.0, 20.0] + [90.0] * 6)
    monkeypatch.setattr(session_module.time, "perf_counter", renderer.clock)
    session = ViewerSession(renderer)  # type: ignore[arg-type]
    session.set_model(to_model(_sphere(5)), picker=None)
    session.show_level(session.model, [], [Level(light.geometry, light.n_primitives)])  # type: ignore[arg-type]
    session.ms_per_million = 1e6  # only the lighter level fits
    for _ in range(5):  # upload, two frames of 20 ms, one of 90 ms, one of 20 ms
        session.render(1280, 800, moving=True, shrink=True)
    assert session.moving_scale == 1.0
    for _ in range(6):  # the level itself is slow now
        session.render(1280, 800, moving=True, shrink=True)
        if session.moving_scale < 1:
            break
    assert session.moving_scale < 1
