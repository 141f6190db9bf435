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


@pytest.mark.parametrize("package, pattern", [
    ("heritage_app", r"^\s*(from|import) (sqlite3|sqlite_utils)\b"),  # only archive/ talks SQL
    ("viewer", r"^\s*(from|import) (sqlite3|sqlite_utils|PySide6|archive|heritage_app)\b"),
    ("archive", r"^\s*(from|import) (PySide6|heritage_app|viewer)\b"),
])
def test_no_source_file_crosses_a_border(package, pattern):
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / package
    offenders = [str(p.relative_to(root.parent)) for p in root.rglob("*.py")
                 if re.search(pattern, p.read_text(encoding="utf-8"), re.MULTILINE)]
    assert offenders == []
