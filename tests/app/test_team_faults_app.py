"""The window under team faults (issue 13): the shared folder gone, the catalogue's server down or
restarted, an item deleted by someone else while it is edited. The window never crashes or waits
for ever: the catalogue keeps the rows it has, an item shows its metadata with a sentence in place
of the 3D view, unsaved edits are kept and the user is told, and the next action after the server
is back works. Times of events are shown on the user's clock, in the interface language.

The folder-gone and deletion tests run on any engine (SQLite by default); the server tests start a
PostgreSQL server of their own (they crash it) and skip when its binaries are not installed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication

from archive import Archive
from archive.importer import ImportOptions
from heritage_app import dialogs, i18n, unsaved_edits
from heritage_app.timefmt import local_time
from tests.archive.helpers import write_box_ply

UNREACHABLE = "cannot be reached"


def add_scanned_items(archive: Archive, source: Path) -> tuple[int, int]:
    """A relic with a scan and a dish without one; their ids."""
    report = archive.import_paths([write_box_ply(source)], ImportOptions(isolate=False, kind="relic"))
    assert not report.errors
    relic = report.imported[0]
    archive.update(relic, {"accession": "R-1", "title_vi": "Chuông đồng"})
    dish = archive.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Bún bò Huế"})
    return relic, dish


def select(window: Any, item_id: int) -> None:
    window.view.select_item(item_id)


@pytest.fixture
def errors_said(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(title, message) of every error box the window opens."""
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _parent, title, exc: said.append((title, str(exc))))
    return said


@pytest.fixture
def scanned(window: Any, tmp_path: Path) -> tuple[Path, int, int]:
    """``window`` on a new archive with a scanned relic and a dish; (its folder, relic, dish)."""
    root = tmp_path / "scanned"
    with Archive.create(root, agent="an") as archive:
        relic, dish = add_scanned_items(archive, tmp_path / "src")
    assert window.open_archive(root)
    return root, relic, dish


# -- the archive folder gone ---------------------------------------------------------------------
def test_with_the_archive_folder_gone_an_item_shows_its_metadata_and_says_why(window, scanned, errors_said):
    root, relic, dish = scanned
    select(window, dish)
    (root / "objects").rename(root / "objects-away")  # the share's files went away; the catalogue answers
    select(window, relic)
    detail = window.detail
    assert window._shown_id == relic and detail.editor.item["accession"] == "R-1"
    assert detail.editor.rows["title_vi"].editor.raw() == "Chuông đồng"
    assert detail.viewer_host.currentWidget() is detail.viewer_placeholder
    message = detail.viewer_placeholder.text()
    assert f"The archive folder {root} {UNREACHABLE}" in message and "connect it" in message
    assert window.model.rowCount() == 2 and window.model.display_row(window.model.row_of(dish))["title"] == "Bún bò Huế"
    detail.editor.set_value("title_en", "Bronze bell")  # the catalogue is there: edits still save
    assert detail.editor.save() and window.archive.get(relic)["title_en"] == "Bronze bell"
    assert errors_said == []
    (root / "objects-away").rename(root / "objects")
    select(window, dish)
    select(window, relic)
    assert UNREACHABLE not in detail.viewer_placeholder.text()
    assert "box.ply" in detail.viewer_placeholder.text()  # the model is back (no 3D viewer in these tests)


def test_thumbnails_missing_while_the_folder_is_gone_are_asked_for_again(window, scanned, qtbot, monkeypatch):
    root, relic, _dish = scanned
    from PySide6.QtGui import QImage

    from heritage_app import thumbnails

    def render(_path: Path, _up_axis: str) -> bytes:
        image = QImage(8, 8, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.darkRed)
        path = root.parent / "thumb.png"
        image.save(str(path))
        return path.read_bytes()

    monkeypatch.setattr(thumbnails, "_renderer", lambda: render)
    provider = window.thumbnails
    provider.render = True
    (root / "objects").rename(root / "objects-away")
    assert provider.get(relic) is None
    qtbot.waitUntil(lambda: relic in provider._away and not provider._pending, timeout=10_000)
    assert provider.get(relic) is None and not provider._pending  # not asked again at every repaint
    (root / "objects-away").rename(root / "objects")
    with qtbot.waitSignal(provider.loaded, timeout=10_000, check_params_cb=lambda i: i == relic):
        provider.retry_unreachable()  # what its timer does every RETRY_MS
    qtbot.waitUntil(lambda: provider.get(relic) is not None, timeout=10_000)


# -- an item deleted elsewhere while it is edited ------------------------------------------------
@pytest.fixture
def deleted_choice(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The deletion dialog answers with ``choice["button"]``; ``choice["seen"]`` keeps its texts."""
    choice: dict[str, Any] = {"button": "copy", "seen": []}

    def answer(box: unsaved_edits.DeletedItemDialog) -> int:
        choice["seen"].append(f"{box.text()}\n{box.informativeText()}\n{box.detailedText()}")
        {"copy": box.copy_button, "close": box.close_button, "keep": box.keep_button}[choice["button"]].click()
        return 0

    monkeypatch.setattr(unsaved_edits.DeletedItemDialog, "exec", answer)
    return choice


def test_saving_an_item_deleted_elsewhere_offers_to_copy_the_edits_then_to_close_it(
        window, small_archive, deleted_choice):
    item_id = window.archive.find_by_accession("T-0002")
    select(window, item_id)
    editor = window.detail.editor
    editor.set_value("title_en", "My vase")
    editor.set_value("materials", ["sứ", "men lam"])
    with Archive.open(small_archive, agent="binh") as other:
        other.delete(item_id, confirmed=True)
    QApplication.clipboard().clear()
    assert not editor.save()
    seen = deleted_choice["seen"][0]
    assert "T-0002" in seen and "deleted by binh" in seen
    copied = QApplication.clipboard().text()
    assert copied.splitlines() == ["T-0002 — Bình men lam", "Title (English): My vase", "Materials: sứ, men lam"]
    assert "copied to the clipboard" in editor.banner.text() and editor.banner.isVisibleTo(window)
    assert editor.is_dirty() and editor.rows["title_en"].editor.raw() == "My vase"  # kept
    deleted_choice["button"] = "close"
    assert editor.save()
    assert editor.item is None and window._shown_id is None and not editor.is_dirty()


def test_taking_the_saved_version_of_an_item_deleted_meanwhile_offers_the_same(window, small_archive, deleted_choice,
                                                                              monkeypatch):
    item_id = window.archive.find_by_accession("T-0001")
    select(window, item_id)
    editor = window.detail.editor
    editor.set_value("title_en", "My bell")
    with Archive.open(small_archive, agent="binh") as other:
        other.update(item_id, {"title_en": "Their bell"})

    def reload_after_deletion(box: dialogs.ConflictDialog) -> int:
        with Archive.open(small_archive, agent="chi") as third:
            third.delete(item_id, confirmed=True)
        box.reload_button.click()
        return 0

    monkeypatch.setattr(dialogs.ConflictDialog, "exec", reload_after_deletion)
    deleted_choice["button"] = "keep"
    assert not editor.save()
    assert "deleted by chi" in deleted_choice["seen"][0]
    assert editor.is_dirty() and editor.rows["title_en"].editor.raw() == "My bell"
    assert "deleted elsewhere" in editor.banner.text()


# -- times on the user's clock ---------------------------------------------------------------------
@pytest.fixture
def hanoi_clock() -> Iterator[None]:
    """The user's clock is seven hours ahead of UTC (Vietnam; a POSIX rule needs no zoneinfo)."""
    with pytest.MonkeyPatch.context() as clock:
        clock.setenv("TZ", "ICT-7")
        time.tzset()
        yield
    time.tzset()
    i18n.set_language("en")


def test_local_time_follows_the_clock_and_the_language(hanoi_clock):
    i18n.set_language("en")
    english = local_time("2026-11-30T10:13:14+00:00")
    assert "11/30/2026" in english and "5:13" in english and "PM" in english
    assert local_time("2026-11-30T10:13:14.568384+00:00") == english  # microseconds, as Python writes them
    assert local_time("2026-11-30 10:13:14") == english  # no offset: the archive's UTC
    assert local_time(datetime.fromisoformat("2026-11-30T10:13:14+00:00")) == english
    i18n.set_language("vi")
    assert QLocale().language() == QLocale.Language.Vietnamese
    assert local_time("2026-11-30T20:05:00+00:00") == "1/12/2026 03:05"  # the next day in Huế
    assert local_time(None) == "" and local_time("not a time") == "not a time"


def test_every_event_time_in_the_window_is_on_the_users_clock(window, small_archive, hanoi_clock, monkeypatch):
    item_id = window.archive.find_by_accession("T-0001")
    select(window, item_id)
    editor = window.detail.editor
    editor.set_value("title_en", "My bell")
    with Archive.open(small_archive, agent="binh") as other:
        other.update(item_id, {"title_en": "Their bell"})
        at = other.history(item_id)[-1]["at"]
    local, there = local_time(at), datetime.fromisoformat(at).astimezone(timezone(timedelta(hours=7)))
    assert f"{there.month}/{there.day}/{there.year} {there.hour % 12 or 12}:{there.minute:02d}" in local
    window.live.check()
    assert f"Changed by binh at {local} " in window.live.bar.label.text()
    seen: list[str] = []

    def keep_mine(box: dialogs.ConflictDialog) -> int:
        seen.append(box.informativeText())
        box.keep_button.click()
        return 0

    monkeypatch.setattr(dialogs.ConflictDialog, "exec", keep_mine)
    assert editor.save()
    assert f"changed by binh at {local}\n" in seen[0]
    saved_at = window.archive.history(item_id)[-1]["at"]
    assert window.detail.history.topLevelItem(0).text(0) == local_time(saved_at)
    assert f"Last changed by tester at {local_time(saved_at)}" in window.detail.title.text()
    updated = window.model.index(window.model.row_of(item_id), 7)
    assert window.model.data(updated) == local_time(window.archive.get(item_id)["updated_at"])
    i18n.set_language("vi")
    assert "/" in window.detail.history.topLevelItem(0).text(0)
    assert window.detail.history.topLevelItem(0).text(0) == local_time(saved_at)  # day first, 24-hour clock


# -- the catalogue's server down or restarted (PostgreSQL) --------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """A PostgreSQL server of this module's own: the tests crash and restart it."""
    from tests.archive.pg import own_durable_server

    yield from own_durable_server()


@pytest.fixture
def team(server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int]]:
    """A team archive of 300 dishes, a scanned relic and a dish (the last two ids)."""
    monkeypatch.setenv("PGUSER", "postgres")
    root = tmp_path / "share" / "team"
    with Archive.create(root, agent="an", catalogue=server.new_database(server.catalogue_template())) as archive:
        ids = archive.add_items([{"kind": "dish", "title_vi": f"Món {n:03d}"} for n in range(300)])
        ids += add_scanned_items(archive, tmp_path / "src")
    return root, ids


@pytest.fixture
def team_window(qtbot: Any, team: tuple[Path, list[int]], settings_store: Any, server: Any,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from heritage_app import catalogue_model
    from heritage_app.main_window import MainWindow

    monkeypatch.setenv("HERITAGE_NO_DIALOGS", "1")
    monkeypatch.setattr(catalogue_model, "OFFLINE_S", 0.5, raising=False)  # rows not read: asked again after
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda *_a: "discard")
    win = MainWindow(settings_store)
    qtbot.addWidget(win)
    assert win.open_archive(team[0])
    win.set_view_mode("table")
    yield win
    try:
        server.start_again()  # a test that failed half-way may have left it down
    except RuntimeError:
        pass  # it is running
    win.detail.editor.load(None)
    win.close()


def title_at(win: Any, row: int) -> Any:
    return win.model.data(win.model.index(row, 0))


def test_with_the_server_down_the_catalogue_keeps_its_rows_and_comes_back_with_it(team_window, team, server, qtbot):
    win, (_root, ids) = team_window, team
    assert title_at(win, 0) == "Món 000"  # the first page is read
    server.crash()
    assert title_at(win, 250) is None  # not read yet: blank, and no exception out of the model
    assert UNREACHABLE in win.statusBar().currentMessage()
    assert title_at(win, 0) == "Món 000" and win.model.rowCount() == 302  # what was read stays
    win.live.check()  # the change feed cannot be read either: said, and looked at again later
    server.start_again()
    qtbot.waitUntil(lambda: title_at(win, 250) == "Món 250", timeout=15_000)
    with Archive.open(team[0], agent="binh") as other:
        other.update(ids[5], {"title_vi": "Món năm (sửa)"})
    win.live.check()
    qtbot.waitUntil(lambda: title_at(win, 5) == "Món năm (sửa)", timeout=15_000)


def test_an_item_that_cannot_be_read_leaves_the_shown_one_in_place_and_says_why(team_window, team, server,
                                                                               errors_said):
    win, (_root, ids) = team_window, team
    select(win, ids[3])
    server.crash()
    select(win, ids[7])
    assert errors_said and errors_said[0][0] == "Cannot show the item" and UNREACHABLE in errors_said[0][1]
    assert win._shown_id == ids[3] == win.detail.editor.item["id"] == win.view.current_item_id()
    server.start_again()
    select(win, ids[7])
    assert win.detail.editor.item["title"] == "Món 007" and len(errors_said) == 1


def test_the_first_selection_after_a_server_restart_just_works(team_window, team, server, errors_said):
    win, (_root, ids) = team_window, team
    select(win, ids[3])
    server.crash()
    server.start_again()  # the window's connection is dead, and does not know it yet
    select(win, ids[8])
    assert errors_said == [] and win.detail.editor.item["title"] == "Món 008"


def test_a_save_while_the_server_is_down_keeps_the_edits_and_says_so(team_window, team, server, monkeypatch):
    win, (_root, ids) = team_window, team
    select(win, ids[4])
    editor = win.detail.editor
    editor.set_value("title_en", "Offline edit")
    server.crash()
    assert not editor.save()
    assert UNREACHABLE in editor.banner.text() and "edits are still in the form" in editor.banner.text()
    assert editor.is_dirty() and editor.rows["title_en"].editor.raw() == "Offline edit"
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda *_a: "save")
    assert not win.close()  # closing asks to save them first: the save fails, the window stays
    server.start_again()
    assert editor.save() and not editor.is_dirty() and editor.banner.isHidden()
    with Archive.open(team[0]) as check:
        assert check.get(ids[4])["title_en"] == "Offline edit"


def test_with_the_shared_folder_gone_a_team_item_says_why_and_the_catalogue_still_works(team_window, team, errors_said):
    win, (root, ids) = team_window, team
    relic = ids[-2]
    away = root.with_name("unmounted")
    root.rename(away)
    root.mkdir()  # the empty mount point a disconnected share leaves
    try:
        select(win, relic)
        assert f"{UNREACHABLE}" in win.detail.viewer_placeholder.text()
        assert win.detail.editor.item["accession"] == "R-1"
        win.detail.editor.set_value("title_en", "Bell")
        assert win.detail.editor.save()
    finally:
        root.rmdir()
        away.rename(root)
    assert errors_said == []
    select(win, ids[0])
    select(win, relic)
    assert UNREACHABLE not in win.detail.viewer_placeholder.text()


def test_importing_or_refreshing_while_the_server_is_down_says_why(team_window, team, server, errors_said,
                                                                  tmp_path):
    win = team_window
    server.crash()
    assert win.import_files([write_box_ply(tmp_path / "in")]) is None  # the dialog reads the vocabularies
    assert errors_said[-1][0] == "Cannot import the files" and UNREACHABLE in errors_said[-1][1]
    win.refresh()  # what the window does after a task changed items
    assert UNREACHABLE in win.statusBar().currentMessage()
