"""Rendering through the legacy GL backend (headless EGL here): frames match the camera,
thumbnails are not blank, LOD is used while moving, modes and sections change pixels."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh
from PIL import Image

from tests.viewer.conftest import to_model
from viewer import Settings, ViewerSession, default_service, render_thumbnail
from viewer.model import Model

pytestmark = pytest.mark.gl


def _render(session: ViewerSession, w: int = 160, h: int = 120, moving: bool = False) -> np.ndarray:
    svc = default_service()
    return svc.call(lambda: session.render(w, h, moving, renderer=svc.renderer))


def _session(model: Model, **settings: object) -> ViewerSession:
    s = ViewerSession(settings=Settings(background=(0, 0, 0), **settings))  # type: ignore[arg-type]
    s.set_model(model)
    return s


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
def test_silhouette_matches_ray_casting(sphere_model: Model, projection: str) -> None:
    s = _session(sphere_model, lighting="flat", projection=projection)
    s.camera.orbit(20, 10)
    s.camera.pan(15, -8, 120)
    img = _render(s)
    rendered = img.sum(axis=2) > 30
    yy, xx = np.mgrid[0:120, 0:160]
    hits = np.array([s.pick(x, y, 160, 120) is not None for x, y in zip(xx.ravel(), yy.ravel(), strict=True)])
    mismatch = (rendered.ravel() ^ hits).sum()
    assert rendered.sum() > 500
    assert mismatch <= 0.01 * rendered.sum()


def test_thumbnail_is_not_blank(corpus: Path) -> None:
    png = render_thumbnail(corpus / "odedstein-meshes/nefertiti/nefertiti-lowres.obj", 256)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    assert img.shape == (256, 256, 3)
    bg = img[0, 0]
    covered = (np.abs(img - bg).sum(axis=2) > 30).mean()
    assert 0.1 < covered < 0.9
    fg = img[np.abs(img - bg).sum(axis=2) > 30]
    assert fg.std() > 10  # shaded, not a flat silhouette


@pytest.mark.parametrize("rel", ["pcx-guanyin/Guanyin.ply",
                                 "ycb-pybullet/YcbBanana/textured_simple_reoriented.obj",
                                 "gltf-sample-assets/Avocado/glTF-Draco/Avocado.gltf"])
def test_coloured_and_textured_thumbnails_have_colour(corpus: Path, rel: str) -> None:
    img = np.asarray(Image.open(io.BytesIO(render_thumbnail(corpus / rel, 128))), dtype=float)
    saturation = img.max(axis=2) - img.min(axis=2)
    assert (saturation > 40).mean() > 0.02


def test_poster_size(corpus: Path) -> None:
    from viewer import render_poster

    img = Image.open(io.BytesIO(render_poster(corpus / "trimesh/teapot.stl")))
    assert img.size == (1024, 1024)


@pytest.mark.parametrize("mode", ["shaded", "wireframe", "points"])
def test_display_modes_render(sphere_model: Model, mode: str) -> None:
    s = _session(sphere_model, mode=mode)
    assert (_render(s).sum(axis=2) > 30).sum() > 200


def test_raking_light_changes_shading(sphere_model: Model) -> None:
    s = _session(sphere_model, mode="shaded")
    s.apply(s.settings.with_preset("raking-left"))
    a = _render(s).astype(float)
    s.apply(s.settings.with_preset("raking-right"))
    b = _render(s).astype(float)
    # light from the left brightens the left half
    assert a[:, :80].mean() > a[:, 80:].mean() and b[:, 80:].mean() > b[:, :80].mean()


def test_section_removes_pixels() -> None:
    # Clipping keeps straddling triangles whole, so the box needs a fine tessellation.
    tm = trimesh.creation.box(extents=[40.0, 20.0, 10.0]).subdivide().subdivide().subdivide()
    s = _session(to_model(tm), lighting="flat")
    s.camera.set_view("top")
    full = (_render(s).sum(axis=2) > 30).sum()
    s.apply(replace(s.settings, section_enabled=True, section_axis="x", section_offset=0.5))
    half = (_render(s).sum(axis=2) > 30).sum()
    assert 0.4 < half / full < 0.65


def test_lod_used_while_moving_full_at_rest() -> None:
    model = to_model(trimesh.creation.icosphere(subdivisions=8))  # 1.3M triangles
    s = _session(model)
    s.build_lod()
    _render(s, moving=True)
    assert s.last_frame["level"] == "lod"
    assert int(s.last_frame["primitives"]) <= 250_000  # type: ignore[call-overload]
    _render(s, moving=False)
    assert s.last_frame["level"] == "full"


def test_snapshot_cli_writes_png_and_fails_cleanly(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.png"
    cmd = [sys.executable, "-m", "heritage_app.viewer_cli", "snapshot",
           str(corpus / "trimesh/teapot.stl"), "--out", str(out), "--size", "200", "--view", "top"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert Image.open(out).size == (200, 200)
    bad = subprocess.run(cmd[:4] + [str(corpus / "assimp/invalid/OutOfMemory.off"), "--out",
                                   str(tmp_path / "x.png")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    assert not (tmp_path / "x.png").exists()


def test_empty_scene_renders_background() -> None:
    s = ViewerSession(settings=Settings(background=(1.0, 0.0, 0.0)))
    img = _render(s, 32, 24)
    assert (img[..., 0] == 255).all()
    assert o3d is not None
