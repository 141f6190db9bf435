"""The item's research records in the detail pane (heritage_app.records_panel): listed with their
value, review flag and privacy; added, edited and deleted through the record dialog, each write an
event; conflicting edits never overwrite silently; Export writes the item's records and never a
file of column names only; another user's records arrive through live refresh."""

from __future__ import annotations

import csv
import json

import pytest

from archive import Archive
from heritage_app import dialogs, records_panel

from .records_support import front_normal, front_point, import_box


@pytest.fixture
def box(small_archive) -> int:
    return import_box(small_archive)


@pytest.fixture
def other_user(small_archive):
    with Archive.open(small_archive, agent="binh") as archive:
        yield archive


def show(window, item_id: int):
    window.view.select_item(item_id)
    assert window._shown_id == item_id
    return window.detail.records


def rows(panel) -> list[list[str]]:
    tree = panel.tree
    return [[tree.topLevelItem(i).text(c) for c in range(3)] for i in range(tree.topLevelItemCount())]


def events(archive: Archive, item_id: int) -> list[tuple[str, str | None]]:
    return [(e["type"], e.get("field")) for e in archive.history(item_id) if e["type"].startswith("record_")]


def add_distance(archive: Archive, item_id: int) -> int:
    return archive.add_record(item_id, "measurement", [front_point("y", -15, 0), front_point("y", 15, 0)],
                              measure="distance", title_en="Width")


def test_the_list_shows_the_items_records_with_value_review_and_privacy(box, window):
    archive = window.archive
    add_distance(archive, box)
    archive.add_record(box, "landmark", [front_point("y", 0, 0)], title_vi="Tâm mặt trước", title_en="Front centre")
    note = archive.add_record(box, "annotation", [front_point("y", 5, 2)], title_en="Crack", public=True,
                              text_en="A hairline crack.")
    archive.update_record(note, {"review": "needs_review"})
    panel = show(window, box)
    listed = rows(panel)
    assert listed[0][0] == "Width" and listed[0][1] == "Distance 30.00 mm" and listed[0][2] == "private"
    assert listed[1][0] == "Front centre" and listed[1][1] == "Landmark"
    assert listed[2][0] == "Crack" and listed[2][2].startswith("needs review") and "public" in listed[2][2]
    assert panel.tree.topLevelItem(2).toolTip(0) == "A hairline crack."
    assert window.detail.tabs.tabText(1) == "Records (3)"
    assert panel.empty.isHidden()
    window.view.select_item(window.archive.find_by_accession("T-0001"))  # no records there
    assert rows(panel) == [] and not panel.empty.isHidden() and window.detail.tabs.tabText(1) == "Records (0)"


def test_list_colours_are_the_overlays():
    from viewer.markers import COLOURS

    assert records_panel.KIND_COLOURS == COLOURS


def test_a_new_annotation_is_saved_through_the_dialog_as_one_event(box, window):
    panel = show(window, box)
    dialog = panel.new_point_record(front_point("y", 3, 1), front_normal("y"))
    dialog.titles["title_vi"].setText("Vết nứt")
    dialog.texts["text_en"].setPlainText("Hairline crack")
    dialog.public.setChecked(True)
    assert dialog.save()
    [record] = window.archive.records(box)
    assert (record["kind"], record["title_vi"], record["text_en"], record["public"]) == (
        "annotation", "Vết nứt", "Hairline crack", True)
    assert record["points"] == [front_point("y", 3, 1)] and record["normal"] == front_normal("y")
    assert events(window.archive, box) == [("record_added", None)]
    assert rows(panel)[0][0] == "Vết nứt" and panel.current_record()["id"] == record["id"]


def test_a_landmark_without_a_title_is_refused_in_the_dialog_which_stays_open(box, window):
    panel = show(window, box)
    dialog = panel.new_point_record(front_point("y", 0, 0), kind="landmark")
    assert dialog.kind.currentData() == "landmark"
    assert not dialog.save()
    assert "title" in dialog.error.text().lower() and dialog.isVisible()
    assert window.archive.records(box) == [] and events(window.archive, box) == []
    dialog.close()


def test_editing_saves_only_what_changed_one_event_per_field(box, window):
    record_id = add_distance(window.archive, box)
    panel = show(window, box)
    panel.select_record(record_id)
    dialog = panel.edit_record()
    assert dialog.what.text() == "Distance 30.00 mm" and dialog.kind.isHidden()
    dialog.titles["title_en"].setText("Width of the front")
    dialog.public.setChecked(True)
    assert dialog.save()
    record = window.archive.record(record_id)
    assert record["title_en"] == "Width of the front" and record["public"] and record["version"] == 2
    assert sorted(events(window.archive, box)[1:]) == [("record_changed", "public"), ("record_changed", "title_en")]
    assert rows(panel)[0][:3] == ["Width of the front", "Distance 30.00 mm", "public"]


def test_confirming_a_flagged_record_clears_its_review(box, window):
    record_id = add_distance(window.archive, box)
    window.archive.update_record(record_id, {"review": "needs_review"})
    panel = show(window, box)
    dialog = panel.edit_record(window.archive.record(record_id))
    assert not dialog.review.isHidden() and dialog.review.isChecked()
    dialog.review.setChecked(False)
    assert dialog.save()
    assert window.archive.record(record_id)["review"] == "ok"
    assert "needs review" not in rows(panel)[0][2]


@pytest.mark.parametrize("confirmed", [True, False])
def test_delete_asks_first_and_logs_the_whole_record(box, window, monkeypatch, confirmed):
    record_id = add_distance(window.archive, box)
    panel = show(window, box)
    asked = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, title, text: asked.append(text) or confirmed)
    panel.select_record(record_id)
    assert panel.delete_record() is confirmed
    assert "Width" in asked[0] and "Distance 30.00 mm" in asked[0]
    assert [r["id"] for r in window.archive.records(box)] == ([] if confirmed else [record_id])
    deleted = [e for e in window.archive.history(box) if e["type"] == "record_deleted"]
    assert len(deleted) == confirmed
    if confirmed:
        assert json.loads(deleted[0]["old_value"])["title_en"] == "Width" and rows(panel) == []


@pytest.mark.parametrize("option", ["reload", "keep", "cancel"])
def test_a_field_someone_else_saved_meanwhile_asks_with_both_values(box, window, other_user, monkeypatch, option):
    record_id = add_distance(window.archive, box)
    panel = show(window, box)
    seen: list[str] = []

    def answer(box_: dialogs.ConflictDialog) -> int:
        seen.append(box_.informativeText())
        {"reload": box_.reload_button, "keep": box_.keep_button, "cancel": box_.cancel_button}[option].click()
        return 0

    monkeypatch.setattr(dialogs.ConflictDialog, "exec", answer)
    dialog = panel.edit_record(window.archive.record(record_id))
    dialog.titles["title_en"].setText("My width")
    other_user.update_record(record_id, {"title_en": "Their width"})
    assert dialog.save() is (option == "keep")
    assert "binh" in seen[0] and "Their width" in seen[0] and "My width" in seen[0]
    assert "Title (English)" in seen[0]  # the field as the user knows it
    saved = other_user.record(record_id)["title_en"]
    if option == "keep":
        assert saved == "My width" and not dialog.isVisible()
    else:
        assert saved == "Their width" and dialog.isVisible()  # nothing overwritten
        expected = "Their width" if option == "reload" else "My width"
        assert dialog.titles["title_en"].text() == expected
        dialog.close()


def test_other_fields_saved_meanwhile_merge_without_asking(box, window, other_user, monkeypatch):
    record_id = add_distance(window.archive, box)
    panel = show(window, box)
    monkeypatch.setattr(dialogs.ConflictDialog, "exec", lambda _b: pytest.fail("asked"))
    dialog = panel.edit_record(window.archive.record(record_id))
    dialog.titles["title_vi"].setText("Chiều rộng")
    other_user.update_record(record_id, {"text_en": "Measured twice"})
    assert dialog.save()
    record = other_user.record(record_id)
    assert (record["title_vi"], record["text_en"]) == ("Chiều rộng", "Measured twice")


def test_export_without_records_writes_no_file_and_says_so(box, window, tmp_path):
    panel = show(window, box)
    target = tmp_path / "records.csv"
    assert panel.export(target) == 0
    assert not target.exists()
    assert "no records" in panel.note.text() and "no file" in panel.note.text()


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_export_writes_the_items_records(box, window, tmp_path, suffix):
    record_id = add_distance(window.archive, box)
    panel = show(window, box)
    target = tmp_path / f"records{suffix}"
    assert panel.export(target) == 1
    text = target.read_text(encoding="utf-8-sig")
    rows_ = list(csv.DictReader(text.splitlines())) if suffix == ".csv" else json.loads(text)["records"]
    assert [r["uid"] for r in rows_] == [window.archive.record(record_id)["uid"]]
    assert "Exported 1 record" in panel.note.text()


def test_another_users_record_arrives_by_live_refresh(box, qtbot, window, other_user):
    panel = show(window, box)
    other_user.add_record(box, "landmark", [front_point("y", 1, 1)], title_en="Their mark")
    with qtbot.waitSignal(panel.recordsShown, timeout=5000):
        window.live.check()
    assert rows(panel)[0][0] == "Their mark"
    assert window.detail.tabs.tabText(1) == "Records (1)"

