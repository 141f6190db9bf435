"""Levels of detail in the app: built by a background task (with the master's pick index),
streamed into the viewer (coarsest first, finest that fits the memory budget at rest, moving
cancels a load on its way), picks on the master through its index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from archive import Archive
from heritage_app.levels_task import ViewLevels, levels_task, view_level
from heritage_app.tasks import TaskManager
from heritage_app.viewer_widget import ViewerWidget
from viewer.renderer import legacy_available

TARGETS = (4000, 1000)


def _archive(tmp_path: Path) -> tuple[Path, int]:
    mesh = trimesh.creation.icosphere(subdivisions=5)  # 20,480 triangles
    mesh.export(tmp_path / "sphere.ply")
    root = tmp_path / "arc"
    with Archive.create(root) as archive:
        assert not archive.import_paths([tmp_path / "sphere.ply"]).errors
        return root, archive.search_ids()[0]


def test_no_level_means_the_master_opens(tmp_path):
    root, item_id = _archive(tmp_path)
    with Archive.open(root) as archive:
        assert view_level(archive, item_id, archive.get(item_id)["assets"]) is None


def test_the_background_task_builds_levels_the_viewer_then_opens(qtbot, tmp_path, monkeypatch):
    import archive.levels as levels

    root, item_id = _archive(tmp_path)
    manager = TaskManager()
    task = levels_task(root, [item_id])
    # small targets, so a 20k-triangle test mesh gets levels (the real ones start at 1M)
    monkeypatch.setattr(task, "fn", lambda archive, progress, cancel, ids: levels.build_archive_levels(
        archive, ids, progress, cancel, TARGETS))
    with qtbot.waitSignal(task.signals.succeeded, timeout=120_000) as done:
        manager.run_read(task)
    assert done.args[0].built == [item_id]
    manager.wait()
    with Archive.open(root) as archive:
        level = view_level(archive, item_id, archive.get(item_id)["assets"])
    assert level is not None and level.master_primitives == 20_480 and level.index is not None
    assert [(n, p.name.endswith(f".L{n}.ply"), kind) for n, p, _, kind in level.files] == [
        (1, True, "mesh"), (2, True, "mesh")]
    assert level.files[0][2] <= 4000


def _streamed(tmp_path: Path, targets: tuple[int, ...] = (4000, 1000)) -> tuple[ViewLevels, trimesh.Trimesh]:
    """A 20k-triangle master with small levels and its pick index, as the app would open it."""
    from archive.levels import build_levels

    master = tmp_path / "sphere.ply"
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=50.0)
    mesh.vertices *= 1 + 0.02 * np.sin(mesh.vertices[:, :1] * 0.5)  # not a sphere any level would also hit
    mesh.export(master)
    built = build_levels(master, "cd" * 32, tmp_path / "lv", targets=targets)
    from archive.pickindex import find_pick_index

    index = find_pick_index(tmp_path / "lv", "cd" * 32)
    assert index is not None  # the levels' build makes the master's index too
    files = tuple((lv.level, lv.path, lv.triangles, "mesh") for lv in built)
    return ViewLevels(files, len(mesh.faces), index, master), mesh


def _open(qtbot, viewer: ViewerWidget, levels: ViewLevels, up_axis: str | None = None) -> None:
    with qtbot.waitSignal(viewer.loaded, timeout=60_000):
        viewer.open_levels(levels.level_set(), "mm", up_axis)


def _close(qtbot, viewer: ViewerWidget) -> None:
    viewer.cancel_loading()
    qtbot.waitUntil(lambda: not viewer._tasks and not viewer._inflight, timeout=60_000)
    viewer.deleteLater()


@pytest.fixture
def viewer(qtbot):
    w = ViewerWidget()
    w.resize(480, 360)
    yield w
    _close(qtbot, w)


pytestmark_gl = pytest.mark.skipif(not legacy_available(), reason="no OpenGL context (neither headless EGL nor X)")


@pytestmark_gl
def test_the_coarsest_level_comes_first_then_the_finest_at_rest(qtbot, tmp_path, viewer):
    levels, _ = _streamed(tmp_path)
    _open(qtbot, viewer, levels)
    assert viewer.session.model.path.name.endswith(".L2.ply")  # the first picture: the coarsest
    qtbot.waitUntil(lambda: viewer.session.model.path.name.endswith(".L1.ply"), timeout=60_000)
    assert [lv.primitives for lv in viewer.session.levels] == [len(viewer._stream.stream.loaded[2].triangles)]
    assert "Showing level 1 of 2" in viewer.status.text() and "20,480" in viewer.status.text()
    assert "sphere.ply" in viewer.status.text()  # named as the master, not as a level file


@pytestmark_gl
def test_while_moving_the_status_names_the_lighter_copy_drawn(qtbot, tmp_path, viewer):
    levels, _ = _streamed(tmp_path)
    _open(qtbot, viewer, levels)
    qtbot.waitUntil(lambda: viewer.session.model.path.name.endswith(".L1.ply"), timeout=60_000)
    seen: list[tuple[object, str]] = []  # (what was drawn, the status line then), frame by frame
    viewer.frameRendered.connect(lambda: seen.append((viewer.session.last_frame.get("level"), viewer.status.text())))
    viewer.update_settings(frame_budget_ms=0.01)  # nothing fits: the lightest copy is drawn while moving
    qtbot.waitUntil(lambda: not viewer._inflight, timeout=10_000)  # a rest frame asked meanwhile would win
    viewer.session.camera.orbit(5, 0)
    viewer.request_frame(moving=True)
    qtbot.waitUntil(lambda: any(level == "lod" for level, _ in seen), timeout=10_000)
    lightest = viewer.session.levels[-1].primitives
    moving = [text for level, text in seen if level == "lod"]
    assert all(f"moving: a lighter copy of {lightest:,} triangles is drawn" in t for t in moving)
    assert not any("Showing level" in t for t in moving)  # the rest level is not what is on screen
    viewer.request_frame(moving=False)
    qtbot.waitUntil(lambda: seen[-1][0] == "full", timeout=10_000)
    assert "Showing level 1 of 2" in viewer.status.text() and "moving" not in viewer.status.text()


@pytestmark_gl
def test_moving_cancels_a_finer_level_on_its_way(qtbot, tmp_path, viewer):
    levels, _ = _streamed(tmp_path)
    _open(qtbot, viewer, levels)
    stream = viewer._stream
    qtbot.waitUntil(lambda: stream.task is not None or 1 in stream.stream.loaded, timeout=10_000)
    if stream.task is not None:
        task = stream.task
        viewer.session.camera.orbit(5, 0)
        viewer.moved()
        assert task.cancel.cancelled and stream.stream.pending is None
    viewer.session.camera.orbit(5, 0)
    viewer.moved()  # ...and when the camera rests again the finest level comes
    qtbot.waitUntil(lambda: viewer.session.model.path.name.endswith(".L1.ply"), timeout=60_000)


@pytestmark_gl
def test_picks_land_on_the_master_through_its_index(qtbot, tmp_path, viewer):
    from viewer import Picker
    from viewer.picking import IndexPicker

    levels, mesh = _streamed(tmp_path)
    _open(qtbot, viewer, levels)
    picker = viewer.session.picker
    assert isinstance(picker, IndexPicker)  # never a picker on the lighter copy, never the master loaded
    from viewer.loading import load_model

    master = load_model(levels.master)  # the test's own reference, in the shown level's frame
    reference = Picker(master)
    cam, w, h = viewer.session.camera, viewer.view.width(), viewer.view.height()
    for px, py in [(w / 2, h / 2), (w / 2 + 20, h / 2 - 15)]:
        got, want = viewer.session.pick(px, py, w, h), reference.pick(cam, px, py, w, h)
        assert got is not None and want is not None
        assert np.allclose(viewer.session.file_coordinates(got.point), master.to_file(want.point), atol=1e-4)


@pytestmark_gl
def test_without_an_index_picking_waits_and_says_why(qtbot, tmp_path, viewer):
    from dataclasses import replace

    levels, _ = _streamed(tmp_path)
    _open(qtbot, viewer, replace(levels, index=None))
    assert viewer.session.picker is None
    viewer.click_pick(10, 10)
    assert "index" in viewer.status.text()
    viewer.use_pick_index(levels.index)
    assert viewer.session.picker is not None and "use the full detail" in viewer.status.text()


@pytestmark_gl
def test_the_memory_budget_setting_limits_the_finest_level_shown(qtbot, tmp_path, viewer, monkeypatch):
    from viewer.streaming import level_bytes

    levels, _ = _streamed(tmp_path, targets=(6000, 2000, 500))
    from heritage_app.settings import set_viewer_budget

    room = level_bytes("mesh", 2000) + level_bytes("mesh", 500)
    monkeypatch.setattr("viewer.streaming.MIN_BUDGET", 0)
    set_viewer_budget(room)
    try:
        _open(qtbot, viewer, levels)
        qtbot.waitUntil(lambda: viewer.session.model.path.name.endswith(".L2.ply"), timeout=60_000)
        assert viewer.memory_in_use() <= room
        set_viewer_budget(level_bytes("mesh", 500))  # Settings: less memory for the viewer
        assert viewer.session.model.path.name.endswith(".L3.ply")  # the finer level is dropped at once
        set_viewer_budget(10 * room)
        qtbot.waitUntil(lambda: viewer.session.model.path.name.endswith(".L1.ply"), timeout=60_000)
    finally:
        set_viewer_budget(None)


@pytestmark_gl
def test_this_way_up_reads_the_levels_again_turned(qtbot, tmp_path, viewer):
    levels, _ = _streamed(tmp_path)
    _open(qtbot, viewer, levels)
    with qtbot.waitSignal(viewer.loaded, timeout=60_000):
        assert viewer.set_up_axis("z")
    assert viewer.session.model.up_axis == "z" and viewer.session.model.path.name.endswith(".L2.ply")
    assert viewer.session.picker is not None


@pytestmark_gl
def test_a_big_master_waits_for_its_levels_and_is_never_opened_whole(qtbot, tmp_path, viewer, monkeypatch):
    from types import SimpleNamespace

    import archive.levels as levels
    from heritage_app import levels_task

    monkeypatch.setattr(levels_task, "BIG_TRIANGLES", 10_000)  # the sphere's 20,480 count as big here
    root, item_id = _archive(tmp_path)
    with Archive.open(root) as archive:
        pending = view_level(archive, item_id, archive.get(item_id)["assets"])
        assert pending is not None and pending.pending and pending.index is None
        viewer.open_levels(pending.level_set(), None, None)
        assert viewer.session.model is None and not viewer._tasks  # nothing is read meanwhile
        assert "lighter copies" in viewer.status.text() and "20,480 triangles" in viewer.status.text()
        levels.build_archive_levels(archive, [item_id], None, None, TARGETS)  # what the background task does
        window = SimpleNamespace(detail=SimpleNamespace(viewer=viewer), _shown_id=item_id, archive=archive)
        with qtbot.waitSignal(viewer.loaded, timeout=60_000):
            levels_task._made(window, item_id, pending)
    assert viewer.session.model.path.name.endswith(".L2.ply") and viewer.session.picker is not None
