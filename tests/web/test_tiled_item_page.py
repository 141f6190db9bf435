"""``export --format html`` of a cloud too big for one web GLB, in a real browser (headless
Chromium, from file://, offline): the page streams the 3D Tiles and has the normal page's
notes, tour, details and licence; the public note's button sits on its point — checked against
the picture itself (the cloud is red only around that point) — and follows the camera; the
tour's stop looks at its saved view; nothing leaves the folder; no console errors.
Screenshots go to $HERITAGE_SCREENSHOTS."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.archive.tiled_item import PUBLIC_NOTE, TiledExport, build

from .cdp import Browser

LOADED = "document.documentElement.dataset.model === 'loaded' && document.documentElement.dataset.tour === 'ready'"
NOISE = ("GL Driver Message", "GPU stall due to ReadPixels", "tiles versions at 1.1 or higher have limited support")
SPOT = """(() => { const b = document.querySelector('#tiles .hotspot'), r = document.getElementById('tiles')
  .getBoundingClientRect(), box = b.getBoundingClientRect();
  return {centre: [box.left + box.width / 2, box.top + box.height / 2], view: [r.left, r.top],
          visible: b.hasAttribute('data-visible'), title: b.textContent}; })()"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> TiledExport:
    return build(tmp_path_factory.mktemp("tiled-html"))


@pytest.fixture(scope="module")
def served_folder(exported: TiledExport) -> Path:
    return exported.folder.parent


def _idle(browser: Browser) -> None:
    for _ in range(120):
        browser.pump(0.5)
        if browser.evaluate("HeritageTilesPage.stats().idle"):
            browser.pump(1.0)  # a frame or two more: the buttons are placed after drawing
            return
    raise TimeoutError("the tiles never finished loading")


def _shot(browser: Browser, name: str) -> np.ndarray:
    with Image.open(io.BytesIO(browser.keep_screenshot(name))) as img:
        return np.asarray(img.convert("RGB")).astype(int)


def _red_centre(browser: Browser, name: str) -> np.ndarray:
    """Centre (CSS px) of the red patch's pixels, with the note's buttons hidden."""
    _shot(browser, name + "-notes")
    browser.evaluate("document.querySelectorAll('#tiles .hotspot').forEach(b => b.style.visibility = 'hidden')")
    browser.pump(0.5)
    pixels = _shot(browser, name)
    browser.evaluate("document.querySelectorAll('#tiles .hotspot').forEach(b => b.style.visibility = '')")
    red = (pixels[..., 0] > 150) & (pixels[..., 1] < 60) & (pixels[..., 2] < 90)
    assert red.sum() > 20, f"{name}: the red patch is not drawn"
    ys, xs = np.nonzero(red)
    scale = pixels.shape[1] / browser.evaluate("window.innerWidth")
    return np.array([xs.mean(), ys.mean()]) / scale


@pytest.mark.parametrize("via", ["file", "http"])
def test_the_exported_page_of_a_big_cloud_streams_tiles_with_its_notes_on_their_points(
        browser: Browser, exported: TiledExport, server: str, via: str) -> None:
    folder = exported.folder.as_uri() if via == "file" else f"{server}/{exported.folder.name}"
    browser.open(f"{folder}/index.html", wait_for=LOADED, timeout=240)
    _idle(browser)
    for name, tour_stop in ((f"tiled-html-{via}", False), (f"tiled-html-{via}-tour", True)):
        if tour_stop:
            browser.evaluate("document.getElementById('tour-next').click()")
            browser.pump(1.0)
            _idle(browser)
        spot = browser.evaluate(SPOT)
        assert spot["visible"] and PUBLIC_NOTE in spot["title"]
        red = _red_centre(browser, name)
        assert np.linalg.norm(np.array(spot["centre"]) - red) < 6, (name, spot, red.tolist())
    camera = browser.evaluate("HeritageTilesPage.camera()")
    assert np.allclose(camera["target"], exported.point_yup, atol=1e-3)  # the stop's view: on the note's point
    eye = np.asarray(camera["position"]) - exported.point_yup  # saved eye: (-6, -6, +5) in the file's z-up
    assert np.allclose(eye, [-6.0, 5.0, 6.0], atol=1e-3) and math.isclose(camera["fov"], 40, abs_tol=0.01)
    assert browser.evaluate("document.getElementById('tour').dataset.stop") == "1"
    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    assert all(u.startswith((folder + "/", "data:")) for u in requests), "only the page's folder"
    if via == "http":  # served, the finest level is streamed too
        assert browser.evaluate("HeritageTilesPage.stats().deepest") == 2
    allowed = (server,) if via == "http" else ()
    assert [p for p in browser.problems(allowed) if not any(n in p for n in NOISE)] == []


def test_the_single_file_page_shows_the_coarse_levels_and_the_note(browser: Browser, exported: TiledExport) -> None:
    browser.open(exported.single.as_uri(), wait_for=LOADED, timeout=240)
    browser.pump(1.5)
    _shot(browser, "tiled-html-single")
    assert browser.evaluate("document.querySelectorAll('model-viewer .hotspot').length") == 1
    assert [p for p in browser.problems(()) if not any(n in p for n in NOISE + ("rAF timed out",))] == []
