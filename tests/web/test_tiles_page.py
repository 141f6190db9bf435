"""Pages of tiled point clouds in a real browser (Debian's headless Chromium): the tileset
loads, finer tiles are requested as the camera comes closer, nothing is asked of any place
outside the output folder, no console errors, and points are actually drawn. From a local
static server (every level) and from file:// (the script copies of the coarse levels).
Screenshots are kept in ``$HERITAGE_SCREENSHOTS`` when set."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archive import Archive
from archive.publish import build_site
from archive.publish.cloudstream import ArraySource
from archive.publish.tiles3d import write_tileset
from archive.publish.tilespage import write_export_page
from tests.archive.test_publish_support import add
from tests.archive.test_tiles3d import _write_las, terrain

from .cdp import Browser

LOADED = "document.documentElement.dataset.model === 'loaded'"
# Not page defects: software rendering's performance notes, and 3d-tiles-renderer's note that
# it supports "most" of 3D Tiles 1.1 (it reads our tiles, which use no 1.1 extension, fully).
NOISE = ("GL Driver Message", "GPU stall due to ReadPixels", "tiles versions at 1.1 or higher have limited support")
BACKGROUND = np.array([0x20, 0x21, 0x24])


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``cloud/``: a 200,000-point tileset with a deep tree and its page (budget for file://
    copies: 400 kB); ``site/``: a site whose one item is a cloud over the mobile budget."""
    root = tmp_path_factory.mktemp("tiles-web")
    points, colours = terrain()
    report = write_tileset(ArraySource(points, colours), root / "out" / "cloud", {}, grid=32, leaf_max=2_000,
                           local_budget=400_000)
    write_export_page(root / "out" / "cloud", {"extras": {"title": "Sân đất", "licence": "CC-BY-4.0"}}, report)
    zup = np.column_stack([points[:, 0], -points[:, 2], points[:, 1]])
    with Archive.create(root / "archive") as archive:
        item = add(archive, _write_las(root / "yard.las", zup, colours), "other", title_vi="Sân", accession="S-1",
                   status="published")
        archive.update_asset(archive.assets(item)[0]["id"], {"up_axis": "z", "units": "m"})
        build_site(archive, root / "out" / "site", profile="mobile")
    return root / "out"


@pytest.fixture(scope="module")
def served_folder(published: Path) -> Path:
    return published


def _problems(browser: Browser, allowed: str) -> list[str]:
    return [p for p in browser.problems((allowed,)) if not any(n in p for n in NOISE)]


def _requests(browser: Browser) -> list[str]:
    return [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]


def _settle(browser: Browser, after: int, timeout: float = 60.0) -> dict:
    """The page's tile statistics once it has made more than ``after`` requests and is idle."""
    end = time.time() + timeout
    while time.time() < end:
        browser.pump(0.5)
        stats = browser.evaluate("HeritageTilesPage.stats()")
        if stats["requested"] > after and stats["idle"]:
            return stats
    raise TimeoutError(f"no further tiles were loaded in {timeout:.0f} s")


def _drawn(browser: Browser, name: str) -> float:
    """Share of the viewer's pixels that are not its background (screenshot kept)."""
    png = browser.keep_screenshot(name)
    rect = browser.evaluate("(() => { const r = document.getElementById('tiles').getBoundingClientRect();"
                            " return [r.left + 8, r.top + 8, r.right - 8, r.bottom - 40].map(Math.round); })()")
    with Image.open(io.BytesIO(png)) as img:
        pixels = np.asarray(img.convert("RGB").crop(tuple(rect))).astype(int)
    drawn = np.abs(pixels - BACKGROUND).sum(axis=2) > 30
    assert pixels[drawn].std() > 5, "the drawn points are one flat colour: no colours from the tiles"
    return float(drawn.mean())


def test_served_page_streams_finer_tiles_as_the_camera_comes_closer(browser: Browser, server: str) -> None:
    browser.open(f"{server}/cloud/index.html", wait_for=LOADED, timeout=240)
    first = _settle(browser, 0)
    glbs = [u for u in _requests(browser) if u.endswith(".glb")]
    assert first["loaded"] == first["requested"] == len(glbs) > 0 and first["failed"] == 0
    assert f"{server}/cloud/tiles/0/0-0-0.glb" in glbs
    assert 0.05 < _drawn(browser, "tiles-http") < 0.9
    browser.evaluate("HeritageTilesPage.dolly(0.15)")
    closer = _settle(browser, first["requested"])
    more = [u for u in _requests(browser) if u.endswith(".glb")]
    assert len(more) > len(glbs) and closer["deepest"] > first["deepest"], (first, closer)
    assert _drawn(browser, "tiles-http-closer") > 0.05
    assert all(u.startswith(f"{server}/cloud/") for u in _requests(browser)), "only the output folder"
    assert _problems(browser, server) == []


def test_page_from_a_file_shows_the_coarse_levels_from_their_script_copies(browser: Browser,
                                                                           published: Path) -> None:
    folder = published / "cloud"
    browser.open((folder / "index.html").as_uri(), wait_for=LOADED, timeout=240)
    stats = _settle(browser, 0)
    scripts = [u for u in _requests(browser) if u.endswith(".glb.js")]
    assert stats["failed"] == 0 and stats["loaded"] == len(scripts) > 0
    local_levels = len({u.split("/tiles/")[1].split("/")[0] for u in scripts})
    assert stats["deepest"] == local_levels - 1
    assert browser.evaluate("!document.getElementById('tiles-hint').hidden")
    assert _drawn(browser, "tiles-file") > 0.05
    assert all(u.startswith(folder.as_uri() + "/") for u in _requests(browser)), "only the output folder"
    assert _problems(browser, "") == []


@pytest.mark.parametrize("via", ["http", "file"])
def test_site_page_of_a_big_cloud_shows_its_tiles(browser: Browser, server: str, published: Path, via: str) -> None:
    rel = "site/items/s-1/index.html"
    url = f"{server}/{rel}" if via == "http" else (published / rel).as_uri()
    browser.open(url, wait_for=LOADED, timeout=240)
    stats = _settle(browser, 0)
    assert stats["failed"] == 0
    assert _drawn(browser, f"tiles-site-{via}") > 0.05
    site = f"{server}/site/" if via == "http" else (published / "site").as_uri() + "/"
    assert all(u.startswith(site) for u in _requests(browser))
    assert _problems(browser, server if via == "http" else "") == []
