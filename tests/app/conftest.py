"""Fixtures for the desktop app tests (pytest-qt, offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import
os.environ.setdefault("HERITAGE_NO_RENDER", "1")  # no Open3D thumbnail rendering in app tests
os.environ.setdefault("HERITAGE_NO_VIEWER", "1")  # the 3D viewer has its own tests (test_viewer_widget.py)
os.environ.setdefault("HERITAGE_NO_AUTO_BACKUP", "1")  # one test turns it on (test_tools.py)

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from archive import Archive  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaked_widgets(qapp):
    """Fail a test that leaves a top-level widget behind (ndv does the same)."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    before = {id(w) for w in QApplication.topLevelWidgets()}
    yield
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if id(w) not in before]
    assert not leaked, f"leaked top-level widgets: {[type(w).__name__ for w in leaked]}"


def _item(n: int, kind: str = "relic", **extra) -> dict:
    base = {
        "kind": kind,
        "accession": f"T-{n:04d}",
        "title_vi": f"Hiện vật số {n}",
        "title_en": f"Object {n}",
        "status": "draft",
    }
    return {**base, **extra}


@pytest.fixture
def small_archive(tmp_path: Path) -> Path:
    """An archive of a few relics and dishes (no 3D files)."""
    root = tmp_path / "arch"
    with Archive.create(root, agent="tester") as archive:
        archive.add_items(
            [
                _item(
                    1,
                    title_vi="Chuông đồng",
                    title_en="Bronze bell",
                    materials=["đồng"],
                    period="Chúa Nguyễn",
                    collections=["Cung đình"],
                    status="published",
                ),
                _item(
                    2,
                    title_vi="Bình men lam",
                    title_en="Blue vase",
                    materials=["sứ"],
                    period="Nguyễn - Thiệu Trị",
                    collections=["Cung đình"],
                ),
                _item(3, title_vi="Ấn vàng", title_en="Gold seal", materials=["vàng"], status="reviewed"),
                _item(
                    4,
                    kind="dish",
                    title_vi="Bún bò Huế",
                    title_en="Hue beef noodle soup",
                    culinary_line="ẩm thực dân gian",
                    ingredients=["bún", "bò"],
                    collections=["Ẩm thực"],
                ),
                _item(5, kind="dish", title_vi="Bánh bèo", title_en="Water fern cakes", culinary_line="bánh Huế"),
            ]
        )
    return root


@pytest.fixture
def settings_store(tmp_path: Path):
    from PySide6.QtCore import QSettings

    from heritage_app.settings import SettingsStore

    return SettingsStore(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, small_archive, settings_store, monkeypatch):
    """The main window on ``small_archive``; unsaved-change prompts answer "cancel" unless a
    test sets ``window.answers``."""
    from heritage_app import dialogs
    from heritage_app.main_window import MainWindow

    monkeypatch.setenv("HERITAGE_NO_DIALOGS", "1")
    monkeypatch.setenv("HERITAGE_NO_VIEWER", "1")
    asked: list[str] = []
    answers: list[str] = []

    def ask(_parent, what):
        asked.append(what)
        return answers.pop(0) if answers else "cancel"

    monkeypatch.setattr(dialogs, "ask_unsaved", ask)
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    win = MainWindow(settings_store)
    win.ops.show_summaries = False
    qtbot.addWidget(win)
    win.asked, win.answers = asked, answers
    assert win.open_archive(small_archive)
    qtbot.waitUntil(lambda: win.search.filters["collection"].count() > 1, timeout=5000)
    win.resize(1200, 800)
    yield win
    win.detail.editor.load(None)  # nothing unsaved: closing must not prompt
    win.close()


@pytest.fixture
def scans(tmp_path: Path) -> list[Path]:
    """Small mesh files in three formats, plus one broken file."""
    import trimesh

    folder = tmp_path / "scans"
    folder.mkdir()
    paths = []
    for n in range(6):
        mesh = trimesh.creation.icosphere(subdivisions=1, radius=1 + n)
        path = folder / f"scan_{n}.{('ply', 'stl', 'obj')[n % 3]}"
        mesh.export(path)
        paths.append(path)
    broken = folder / "broken.ply"
    broken.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 100\nend_header\n1 2")
    paths.append(broken)
    return paths
