"""The published pages in a real browser (Debian's headless Chromium): from a local static
server and from file://, no console errors, no blocked or external requests, and a model
actually drawn (pixel statistics of a screenshot). Screenshots are kept in
``$HERITAGE_SCREENSHOTS`` when set."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archive import Archive
from archive.demo import build_demo
from archive.publish import build_site, export_item
from archive.publish.public import slug

from .cdp import Browser, chromium_path

VASE = slug({"accession": "BTCVCĐ-0002"})  # the demo's vase (Đ folds, so its name carries a hash)

LOADED = "document.documentElement.dataset.model === 'loaded'"
# Timing messages of software rendering, not page defects: the GL driver's performance notes,
# and model-viewer's warning when a frame takes longer than it waits (SwiftShader is slow).
DRIVER_NOISE = ("GL Driver Message", "GPU stall due to ReadPixels", "rAF timed out in updateSource")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    build_demo(root / "archive")
    out = root / "out"
    with Archive.open(root / "archive") as archive:
        vase = archive.find_by_accession("BTCVCĐ-0002")
        assert vase is not None
        export_item(archive, vase, out / "page", "html", "web")  # no poster: what shows is the model
        build_site(archive, out / "site", up_axis="z")
    return out


@pytest.fixture(scope="module")
def served_folder(published: Path) -> Path:
    return published


def _problems(browser: Browser, origin: str = "") -> list[str]:
    allowed = (origin,) if origin else ()
    return [p for p in browser.problems(allowed) if not any(n in p for n in DRIVER_NOISE)]


def _model_pixels(browser: Browser, name: str) -> np.ndarray:
    """The model-viewer's area of a screenshot, (h, w, 3) uint8."""
    png = browser.keep_screenshot(name)
    rect = browser.evaluate("(() => { const r = document.getElementById('model').getBoundingClientRect();"
                            " return [r.left, r.top, r.right, r.bottom].map(Math.round); })()")
    with Image.open(io.BytesIO(png)) as img:
        return np.asarray(img.convert("RGB").crop(tuple(rect)))


def _assert_model_drawn(pixels: np.ndarray) -> None:
    assert pixels.size, "the model viewer is not on screen"
    background = np.array([255, 255, 255])
    drawn = np.abs(pixels.astype(int) - background).sum(axis=2) > 30
    assert drawn.mean() > 0.02, f"only {drawn.mean():.1%} of the viewer differs from its background"
    assert pixels[drawn].std() > 5, "the drawn area is flat: no shading"


def _open_model_page(browser: Browser, url: str, origin: str = "") -> None:
    browser.open(url, wait_for=LOADED, timeout=90)
    browser.pump(2.0)  # let it render a few frames and report anything late
    assert _problems(browser, origin) == []


def test_single_file_page_from_file_url(browser: Browser, published: Path) -> None:
    page = published / "page" / f"{VASE}.html"
    _open_model_page(browser, page.as_uri())
    _assert_model_drawn(_model_pixels(browser, "single-file"))


def test_folder_page_from_local_server(browser: Browser, server: str) -> None:
    _open_model_page(browser, f"{server}/page/{VASE}/index.html", server)
    requested = [e["params"]["request"]["url"] for e in browser.events
                 if e.get("method") == "Network.requestWillBeSent"]
    assert any(u.endswith("/model.glb") for u in requested)
    _assert_model_drawn(_model_pixels(browser, "folder-http"))


def test_folder_page_from_file_url(browser: Browser, published: Path) -> None:
    _open_model_page(browser, (published / "page" / VASE / "index.en.html").as_uri())
    assert browser.evaluate("document.documentElement.lang") == "en"
    _assert_model_drawn(_model_pixels(browser, "folder-file"))


@pytest.mark.parametrize("via", ["http", "file"])
def test_site_index_search_and_filters(browser: Browser, server: str, published: Path, via: str) -> None:
    url = f"{server}/site/index.html" if via == "http" else (published / "site" / "index.html").as_uri()
    browser.open(url)
    browser.pump(0.5)
    assert _problems(browser, server if via == "http" else "") == []
    total = browser.evaluate("document.querySelectorAll('.card').length")
    assert total == 8  # the demo's published items
    visible = ("(() => { const q = document.getElementById('q'); q.value = %r;"
               " q.dispatchEvent(new Event('input')); return [...document.querySelectorAll('.card')]"
               ".filter(c => !c.hidden).map(c => c.querySelector('.card-title').textContent); })()")
    assert browser.evaluate(visible % "bun bo hue") == ["Bún bò Huế"]
    assert browser.evaluate(visible % "CHE HAT SEN") == ["Chè hạt sen long nhãn"]
    dishes = browser.evaluate("(() => { const q = document.getElementById('q'); q.value = '';"
                              " const k = document.getElementById('kind'); k.value = 'dish';"
                              " k.dispatchEvent(new Event('input'));"
                              " return document.querySelectorAll('.card:not([hidden])').length; })()")
    assert 0 < dishes < total
    if via == "http":
        browser.keep_screenshot("site-index")


@pytest.mark.parametrize("via", ["http", "file"])
def test_site_item_page_shows_its_model(browser: Browser, server: str, published: Path, via: str) -> None:
    rel = "site/items/at-0001/index.html"
    url = f"{server}/{rel}" if via == "http" else (published / rel).as_uri()
    _open_model_page(browser, url, server if via == "http" else "")
    _assert_model_drawn(_model_pixels(browser, f"site-item-{via}"))


def test_chromium_is_a_real_browser() -> None:
    assert shutil.which(chromium_path() or "") is not None
