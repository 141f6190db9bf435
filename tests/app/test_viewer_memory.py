"""Settings › 3D viewer memory: the budget is kept between sessions, applied at once, and the
dialog says what the scan on screen takes now."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from heritage_app.settings import MB, automatic_viewer_budget, set_viewer_budget, viewer_budget
from heritage_app.viewer_memory_dialog import ViewerMemoryDialog

GB = 1024 * MB


@pytest.fixture(autouse=True)
def automatic_afterwards():
    yield
    set_viewer_budget(None)


@pytest.mark.parametrize(("total", "expected"), [(4 * GB, 512 * MB), (8 * GB, 1 * GB), (64 * GB, 2 * GB)])
def test_the_automatic_budget_is_an_eighth_of_the_machine_within_bounds(total, expected):
    assert automatic_viewer_budget(total) == expected


def test_the_budget_chosen_in_settings_is_kept_and_applied(qtbot, window, settings_store):
    window.set_viewer_memory(768)
    assert viewer_budget() == 768 * MB
    assert settings_store.load().viewer_memory_mb == 768  # the next session starts with it
    window.set_viewer_memory(0)
    assert viewer_budget() == automatic_viewer_budget()


def test_the_dialog_edits_the_budget_from_the_settings_menu(qtbot, window):
    dialog = window.open_viewer_memory()
    try:
        assert "Automatic" in dialog.spin.text()
        assert "no scan is open" in dialog.use.text()  # this window has no 3D view (HERITAGE_NO_VIEWER)
        dialog.spin.setValue(1024)
        dialog.accept()
        assert viewer_budget() == 1024 * MB and window.settings.viewer_memory_mb == 1024
    finally:
        dialog.deleteLater()


def test_the_dialog_shows_what_the_scan_on_screen_takes(qtbot):
    viewer = SimpleNamespace(session=SimpleNamespace(model=object()), memory_in_use=lambda: 300 * MB)
    dialog = ViewerMemoryDialog(512, viewer)
    qtbot.addWidget(dialog)
    assert dialog.use.text() == "300 MB of 512 MB"
    dialog.spin.setValue(0)
    assert dialog.use.text() == f"300 MB of {automatic_viewer_budget() // MB:,} MB"


def test_a_textured_scan_without_levels_counts_its_texture(qtbot):
    """What the dialog shows for a textured master opened whole must include its images."""
    import numpy as np
    import open3d as o3d
    import trimesh

    from heritage_app.viewer_widget import ViewerWidget
    from viewer.model import Model

    tm = trimesh.creation.icosphere(subdivisions=3)

    def model(textured: bool) -> Model:
        mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(tm.vertices), o3d.utility.Vector3iVector(tm.faces))
        if textured:
            mesh.triangle_uvs = o3d.utility.Vector2dVector(np.zeros((3 * len(tm.faces), 2)))
            mesh.triangle_material_ids = o3d.utility.IntVector(np.zeros(len(tm.faces), dtype=np.int32))
            mesh.textures = [o3d.geometry.Image(np.zeros((2048, 1024, 3), dtype=np.uint8))]
        return Model(mesh, "mesh", units="mm")

    viewer = ViewerWidget()
    qtbot.addWidget(viewer)
    used = []
    for textured in (False, True):
        viewer.session.set_model(model(textured))
        assert viewer.session.model.textured is textured
        used.append(viewer.memory_in_use())
    assert used[1] - used[0] >= 2048 * 1024 * 3  # at least the image's own bytes
