"""The import-linter contracts in pyproject.toml hold, and the app's list of private archive
modules names every archive module outside the public surface."""

from __future__ import annotations

import importlib.util
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the app may import from the archive; everything else in archive/ is private to it.
PUBLIC_ARCHIVE = {"archive.fields", "archive.text", "archive.errors", "archive.publish", "archive.demo"}
needs_import_linter = pytest.mark.skipif(importlib.util.find_spec("importlinter") is None,
                                         reason="import-linter is not installed (pip install -e '.[dev]')")


def _contract(contract_id: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["id"] == contract_id)


@needs_import_linter
def test_the_import_contracts_are_kept():
    run = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
                          " sys.exit(lint_imports_command())", "--no-cache"],
                         cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_every_archive_module_is_public_or_forbidden_to_the_app():
    top_level = {m.name for m in pkgutil.iter_modules([str(ROOT / "archive")], "archive.")}
    forbidden = set(_contract("app-uses-public-archive")["forbidden_modules"])
    assert top_level - PUBLIC_ARCHIVE == forbidden
