"""The scan editor: units and up axis corrected from the item's scans list, saved through
Archive.update_asset as events, the stored file untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from archive import Archive, ImportOptions
from heritage_app.asset_editor import AssetEditorDialog
from heritage_app.detail_pane import AssetsView
from tests.archive.helpers import write_box_ply


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.create(tmp_path / "arch") as a:
        yield a


def _asset(archive: Archive, tmp_path: Path) -> dict:
    report = archive.import_paths([write_box_ply(tmp_path / "in")],
                                  ImportOptions(kind="relic", asset_fields={"units": "mm"}, isolate=False))
    return archive.get(report.imported[0])["assets"][0]


def _choose(dialog: AssetEditorDialog, name: str, value: str) -> None:
    combo = dialog.combos[name]
    combo.setCurrentIndex(combo.findData(value))


def test_double_clicking_a_scan_opens_its_editor_and_saves_units_and_axis(qtbot, archive, tmp_path):
    asset = _asset(archive, tmp_path)
    stored = archive.asset_path(asset)
    before = hashlib.sha256(stored.read_bytes()).hexdigest()
    view = AssetsView()
    qtbot.addWidget(view)
    view.asset_saver = archive.update_asset
    view.show_assets(archive.get(asset["item_id"])["assets"])
    view.itemDoubleClicked.emit(view.topLevelItem(0).child(0), 0)  # any row of the scan opens it
    dialog = view.asset_editor
    assert dialog is not None and dialog.combos["units"].currentData() == "mm"
    _choose(dialog, "units", "m")
    _choose(dialog, "up_axis", "z")
    with qtbot.waitSignal(dialog.saved):
        assert dialog.save()
    saved = archive.get(asset["item_id"])["assets"][0]
    assert (saved["units"], saved["up_axis"]) == ("m", "z")
    edits = {(e["field"], e["old_value"], e["new_value"]) for e in archive.history(asset["item_id"])
             if e["type"] == "edit"}
    assert edits == {("units", "mm", "m"), ("up_axis", None, "z")}
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == before
    dims = [view.topLevelItem(0).child(i).text(1) for i in range(view.topLevelItem(0).childCount())]
    assert any(text.endswith(" m") for text in dims)  # the list shows the new unit at once
    dialog.deleteLater()


def test_a_refused_save_says_why_and_keeps_the_dialog_open(qtbot, archive, tmp_path):
    from archive import ValidationError

    asset = _asset(archive, tmp_path)

    def refuse(asset_id: int, changes: dict) -> None:
        raise ValidationError("units", "the archive is read-only")

    dialog = AssetEditorDialog(asset, refuse)
    qtbot.addWidget(dialog)
    _choose(dialog, "units", "cm")
    assert not dialog.save()
    assert "read-only" in dialog.error.text() and not dialog.error.isHidden()
    assert archive.get(asset["item_id"])["assets"][0]["units"] == "mm"


def test_saving_without_a_change_writes_nothing(qtbot, archive, tmp_path):
    asset = _asset(archive, tmp_path)
    calls: list[dict] = []
    dialog = AssetEditorDialog(asset, lambda _id, changes: calls.append(changes))
    qtbot.addWidget(dialog)
    assert dialog.save() and calls == []
