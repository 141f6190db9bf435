"""Switching the interface language, and what is remembered between sessions."""

from __future__ import annotations

import pytest

from heritage_app import i18n
from heritage_app.catalogue_model import COLUMNS


@pytest.fixture
def english_afterwards():
    yield
    i18n.set_language("en")


def test_switching_to_vietnamese_and_back(window, english_afterwards, settings_store):
    window.view.select_item(window.model.item_id(0))
    window.set_language("vi")
    assert window.actions.file_menu.title() == "&Tệp"
    assert window.search.text.placeholderText().startswith("Tìm")
    assert window.model.headerData(0, _horizontal()) == "Tên"
    assert window.detail.tabs.tabText(0) == "Siêu dữ liệu"
    assert window.detail.editor.rows["title_vi"].label.text() == "Tên (tiếng Việt)"
    assert window.search.count_label.text() == "5 mục"
    kind_column = [c[0] for c in COLUMNS].index("kind")
    assert window.model.index(0, kind_column).data() == "Hiện vật"
    assert settings_store.load().language == "vi"
    window.set_language("en")
    assert window.actions.file_menu.title() == "&File"
    assert window.detail.editor.rows["title_vi"].label.text() == "Title (Vietnamese)"
    assert window.model.index(0, kind_column).data() == "Relic"


def _horizontal():
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal


def test_every_message_has_a_vietnamese_translation():
    import xml.etree.ElementTree as ET

    tree = ET.parse(i18n.TRANSLATIONS / "heritage_vi.ts")
    unfinished = [m.find("source").text for c in tree.getroot().findall("context")
                  if c.find("name").text not in ("ViewerWidget", "ViewerToolbar", "FrameView")
                  for m in c.findall("message") if m.find("translation").get("type") == "unfinished"]
    assert not unfinished
    assert (i18n.TRANSLATIONS / "heritage_vi.qm").stat().st_size > 0


def test_language_view_mode_and_recent_archives_are_remembered(qtbot, settings_store, small_archive,
                                                                english_afterwards):
    from heritage_app.app import create_window

    win = create_window(small_archive, settings_store)
    qtbot.addWidget(win)
    win.set_view_mode("table")
    win.set_language("vi")
    win.close()
    settings = settings_store.load()
    assert settings.view_mode == "table" and settings.language == "vi"
    assert settings.last_archive == str(small_archive.resolve())
    assert settings.recent_archives[0] == str(small_archive.resolve())
    assert settings_store.window_state("geometry") is not None
    again = create_window(None, settings_store)  # reopens the last archive, in the saved language
    qtbot.addWidget(again)
    assert again.archive_dir == small_archive.resolve()
    assert again.view.mode == "table"
    assert again.actions.file_menu.title() == "&Tệp"
    again.close()


def test_first_run_shows_the_welcome_page(qtbot, settings_store):
    from heritage_app.app import create_window

    win = create_window(None, settings_store)
    qtbot.addWidget(win)
    assert win.pages.currentWidget() is win.welcome
    assert not win.actions.import_scans.isEnabled()
    assert settings_store.load().welcome_shown


def test_a_missing_archive_is_reported_and_forgotten(qtbot, settings_store, tmp_path, monkeypatch):
    from heritage_app import dialogs
    from heritage_app.main_window import MainWindow

    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, title, error: shown.append((title, str(error))))
    win = MainWindow(settings_store)
    qtbot.addWidget(win)
    win.settings.remember_archive(tmp_path / "gone")
    assert not win.open_archive(tmp_path / "gone")
    assert shown and "not an archive" in shown[0][1]
    assert win.settings.recent_archives == []



def test_archive_warnings_are_shown_without_blocking(window, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from archive import Archive

    root = tmp_path / "Dropbox" / "arch"
    Archive.create(root).close()
    assert window.open_archive(root)
    boxes = [w for w in window.findChildren(QMessageBox) if "sync folder" in w.text()]
    assert len(boxes) == 1 and boxes[0].isVisible()  # shown, and open_archive returned at once
    boxes[0].close()


def test_every_string_in_the_sources_is_in_the_translation_file(tmp_path):
    """Extract the strings afresh: a new string, or one whose class context lupdate lost,
    would otherwise show in English in the Vietnamese interface without anyone noticing."""
    import shutil
    import subprocess
    import sys
    import xml.etree.ElementTree as ET
    from pathlib import Path

    from heritage_app.translations import update

    lupdate = shutil.which("pyside6-lupdate") or str(Path(sys.executable).with_name("pyside6-lupdate"))
    if not Path(lupdate).exists():
        pytest.skip("pyside6-lupdate is not installed")
    sources = sorted(str(p) for p in update.APP.glob("*.py") if p.name not in update.SKIP)
    fresh = tmp_path / "fresh.ts"
    subprocess.run([lupdate, *sources, "-no-obsolete", "-locations", "none", "-ts", str(fresh)], check=True,
                   capture_output=True)

    def translated(path):
        root = ET.parse(path).getroot()
        return {(c.find("name").text or "", m.find("source").text): m.find("translation").get("type") != "unfinished"
                for c in root.findall("context") for m in c.findall("message")}

    committed = translated(i18n.TRANSLATIONS / "heritage_vi.ts")
    missing = sorted(key for key in translated(fresh) if not committed.get(key))
    assert not missing, f"run heritage_app/translations/update.py and translate: {missing[:5]}"


def test_every_translation_context_is_a_class_qt_looks_up():
    """``self.tr`` looks strings up under the object's class name; lupdate files a string it
    cannot place (``other.tr(...)``, code after a nested function) under a name Qt never asks
    for, and the Vietnamese is then never shown."""
    import xml.etree.ElementTree as ET

    names = [c.find("name").text or "" for c in ET.parse(i18n.TRANSLATIONS / "heritage_vi.ts").getroot()]
    assert [n for n in names if not n.isidentifier()] == []
