"""The viewer is big enough to work in: the first window takes a good share of the screen,
the viewer most of the detail pane, and its working tools sit in view, not behind "››"."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication


def _new_window(qtbot, settings_store):
    from heritage_app.main_window import MainWindow

    win = MainWindow(settings_store)
    qtbot.addWidget(win)
    return win


def test_first_run_opens_at_85_percent_of_the_screen_centred(qtbot, settings_store) -> None:
    win = _new_window(qtbot, settings_store)
    available = win.screen().availableGeometry()
    assert win.width() == pytest.approx(available.width() * 0.85, abs=2)
    assert win.height() == pytest.approx(available.height() * 0.85, abs=2)
    centre = win.geometry().center()
    assert abs(centre.x() - available.center().x()) <= 2 and abs(centre.y() - available.center().y()) <= 2


def test_a_saved_window_size_wins_over_the_first_run_size(qtbot, settings_store) -> None:
    first = _new_window(qtbot, settings_store)
    first.resize(500, 400)
    first._save_layout()
    again = _new_window(qtbot, settings_store)
    assert (again.width(), again.height()) == (500, 400)


def test_the_detail_pane_and_its_viewer_take_most_of_the_room(qtbot, window) -> None:
    from heritage_app.main_window import MainWindow

    fresh = window  # opened on a fresh settings file: the first-run layout
    fresh.resize(fresh.screen().availableGeometry().size() * MainWindow.FIRST_RUN_SHARE)
    fresh.show()
    qtbot.waitExposed(fresh)
    catalogue_min = fresh.splitter.widget(0).minimumSizeHint().width()  # the search bar's filter row

    def detail_has_its_share() -> bool:
        catalogue, detail = fresh.splitter.sizes()
        return detail >= 0.6 * (catalogue + detail) - 2 or catalogue <= catalogue_min

    qtbot.waitUntil(detail_has_its_share)
    qtbot.waitUntil(lambda: fresh.detail.splitter.sizes()[0] >= 2 * fresh.detail.splitter.sizes()[1])


def test_a_saved_viewer_height_is_kept(qtbot, window, settings_store) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.detail.splitter.setSizes([150, 450])
    window._save_layout()
    again = _new_window(qtbot, settings_store)
    again.show()
    qtbot.waitExposed(again)
    viewer, tabs = again.detail.splitter.sizes()
    assert viewer < tabs


@pytest.mark.skipif(not __import__("viewer.renderer").renderer.legacy_available(), reason="no OpenGL context")
def test_light_section_and_measuring_are_in_view_beside_the_model(qtbot) -> None:
    from heritage_app.main_window import MainWindow
    from heritage_app.viewer_widget import ViewerWidget

    screen = QApplication.primaryScreen().availableGeometry()
    viewer = ViewerWidget()
    # The pane's share of a first-run window: 60 % of the width, 70 % of the height.
    share = MainWindow.FIRST_RUN_SHARE
    viewer.resize(int(screen.width() * share * 0.6), int(screen.height() * share * 0.7))
    viewer.show()
    qtbot.waitExposed(viewer)
    bar = viewer.toolbar
    for control in (bar.azimuth, bar.elevation, bar.light, bar.section, bar.axis, bar.offset, bar.measure,
                    bar.landmark):
        assert control.isVisible(), control
        assert bar.panel.isAncestorOf(control)  # in the panel, not an overflow menu
    assert bar.offset.maximum() > bar.offset.minimum()  # the section has a position control
    assert viewer.view.width() > bar.panel.width()
    bar.tools_toggle.setChecked(False)
    assert not bar.panel.isVisible()
    viewer.close()
    viewer.deleteLater()
