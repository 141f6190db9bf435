"""The fixity report knows files an earlier layout stored under other names ("misnamed", see
archive.namefix): it says their contents are intact and offers Fix names, never a backup; Fix
names from the report moves them (Archive.fix_names) and a new check is clean."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QTreeWidget

from archive import Archive, VerifyReport
from heritage_app import i18n
from heritage_app.tools_dialogs import VerifyReportDialog
from tests.archive.test_fix_names import PLY, _lay_out, before_portable_names


def _report(*statuses: str) -> VerifyReport:
    return VerifyReport(files=[{"path": f"objects/a/{n}.ply", "status": s, "item": "HUE-1 — Bát", "item_id": 1}
                               for n, s in enumerate(statuses)])


def _texts(dialog: VerifyReportDialog) -> tuple[str, list[str]]:
    tree = dialog.findChild(QTreeWidget)
    return (dialog.findChild(QLabel, "verifyHeadline").text(),
            [tree.topLevelItem(i).text(1) for i in range(tree.topLevelItemCount())])


def test_misnamed_files_are_not_damage_and_fix_names_is_offered(qtbot):
    dialog = VerifyReportDialog(_report("ok", "misnamed", "misnamed"))
    qtbot.addWidget(dialog)
    headline, statuses = _texts(dialog)
    assert "2 file(s) are stored under the name an earlier version" in headline and "Fix names" in headline
    assert "backup" not in headline.replace("no backup", "")  # nothing to restore
    assert "Problems found" not in headline
    assert statuses == ["stored under an earlier name (run Fix names)"] * 2
    assert not dialog.fix_button.isHidden()


def test_damage_and_misnamed_files_get_both_pieces_of_advice(qtbot):
    dialog = VerifyReportDialog(_report("ok", "changed", "misnamed"))
    qtbot.addWidget(dialog)
    headline, statuses = _texts(dialog)
    assert "1 changed" in headline and "Restore damaged files from a backup" in headline
    assert "Run Fix names" in headline
    assert statuses == ["changed", "stored under an earlier name (run Fix names)"]


def test_a_damaged_archive_alone_offers_no_fix_names(qtbot):
    dialog = VerifyReportDialog(_report("ok", "missing"))
    qtbot.addWidget(dialog)
    assert dialog.fix_button.isHidden() and "Fix names" not in _texts(dialog)[0]


def test_the_misnamed_status_is_translated(qtbot):
    try:
        assert i18n.set_language("vi")
        dialog = VerifyReportDialog(_report("misnamed"))
        qtbot.addWidget(dialog)
        headline, statuses = _texts(dialog)
        assert statuses[0] != "stored under an earlier name (run Fix names)" and statuses[0]
        assert "earlier" not in headline and dialog.fix_button.text() != "Fix names"
    finally:
        i18n.set_language("en")


@pytest.fixture
def misnamed_archive(tmp_path):
    """A PLY named CON.ply, laid out as before portable names (Windows cannot hold that name)."""
    (tmp_path / "ply").mkdir()
    (tmp_path / "ply" / "CON.ply").write_bytes(PLY)
    root = tmp_path / "old"
    with Archive.create(root) as archive:
        report = archive.import_paths([tmp_path / "ply" / "CON.ply"])
        assert not report.errors, report.errors
        assert _lay_out(archive, report.imported[0], before_portable_names) == {"CON.ply": "CON.ply"}
    return root


def _open_dialog(qtbot, window) -> VerifyReportDialog:
    task = window.ops.verify()
    qtbot.waitUntil(lambda: not window.tasks.is_running(task), timeout=30_000)
    qtbot.waitUntil(lambda: any(isinstance(w, VerifyReportDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=5000)
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, VerifyReportDialog) and w.isVisible())


def test_fix_names_from_the_report_moves_the_files(qtbot, window, misnamed_archive):
    assert window.open_archive(misnamed_archive)
    dialog = _open_dialog(qtbot, window)
    assert "misnamed" not in _texts(dialog)[1] and not dialog.fix_button.isHidden()
    with qtbot.waitSignal(window.ops.message, timeout=30_000) as moved:
        dialog.fix_button.click()
    assert moved.args == ["Moved 1 file(s) to their names."]
    assert not dialog.fix_button.isEnabled()
    assert dialog.findChild(QLabel, "fixNamesResult").text().startswith("Moved 1 file(s) to today's names.")
    dialog.close()
    with Archive.open(misnamed_archive) as archive:
        assert archive.verify().ok
        assert [e["type"] for e in archive.history(1) if e["type"] == "filename-change"] == ["filename-change"]
    dialog = _open_dialog(qtbot, window)
    assert "intact" in _texts(dialog)[0] and dialog.fix_button.isHidden()
    dialog.close()
