"""Research records in the 3D view (heritage_app.records_viewer): a measurement saved from the
viewer lands in the master's own frame (a Z-up scan and one far from the origin included), a marked
point keeps its normal, every record is drawn with its line and label, clicking a record flies to
its saved view (or frames it), Save view keeps the camera in an annotation, and an unsaved
measurement is never dropped silently when another item is chosen or the window closes."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest
import trimesh
from PySide6.QtCore import Qt

import heritage_app.viewer_widget  # noqa: F401 - loaded now: the detail pane builds its viewer at once
from heritage_app import dialogs, records_viewer
from viewer.camera import Camera
from viewer.markers import apply_view, camera_to_view, view_from_file, view_to_file
from viewer.model import Model
from viewer.orientation import orient
from viewer.renderer import legacy_available

from .records_support import CENTRE, front_normal, front_point, import_box

pytestmark = pytest.mark.skipif(not legacy_available(), reason="no OpenGL context (neither headless EGL nor X)")


@pytest.fixture(params=["y", "z"])
def up(request) -> str:
    return request.param


@pytest.fixture
def box(small_archive, up) -> int:
    return import_box(small_archive, up)


@pytest.fixture
def win(qtbot, box, small_archive, settings_store, monkeypatch):
    """The window with its 3D viewer, the box shown; the unsaved-measurement question answers
    from ``win.answers`` ("discard" when empty) and is recorded in ``win.asked``."""
    from heritage_app.main_window import MainWindow

    monkeypatch.setenv("HERITAGE_NO_DIALOGS", "1")
    monkeypatch.delenv("HERITAGE_NO_VIEWER", raising=False)
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda *_a: "discard")
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    asked: list[str] = []
    answers: list[str] = []
    monkeypatch.setattr(records_viewer, "ask_unsaved_measurement",
                        lambda _p, what: asked.append(what) or (answers.pop(0) if answers else "discard"))
    window = MainWindow(settings_store)
    window.ops.show_summaries = False
    window.asked, window.answers = asked, answers
    assert window.open_archive(small_archive)
    window.resize(1300, 900)
    window.show()
    qtbot.waitExposed(window)
    show_box(qtbot, window, box)
    yield window
    # Not qtbot.addWidget: pytest-qt would delete the window before the viewer's work is done.
    viewer = window.detail.viewer
    viewer.cancel_loading()
    qtbot.waitUntil(lambda: not viewer._tasks and not viewer._inflight, timeout=60_000)
    window.close()
    window.deleteLater()


def show_box(qtbot, window, box: int) -> None:
    window.view.select_item(box)
    viewer = window.detail.viewer
    qtbot.waitUntil(lambda: viewer.session.model is not None and viewer.session.picker is not None, timeout=60_000)
    qtbot.waitUntil(lambda: viewer.view.image is not None, timeout=60_000)


def click_file_point(win, point: list[float]) -> None:
    """Click the viewer where ``point`` (the master's frame) shows."""
    viewer = win.detail.viewer
    model, cam = viewer.session.model, viewer.session.camera
    x, y = cam.project(model.from_file(np.asarray(point, float))[None, :], viewer.view.width(), viewer.view.height())[0]
    viewer.click_pick(float(x), float(y))


def measure(win, *points: list[float]) -> None:
    win.detail.viewer.toolbar.measure.setChecked(True)
    for p in points:
        click_file_point(win, p)


def views_match(a: dict, b: dict) -> bool:
    same = all(np.allclose(a[k], b[k], atol=1e-6) for k in ("eye", "target", "up"))
    return same and a["fov"] == pytest.approx(b["fov"])


# -- frames ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", ["y", "z", "x", "-y", "-z", "-x"])
def test_points_and_views_go_to_the_file_frame_and_back(axis):
    tm = trimesh.creation.box(extents=[4.0, 2.0, 1.0])
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(tm.vertices), o3d.utility.Vector3iVector(tm.faces))
    model = orient(Model(mesh, "mesh", origin=np.array([20000.0, 0.0, -300.0])), axis)
    up_in_file = {"y": [0, 1, 0], "z": [0, 0, 1], "x": [1, 0, 0], "-y": [0, -1, 0], "-z": [0, 0, -1], "-x": [-1, 0, 0]}
    assert np.allclose(model.rotation @ up_in_file[axis], [0, 1, 0])  # the file's up is the display's +Y
    view = {"eye": [3.0, 4.0, 5.0], "target": [0.5, 0.0, -0.2], "up": [0.0, 1.0, 0.0], "fov": 40.0}
    saved = view_to_file(view, model.to_file, model.rotation)
    assert np.allclose(saved["up"], up_in_file[axis])
    assert np.allclose(saved["target"], model.rotation.T @ np.array(view["target"]) + model.origin)
    assert views_match(view_from_file(saved, model.from_file, model.rotation), view)


def test_a_saved_measurement_is_in_the_masters_frame(win, up):
    a, b = front_point(up, -15, 0), front_point(up, 15, 2)
    measure(win, a, b)
    viewer = win.detail.viewer
    assert viewer.toolbar.save_measurement.isEnabled()
    viewer.toolbar.save_measurement.click()
    [record] = win.archive.records(win._shown_id)
    assert (record["kind"], record["measure"], record["unit"]) == ("measurement", "distance", "mm")
    assert np.allclose(record["points"], [a, b], atol=0.3)  # clicks land on whole pixels
    assert record["value"] == pytest.approx(np.hypot(30, 2), abs=0.5)
    assert viewer.session.measurement.points == [] and not viewer.toolbar.save_measurement.isEnabled()
    assert win.detail.records.tree.topLevelItemCount() == 1


def test_an_angle_is_saved_with_its_three_points(win, up):
    viewer = win.detail.viewer
    viewer.toolbar.measure_kind.setCurrentIndex(viewer.toolbar.measure_kind.findData("angle"))
    viewer.toolbar.measure_kind.activated.emit(viewer.toolbar.measure_kind.currentIndex())
    measure(win, front_point(up, -15, 0), front_point(up, 0, 0))
    assert not viewer.toolbar.save_measurement.isEnabled()  # two of three points
    click_file_point(win, front_point(up, 0, 4))
    assert viewer.records.live_label() == "90.0°"
    assert viewer.records.save_measurement()
    [record] = win.archive.records(win._shown_id)
    assert record["measure"] == "angle" and record["value"] == pytest.approx(90, abs=2)


def test_a_marked_point_becomes_an_annotation_with_its_normal(win, up):
    panel = win.detail.records
    panel.add_button.click()  # "Add annotation…": the next click places it
    assert win.detail.viewer.tool == "landmark"
    click_file_point(win, front_point(up, 4, 1))
    dialog = panel.dialog
    assert dialog is not None and dialog.kind.currentData() == "annotation"
    dialog.titles["title_en"].setText("Chip")
    assert dialog.save()
    [record] = win.archive.records(win._shown_id)
    assert record["kind"] == "annotation" and record["title_en"] == "Chip"
    assert np.allclose(record["points"][0], front_point(up, 4, 1), atol=0.3)
    assert np.allclose(record["normal"], front_normal(up), atol=1e-6)


def test_records_are_drawn_with_lines_and_labels(qtbot, win, box, up):
    win.archive.add_record(box, "measurement", [front_point(up, -15, 0), front_point(up, 15, 0)],
                           measure="distance", title_en="Width")
    win.archive.add_record(box, "landmark", [front_point(up, 0, 3)], title_en="Top mark")
    win.detail.records.reload()
    overlay = win.detail.viewer.marker_overlay()
    labels = sorted(text for _at, text, _c in overlay.labels)
    assert labels == ["Top mark", "Width: 30.00 mm"]
    assert len(overlay.lines) == 1 and len(overlay.dots) == 3
    viewer = win.detail.viewer
    expected = viewer.session.camera.project(viewer.session.model.from_file(np.array(front_point(up, 0, 3)))[None, :],
                                             viewer.view.image.width(), viewer.view.image.height())[0]
    at = next(a for a, text, _c in overlay.labels if text == "Top mark")
    assert np.allclose(at, expected, atol=1.0)


def test_clicking_a_record_flies_to_its_saved_view(qtbot, win, box, up):
    eye = [CENTRE[0] + 60.0, CENTRE[1] - 80.0, CENTRE[2] + 90.0]
    saved = {"eye": eye, "target": list(CENTRE), "up": [0.0, 0.0, 1.0] if up == "z" else [0.0, 1.0, 0.0], "fov": 35.0}
    win.archive.add_record(box, "annotation", [front_point(up, 0, 0)], title_en="Overview", view=saved)
    panel = win.detail.records
    panel.reload()
    viewer = win.detail.viewer
    before = camera_to_view(viewer.session.camera)
    tree = panel.tree
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(tree.topLevelItem(0)).center())
    qtbot.waitUntil(lambda: not viewer._fly_timer.isActive(), timeout=5000)
    model = viewer.session.model
    now = camera_to_view(viewer.session.camera)
    assert not views_match(now, before)
    expected = Camera()
    apply_view(expected, view_from_file(saved, model.from_file, model.rotation))  # its up made square to the sight
    assert views_match(now, camera_to_view(expected))
    assert np.allclose(model.to_file(viewer.session.camera.eye), eye, atol=1e-6)


def test_a_record_without_a_view_is_framed(qtbot, win, box, up):
    win.archive.add_record(box, "landmark", [front_point(up, 12, 3)], title_en="Corner")
    win.detail.records.reload()
    viewer = win.detail.viewer
    win.detail.records.recordActivated.emit(win.archive.records(box)[0])
    qtbot.waitUntil(lambda: not viewer._fly_timer.isActive(), timeout=5000)
    model = viewer.session.model
    assert np.allclose(model.to_file(viewer.session.camera.target), front_point(up, 12, 3), atol=1e-6)


def test_save_view_keeps_the_camera_in_an_annotation(qtbot, win, box, up):
    viewer = win.detail.viewer
    viewer.set_view("right")
    model = viewer.session.model
    expected = view_to_file(camera_to_view(viewer.session.camera), model.to_file, model.rotation)
    save_button = next(b for b in viewer.toolbar.panel.widget().findChildren(type(viewer.toolbar.save_measurement))
                       if b.text() == "Save view")
    save_button.click()
    dialog = win.detail.records.dialog
    assert "with a saved view" in dialog.what.text()
    dialog.titles["title_vi"].setText("Nhìn từ phải")
    assert dialog.save()
    [record] = win.archive.records(box)
    assert views_match(record["view"], expected)
    assert record["points"][0][0] == pytest.approx(CENTRE[0] + 20, abs=0.3)  # on the right face, under the centre
    viewer.set_view("front")
    assert viewer.toolbar.views.count() == 1 and viewer.toolbar.views.itemText(0) == "Nhìn từ phải"
    viewer.toolbar.views.activated.emit(0)
    qtbot.waitUntil(lambda: not viewer._fly_timer.isActive(), timeout=5000)
    assert views_match(view_to_file(camera_to_view(viewer.session.camera), model.to_file, model.rotation), expected)


# -- no silent loss -------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_an_unsaved_measurement_asks_before_another_item_is_shown(win, box, up, answer):
    measure(win, front_point(up, -15, 0), front_point(up, 15, 0))
    win.answers.append(answer)
    other = win.archive.find_by_accession("T-0001")
    win.view.select_item(other)
    assert len(win.asked) == 1 and "30.0" in win.asked[0]
    viewer = win.detail.viewer
    if answer == "cancel":
        assert win._shown_id == box and win.view.selected_ids() == [box]
        assert len(viewer.session.measurement.points) == 2 and viewer.records.has_unsaved()
    else:
        assert win._shown_id == other and not viewer.records.has_unsaved()
    assert len(win.archive.records(box)) == (answer == "save")


def test_closing_with_an_unsaved_measurement_asks_too(win, up):
    measure(win, front_point(up, -15, 0), front_point(up, 15, 0))
    win.answers.append("cancel")
    assert not win.close()
    assert win.isVisible() and len(win.asked) == 1
    win.detail.viewer.records.clear_measurement()


def test_a_single_point_is_not_a_measurement_to_ask_about(win, up):
    measure(win, front_point(up, 0, 0))
    win.view.select_item(win.archive.find_by_accession("T-0001"))
    assert win.asked == []


def test_a_third_click_starts_a_new_distance(win, up):
    measure(win, front_point(up, -15, 0), front_point(up, 15, 0), front_point(up, 0, 2))
    records = win.detail.viewer.records
    assert len(records.points) == 1 and not records.has_unsaved()


def test_the_file_viewer_writes_no_landmarks_file_of_column_names_only(qtbot, tmp_path):
    from heritage_app.viewer_widget import ViewerWidget

    viewer = ViewerWidget()
    qtbot.addWidget(viewer)
    target = tmp_path / "landmarks.csv"
    viewer.export_landmarks(str(target))
    assert not target.exists() and "No landmarks to export" in viewer.status.text()
    viewer.session.landmarks.add("Lip", np.array([1.0, 2.0, 3.0]))
    viewer.export_landmarks(str(target))
    assert target.read_text().splitlines()[1].startswith("Lip,1.0,2.0,3.0")
