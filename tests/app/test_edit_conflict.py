"""Two people editing the same item: the editor saves against the version it loaded; a field
someone else saved meanwhile opens a conflict dialog with both values (reload, keep mine or
keep editing), never a silent overwrite; edits to other fields merge without asking."""

from __future__ import annotations

import pytest

from archive import Archive
from heritage_app import dialogs


@pytest.fixture
def other_user(small_archive):
    with Archive.open(small_archive, agent="binh") as archive:
        yield archive


def choose(monkeypatch, option: str, seen: list[str]) -> None:
    """Answer the conflict dialog with ``option`` ("reload", "keep", "cancel") instead of a modal loop."""
    def exec_(box: dialogs.ConflictDialog) -> int:
        seen.append(box.informativeText())
        {"reload": box.reload_button, "keep": box.keep_button, "cancel": box.cancel_button}[option].click()
        return 0

    monkeypatch.setattr(dialogs.ConflictDialog, "exec", exec_)


def edit_while_other_saves(window, other_user, field: str, theirs: str, mine: str) -> int:
    item_id = window.archive.find_by_accession("T-0001")
    window.view.select_item(item_id)
    window.detail.editor.set_value(field, mine)
    other_user.update(item_id, {field: theirs})
    return item_id


@pytest.mark.parametrize("option", ["reload", "keep", "cancel"])
def test_same_field_asks_with_both_values(window, other_user, monkeypatch, option):
    seen: list[str] = []
    choose(monkeypatch, option, seen)
    item_id = edit_while_other_saves(window, other_user, "title_en", "Their bell", "My bell")
    editor = window.detail.editor
    assert editor.save() is (option != "cancel")
    assert "binh" in seen[0] and "Their bell" in seen[0] and "My bell" in seen[0]
    saved = other_user.get(item_id)["title_en"]
    if option == "reload":
        assert saved == "Their bell" and editor.rows["title_en"].editor.raw() == "Their bell"
        assert not editor.is_dirty()
    elif option == "keep":
        assert saved == "My bell" and not editor.is_dirty()
    else:
        assert saved == "Their bell" and editor.is_dirty()  # nothing lost, nothing saved
        assert editor.rows["title_en"].editor.raw() == "My bell"


def test_different_fields_merge_without_asking(window, other_user, monkeypatch):
    seen: list[str] = []
    choose(monkeypatch, "cancel", seen)
    item_id = edit_while_other_saves(window, other_user, "culture", "Champa", "")
    window.detail.editor.set_value("title_en", "My bell")
    assert window.detail.editor.save()
    assert seen == []
    item = other_user.get(item_id)
    assert (item["title_en"], item["culture"]) == ("My bell", "Champa")
    assert "Last changed by" in window.detail.title.text()
