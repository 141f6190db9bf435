"""User settings, apart from any window (Open3D's ``vis_gui.py`` keeps a plain ``Settings``
object the same way): controls set one field and call one ``apply`` path; ``SettingsStore``
reads and writes them with ``QSettings`` so they outlive the session."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8
LANGUAGES = ("en", "vi")
VIEW_MODES = ("grid", "table")


@dataclass
class Settings:
    language: str = "en"
    view_mode: str = "grid"
    render_thumbnails: bool = True
    last_archive: str = ""
    recent_archives: list[str] = field(default_factory=list)
    welcome_shown: bool = False
    viewer_memory_mb: int = 0  # memory the 3D viewer may give a big scan's levels; 0: automatic

    def remember_archive(self, path: Path | str) -> None:
        """Put ``path`` first in the recent list and make it the archive opened next time."""
        text = str(Path(path).resolve())
        self.last_archive = text
        self.recent_archives = [text] + [p for p in self.recent_archives if p != text][: MAX_RECENT - 1]

    def forget_archive(self, path: Path | str) -> None:
        text = str(Path(path).resolve())
        self.recent_archives = [p for p in self.recent_archives if p != text]
        if self.last_archive == text:
            self.last_archive = ""


class SettingsStore:
    """Reads and writes ``Settings`` and window layout with one ``QSettings``."""

    def __init__(self, qsettings: QSettings | None = None):
        if qsettings is None:
            path = os.environ.get("HERITAGE_SETTINGS")  # a separate settings file (screenshots, benchmarks)
            qsettings = (
                QSettings(path, QSettings.Format.IniFormat) if path else QSettings("HeritageArchive", "heritage-app")
            )
        self.qsettings = qsettings

    def load(self) -> Settings:
        s = self.qsettings
        settings = Settings()
        language = str(s.value("language", settings.language))
        settings.language = language if language in LANGUAGES else "en"
        mode = str(s.value("view_mode", settings.view_mode))
        settings.view_mode = mode if mode in VIEW_MODES else "grid"
        settings.render_thumbnails = _bool(s.value("render_thumbnails", True))
        settings.last_archive = str(s.value("last_archive", "") or "")
        recent = s.value("recent_archives", []) or []
        settings.recent_archives = [str(p) for p in (recent if isinstance(recent, list) else [recent])][:MAX_RECENT]
        settings.welcome_shown = _bool(s.value("welcome_shown", False))
        settings.viewer_memory_mb = _int(s.value("viewer_memory_mb", 0))
        return settings

    def save(self, settings: Settings) -> None:
        s = self.qsettings
        s.setValue("language", settings.language)
        s.setValue("view_mode", settings.view_mode)
        s.setValue("render_thumbnails", settings.render_thumbnails)
        s.setValue("last_archive", settings.last_archive)
        s.setValue("recent_archives", list(settings.recent_archives))
        s.setValue("welcome_shown", settings.welcome_shown)
        s.setValue("viewer_memory_mb", settings.viewer_memory_mb)
        s.sync()

    def location(self) -> str:
        """Where the settings and the recent archives live, as Qt chose for this system: an INI file
        on Linux (``~/.config/HeritageArchive/heritage-app.conf``), a plist on macOS
        (``~/Library/Preferences/com.heritagearchive.heritage-app.plist``), a registry key on
        Windows (``HKEY_CURRENT_USER\\Software\\HeritageArchive\\heritage-app``)."""
        return self.qsettings.fileName()

    def window_state(self, key: str) -> QByteArray | None:
        value = self.qsettings.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, key: str, value: QByteArray) -> None:
        self.qsettings.setValue(f"window/{key}", value)


def _bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def _int(value: object) -> int:
    try:
        return max(int(str(value)), 0)
    except ValueError:
        return 0


# -- the viewer's memory budget --------------------------------------------------------------
# Kept here, not in the viewer widget: the window sets it at start, before the viewer (and
# Open3D) is imported; the widget reads it whenever it opens a scan.
MB = 1024**2
_viewer_budget: int | None = None


def automatic_viewer_budget(total_memory: int | None = None) -> int:
    """The viewer's memory budget when the user has not set one: an eighth of the machine's
    memory (``total_memory``, this one's by default), between 512 MB and 2 GB (a museum PC
    has 8-16 GB)."""
    if total_memory is None:
        from workers import machine_memory

        total_memory = machine_memory()
    return int(min(max(total_memory // 8, 512 * MB), 2048 * MB))


def viewer_budget() -> int:
    """Bytes the viewer may give a big scan's levels: the Settings value, else automatic."""
    return _viewer_budget or automatic_viewer_budget()


def set_viewer_budget(budget: int | None) -> None:
    """Set the viewer's memory budget (None or 0: automatic) and apply it to open viewers."""
    global _viewer_budget
    _viewer_budget = int(budget) if budget else None
    widget = sys.modules.get("heritage_app.viewer_widget")
    if widget is not None:
        widget.ViewerWidget.apply_memory_budget()
