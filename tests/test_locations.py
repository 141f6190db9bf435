"""Per-user locations (platform_support.locations): each system's conventions, checked on any system
by handing platformdirs' Windows and macOS classes to the same functions."""

from __future__ import annotations

import ast
from pathlib import Path, PureWindowsPath

import pytest
from platformdirs.macos import MacOS
from platformdirs.unix import Unix
from platformdirs.windows import Windows

from platform_support import locations

ROOT = Path(__file__).resolve().parents[1]
APP = locations.APP_NAME


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.delenv(locations.ARCHIVE_ENV, raising=False)
    return tmp_path


def test_on_linux_every_location_follows_the_xdg_variables(xdg):
    where = locations.user_locations(Unix(APP, appauthor=False))
    assert where.log_file == xdg / "xdg_state_home" / APP / "log" / "heritage.log"
    assert where.logs == where.log_file.parent
    assert where.default_archive == xdg / "xdg_data_home" / APP / "archive"
    assert where.cache == xdg / "xdg_cache_home" / APP


@pytest.mark.skipif(not isinstance(locations.platform_dirs(), Unix), reason="this system is not Linux/BSD")
def test_this_systems_locations_are_the_linux_ones_here(xdg):
    assert locations.log_file() == xdg / "xdg_state_home" / APP / "log" / "heritage.log"
    assert locations.default_archive_dir() == xdg / "xdg_data_home" / APP / "archive"


def test_heritage_archive_names_another_default_archive(xdg, monkeypatch):
    monkeypatch.setenv(locations.ARCHIVE_ENV, str(xdg / "elsewhere"))
    assert locations.default_archive_dir(Unix(APP, appauthor=False)) == xdg / "elsewhere"
    assert locations.user_locations(Unix(APP, appauthor=False)).default_archive == xdg / "elsewhere"


def test_on_windows_everything_is_in_local_appdata(monkeypatch):
    # platformdirs reads WIN_PD_OVERRIDE_<FOLDER> before asking the Windows shell, so this runs anywhere.
    local = r"C:\Users\lan\AppData\Local"
    monkeypatch.setenv("WIN_PD_OVERRIDE_LOCAL_APPDATA", local)
    monkeypatch.delenv(locations.ARCHIVE_ENV, raising=False)
    where = locations.user_locations(Windows(APP, appauthor=False))

    def win(path: Path) -> PureWindowsPath:
        return PureWindowsPath(str(path))

    assert win(where.log_file) == PureWindowsPath(local, APP, "Logs", "heritage.log")
    assert win(where.default_archive) == PureWindowsPath(local, APP, "archive")  # not the roaming profile
    assert win(where.cache) == PureWindowsPath(local, APP, "Cache")


def test_on_macos_everything_is_in_the_library(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(locations.ARCHIVE_ENV, raising=False)
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):  # platformdirs honours them on macOS too
        monkeypatch.delenv(var, raising=False)
    where = locations.user_locations(MacOS(APP, appauthor=False))
    library = tmp_path / "Library"
    assert where.log_file == library / "Logs" / APP / "heritage.log"
    assert where.default_archive == library / "Application Support" / APP / "archive"
    assert where.cache == library / "Caches" / APP


def test_only_the_locations_module_asks_platformdirs():
    """Every per-user place comes from one module, so no part of the app invents its own."""
    users = set()
    for package in ("archive", "viewer", "workers", "heritage_app", "glbtools", "platform_support"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(n.split(".")[0] == "platformdirs" for n in names):
                    users.add(path.relative_to(ROOT).as_posix())
    assert users == {"platform_support/locations.py"}
