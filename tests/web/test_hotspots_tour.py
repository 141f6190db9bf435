"""Hotspots and the guided tour in a real browser (headless Chromium, offline): hotspots sit on
the model where a pinhole camera puts their points and follow the camera; the tour's buttons
(mouse and keyboard) set model-viewer's camera from the saved views, a stop's target at the
centre of the view; no console error, no request leaving the machine, on the site (http and
file://), the folder page and the single-file page. Screenshots go to $HERITAGE_SCREENSHOTS."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image

from archive import Archive
from archive.demo import build_demo
from archive.publish import build_site, export_item

from .cdp import Browser

LOADED = "document.documentElement.dataset.model === 'loaded' && document.documentElement.dataset.tour === 'ready'"
DRIVER_NOISE = ("GL Driver Message", "GPU stall due to ReadPixels", "rAF timed out in updateSource")
PRIVATE = "Ghi chú riêng 0c5e"


def _body_vertex(vertices: np.ndarray, normals: np.ndarray, axis: int) -> int:
    """A vertex half-way up the vase (y up, mm) on its +``axis`` side: one a camera sees face on."""
    height = vertices[:, 1]
    middle = np.abs(height - (height.min() + height.max()) / 2) < 0.1 * np.ptp(height)
    return int(np.argmax(np.where(middle & (normals[:, axis] > 0.9), vertices[:, axis], -np.inf)))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("tour")
    build_demo(root / "archive")
    with Archive.open(root / "archive") as archive:
        vase = archive.find_by_accession("BTCVCĐ-0002")
        assert vase is not None
        mesh = trimesh.load(archive.master_path(vase), force="mesh", process=False)
        v, n = np.asarray(mesh.vertices), np.asarray(mesh.vertex_normals)
        front, side = _body_vertex(v, n, 2), _body_vertex(v, n, 0)
        close = {"eye": (v[front] + 250 * n[front]).tolist(), "target": v[front].tolist(), "up": [0, 1, 0], "fov": 35}
        wide = {"eye": [420.0, 260.0, 380.0], "target": [0.0, 160.0, 0.0], "up": [0, 1, 0], "fov": 30}
        archive.add_record(vase, "annotation", [v[front].tolist()], normal=n[front].tolist(), title_vi="Hoa văn",
                           title_en="Painted motif", text_vi="Vẽ men lam dưới men.",
                           text_en="Painted in cobalt under the glaze.", view=close, public=True)
        archive.add_record(vase, "landmark", [v[side].tolist()], normal=n[side].tolist(), title_vi="Thân bình",
                           view=wide, public=True)
        archive.add_record(vase, "annotation", [v[side].tolist()], title_vi=PRIVATE)
        export_item(archive, vase, root / "page", "html", "web")
        build_site(archive, root / "site")
    folder = next(p for p in (root / "page").iterdir() if p.is_dir())
    item = next((root / "site" / "items").glob("btcvcd-0002--*"))
    return {"root": root, "folder": folder, "single": root / "page" / f"{folder.name}.html",
            "item": item.relative_to(root).as_posix(), "points_m": (v[front] / 1000, v[side] / 1000),
            "views": (close, wide)}


@pytest.fixture(scope="module")
def served_folder(published: dict[str, Any]) -> Path:
    return Path(published["root"])


def _problems(browser: Browser, origin: str = "") -> list[str]:
    return [p for p in browser.problems((origin,) if origin else ()) if not any(n in p for n in DRIVER_NOISE)]


def _open(browser: Browser, url: str, origin: str = "") -> None:
    browser.open(url, wait_for=LOADED, timeout=120)
    browser.pump(1.5)
    assert _problems(browser, origin) == []


def _shot(browser: Browser, name: str) -> bytes:
    return browser.keep_screenshot(name)


STATE = """(() => {
  const v = document.getElementById('model'), r = v.getBoundingClientRect();
  const spots = [...v.querySelectorAll('.hotspot')].map(b => {
    const q = v.queryHotspot(b.slot), box = b.getBoundingClientRect();
    return {slot: b.slot, canvas: [q.canvasPosition.x, q.canvasPosition.y], facing: q.facingCamera,
            centre: [box.left + box.width / 2 - r.left, box.top + box.height / 2 - r.top],
            visible: b.hasAttribute('data-visible'), expanded: b.getAttribute('aria-expanded')};
  });
  const o = v.getCameraOrbit(), t = v.getCameraTarget();
  return {size: [r.width, r.height], spots, orbit: [o.theta, o.phi, o.radius], target: [t.x, t.y, t.z],
          fov: v.getFieldOfView(), stop: document.getElementById('tour').dataset.stop,
          status: document.getElementById('tour-status').textContent};
})()"""


def _state(browser: Browser, settle: bool = True) -> dict[str, Any]:
    if settle:
        browser.evaluate("document.getElementById('model').jumpCameraToGoal()")
        browser.pump(0.8)  # a frame or two, so hotspots are placed for the new camera
    return browser.evaluate(STATE)


def _project(point: np.ndarray, view: dict[str, Any], size: list[float]) -> np.ndarray:
    """Where a pinhole camera at the view (already in metres, y up) puts ``point`` on a canvas of ``size``."""
    eye, target = np.asarray(view["eye"]) / 1000, np.asarray(view["target"]) / 1000
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, (0, 1, 0))
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    d = point - eye
    half = math.tan(math.radians(view["fov"]) / 2)
    ndc = np.array([d @ right / (d @ forward * half * size[0] / size[1]), d @ up / (d @ forward * half)])
    return np.array([(ndc[0] + 1) / 2 * size[0], (1 - ndc[1]) / 2 * size[1]])


def _press_enter(browser: Browser, element_id: str) -> None:
    """A real Enter key press on a focused element (the browser's own Enter → click on a button)."""
    browser.evaluate(f"document.getElementById({element_id!r}).focus()")
    browser.call("Input.dispatchKeyEvent", type="keyDown", key="Enter", code="Enter", windowsVirtualKeyCode=13,
                 text="\r")
    browser.call("Input.dispatchKeyEvent", type="keyUp", key="Enter", code="Enter", windowsVirtualKeyCode=13)


def test_hotspots_sit_on_the_model_and_follow_the_camera(browser: Browser, server: str,
                                                         published: dict[str, Any]) -> None:
    _open(browser, f"{server}/{published['item']}/index.en.html", server)
    first = _state(browser, settle=False)
    assert [s["slot"] for s in first["spots"]] == ["hotspot-1", "hotspot-2"]
    for spot in first["spots"]:
        assert 0 < spot["canvas"][0] < first["size"][0] and 0 < spot["canvas"][1] < first["size"][1]
        assert np.allclose(spot["centre"], spot["canvas"], atol=1.5)  # the button is drawn where its point is
    front = first["spots"][0]
    assert front["facing"] and front["visible"]  # the default camera looks along -z: this point faces it
    # On the model, not beside it: with the hotspots hidden, the pixel under the point is the vase, not background.
    browser.evaluate("document.querySelectorAll('.hotspot').forEach(h => h.style.visibility = 'hidden')")
    browser.pump(0.5)
    rect = browser.evaluate("(() => { const r = document.getElementById('model').getBoundingClientRect();"
                            " return [r.left, r.top]; })()")
    with Image.open(io.BytesIO(_shot(browser, "hotspots-hidden"))) as img:
        x, y = (int(round(rect[0] + front["canvas"][0])), int(round(rect[1] + front["canvas"][1])))
        around = np.asarray(img.convert("RGB"))[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).astype(int)
    assert (np.abs(around - 255).sum(axis=1) > 30).all(), f"background under the hotspot: {around.tolist()}"
    browser.evaluate("document.querySelectorAll('.hotspot').forEach(h => h.style.visibility = '')")
    browser.evaluate("document.getElementById('model').cameraOrbit = '90deg 75deg auto'")
    turned = _state(browser)
    assert np.linalg.norm(np.subtract(turned["spots"][0]["canvas"], front["canvas"])) > 50  # it moved with the model
    assert not turned["spots"][0]["facing"] and turned["spots"][1]["facing"]  # now the side point faces the camera
    assert _problems(browser, server) == []


def test_tour_buttons_and_keys_set_the_saved_views(browser: Browser, server: str, published: dict[str, Any]) -> None:
    _open(browser, f"{server}/{published['item']}/index.en.html", server)
    start = _state(browser)
    assert start["stop"] == "0" and start["status"] == "2 stops: press “Next” to begin."
    close, wide = published["views"]
    browser.evaluate("document.getElementById('tour-next').click()")
    one = _state(browser)
    assert one["stop"] == "1" and one["status"] == "Stop 1 of 2"
    assert np.allclose(one["target"], published["points_m"][0], atol=1e-5)
    assert one["orbit"][2] == pytest.approx(0.25, abs=1e-4)  # 250 mm along the normal: nearer than model-viewer allows
    assert one["fov"] == pytest.approx(35, abs=1e-3)
    centre = np.asarray(one["size"]) / 2
    assert np.allclose(one["spots"][0]["canvas"], centre, atol=1.5)  # the stop looks straight at its note
    assert one["spots"][0]["expanded"] == "true"  # and opens it
    _shot(browser, "tour-stop-1")
    _press_enter(browser, "tour-next")
    two = _state(browser)
    assert two["stop"] == "2" and two["fov"] == pytest.approx(30, abs=1e-3)
    for point, spot in zip(published["points_m"], two["spots"], strict=True):
        assert np.allclose(spot["canvas"], _project(point, wide, two["size"]), atol=2.0), spot
    _shot(browser, "tour-stop-2")
    browser.evaluate("document.getElementById('tour').dispatchEvent(new KeyboardEvent('keydown', "
                     "{key: 'ArrowLeft', bubbles: true}))")
    assert _state(browser)["stop"] == "1"
    browser.evaluate("document.getElementById('tour-prev').click()")
    back = _state(browser)
    assert back["stop"] == "0" and np.allclose(back["orbit"], start["orbit"], atol=1e-4)
    assert np.allclose(back["target"], start["target"], atol=1e-5) and back["fov"] == pytest.approx(start["fov"])
    assert browser.evaluate("document.getElementById('tour-prev').getAttribute('aria-disabled')") == "true"
    assert browser.evaluate("document.getElementById('tour-stop-2').value") == 2
    assert _problems(browser, server) == []


@pytest.mark.parametrize("page", ["site-file", "folder-file", "single-file"])
def test_pages_opened_from_disk_stay_offline(browser: Browser, published: dict[str, Any], page: str) -> None:
    path = {"site-file": published["root"] / published["item"] / "index.html",
            "folder-file": published["folder"] / "index.html", "single-file": published["single"]}[page]
    assert PRIVATE not in path.read_text(encoding="utf-8")
    _open(browser, path.as_uri())
    browser.evaluate("document.getElementById('tour-next').click()")
    state = _state(browser)
    assert state["stop"] == "1" and len(state["spots"]) == 2
    assert np.allclose(state["spots"][0]["canvas"], np.asarray(state["size"]) / 2, atol=1.5)
    assert _problems(browser) == []
