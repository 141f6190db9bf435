"""Writing research records follows what the user may do (heritage_app.permissions): on read-only
media (and for a team archive's viewer role, through the same reason) the Records tab's Add
annotation / Edit / Delete and the 3D view's Save measurement, Mark a point and Save view are greyed
out with the reason as tooltip; measuring, listing and exporting stay."""

from __future__ import annotations

import pytest

import heritage_app.viewer_widget  # noqa: F401 - loaded now: the detail pane builds its viewer at once
from viewer.renderer import legacy_available

from .records_support import import_box
from .test_records_viewer import show_box

REASON = "The archive is on read-only media: you cannot edit items."


@pytest.fixture
def open_with_viewer(qtbot, small_archive, settings_store, monkeypatch):
    """``open_with_viewer(read_only)``: the window with its 3D viewer on ``small_archive``, the box shown."""
    from archive import Archive, health
    from heritage_app.main_window import MainWindow

    box = import_box(small_archive)
    with Archive.open(small_archive) as archive:
        archive.add_record(box, "landmark", [[20000.0, 5000.0, 305.0]], title_en="Corner")
    monkeypatch.setenv("HERITAGE_NO_DIALOGS", "1")
    monkeypatch.delenv("HERITAGE_NO_VIEWER", raising=False)
    windows = []

    def make(read_only: bool):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(health, "probe_writable", lambda _folder: not read_only)
        window = MainWindow(settings_store)
        window.ops.show_summaries = False
        windows.append(window)
        assert window.open_archive(small_archive)
        window.show()
        qtbot.waitExposed(window)
        show_box(qtbot, window, box)
        window.detail.records.select_record(window.detail.records.records[0]["id"])
        return window

    yield make
    for window in windows:
        viewer = window.detail.viewer
        viewer.cancel_loading()
        qtbot.waitUntil(lambda v=viewer: not v._tasks and not v._inflight, timeout=60_000)
        window.close()
        window.deleteLater()


pytestmark = pytest.mark.skipif(not legacy_available(), reason="no OpenGL context (neither headless EGL nor X)")


def test_read_only_media_grey_out_every_record_write_with_the_reason(open_with_viewer):
    win = open_with_viewer(read_only=True)
    panel, toolbar = win.detail.records, win.detail.viewer.toolbar
    for button in (panel.add_button, panel.edit_button, panel.delete_button,
                   toolbar.landmark, toolbar.save_view_button, toolbar.save_measurement):
        assert not button.isEnabled(), button.text()
        assert button.toolTip() == REASON, button.text()
    assert panel.export_button.isEnabled() and toolbar.measure.isEnabled()  # reading and measuring stay
    assert panel.edit_record() is None and panel.note.text() == REASON  # a double-click says why
    assert win.detail.viewer.records.save_view() is None


def test_a_writable_archive_keeps_the_record_actions(open_with_viewer):
    win = open_with_viewer(read_only=False)
    panel, toolbar = win.detail.records, win.detail.viewer.toolbar
    for button in (panel.add_button, panel.edit_button, panel.delete_button, toolbar.landmark,
                   toolbar.save_view_button):
        assert button.isEnabled(), button.text()
    assert toolbar.save_view_button.toolTip() == "Keep this camera position to come back to"
