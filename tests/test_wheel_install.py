"""The wheel installs into a fresh virtual environment and runs from anywhere: no source
checkout, no Makefile, no PYTHONPATH, and the package data inside.

The fresh venv gets the wheel alone (``--no-deps``); its dependencies come from this
project's venv through one ``.pth`` line naming that venv's site-packages. A real
``pip install heritage-archive-*.whl`` would download the same pinned wheels (Qt, Open3D:
over 1 GB); this test has no network, and what it proves is that *our* package works once
installed: modules, entry points and data files. A ``.pth`` path line adds a folder
without running the ``.pth`` files inside it, so this checkout's editable install stays
out of the fresh venv (the test checks that ``archive`` comes from the wheel)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PACKAGE_DATA = [
    "assets/templates/item.html.j2", "assets/templates/index.html.j2", "assets/templates/base.html.j2",
    "assets/web/model-viewer/model-viewer-umd.min.js", "assets/web/page.js", "assets/web/tour.js",
    "assets/web/page.css",
    "assets/templates/tiles.html.j2", "assets/web/tiles.js", "assets/web/tiles.css",
    "assets/web/tiles-viewer/tiles-viewer.min.js", "assets/web/tiles-viewer/LICENSE.3d-tiles-renderer",
    "assets/icons/heritage-app-256.png", "heritage_app/translations/heritage_vi.qm",
    "platform_support/__init__.py",
]


def _sh(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


def _source_copy(dest: Path) -> Path:
    """The tracked and new files only (no build/, no .venv, no stale build output)."""
    listed = _sh(["git", "ls-files", "-co", "--exclude-standard"], ROOT).splitlines()
    for rel in listed:
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = _source_copy(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("wheel")
    _sh([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, "."], src)
    (found,) = out.glob("heritage_archive-*.whl")
    return found


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    _sh([sys.executable, "-m", "venv", "--without-pip", venv], venv)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _sh([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel], venv)
    site = Path(_sh([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], venv).strip())
    (site / "project-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


def _bindir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "HERITAGE_"))}
    return {**env, "HOME": str(tmp), "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
            "HERITAGE_USER": "tester"}


def test_wheel_holds_the_package_data(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [n for n in PACKAGE_DATA if n not in names] == []
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_entry_points_work_outside_the_source_tree(fresh_venv: Path, tmp_path: Path):
    bindir = _bindir(fresh_venv)
    env = _clean_env(tmp_path)
    where = _sh([bindir / "python", "-c", "import archive, heritage_app; print(archive.__file__)"], tmp_path, env)
    assert Path(where.strip()).is_relative_to(fresh_venv)  # the wheel's copy, not this checkout
    assert (bindir / "heritage-app").exists() or (bindir / "heritage-app.exe").exists()
    _sh([bindir / "heritage", "--help"], tmp_path, env)
    _sh([bindir / "heritage", "demo", tmp_path / "demo"], tmp_path, env)
    listing = _sh([bindir / "heritage", "--archive", tmp_path / "demo", "list"], tmp_path, env)
    assert len(listing.strip().splitlines()) >= 3


def test_html_export_uses_the_installed_templates_and_web_viewer(fresh_venv: Path, tmp_path: Path):
    bindir = _bindir(fresh_venv)
    env = _clean_env(tmp_path)
    _sh([bindir / "heritage", "demo", tmp_path / "demo"], tmp_path, env)
    _sh([bindir / "heritage", "--archive", tmp_path / "demo", "export", "1", "--format", "html", "--no-poster",
         "--to", tmp_path / "out"], tmp_path, env)
    pages = list((tmp_path / "out").rglob("*.html"))
    viewer = list((tmp_path / "out").rglob("model-viewer-umd.min.js"))
    assert pages and viewer and "<html" in pages[0].read_text(encoding="utf-8").lower()
