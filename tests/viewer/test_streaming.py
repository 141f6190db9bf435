"""Streaming levels of detail: the rules (viewer.streaming.LevelStream) without clocks or
threads, and a level file read into the frame of the first one shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from archive.levels import MasterGeometry, write_level
from viewer import CorruptFile
from viewer.level_files import load_level
from viewer.model import Model
from viewer.streaming import LevelFile, LevelStream, level_bytes

MB = 1024**2


def _files(kind: str = "mesh") -> list[LevelFile]:
    sizes = (1_000_000, 250_000, 60_000) if kind == "mesh" else (4_000_000, 1_000_000, 250_000)
    return [LevelFile(k, Path(f"L{k}.ply"), n, kind) for k, n in enumerate(sizes, start=1)]


def _model(tag: int) -> Model:
    return Model(geometry=None, kind="mesh", path=Path(f"L{tag}.ply"))  # type: ignore[arg-type]


def _opened(budget: int) -> LevelStream:
    """A stream whose first picture (the coarsest level) is on screen."""
    stream = LevelStream(_files(), budget)
    first = stream.begin()
    assert first.number == 3
    assert stream.arrived(3, _model(3))
    return stream


def test_the_coarsest_level_opens_first_and_the_finest_that_fits_follows_at_rest() -> None:
    stream = _opened(2048 * MB)
    assert stream.rest() is stream.loaded[3] and stream.moving() == []
    wanted = stream.settled()
    assert wanted is not None and wanted.number == 1
    assert stream.settled() is None  # already on its way
    assert stream.arrived(1, _model(1))
    assert stream.rest() is stream.loaded[1]
    assert stream.moving() == [stream.loaded[3]]  # the coarsest is what moves
    assert stream.settled() is None  # nothing finer to get


def test_moving_cancels_the_pending_load_and_its_late_result_is_dropped() -> None:
    stream = _opened(2048 * MB)
    assert stream.settled().number == 1  # type: ignore[union-attr]
    assert stream.moved() == 1  # the widget cancels that task
    assert not stream.arrived(1, _model(1))  # it finished anyway: not shown, not kept
    assert 1 not in stream.loaded and stream.rest() is stream.loaded[3]
    assert stream.settled().number == 1  # type: ignore[union-attr]  # still again: asked once more


def test_moving_never_gives_up_the_first_picture() -> None:
    stream = LevelStream(_files(), 2048 * MB)
    stream.begin()
    assert stream.moved() is None
    assert stream.arrived(3, _model(3))


def test_the_memory_budget_limits_the_finest_level_chosen() -> None:
    files = _files()
    budget = files[1].cost + files[2].cost  # room for level 2 beside the coarsest, not for level 1
    assert files[0].cost + files[2].cost > budget
    stream = _opened(budget)
    assert stream.settled().number == 2  # type: ignore[union-attr]
    assert stream.arrived(2, _model(2)) and stream.used() <= budget


def test_a_smaller_budget_drops_the_shown_level_and_a_larger_one_brings_detail_back() -> None:
    stream = _opened(2048 * MB)
    stream.settled()
    stream.arrived(1, _model(1))
    assert stream.set_budget(_files()[1].cost + _files()[2].cost)  # what is shown changed
    assert stream.rest() is stream.loaded[3] and 1 not in stream.loaded
    assert stream.settled().number == 2  # type: ignore[union-attr]
    stream.arrived(2, _model(2))
    assert not stream.set_budget(2048 * MB)  # more room: nothing dropped, so nothing changes now
    assert stream.settled().number == 1  # type: ignore[union-attr]  # ...and at rest the finest comes


def test_a_level_that_fails_is_not_tried_again() -> None:
    stream = _opened(2048 * MB)
    stream.settled()
    stream.failed(1)
    wanted = stream.settled()
    assert wanted is not None and wanted.number == 2


def test_memory_estimates_grow_with_the_level() -> None:
    assert level_bytes("mesh", 1_000_000) > level_bytes("mesh", 60_000) > 0
    assert level_bytes("points", 4_000_000) > level_bytes("points", 250_000) > 0


def _level_file(tmp_path: Path, name: str, subdivisions: int, origin: np.ndarray) -> Path:
    tm = trimesh.creation.icosphere(subdivisions=subdivisions, radius=2.0)
    g = MasterGeometry(tm.vertices.astype(np.float32), tm.faces.astype(np.int32), None, origin)
    return write_level(g, tmp_path / name)


def test_levels_share_the_first_ones_frame(tmp_path: Path) -> None:
    origin = np.array([512_000.0, 4_000_000.0, 12.0])  # georeferenced: the levels' "comment origin"
    coarse = load_level(_level_file(tmp_path, "a.L2.ply", 2, origin), "z")
    fine = load_level(_level_file(tmp_path, "a.L1.ply", 4, origin), frame=coarse)
    assert np.allclose(fine.origin, coarse.origin) and np.allclose(fine.rotation, coarse.rotation)
    top = fine.vertices[np.argmax(fine.vertices[:, 1])]  # display +Y is the file's +Z
    assert np.allclose(fine.to_file(top), origin + [0, 0, 2.0], atol=1e-4)
    assert np.allclose(coarse.bbox[0], fine.bbox[0], atol=0.05)  # no jump when one replaces the other


def test_a_file_in_another_layout_is_refused_for_the_isolated_reader(tmp_path: Path) -> None:
    path = tmp_path / "ascii.ply"
    trimesh.creation.box().export(path, encoding="ascii")
    with pytest.raises(CorruptFile):
        load_level(path)
    good = _level_file(tmp_path, "b.L1.ply", 1, np.zeros(3))
    cut = tmp_path / "cut.ply"
    cut.write_bytes(good.read_bytes()[:-7])  # truncated
    with pytest.raises(CorruptFile):
        load_level(cut)


@pytest.mark.gl
def test_the_session_draws_the_coarse_level_while_moving_and_the_fine_one_at_rest(tmp_path: Path) -> None:
    from viewer import ViewerSession

    coarse = load_level(_level_file(tmp_path, "c.L2.ply", 2, np.zeros(3)))
    fine = load_level(_level_file(tmp_path, "c.L1.ply", 5, np.zeros(3)), frame=coarse)
    session = ViewerSession()
    session.set_model(coarse, picker=None)
    session.ms_per_million = 1e6  # nothing but the lightest level fits a moving frame
    camera = session.camera.copy()
    session.show_level(fine, [coarse])
    assert session.camera.front.tolist() == camera.front.tolist()  # a swap never moves the camera
    session.render(64, 48, moving=True)
    assert session.last_frame["primitives"] == len(coarse.triangles)
    session.render(64, 48, moving=False)
    assert session.last_frame["primitives"] == len(fine.triangles)


def test_moving_frames_shrink_when_even_the_lightest_level_is_too_slow_and_grow_back() -> None:
    from viewer import ViewerSession
    from viewer.session import SHRUNK_SCALE

    session = ViewerSession()
    session._learn_scale(80.0, 33.0, lightest=False)
    assert session.moving_scale == 1.0  # a lighter level can still be chosen first
    session._learn_scale(80.0, 33.0, lightest=True)
    assert session.moving_scale == SHRUNK_SCALE
    session._learn_scale(12.0, 33.0, lightest=True)  # ~48 ms at full size: still too slow
    assert session.moving_scale == SHRUNK_SCALE
    session._learn_scale(5.0, 33.0, lightest=True)
    assert session.moving_scale == 1.0


def test_lighter_copies_for_moving_frames_are_made_only_below_the_coarsest(tmp_path: Path) -> None:
    from viewer.lod import moving_copies

    heavy = load_level(_level_file(tmp_path, "h.L3.ply", 5, np.zeros(3)))  # 20,480 triangles
    light = load_level(_level_file(tmp_path, "l.L3.ply", 3, np.zeros(3)))  # 1,280
    assert moving_copies(light, triangles=(5000, 1000)) == []
    levels = moving_copies(heavy, triangles=(15_000, 5000, 1000))  # 15k keeps too much of 20k: skipped
    assert [len(lv.geometry.triangles) for lv in levels] == [lv.primitives for lv in levels]
    assert len(levels) == 2 and 4000 < levels[0].primitives <= 5000 and 0 < levels[1].primitives <= 1000
    assert np.allclose(np.asarray(levels[0].geometry.vertices).max(0), heavy.bbox[1], atol=0.1)  # same frame


def test_lighter_cloud_copies_are_spread_evenly(tmp_path: Path) -> None:
    from viewer.lod import moving_copies

    rng = np.random.default_rng(2)
    g = MasterGeometry(rng.random((50_000, 3)).astype(np.float32), None, None, np.zeros(3))
    cloud = load_level(write_level(g, tmp_path / "c.L3.ply"))
    levels = moving_copies(cloud, points=(10_000,))
    assert len(levels) == 1 and 0 < levels[0].primitives <= 10_000
    pts = np.asarray(levels[0].geometry.points)
    counts, _ = np.histogramdd(pts, bins=(4, 4, 4))
    assert counts.min() > 0.5 * counts.mean()  # every part of the cloud keeps its share


def test_a_level_already_drawn_is_judged_by_its_own_frame_time() -> None:
    """Software GL pays for pixels too: a 20k-triangle level can miss 33 ms at 1280x800 though
    the rate per triangle says it fits; its measured time decides."""
    from viewer.lod import Level, choose_level

    a, b, c = (Level(object(), n) for n in (60_000, 20_000, 5_000))  # type: ignore[arg-type]
    assert choose_level([a, b, c], 1_000_000, 100.0, 33.0) is a  # predicted: 6 ms
    measured = {id(a.geometry): 80.0, id(b.geometry): 41.0}
    assert choose_level([a, b, c], 1_000_000, 100.0, 33.0, measured) is c
    assert choose_level([a, b, c], 1_000_000, 100.0, 33.0, {id(a.geometry): 20.0}) is a
