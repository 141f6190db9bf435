"""Clouds of every accepted point format (PCD, PTS, E57, LAS, LAZ, PLY, XYZ) on published pages,
in a real browser from file:// (headless Chromium, offline): the site's item page and
``export --format html``'s folder page show the points (model-viewer), and a cloud over the
profile's budget gets the streamed 3D Tiles page (a profile with a tiny budget makes the small
samples "big"). Points drawn, in more than one colour; no console errors; nothing leaves the
folder. Screenshots go to $HERITAGE_SCREENSHOTS."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archive import Archive
from archive.publish import build_site, export_item
from archive.publish.profiles import Profile
from tests.archive.test_publish_support import add
from tests.viewer.test_every_import_format import SAMPLES

from .cdp import Browser

CLOUDS = ["pcd", "pts", "e57", "las", "laz", "ply", "xyz"]
TINY = Profile("tiny", "Budget of 100 points", max_points=100)  # the 400-point samples are over it
LOADED = "document.documentElement.dataset.model === 'loaded'"
NOISE = ("GL Driver Message", "GPU stall due to ReadPixels", "tiles versions at 1.1 or higher have limited support",
         "rAF timed out in updateSource")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(format, "site" | "html" | "tiles") -> the page."""
    root = tmp_path_factory.mktemp("cloud-formats")
    out: dict[tuple[str, str], Path] = {}
    with Archive.create(root / "archive") as archive:
        for fmt in CLOUDS:
            folder = root / "src" / fmt
            folder.mkdir(parents=True)
            item = add(archive, SAMPLES[fmt](folder), "other", accession=f"CF-{fmt}", title_vi=f"Đám mây {fmt}",
                       status="published")
            out[fmt, "html"] = export_item(archive, item, root / "html" / fmt, "html", "web").files[0]
            out[fmt, "tiles"] = export_item(archive, item, root / "tiles" / fmt, "html", TINY).files[0]
        build_site(archive, root / "site")
    for fmt in CLOUDS:
        out[fmt, "site"] = next((root / "site" / "items").glob(f"cf-{fmt}--*")) / "index.html"
    return out


def _drawn(browser: Browser, element: str, name: str) -> np.ndarray:
    """The pixels of ``element`` that are not its background (screenshot kept)."""
    png = browser.keep_screenshot(name)
    rect = browser.evaluate(f"(() => {{ const r = document.getElementById('{element}').getBoundingClientRect();"
                            " return [r.left + 8, r.top + 8, r.right - 8, r.bottom - 40]"
                            ".map(v => Math.round(v * devicePixelRatio)); })()")
    with Image.open(io.BytesIO(png)) as img:
        pixels = np.asarray(img.convert("RGB").crop(tuple(rect))).astype(int)
    background = np.median(pixels.reshape(-1, 3), axis=0)
    return pixels[np.abs(pixels - background).sum(axis=2) > 60]


@pytest.mark.parametrize("kind", ["site", "html", "tiles"])
@pytest.mark.parametrize("fmt", CLOUDS)
def test_every_cloud_format_is_shown_on_its_page(browser: Browser, pages: dict[tuple[str, str], Path], fmt: str,
                                                 kind: str) -> None:
    page = pages[fmt, kind]
    text = page.read_text(encoding="utf-8")
    tiled = 'id="tiles"' in text
    assert tiled == (kind == "tiles"), "the tiny profile's pages stream tiles, the others show one GLB"
    browser.open(page.as_uri(), wait_for=LOADED, timeout=180)
    browser.pump(2.0)
    if tiled:
        stats = browser.evaluate("HeritageTilesPage.stats()")
        assert stats["loaded"] > 0 and stats["failed"] == 0
    drawn = _drawn(browser, "tiles" if tiled else "model", f"cloud-{fmt}-{kind}")
    coloured = drawn[drawn.max(axis=1) - drawn.min(axis=1) > 60]  # the samples' random colours; not the grey shadow
    assert len(coloured) > 100, "points are drawn in the cloud's colours"
    assert coloured.std(axis=0).min() > 30, "in many colours, not one"
    folder = page.parent.as_uri() if kind != "site" else page.parents[2].as_uri()
    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    assert all(u.startswith((folder + "/", "data:", "blob:")) for u in requests)
    assert [p for p in browser.problems(()) if not any(n in p for n in NOISE)] == []
