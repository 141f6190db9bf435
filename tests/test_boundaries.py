"""The architecture's borders: archive has no Qt/viewer; viewer has no Qt/SQL/archive."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = {
    "archive": ["PySide6", "heritage_app", "viewer"],
    "viewer": ["PySide6", "sqlite3", "sqlite_utils", "archive", "heritage_app"],
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_without_forbidden_modules(package):
    modules = FORBIDDEN[package]
    code = (
        f"import importlib, pkgutil, sys; import {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [m for m in {modules!r} if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
