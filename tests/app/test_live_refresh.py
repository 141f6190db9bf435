"""Another user's changes reach an open window without a restart (heritage_app.live_refresh):
the catalogue rows, the search result (selection and scroll kept), the detail pane with who
changed the item last; unsaved edits are never overwritten: a bar says who changed the item and
offers Reload, and a save asks about each field both changed, with both values. On SQLite the
window polls the event log; on a team archive a PostgreSQL notice wakes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel

from archive import Archive, StorageError
from heritage_app import dialogs
from heritage_app.catalogue_model import CatalogueModel
from heritage_app.live_refresh import BACKOFF_MS, POLL_MS


@pytest.fixture
def other_user(small_archive):
    """The same archive opened by someone else (another PC, another process)."""
    with Archive.open(small_archive, agent="binh") as archive:
        yield archive


def shown(window, accession: str) -> int:
    item_id = window.archive.find_by_accession(accession)
    window.view.select_item(item_id)
    assert window._shown_id == item_id
    return item_id


def look(qtbot, window) -> None:
    """One look for changes, and the search run again that it started."""
    with qtbot.waitSignal(window.live.requeried, timeout=5000):
        window.live.check()


def row_title(window, item_id: int) -> str:
    return window.model.display_row(window.model.row_of(item_id))["title_vi"]


def test_an_edit_elsewhere_reaches_the_catalogue_and_the_detail_pane_on_the_timer(qtbot, window, other_user):
    item_id = shown(window, "T-0002")
    row_title(window, item_id)  # cached now: the repaint must fetch it again
    assert window.live.timer.isActive() and window.live.timer.interval() == POLL_MS
    other_user.update(item_id, {"title_vi": "Bình men lam (sửa)", "culture": "Champa"})
    qtbot.waitUntil(lambda: window.detail.editor.rows["culture"].editor.raw() == "Champa", timeout=POLL_MS + 3000)
    assert row_title(window, item_id) == "Bình men lam (sửa)"
    assert "Last changed by binh" in window.detail.title.text()
    assert "Bình men lam (sửa)" in window.detail.title.text()
    assert not window.detail.editor.is_dirty() and window.live.bar.isHidden()
    assert window.detail.history.topLevelItem(0).text(1) == "binh"  # newest first


def test_new_and_deleted_items_keep_the_selection_and_the_scroll_place(qtbot, window, other_user):
    other_user.add_items([{"kind": "other", "title_en": f"Thing {n:03d}"} for n in range(300)])
    look(qtbot, window)
    assert window.model.rowCount() == 305
    window.set_view_mode("table")
    table = window.view.table
    middle = window.model.item_id(150)
    window.view.select_item(middle)
    table.verticalScrollBar().setValue(table.verticalScrollBar().value() + 40)
    scrolled = table.verticalScrollBar().value()
    resets: list[bool] = []
    window.model.modelReset.connect(lambda: resets.append(True))
    gone = window.model.item_id(200)
    other_user.delete(gone, confirmed=True)
    added = other_user.add_item({"kind": "relic", "title_vi": "Chén ngự mới"})
    look(qtbot, window)
    assert window.model.row_of(gone) is None and window.model.row_of(added) is not None
    assert window.model.rowCount() == 305 and not resets
    assert window.view.current_item_id() == middle == window._shown_id
    assert window.view.selected_ids() == [middle]
    assert table.verticalScrollBar().value() == scrolled


def test_a_change_that_moves_an_item_in_a_sorted_list_keeps_it_selected(qtbot, window, other_user):
    window.model.sort(0)  # by title
    item_id = shown(window, "T-0003")  # Ấn vàng: first by title
    other = window.archive.find_by_accession("T-0005")
    other_user.update(other, {"title_vi": "A đầu tiên"})
    look(qtbot, window)
    assert window.model.row_of(other) == 0 and window.model.row_of(item_id) == 1
    assert window.view.current_item_id() == item_id == window._shown_id


def test_unsaved_edits_stay_and_a_bar_says_who_changed_the_item(qtbot, window, other_user):
    item_id = shown(window, "T-0001")
    editor = window.detail.editor
    editor.set_value("title_en", "My bell")
    other_user.update(item_id, {"culture": "Champa"})
    look(qtbot, window)
    bar = window.live.bar
    assert bar.isVisibleTo(window) and "Changed by binh" in bar.label.text()
    assert editor.is_dirty() and editor.rows["title_en"].editor.raw() == "My bell"
    assert editor.rows["culture"].editor.raw() in ("", None)  # the form is left alone
    bar.reload_button.click()
    assert editor.rows["culture"].editor.raw() == "Champa" and not editor.is_dirty()
    assert bar.isHidden()


def test_saving_over_a_change_asks_with_both_values(qtbot, window, other_user, monkeypatch):
    item_id = shown(window, "T-0001")
    editor = window.detail.editor
    editor.set_value("title_en", "My bell")
    other_user.update(item_id, {"title_en": "Their bell"})
    look(qtbot, window)
    assert window.live.bar.isVisibleTo(window)
    seen: list[str] = []

    def keep_mine(box: dialogs.ConflictDialog) -> int:
        seen.append(box.informativeText())
        box.keep_button.click()
        return 0

    monkeypatch.setattr(dialogs.ConflictDialog, "exec", keep_mine)
    assert editor.save()
    assert "binh" in seen[0] and "Their bell" in seen[0] and "My bell" in seen[0]
    assert other_user.get(item_id)["title_en"] == "My bell"
    qtbot.waitUntil(lambda: window.live.bar.isHidden())


def test_revert_after_a_change_elsewhere_shows_the_saved_version(qtbot, window, other_user):
    item_id = shown(window, "T-0001")
    editor = window.detail.editor
    editor.set_value("title_en", "My bell")
    other_user.update(item_id, {"title_en": "Their bell"})
    look(qtbot, window)
    editor.revert()
    qtbot.waitUntil(lambda: editor.rows["title_en"].editor.raw() == "Their bell")
    assert not editor.is_dirty() and window.live.bar.isHidden()


def test_an_item_deleted_while_edited_says_so(qtbot, window, other_user):
    item_id = shown(window, "T-0002")
    window.detail.editor.set_value("title_en", "My vase")
    other_user.delete(item_id, confirmed=True)
    look(qtbot, window)
    bar = window.live.bar
    assert "Deleted by binh" in bar.label.text() and bar.reload_button.isHidden()
    assert window.model.row_of(item_id) is None
    assert window.detail.editor.rows["title_en"].editor.raw() == "My vase"  # still there to copy


def test_a_term_added_elsewhere_reaches_the_filters(qtbot, window, other_user):
    other_user.add_vocabulary("periods", "Thời mới", "New times")
    qtbot.waitUntil(lambda: window.search.filters["period"].findData("Thời mới") >= 0, timeout=POLL_MS + 3000)


def test_nothing_new_reads_nothing(window, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(window.archive, "changes_since", lambda *a, **k: calls.append(1) or [])
    window.live.check()
    window.live.check()
    assert calls == []


def test_a_catalogue_that_cannot_be_read_is_a_message_then_it_catches_up(qtbot, window, other_user, monkeypatch):
    item_id = shown(window, "T-0004")
    real = window.archive.changes_since

    def gone(*_a: Any, **_k: Any) -> list:
        raise StorageError("The catalogue server cannot be reached")

    monkeypatch.setattr(window.archive, "changes_since", gone)
    other_user.update(item_id, {"title_en": "Hue noodles"})
    # the watcher sees the change (a PostgreSQL notice takes a moment); reading it fails
    qtbot.waitUntil(lambda: "cannot be reached" in window.statusBar().currentMessage(), timeout=POLL_MS + 3000)
    assert window.live.timer.interval() == BACKOFF_MS
    monkeypatch.setattr(window.archive, "changes_since", real)
    look(qtbot, window)  # the watcher is quiet now, but the look that failed is made again
    assert window.detail.editor.rows["title_en"].editor.raw() == "Hue noodles"
    assert window.live.timer.interval() == POLL_MS


def test_update_ids_merges_rows_without_a_reset(qtmodeltester, qtbot, tmp_path: Path):
    with Archive.create(tmp_path / "a") as archive:
        ids = archive.add_items([{"kind": "other", "title_en": f"Thing {n:02d}"} for n in range(30)])
        model = CatalogueModel()
        model.set_archive(archive)
        qtmodeltester.check(model, force_py=True)
        selection = QItemSelectionModel(model)
        selection.setCurrentIndex(model.index(model.row_of(ids[10]), 0), QItemSelectionModel.SelectionFlag.Select)
        resets: list[bool] = []
        model.modelReset.connect(lambda: resets.append(True))
        new = [ids[29], *[i for i in ids[:29] if i not in (ids[3], ids[4], ids[20])], 999, 1000]
        model.update_ids(new[:-2] + [new[-2]] + [new[-1]])
        assert model.ids == new and not resets
        assert model.item_id(selection.currentIndex().row()) == ids[10]
        qtmodeltester.check(model, force_py=True)


def test_a_team_archive_notice_wakes_the_window_without_the_timer(qtbot, window, pg_server: Any, tmp_path: Path):
    pytest.importorskip("psycopg")
    root = tmp_path / "team"
    with Archive.create(root, agent="an", catalogue=pg_server.new_database()) as setup:
        setup.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Bún bò"})
    assert window.open_archive(root)
    window.live.timer.stop()  # only the listening socket can wake it now
    assert window.live.notifier is not None
    item_id = shown(window, "D-1")
    with Archive.open(root, agent="binh") as other:
        with qtbot.waitSignal(window.live.requeried, timeout=5000):
            other.update(item_id, {"title_vi": "Bún bò Huế"})
    assert row_title(window, item_id) == "Bún bò Huế"
    assert "Last changed by binh" in window.detail.title.text()
