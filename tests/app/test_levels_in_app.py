"""Levels of detail in the app: chosen for the viewer, built by a background task, and the
viewer showing a level picks on the master (or says it cannot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from archive import Archive
from heritage_app.levels_task import LevelPicking, ViewLevel, levels_task, view_level
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
    assert level is not None and level.primitives <= 4000 and level.master_primitives == 20_480
    assert level.path.name.endswith(".L1.ply") and level.kind == "mesh"


@pytest.mark.skipif(not legacy_available(), reason="no OpenGL context (neither headless EGL nor X)")
def test_a_shown_level_picks_on_the_master(qtbot, tmp_path):
    from archive.levels import build_levels

    master = tmp_path / "sphere.ply"
    trimesh.creation.icosphere(subdivisions=5).export(master)
    built = build_levels(master, "cd" * 32, tmp_path / "lv", targets=(500,))
    level = ViewLevel(built[0].path, built[0].triangles, 20_480, "mesh")
    viewer = ViewerWidget()
    picking = LevelPicking(viewer)
    try:
        picking.show(level, master, None)
        with qtbot.waitSignal(viewer.loaded, timeout=120_000):
            viewer.open_file(level.path)
        assert viewer.session.picker is None  # nothing is measured on the lighter copy
        qtbot.waitUntil(lambda: viewer.session.picker is not None, timeout=120_000)
        assert len(viewer.session.picker.model.triangles) == 20_480
        assert "Showing a lighter copy" in viewer.status.text() and "20,480" in viewer.status.text()
        viewer._show_model_status()  # what the viewer does when its own smooth-turning copy is ready
        assert "Showing a lighter copy" in viewer.status.text()
    finally:
        viewer.cancel_loading()
        qtbot.waitUntil(lambda: not viewer._tasks and not viewer._inflight, timeout=60_000)
        viewer.deleteLater()


@pytest.mark.skipif(not legacy_available(), reason="no OpenGL context (neither headless EGL nor X)")
def test_a_master_that_cannot_load_turns_picking_off_and_says_so(qtbot, tmp_path):
    from archive.levels import build_levels

    master = tmp_path / "sphere.ply"
    trimesh.creation.icosphere(subdivisions=5).export(master)
    level_info = build_levels(master, "ef" * 32, tmp_path / "lv", targets=(500,))[0]
    master.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 3\nend_header\n")  # damaged since
    viewer = ViewerWidget()
    picking = LevelPicking(viewer)
    try:
        picking.show(ViewLevel(level_info.path, level_info.triangles, 20_480, "mesh"), master, None)
        with qtbot.waitSignal(viewer.loaded, timeout=120_000):
            viewer.open_file(level_info.path)
        qtbot.waitUntil(lambda: "picking and measuring are off" in viewer.status.text(), timeout=120_000)
        assert viewer.session.picker is None and np.isfinite(viewer.session.model.vertices).all()
    finally:
        viewer.cancel_loading()
        qtbot.waitUntil(lambda: not viewer._tasks and not viewer._inflight, timeout=60_000)
        viewer.deleteLater()
