"""Every per-user place the archive writes to, each where its system expects it (platformdirs).

- the log file: ``~/.local/state/heritage-archive/log/heritage.log`` on Linux (``$XDG_STATE_HOME``
  moves it), ``~/Library/Logs/heritage-archive/heritage.log`` on macOS,
  ``%LOCALAPPDATA%\\heritage-archive\\Logs\\heritage.log`` on Windows;
- the default archive: ``archive`` in ``~/.local/share/heritage-archive`` (``$XDG_DATA_HOME``),
  ``~/Library/Application Support/heritage-archive``, ``%LOCALAPPDATA%\\heritage-archive``;
- the cache: ``~/.cache/heritage-archive`` (``$XDG_CACHE_HOME``), ``~/Library/Caches/heritage-archive``,
  ``%LOCALAPPDATA%\\heritage-archive\\Cache``.

``$HERITAGE_ARCHIVE`` names another default archive. The default archive sits in the local (not
roaming) application data on Windows: scans are large, and a roaming profile would copy them at
every log-on. Settings and the list of recent archives are not here: the app keeps them with
``QSettings``, which already follows each system (``~/.config/HeritageArchive/heritage-app.conf``,
``~/Library/Preferences/com.heritagearchive.heritage-app.plist``, the registry key
``HKEY_CURRENT_USER\\Software\\HeritageArchive\\heritage-app``); ``SettingsStore.location()`` names it.

Every function takes an optional ``dirs`` (a platformdirs object for another system) so tests can
check the Windows and macOS names on any machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from platformdirs.api import PlatformDirsABC

APP_NAME = "heritage-archive"
ARCHIVE_ENV = "HERITAGE_ARCHIVE"
LOG_FILE_NAME = "heritage.log"


def platform_dirs() -> PlatformDirsABC:
    """This system's platformdirs object for the app (no author folder on Windows)."""
    return platformdirs.PlatformDirs(APP_NAME, appauthor=False)


def log_dir(dirs: PlatformDirsABC | None = None) -> Path:
    """The folder of the log file (Help › Open the log folder)."""
    return Path((dirs or platform_dirs()).user_log_dir)


def log_file(dirs: PlatformDirsABC | None = None) -> Path:
    """The rotating log file that the app and the command line both write."""
    return log_dir(dirs) / LOG_FILE_NAME


def data_dir(dirs: PlatformDirsABC | None = None) -> Path:
    return Path((dirs or platform_dirs()).user_data_dir)


def default_archive_dir(dirs: PlatformDirsABC | None = None) -> Path:
    """The archive used when none is given: ``$HERITAGE_ARCHIVE``, else ``archive`` in the user's data folder."""
    env = os.environ.get(ARCHIVE_ENV)
    if env:
        return Path(env)
    return data_dir(dirs) / "archive"


def cache_dir(dirs: PlatformDirsABC | None = None) -> Path:
    """Rebuildable files that belong to the user rather than to an archive (safe to delete)."""
    return Path((dirs or platform_dirs()).user_cache_dir)


@dataclass(frozen=True)
class Locations:
    logs: Path
    log_file: Path
    data: Path
    default_archive: Path
    cache: Path


def user_locations(dirs: PlatformDirsABC | None = None) -> Locations:
    """All the per-user places at once (the bug report lists them)."""
    dirs = dirs or platform_dirs()
    return Locations(logs=log_dir(dirs), log_file=log_file(dirs), data=data_dir(dirs),
                     default_archive=default_archive_dir(dirs), cache=cache_dir(dirs))
