"""The compare dialog in the app (heritage_app.compare_dialog): it offers the item's scan versions
and other items' scans (read through Archive.readable), passes typed or picked point pairs to the
comparison, keeps a comparison in the archive and lists it, shows a kept one's heat map again
(rebuilding its derived files when they went missing) and deletes one when asked. Real scans and
real comparisons: a sphere, then the sphere dented by 4 mm as its second version."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from archive import Archive
from heritage_app.compare_dialog import CompareDialog
from heritage_app.compare_pairs import COMPARED, REFERENCE, format_point, parse_point
from tests.app.compare_scans import DENT_DEPTH, import_versions
from viewer.loading import load_model


@pytest.fixture
def archive(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Archive.create(tmp_path / "archive") as a:
        yield a


@pytest.fixture
def item(archive: Archive, tmp_path: Path) -> int:
    return import_versions(archive, tmp_path / "scans", subdivisions=3)


class Shown:
    """Stands for the viewer's ``show_model``: what the dialog asked it to show."""

    def __init__(self) -> None:
        self.models: list[Any] = []

    def __call__(self, model: Any) -> None:
        self.models.append(model)


def _dialog(qtbot, archive: Archive, item: int, shown: Shown | None = None) -> CompareDialog:
    on_screen = load_model(archive.readable_master(item), units="mm")
    dialog = CompareDialog(on_screen, show_heat_map=shown, archive_getter=lambda: archive, item=archive.get(item))
    qtbot.addWidget(dialog)
    return dialog


def _run(qtbot, dialog: CompareDialog) -> None:
    dialog.result = None
    dialog.run()
    assert dialog.task is not None, dialog.summary.text()
    with qtbot.waitSignal(dialog.task.signals.finished, timeout=120_000):
        pass
    assert dialog.result is not None, dialog.summary.text()


def test_the_items_versions_are_offered_older_against_newer(qtbot, archive, item):
    dialog = _dialog(qtbot, archive, item)
    texts = [dialog.reference_box.itemText(i) for i in range(dialog.reference_box.count())]
    assert len(texts) == 2 and texts[0].startswith("Version 1: sphere.ply") and "sphere-dented.ply" in texts[1]
    v1, v2 = (a for a in archive.assets(item))
    reference, compared = dialog.source(REFERENCE), dialog.source(COMPARED)
    assert (reference.asset_id, compared.asset_id) == (v1["id"], v2["id"])
    assert reference.path == str(archive.readable(v1).main) and compared.units == "mm"


def test_other_items_are_found_and_offered(qtbot, archive, item, tmp_path):
    box = tmp_path / "box" / "hop-go.ply"
    box.parent.mkdir()
    trimesh.creation.box((60.0, 40.0, 30.0)).export(box)
    from archive import ImportOptions

    other = archive.import_paths([box], ImportOptions(title="Hộp gỗ sơn son")).imported[0]
    dialog = _dialog(qtbot, archive, item)
    dialog.find_box.setText("hop go")  # accents aside, as the catalogue's search
    assert dialog.find_items() == 1
    assert "Hộp gỗ sơn son" in dialog.compared_box.currentText()
    assert dialog.source(COMPARED).asset_id == archive.assets(other)[0]["id"]
    dialog.find_box.setText("nothing like it")
    assert dialog.find_items() == 0 and "No other item" in dialog.summary.text()


def test_a_comparison_of_two_versions_finds_the_dent(qtbot, archive, item):
    dialog = _dialog(qtbot, archive, item)
    _run(qtbot, dialog)
    c, _compared = dialog.result
    assert c.summary()["max"] == pytest.approx(DENT_DEPTH, rel=0.05) and c.summary()["min_signed"] < 0
    assert "95th percentile" in dialog.summary.text() and "mm" in dialog.summary.text()
    assert not dialog.legend.pixmap().isNull() and not dialog.histogram.pixmap().isNull()
    assert dialog.keep_button.isEnabled()


def test_typed_point_pairs_are_passed_to_the_comparison(qtbot, archive, item):
    dialog = _dialog(qtbot, archive, item)
    pairs = [[[50, 0, 0], [50.6, -0.4, 0.3]], [[0, 50, 0], [0.6, 49.5695, 2.045]],
             [[-50, 0, 0], [-49.4, -0.4, 0.3]]]
    for row, (a, b) in enumerate(pairs):
        dialog.pairs.set_point(REFERENCE, row, a)
        dialog.pairs.set_point(COMPARED, row, b)
    assert dialog.params().pairs == [[[float(v) for v in p] for p in pair] for pair in pairs]
    _run(qtbot, dialog)
    assert dialog.result[0].params.pairs == dialog.params().pairs
    assert dialog.result[0].summary()["max"] == pytest.approx(DENT_DEPTH, rel=0.05)


def test_too_few_or_half_filled_pairs_are_said_and_nothing_runs(qtbot, archive, item):
    dialog = _dialog(qtbot, archive, item)
    dialog.pairs.set_point(REFERENCE, 0, [1, 2, 3])
    dialog.pairs.set_point(COMPARED, 0, [1, 2, 3])
    dialog.pairs.set_point(REFERENCE, 1, [4, 5, 6])
    dialog.run()
    assert dialog.task is None and "Pair 2 needs a point on each scan" in dialog.summary.text()
    dialog.pairs.set_point(COMPARED, 1, [4, 5, 6])
    dialog.run()
    assert dialog.task is None and "at least three pairs" in dialog.summary.text()


def test_the_same_scan_twice_is_refused(qtbot, archive, item):
    dialog = _dialog(qtbot, archive, item)
    dialog.compared_box.setCurrentIndex(dialog.reference_box.currentIndex())
    dialog.run()
    assert dialog.task is None and "two different scans" in dialog.summary.text()


def test_kept_in_the_archive_then_listed_and_shown_again(qtbot, archive, item):
    shown = Shown()
    dialog = _dialog(qtbot, archive, item, shown)
    assert dialog.saved.tree.topLevelItemCount() == 0 and dialog.saved.empty.isVisibleTo(dialog)
    _run(qtbot, dialog)
    comparison_id = dialog.keep()
    assert comparison_id is not None and not dialog.keep_button.isEnabled()
    kept = archive.comparison(comparison_id)
    assert {"deviations.npz", "report.html"} <= set(kept["files"])
    assert kept["summary"]["max"] == pytest.approx(dialog.result[0].summary()["max"])
    assert dialog.saved.tree.topLevelItemCount() == 1 and dialog.saved.current()["id"] == comparison_id
    row = dialog.saved.tree.topLevelItem(0)
    assert "v2 (sphere-dented.ply)" in row.text(1) and "v1 (sphere.ply)" in row.text(2) and "mm" in row.text(3)
    dialog.result = None
    dialog.saved.show_selected()
    with qtbot.waitSignal(dialog.task.signals.finished, timeout=120_000):
        pass
    assert dialog.result is not None and shown.models, dialog.summary.text()
    colours = np.asarray(shown.models[-1].geometry.vertex_colors)
    assert (colours[:, 2] - colours[:, 0] > 0.3).any()  # the dent, blue (material lost)


def test_a_kept_comparison_without_its_files_is_run_again(qtbot, archive, item):
    dialog = _dialog(qtbot, archive, item, Shown())
    _run(qtbot, dialog)
    comparison_id = dialog.keep()
    folder = Path(archive.comparison(comparison_id)["folder"])
    shutil.rmtree(folder)
    dialog.saved.reload(select=comparison_id)
    dialog.saved.show_selected()
    with qtbot.waitSignal(dialog.task.signals.finished, timeout=120_000):
        pass
    assert "deviations.npz" in archive.comparison(comparison_id)["files"]
    assert dialog.result[0].summary()["rms"] == pytest.approx(archive.comparison(comparison_id)["summary"]["rms"],
                                                              rel=1e-6)


def test_deleting_a_kept_comparison_asks_first(qtbot, archive, item):
    dialog = _dialog(qtbot, archive, item)
    _run(qtbot, dialog)
    comparison_id = dialog.keep()
    dialog.saved.tree.setCurrentItem(dialog.saved.tree.topLevelItem(0))
    assert not dialog.saved.delete_selected(confirm=lambda *_: False)
    assert archive.comparison(comparison_id)
    assert dialog.saved.delete_selected(confirm=lambda *_: True)
    assert archive.comparisons(item) == [] and dialog.saved.tree.topLevelItemCount() == 0


def test_without_an_archive_a_file_is_compared_and_nothing_is_kept(qtbot, tmp_path):
    from tests.app.compare_scans import write_versions

    first, second = write_versions(tmp_path / "scans", subdivisions=3)
    dialog = CompareDialog(load_model(first, units="mm"))
    qtbot.addWidget(dialog)
    assert dialog.saved is None
    dialog.add_file(str(second))
    _run(qtbot, dialog)
    assert not dialog.keep_button.isEnabled() and dialog.keep() is None
    assert dialog.save_report(str(tmp_path / "report")) == tmp_path / "report" / "report.html"


@pytest.mark.parametrize(("text", "point"), [("1, 2, 3", [1.0, 2.0, 3.0]), ("1.5;-2 3e2", [1.5, -2.0, 300.0]),
                                             ("1, 2", None), ("a, b, c", None), ("1, 2, nan", None)])
def test_typed_points(text, point):
    assert parse_point(text) == point


def test_points_are_written_back_to_a_micrometre():
    assert format_point([512345.678912, -0.5, 2.0]) == "512345.678912, -0.5, 2"


def test_points_picked_on_each_scan_fill_their_column(qtbot, archive, item, monkeypatch):
    """The pick view shows the reference, then the compared scan; a click fills the next cell of
    that scan's column with the point in its own file's coordinates, marked by its number."""
    from viewer.renderer import legacy_available

    if not legacy_available():
        pytest.skip("no OpenGL context (neither headless EGL nor X)")
    monkeypatch.delenv("HERITAGE_NO_VIEWER", raising=False)
    dialog = _dialog(qtbot, archive, item)
    dialog.resize(900, 900)
    dialog.show()
    qtbot.waitExposed(dialog)
    for side in (REFERENCE, COMPARED):
        dialog.pairs.pick_on(side)
        view = dialog.pairs.view
        path = dialog.pairs.shown[0]
        qtbot.waitUntil(lambda v=view, p=path: v.session.model is not None and str(v.session.model.path) == p
                        and v.session.picker is not None, timeout=60_000)
        qtbot.waitUntil(lambda v=view: v.view.image is not None and not v._inflight, timeout=60_000)
        view.click_pick(view.view.width() / 2, view.view.height() / 2)
        point = parse_point(dialog.pairs.table.item(0, side).text())
        centre = np.array([0.6, -0.4, 0.3]) * side  # the dented copy was moved a little
        assert point is not None and np.linalg.norm(np.asarray(point) - centre) == \
            pytest.approx(50.0, abs=DENT_DEPTH + 0.5)  # on the sphere
        assert [m.label for m in view.overlay_records] == ["1"]
    assert dialog.pairs.table.rowCount() == 1
    view.cancel_loading()
    qtbot.waitUntil(lambda: not view._tasks and not view._inflight, timeout=60_000)
    dialog.close()


def test_the_window_opens_the_dialog_on_the_shown_item(qtbot, tmp_path, settings_store, monkeypatch):
    """Compare… in the viewer of the window knows the shown item and the open archive, shows the
    heat map in that viewer and turns it to the dent."""
    from viewer.renderer import legacy_available

    if not legacy_available():
        pytest.skip("no OpenGL context (neither headless EGL nor X)")
    import heritage_app.viewer_widget  # noqa: F401 - loaded now: the detail pane builds its viewer at once
    from heritage_app.main_window import MainWindow

    root = tmp_path / "archive"
    with Archive.create(root) as archive:
        item = import_versions(archive, tmp_path / "scans", subdivisions=3)
    monkeypatch.setenv("HERITAGE_NO_DIALOGS", "1")
    monkeypatch.delenv("HERITAGE_NO_VIEWER", raising=False)
    window = MainWindow(settings_store)
    window.ops.show_summaries = False
    assert window.open_archive(root)
    window.resize(1300, 900)
    window.show()
    qtbot.waitExposed(window)
    window.view.select_item(item)
    viewer = window.detail.viewer
    qtbot.waitUntil(lambda: viewer.session.model is not None and viewer.session.picker is not None, timeout=60_000)
    dialog = viewer.open_compare()
    try:
        assert dialog.item["id"] == item and dialog.reference_box.count() == 2
        _run(qtbot, dialog)
        dialog.heat_button.click()
        assert viewer.session.model.has_colors
        qtbot.waitUntil(lambda: not viewer._fly_timer.isActive(), timeout=5000)
        shown, camera = viewer.session.model, viewer.session.camera
        dev = np.abs(dialog.result[0].deviations)
        dent = np.asarray(shown.vertices)[dev >= 0.5 * dev.max()].mean(axis=0)  # a sphere aligns turned anyhow
        np.testing.assert_allclose(camera.target, dent, atol=1e-6)
        outward, seen_from = dent - shown.center, camera.eye - camera.target
        assert outward @ seen_from / np.linalg.norm(outward) / np.linalg.norm(seen_from) > 0.5  # from outside
        assert dialog.keep() is not None and window.archive.comparisons(item)
    finally:
        dialog.close()
        dialog.deleteLater()
        viewer.cancel_loading()
        qtbot.waitUntil(lambda: not viewer._tasks and not viewer._inflight, timeout=60_000)
        window.close()
        window.deleteLater()
