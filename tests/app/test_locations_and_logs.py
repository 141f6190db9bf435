"""The log file a user can send with a bug report: what ran, errors with tracebacks, versions,
and never a field value, whether the edit or import came through the command line or the window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
import trimesh

from heritage_app import cli, dialogs, logs

CANARIES = {
    "title": "CanaryTitle-7f3a",
    "private_notes": "CanaryPrivateNotes-91bc",
    "storage_location": "CanaryStorage-44d0",
    "donor_contact": "CanaryDonor-2e18",
    "collection": "CanaryCollection-a5c2",
    "operator": "CanaryOperator-0d77",
    "bad_year": "CanaryYear-6b90",
    "crash": "CanaryCrash-c3f1",
}


@pytest.fixture
def log_path(tmp_path, monkeypatch):
    """The real log file, which platformdirs puts under $XDG_STATE_HOME (here in tmp)."""
    from platform_support.locations import log_file

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HERITAGE_ARCHIVE", str(tmp_path / "default-archive"))
    path = log_file()
    if path != tmp_path / "state" / "heritage-archive" / "log" / "heritage.log":
        pytest.skip("platformdirs follows the XDG variables on Linux and BSD only")
    yield path
    logs.stop_logging()


def all_log_text(path: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(path.parent.glob("heritage.log*")))


def assert_no_canary(text: str) -> None:
    leaked = [name for name, canary in CANARIES.items() if canary in text]
    assert leaked == [], f"these values reached the log: {leaked}"


def a_scan(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bowl.ply"
    trimesh.creation.icosphere(subdivisions=1).export(path)
    return path


# -- redaction -------------------------------------------------------------------------------------

@pytest.mark.parametrize("message", [
    "year_from: must be a whole number, not 'secret value'",
    'must be one of draft, reviewed, not "it\'s secret"',
    "“secret” is not in the vocabulary yet",
    "accession 'A\\'secret' is already used",
])
def test_quoted_values_are_redacted(message):
    assert "secret" not in logs.redact(message)


def test_apostrophes_are_not_quotes():
    assert logs.redact("the backup's catalogue names the folder 'x9'") == "the backup's catalogue names the folder '…'"


def test_a_traceback_keeps_its_frames_and_loses_the_values():
    value = "".join(["sec", "ret"])  # not in the source line the traceback quotes
    try:
        float(value)
    except ValueError:
        text = logs.redact_traceback(sys.exc_info())
    assert "secret" not in text
    assert "test_locations_and_logs.py" in text and "ValueError: could not convert string to float: '…'" in text


# -- the command line ------------------------------------------------------------------------------

def test_cli_log_says_what_ran_and_holds_no_field_values(tmp_path, log_path, monkeypatch, capsys):
    archive = str(tmp_path / "arch")
    scan = a_scan(tmp_path / "scans")
    assert cli.main(["--archive", archive, "init"]) == 0
    assert cli.main(["--archive", archive, "import", str(scan), "--kind", "dish", "--title", CANARIES["title"],
                     "--collection", CANARIES["collection"], "--set", f"private_notes={CANARIES['private_notes']}",
                     "--set", f"operator={CANARIES['operator']}"]) == 0
    assert cli.main(["--archive", archive, "edit", "1", "--set", f"storage_location={CANARIES['storage_location']}",
                     "--set", f"donor_contact={CANARIES['donor_contact']}"]) == 0
    assert cli.main(["--archive", archive, "edit", "1", "--set", f"year_from={CANARIES['bad_year']}"]) == 1

    def crash(_args):
        raise RuntimeError(f"the value {CANARIES['crash']!r} broke something")

    monkeypatch.setattr(cli, "cmd_show", crash)
    assert cli.main(["--archive", archive, "show", "1"]) == 1
    assert str(log_path) in capsys.readouterr().err  # the user is told where the details are
    text = all_log_text(log_path)
    assert_no_canary(text)
    assert "command import" in text and "set=private_notes,operator" in text and "kind=dish" in text
    assert "command edit archive=(given) id=1 set=storage_location,donor_contact" in text
    assert "command edit failed: ValidationError" in text and "(field year_from)" in text
    assert "Traceback (most recent call last)" in text and "RuntimeError: the value '…' broke something" in text
    assert "finished: exit 0 in" in text and f"Python {sys.version.split()[0]}" in text


def test_the_log_rotates_and_keeps_three_old_files(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    path = tmp_path / "heritage.log"
    try:
        logs.start_logging("test", path)
        for n in range(200):
            logs.log.info("line %d of a long session", n)
    finally:
        logs.stop_logging()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "heritage.log", "heritage.log.1", "heritage.log.2", "heritage.log.3"]
    assert all(p.stat().st_size <= 2000 for p in tmp_path.iterdir())


def test_an_unwritable_log_folder_leaves_the_program_running(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    try:
        assert logs.start_logging("test", blocker / "heritage.log") is None
        logs.log.info("still fine")
    finally:
        logs.stop_logging()


# -- the window ------------------------------------------------------------------------------------

def test_window_edits_and_imports_leave_no_value_in_the_log(qtbot, window, log_path, tmp_path):
    logs.start_logging("heritage-app")
    editor = window.detail.editor
    window.view.select_item(window.archive.find_by_accession("T-0001"))
    editor.set_value("title_en", CANARIES["title"])
    editor.set_value("private_notes", CANARIES["private_notes"])
    editor.set_value("storage_location", CANARIES["storage_location"])
    assert editor.save()
    editor.set_value("year_from", CANARIES["bad_year"])
    assert not editor.save()  # the validation error is shown (and, with no dialogs, logged as a warning)
    editor.revert()
    dialog = window.import_files([a_scan(tmp_path / "scans")])
    dialog.collection.setEditText(CANARIES["collection"])
    dialog.paradata["operator"].setText(CANARIES["operator"])
    with qtbot.waitSignal(window.ops.imported, timeout=30_000):
        dialog.accept()
    qtbot.waitUntil(window.progress.isHidden, timeout=5000)
    window.actions.refresh.trigger()
    text = all_log_text(log_path)
    assert_no_canary(text)
    assert "heritage-app started" in text and "action refresh" in text
    assert "imported 1 scan(s) as items" in text


def test_an_unexpected_error_goes_to_the_log_with_its_traceback_and_without_values(qtbot, log_path, monkeypatch):
    logs.start_logging("heritage-app")
    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, exc: shown.append(exc))
    previous = sys.excepthook
    dialogs.install_excepthook()
    try:
        try:
            raise KeyError(CANARIES["crash"])
        except KeyError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = previous
    text = all_log_text(log_path)
    assert shown and "unexpected error" in text and "Traceback" in text and "KeyError: '…'" in text
    assert_no_canary(text)
    assert str(log_path) in dialogs.friendly_message(RuntimeError("x"))


def test_help_copies_a_bug_report_with_versions_and_the_last_lines(qtbot, window, log_path, monkeypatch):
    from PySide6.QtWidgets import QApplication

    logs.start_logging("heritage-app")
    for n in range(250):
        logging.getLogger("heritage_app.test").info("step %d", n)
    window.actions.copy_bug_report.trigger()
    text = QApplication.clipboard().text()
    assert "Versions: heritage-archive" in text and "Python" in text and "Qt " in text
    assert f"Settings and recent archives: {window.store.location()}" in text
    lines = text.split("Last 200 log lines:\n", 1)[1].splitlines()
    assert len(lines) == 200
    assert any(line.endswith("step 249") for line in lines) and not any(line.endswith("step 49") for line in lines)


def test_help_opens_the_log_folder(qtbot, window, monkeypatch, tmp_path):
    from PySide6.QtGui import QDesktopServices

    monkeypatch.setattr(dialogs, "log_dir", lambda: tmp_path / "the-logs")
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    window.actions.open_log_folder.trigger()
    assert opened == [str(tmp_path / "the-logs")] and (tmp_path / "the-logs").is_dir()


def test_settings_say_where_they_are(settings_store, tmp_path):
    assert settings_store.location() == str(tmp_path / "settings.ini")
