"""AR attributes and the map page in a real browser: the map renders from file:// and from a
local server with no request leaving the machine, markers for public places only; item pages
offer AR with files that exist and fetch nothing for it. Screenshots go to $HERITAGE_SCREENSHOTS."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive
from archive.demo import build_demo
from archive.publish import build_site

from .cdp import Browser

DRIVER_NOISE = ("GL Driver Message", "GPU stall due to ReadPixels", "rAF timed out in updateSource")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("armap")
    build_demo(root / "archive")
    with Archive.open(root / "archive") as archive:
        incense = archive.find_by_accession("BTCVCĐ-0003")  # sensitive place, only reviewed: publish it here
        assert incense is not None
        archive.update(incense, {"status": "published"})
        build_site(archive, root / "site", up_axis="z")
    return root / "site"


@pytest.fixture(scope="module")
def served_folder(site: Path) -> Path:
    return site


def _problems(browser: Browser, origin: str = "") -> list[str]:
    return [p for p in browser.problems((origin,) if origin else ()) if not any(n in p for n in DRIVER_NOISE)]


@pytest.mark.parametrize("via", ["http", "file"])
def test_map_shows_public_places_only_and_stays_offline(browser: Browser, site: Path, server: str, via: str) -> None:
    url = f"{server}/map.en.html" if via == "http" else (site / "map.html").as_uri()
    browser.open(url)
    browser.pump(0.5)
    assert _problems(browser, server if via == "http" else "") == []
    markers = browser.evaluate("[...document.querySelectorAll('#map a.marker')].map(a => a.dataset.item)")
    assert len(markers) == 1 and markers[0].startswith("items/btcvcd-0001--")  # the bell; not the incense burner
    box = browser.evaluate("(() => { const r = document.querySelector('#map circle').getBoundingClientRect();"
                           " return [r.width, r.height]; })()")
    assert box[0] > 5 and box[1] > 5  # drawn, not collapsed
    assert browser.evaluate("document.querySelectorAll('#map image').length") == 0  # no tiles configured
    browser.keep_screenshot(f"map-{via}")


def test_sensitive_place_not_in_map_source(site: Path) -> None:
    for name in ("map.html", "map.en.html"):
        text = (site / name).read_text(encoding="utf-8")
        assert "Thế Miếu" not in text and "Lư hương" not in text and "Tripod bronze" not in text


def test_item_page_offers_ar_with_existing_files(browser: Browser, site: Path, server: str) -> None:
    folder = next(site.glob("items/btcvcd-0002--*"))
    html = (folder / "index.en.html").read_text(encoding="utf-8")
    assert 'ar-modes="webxr scene-viewer quick-look"' in html and 'ios-src="model.usdz"' in html
    assert (folder / "model.usdz").stat().st_size > 0 and (folder / "model.glb").stat().st_size > 0
    browser.open(f"{server}/items/{folder.name}/index.en.html", wait_for="document.documentElement.dataset.model"
                 " === 'loaded'", timeout=90)
    browser.pump(1.0)
    assert _problems(browser, server) == []
    requested = [e["params"]["request"]["url"] for e in browser.events
                 if e.get("method") == "Network.requestWillBeSent"]
    assert not any(u.endswith(".usdz") for u in requested)  # fetched only when AR Quick Look starts
    assert browser.evaluate("document.getElementById('model').getAttribute('ios-src')") == "model.usdz"
