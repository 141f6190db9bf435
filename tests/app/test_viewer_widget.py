"""pytest-qt tests of the viewer widget (offscreen; frames come from headless EGL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from heritage_app.viewer_widget import ViewerWidget
from viewer.model import Model
from viewer.renderer import legacy_available

pytestmark = pytest.mark.skipif(not legacy_available(), reason="no OpenGL context (neither headless EGL nor X)")


def _box_model() -> Model:
    tm = trimesh.creation.box(extents=[40.0, 20.0, 10.0])
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(tm.vertices), o3d.utility.Vector3iVector(tm.faces))
    mesh.compute_vertex_normals()
    return Model(mesh, "mesh", units="mm")


@pytest.fixture
def viewer(qtbot) -> ViewerWidget:
    w = ViewerWidget()
    w.resize(640, 520)
    w.show()
    qtbot.waitExposed(w)
    yield w
    # Let background work finish before the widget goes (pytest-qt's addWidget would
    # delete it first), then delete it so the leak check passes.
    w.cancel_loading()
    qtbot.waitUntil(lambda: not w._tasks and not w._inflight, timeout=60_000)
    w.close()
    w.deleteLater()


def _send_mouse(widget, kind: QEvent.Type, pos: QPointF, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    ev = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def _show(qtbot, viewer: ViewerWidget, model: Model) -> None:
    with qtbot.waitSignal(viewer.frameRendered, timeout=60_000):
        viewer.show_model(model)


def test_open_file_loads_and_renders(qtbot, viewer: ViewerWidget, corpus: Path) -> None:
    with qtbot.waitSignal(viewer.loaded, timeout=60_000):
        viewer.open_file(corpus / "odedstein-meshes/nefertiti/nefertiti-lowres.obj")
    qtbot.waitSignal(viewer.frameRendered, timeout=60_000)
    qtbot.waitUntil(lambda: viewer.view.image is not None, timeout=60_000)
    assert "70,000 triangles" in viewer.status.text() or viewer._tasks


def test_bad_file_reports_clear_message(qtbot, viewer: ViewerWidget, corpus: Path) -> None:
    with qtbot.waitSignal(viewer.loadFailed, timeout=30_000) as sig:
        viewer.open_file(corpus / "assimp/invalid/OutOfMemory.off")
    assert "OutOfMemory.off" in sig.args[0]
    assert viewer.status.text() == sig.args[0]


def test_mouse_drag_orbits_camera(qtbot, viewer: ViewerWidget) -> None:
    _show(qtbot, viewer, _box_model())
    front0 = viewer.session.camera.front.copy()
    view = viewer.view
    _send_mouse(view, QEvent.Type.MouseButtonPress, QPointF(100, 100), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(viewer.frameRendered, timeout=30_000):
        _send_mouse(view, QEvent.Type.MouseMove, QPointF(160, 110), Qt.MouseButton.LeftButton)
    _send_mouse(view, QEvent.Type.MouseButtonRelease, QPointF(160, 110), Qt.MouseButton.NoButton)
    angle = np.degrees(np.arccos(np.clip(front0 @ viewer.session.camera.front, -1, 1)))
    assert angle == pytest.approx(np.hypot(60, 10) * 0.4, rel=0.05)


def test_wheel_zooms(qtbot, viewer: ViewerWidget) -> None:
    _show(qtbot, viewer, _box_model())
    d0 = viewer.session.camera.distance
    qtbot.keyClick(viewer.view, Qt.Key.Key_Plus)
    assert viewer.session.camera.distance < d0


def test_measure_tool_reports_distance(qtbot, viewer: ViewerWidget) -> None:
    _show(qtbot, viewer, _box_model())
    viewer.set_tool("measure")
    cam, w, h = viewer.session.camera, viewer.view.width(), viewer.view.height()
    a, b = np.array([-15.0, 0.0, 5.0]), np.array([15.0, 3.0, 5.0])  # on the front face
    (ax, ay), (bx, by) = cam.project(np.stack([a, b]), w, h)
    viewer.click_pick(ax, ay)
    with qtbot.waitSignal(viewer.measured, timeout=10_000) as sig:
        viewer.click_pick(bx, by)
    assert sig.args[1] == "mm"
    assert sig.args[0] == pytest.approx(np.linalg.norm(b - a), abs=1e-6)
    assert "mm" in viewer.status.text()


def test_click_with_mouse_in_measure_mode(qtbot, viewer: ViewerWidget) -> None:
    _show(qtbot, viewer, _box_model())
    viewer.toolbar.measure.setChecked(True)
    cam, w, h = viewer.session.camera, viewer.view.width(), viewer.view.height()
    px = cam.project(np.array([[0.0, 0.0, 5.0], [10.0, 0.0, 5.0]]), w, h)
    for x, y in px[:1]:
        qtbot.mouseClick(viewer.view, Qt.MouseButton.LeftButton, pos=QPointF(x, y).toPoint())
    with qtbot.waitSignal(viewer.measured, timeout=10_000) as sig:
        x, y = px[1]
        qtbot.mouseClick(viewer.view, Qt.MouseButton.LeftButton, pos=QPointF(x, y).toPoint())
    assert sig.args[0] == pytest.approx(10.0, abs=0.2)  # clicks land on whole pixels


def test_section_toggle_applies_settings(qtbot, viewer: ViewerWidget) -> None:
    _show(qtbot, viewer, _box_model())
    with qtbot.waitSignal(viewer.frameRendered, timeout=30_000):
        viewer.toolbar.section.setChecked(True)
    assert viewer.session.settings.section_enabled


def test_snapshot_writes_png(qtbot, viewer: ViewerWidget, tmp_path: Path) -> None:
    _show(qtbot, viewer, _box_model())
    out = tmp_path / "snap.png"
    viewer.save_snapshot(str(out), 320, 240)
    from PIL import Image

    assert Image.open(out).size == (320, 240)


# -- stale model and "this way up" ----------------------------------------------------------
def _tall_model(path: Path) -> Model:
    model = _box_model()
    model.path = path
    return model


def test_a_late_model_of_the_previous_item_is_never_shown(qtbot, viewer: ViewerWidget, monkeypatch,
                                                          tmp_path: Path) -> None:
    """Select A, then B before A's load finishes: B's model shows, A's late result is dropped."""
    import threading

    import heritage_app.viewer_tasks as tasks

    a_may_finish = threading.Event()
    models = {"a.ply": _tall_model(tmp_path / "a.ply"), "b.ply": _tall_model(tmp_path / "b.ply")}

    def slow_for_a(path: Path, **_kwargs: object) -> Model:
        if path.name == "a.ply":
            a_may_finish.wait(30)  # a loader that does not look at its cancel token
        return models[path.name]

    monkeypatch.setattr(tasks, "load_model_isolated", slow_for_a)
    _show(qtbot, viewer, _box_model())  # the item shown before
    viewer.open_file(tmp_path / "a.ply")
    assert viewer.session.model is None and viewer.view.image is None  # the old model is gone at once
    with qtbot.waitSignal(viewer.loaded, timeout=30_000) as shown:
        viewer.open_file(tmp_path / "b.ply")
    assert shown.args[0] is models["b.ply"]
    a_may_finish.set()
    qtbot.waitUntil(lambda: not any(isinstance(t, tasks.LoadModelTask) for t in viewer._tasks), timeout=30_000)
    qtbot.wait(50)
    assert viewer.session.model is models["b.ply"]


def test_loading_shows_the_new_items_thumbnail(qtbot, viewer: ViewerWidget, monkeypatch, tmp_path: Path) -> None:
    import threading

    from PySide6.QtGui import QImage

    import heritage_app.viewer_tasks as tasks

    release = threading.Event()
    monkeypatch.setattr(tasks, "load_model_isolated", lambda path, **_k: (release.wait(30), _box_model())[1])
    _show(qtbot, viewer, _box_model())
    thumb = QImage(32, 32, QImage.Format.Format_RGB888)
    thumb.fill(Qt.GlobalColor.red)
    viewer.open_file(tmp_path / "b.ply", preview=thumb)
    shot = viewer.view.grab().toImage()
    centre = shot.pixelColor(shot.width() // 2, shot.height() // 2)
    release.set()
    assert (centre.red(), centre.green(), centre.blue()) == (255, 0, 0)


def test_this_way_up_turns_the_model_and_says_so(qtbot, viewer: ViewerWidget) -> None:
    tm = trimesh.creation.box(extents=[10.0, 10.0, 100.0])  # a Z-up scan, long along Z
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(tm.vertices), o3d.utility.Vector3iVector(tm.faces))
    mesh.compute_vertex_normals()
    _show(qtbot, viewer, Model(mesh, "mesh", units="mm"))
    assert viewer.session.model.dimensions[1] == pytest.approx(10.0)  # lying on its side
    with qtbot.waitSignal(viewer.upAxisChosen, timeout=5_000) as chosen:
        index = viewer.toolbar.up_axis.findData("z")
        viewer.toolbar.up_axis.activated.emit(index)
    assert chosen.args == ["z"]
    assert viewer.session.model.dimensions[1] == pytest.approx(100.0)  # standing up
    assert viewer.toolbar.up_axis.currentData() == "z"
