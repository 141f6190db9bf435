"""Refresh the Vietnamese translation: extract strings (pyside6-lupdate) into
``heritage_vi.ts`` (existing translations are kept; edit them in Qt Linguist or by hand),
then compile ``heritage_vi.qm`` (pyside6-lrelease). Run: ``python heritage_app/translations/update.py``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = HERE.parent
SKIP = {"cli.py", "publish_cli.py", "viewer_cli.py", "__init__.py"}


def tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(found).exists():
        raise SystemExit(f"{name} is missing: install pyside6-essentials")
    return found


def main() -> int:
    sources = sorted(str(p) for p in APP.glob("*.py") if p.name not in SKIP)
    ts = HERE / "heritage_vi.ts"
    subprocess.run(
        [tool("pyside6-lupdate"), *sources, "-no-obsolete", "-locations", "none", "-ts", str(ts)], check=True
    )
    subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(HERE / "heritage_vi.qm")], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
