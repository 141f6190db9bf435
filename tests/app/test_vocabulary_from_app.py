"""A term the vocabulary lacks can be added right where the form refused it, with its Vietnamese
value and English label, logged as an event; the form then takes it."""

from __future__ import annotations

import pytest

from archive import Archive
from archive.errors import ValidationError
from heritage_app import vocabulary_dialog
from heritage_app.vocabulary_dialog import AddTermDialog


def vocabulary_events(archive: Archive) -> list[dict]:
    return [dict(r) for r in archive.db.query("SELECT * FROM events WHERE type = 'vocabulary'")]


def test_adding_a_term_logs_it_with_its_labels(tmp_path):
    with Archive.create(tmp_path / "a", agent="lan") as archive:
        archive.add_vocabulary("materials", "gỗ lim", "ironwood")
        assert {"value": "gỗ lim", "label_en": "ironwood", "external_id": ""} in archive.vocabulary("materials")
        [event] = vocabulary_events(archive)
        assert event["agent"] == "lan" and event["field"] == "materials" and "gỗ lim" in event["new_value"]
        assert "ironwood" in event["detail"]


def test_a_term_and_its_event_are_one_write(tmp_path, monkeypatch):
    with Archive.create(tmp_path / "a") as archive:
        monkeypatch.setattr(archive, "log", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
        with pytest.raises(OSError):
            archive.add_vocabulary("materials", "gỗ lim", "ironwood")
        assert archive.lookup_vocabulary("materials", "gỗ lim") is None


def test_a_term_already_there_is_refused_not_skipped(tmp_path):
    with Archive.create(tmp_path / "a") as archive:
        with pytest.raises(ValidationError) as err:
            archive.add_vocabulary("materials", "DONG", "copper")
        assert err.value.code == "term_exists" and "'đồng'" in str(err.value)
        assert not vocabulary_events(archive)


def test_the_dialog_prefills_the_value_and_takes_an_english_label(qtbot):
    dialog = AddTermDialog(None, "Materials", "gỗ lim")
    qtbot.addWidget(dialog)
    assert dialog.value.text() == "gỗ lim"
    dialog.label_en.setText("ironwood")
    assert dialog.term() == ("gỗ lim", "ironwood")
    dialog.value.setText("  ")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()


def test_an_unknown_term_is_added_from_the_form_and_saved(window, small_archive, monkeypatch):
    editor = window.detail.editor
    editor.terms.add = window.archive.add_vocabulary  # what the window wires
    item_id = window.archive.find_by_accession("T-0001")
    window.view.select_item(item_id)
    editor.set_value("materials", ["đồng", "go lim"])
    editor.set_value("year_from", "abc")
    assert not editor.save()
    button = editor.rows["materials"].add_term
    assert not button.isHidden() and "go lim" in button.text()
    assert editor.field_error("year_from")  # every problem at once
    asked = []
    monkeypatch.setattr(vocabulary_dialog, "ask_new_term",
                        lambda _p, vocabulary, value: asked.append((vocabulary, value)) or ("gỗ lim", "ironwood"))
    button.click()
    assert asked and asked[0][1] == "go lim"
    assert editor.rows["materials"].editor.raw() == ["đồng", "gỗ lim"]  # the spelling the user corrected
    assert editor.field_error("materials") is None and button.isHidden()
    assert editor.field_error("year_from") and editor.is_dirty()  # still refused: nothing saved yet
    editor.set_value("year_from", "1850")
    assert editor.save()
    with Archive.open(small_archive) as archive:
        assert archive.get(item_id)["materials"] == ["đồng", "gỗ lim"]
        assert vocabulary_events(archive)


def test_no_add_button_without_an_archive_to_add_to(window):
    editor = window.detail.editor
    editor.terms.add = None  # what an editor has with no archive behind it to add terms to
    window.view.select_item(window.archive.find_by_accession("T-0001"))
    editor.set_value("materials", ["gỗ lim"])
    assert not editor.save()
    assert editor.field_error("materials") and editor.rows["materials"].add_term.isHidden()


def test_the_window_offers_adding_terms_and_its_filters_list_them(window):
    """The window gives the editor a way to add terms (no button without it) and refreshes the
    search filters with what was added."""
    terms = window.detail.editor.terms
    assert terms.add is not None
    terms.add("materials", "Gỗ trắc", "rosewood")
    terms.added.emit("materials", "Gõ trắc", "Gỗ trắc")
    combo = window.search.filters["material"]
    assert combo.findData("Gỗ trắc") >= 0
