"""The window mirrors what the connected user may do (heritage_app.permissions): on a team archive
each PostgreSQL login opens it with its own role; on a single-user archive, read-only media."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive import Archive

PEOPLE = {"anna": "cataloguer", "binh": "reviewer", "chi": "viewer"}


@pytest.fixture
def team(pg_server: Any, tmp_path: Path) -> Path:
    """A team archive with a draft dish and a published relic, and anna, binh and chi in their roles."""
    import psycopg

    with psycopg.connect(pg_server.admin_url(), autocommit=True) as admin:
        for user in PEOPLE:
            if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone() is None:
                admin.execute(f'CREATE ROLE "{user}" LOGIN')
    root = tmp_path / "team"
    with Archive.create(root, catalogue=pg_server.new_database(pg_server.catalogue_template())) as archive:
        archive.add_item({"kind": "dish", "accession": "D-1", "title_vi": "Bún bò Huế"})
        archive.add_item({"kind": "relic", "accession": "R-1", "title_vi": "Chuông đồng", "status": "published"})
        roles = archive.team_roles()
        roles.set_up()
        for user, role in PEOPLE.items():
            roles.grant(user, role)
    return root


@pytest.fixture
def open_window(qtbot: Any, settings_store: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``open_window(root, user=None)``: the main window on ``root``, connected as ``user``."""
    from heritage_app import dialogs
    from heritage_app.main_window import MainWindow

    monkeypatch.setenv("HERITAGE_NO_DIALOGS", "1")
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda _parent, what: asked.append(what) or "discard")
    windows = []

    def make(root: Path, user: str | None = None) -> MainWindow:
        if user is not None:
            monkeypatch.setenv("PGUSER", user)
        win = MainWindow(settings_store)
        qtbot.addWidget(win)
        windows.append(win)
        assert win.open_archive(root)
        return win

    yield make
    for win in windows:
        win.detail.editor.load(None)
        win.close()
    assert not asked, f"asked to save unsaved edits of {asked}"


def show(win: Any, accession: str) -> None:
    item_id = win.archive.find_by_accession(accession)
    win.view.select_item(item_id)
    assert win.detail.editor.item["accession"] == accession


def status_choices(win: Any) -> dict[str, bool]:
    combo = win.detail.editor.rows["status"].editor.widget
    return {combo.itemData(i): combo.model().item(i).isEnabled() for i in range(combo.count())}


def test_a_viewer_sees_every_write_disabled_with_the_reason(team: Path, open_window: Any):
    win = open_window(team, "chi")
    actions = win.actions
    reason = "You are connected as chi with the viewer role: you cannot"
    for action, what in ((actions.import_scans, "import scans"), (actions.csv_import, "import scans"),
                         (actions.save, "edit items"), (actions.delete_item, "delete items")):
        assert not action.isEnabled()
        assert action.toolTip() == f"{reason} {what}."
    for action in (actions.verify, actions.csv_export, actions.publish, actions.refresh):
        assert action.isEnabled()  # reading, checking and exporting stay theirs
    show(win, "D-1")
    editor = win.detail.editor
    assert not editor.scroll.widget().isEnabled() and editor.scroll.widget().toolTip() == f"{reason} edit items."
    assert not editor.save_button.isEnabled()
    assert win.detail.assets.asset_saver is None and editor.terms.add is None
    assert win.permissions.label.text() == "Team archive · connected as chi (viewer)"
    assert win.import_files([team / "nothing.ply"]) is None  # a drop on the window is refused the same way
    assert win.statusBar().currentMessage() == f"{reason} import scans."


def test_a_cataloguer_edits_but_the_reviewed_and_published_statuses_are_not_theirs(team: Path, open_window: Any):
    win = open_window(team, "anna")
    assert win.actions.import_scans.isEnabled() and win.actions.save.isEnabled()
    assert win.permissions.label.text() == "Team archive · connected as anna (cataloguer)"
    show(win, "D-1")
    editor = win.detail.editor
    assert editor.scroll.widget().isEnabled() and win.actions.delete_item.isEnabled()
    assert status_choices(win) == {"draft": True, "reviewed": False, "published": False}
    combo = editor.rows["status"].editor.widget
    assert combo.isEnabled()
    assert "anna with the cataloguer role: you cannot set an item's status to reviewed or published" in \
        combo.model().item(combo.findData("published")).toolTip()
    editor.set_value("title_en", "Hue beef noodle soup")
    assert editor.save() and win.archive.get(editor.item["id"])["title_en"] == "Hue beef noodle soup"
    show(win, "R-1")  # published: its status and its deletion wait for a reviewer
    assert not combo.isEnabled()
    assert not win.actions.delete_item.isEnabled()
    assert win.actions.delete_item.toolTip() == "Only a reviewer may delete an item that is reviewed or published."
    show(win, "D-1")
    assert combo.isEnabled() and win.actions.delete_item.isEnabled()


def test_a_refused_save_is_said_above_the_form_and_the_edits_stay(team: Path, open_window: Any):
    """The database has the last word: a status forced past the greyed-out choice is refused clearly."""
    win = open_window(team, "anna")
    show(win, "D-1")
    editor = win.detail.editor
    editor.set_value("status", "published")
    assert not editor.save()
    assert "only a reviewer may change the status of item D-1 from draft to published" in editor.banner.text()
    assert editor.is_dirty() and win.archive.get(editor.item["id"])["status"] == "draft"
    editor.revert()


def test_a_reviewer_has_every_status(team: Path, open_window: Any):
    win = open_window(team, "binh")
    show(win, "R-1")
    assert status_choices(win) == {"draft": True, "reviewed": True, "published": True}
    assert win.detail.editor.rows["status"].editor.widget.isEnabled() and win.actions.delete_item.isEnabled()
    assert win.permissions.label.text() == "Team archive · connected as binh (reviewer)"


def test_a_single_user_archive_allows_everything_and_names_no_role(small_archive: Path, open_window: Any):
    win = open_window(small_archive)
    assert win.actions.import_scans.isEnabled() and win.actions.save.isEnabled()
    assert win.actions.import_scans.toolTip().startswith("Import scans (Ctrl+I)")
    assert status_choices(win) == {"draft": True, "reviewed": True, "published": True}
    assert win.permissions.label.isHidden()


def test_read_only_media_disable_every_write(small_archive: Path, open_window: Any, monkeypatch: pytest.MonkeyPatch):
    from archive import health

    monkeypatch.setattr(health, "probe_writable", lambda _folder: False)
    win = open_window(small_archive)
    assert not win.actions.import_scans.isEnabled() and not win.actions.delete_item.isEnabled()
    assert win.actions.save.toolTip() == "The archive is on read-only media: you cannot edit items."
    assert win.permissions.label.text() == "read-only media"
    assert win.actions.verify.isEnabled() and win.actions.csv_export.isEnabled()
