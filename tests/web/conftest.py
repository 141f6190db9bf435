"""What every test here shares: it drives a headless Chromium (skipped without one), one browser
a module, and a local HTTP server of the folder the module's ``served_folder`` fixture names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .cdp import Browser, chromium_path, serve

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_path() is not None:
        return
    skip = pytest.mark.skip(reason="chromium is not installed (apt-get install chromium)")
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def server(served_folder: Path) -> Iterator[str]:
    """The origin (``http://127.0.0.1:<port>``) of a server of the module's ``served_folder``."""
    with serve(served_folder) as origin:
        yield origin
