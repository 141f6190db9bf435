"""Creating the application and its main window (shared by ``main`` and the benchmarks)."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from . import dialogs, i18n, logs
from .field_widgets import install_wheel_guard
from .icons import app_icon
from .main_window import MainWindow
from .settings import SettingsStore

ORGANISATION = "HeritageArchive"
APPLICATION = "heritage-app"


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        QCoreApplication.setOrganizationName(ORGANISATION)
        QCoreApplication.setApplicationName(APPLICATION)
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationDisplayName("Heritage & Cuisine 3D Archive")
        app.setApplicationVersion(dialogs.app_version())
        app.setWindowIcon(app_icon())
    install_wheel_guard()  # only a focused field takes the mouse wheel, in every window
    return app


def create_window(
    archive_dir: Path | None = None, store: SettingsStore | None = None, offer_demo: bool = True
) -> MainWindow:
    """Apply the saved language, build the window and open ``archive_dir`` (or the last
    archive). On the very first run the welcome page offers the demo archive."""
    started = time.monotonic()
    store = store or SettingsStore()
    settings = store.load()
    i18n.set_language(settings.language)
    window = MainWindow(store)
    target = archive_dir or (Path(settings.last_archive) if settings.last_archive else None)
    if target is not None:
        window.open_archive(target)
    if offer_demo and window.archive is None and not settings.welcome_shown:
        window.settings.welcome_shown = True
        store.save(window.settings)
        window.welcome.demo_button.setFocus()
    # Everything built so far lives as long as the window: keep the garbage collector from
    # walking it on every full collection (pauses of 100 ms and more with a large archive).
    gc.freeze()
    logs.log.info("window ready in %.2f s (%s)", time.monotonic() - started,
                  "an archive open" if window.archive is not None else "no archive open")
    return window


def grab_after(window: MainWindow, path: Path, delay_ms: int) -> None:
    """Save a picture of the window after ``delay_ms`` and quit (``--screenshot``)."""

    def grab() -> None:
        window.grab().save(str(path))
        window.close()
        QApplication.quit()

    QTimer.singleShot(delay_ms, grab)
