"""USDZ for AR Quick Look: made with usd-core from a web GLB, in metres, y-up, textured; it passes
usd-core's validators (what usdchecker runs), and a broken package does not."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from archive.publish import usdz

pytestmark = pytest.mark.skipif(not usdz.available(), reason="usd-core is not installed "
                                "(pip install heritage-archive[publish])")


def _textured_glb(path: Path) -> Path:
    mesh = trimesh.creation.box((0.30, 0.20, 0.10))  # metres, as in every web GLB
    uv = np.random.default_rng(0).random((len(mesh.vertices), 2))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (16, 16), (180, 60, 40)))
    mesh.export(path)
    return path


def test_textured_model_passes_the_checker_in_metres(tmp_path: Path) -> None:
    from pxr import Usd, UsdGeom

    out = usdz.write_usdz(_textured_glb(tmp_path / "m.glb"), tmp_path / "m.usdz")
    assert usdz.check(out) == []
    names = zipfile.ZipFile(out).namelist()
    assert names[0].endswith(".usdc") and any(n.endswith(".jpg") for n in names)
    stage = Usd.Stage.Open(str(out))
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0 and UsdGeom.GetStageUpAxis(stage) == "Y"
    lo, hi = UsdGeom.Mesh(stage.GetPrimAtPath("/Model/Mesh_0")).GetExtentAttr().Get()
    assert np.allclose(np.array(hi) - np.array(lo), [0.30, 0.20, 0.10], atol=1e-5)
    mesh = UsdGeom.Mesh(stage.GetPrimAtPath("/Model/Mesh_0"))
    assert mesh.GetNormalsAttr().Get() is not None
    assert UsdGeom.PrimvarsAPI(mesh).GetPrimvar("st").Get() is not None


def test_vertex_coloured_model_passes(tmp_path: Path) -> None:
    sphere = trimesh.creation.icosphere(radius=0.1)
    sphere.visual.vertex_colors = [200, 100, 40, 255]
    sphere.export(tmp_path / "s.glb")
    assert usdz.check(usdz.write_usdz(tmp_path / "s.glb", tmp_path / "s.usdz")) == []


def test_point_cloud_is_refused(tmp_path: Path) -> None:
    trimesh.PointCloud(np.random.default_rng(1).random((50, 3))).export(tmp_path / "c.glb")
    with pytest.raises(usdz.UsdzNotMade):
        usdz.write_usdz(tmp_path / "c.glb", tmp_path / "c.usdz")


def test_checker_finds_a_broken_package(tmp_path: Path) -> None:
    (tmp_path / "x.usda").write_text("#usda 1.0\n")
    Image.new("RGB", (4, 4)).save(tmp_path / "x.gif")
    with zipfile.ZipFile(tmp_path / "bad.usdz", "w") as z:
        z.write(tmp_path / "x.usda", "x.usda")
        z.write(tmp_path / "x.gif", "x.gif")
    found = " ".join(usdz.check(tmp_path / "bad.usdz"))
    assert "UnsupportedFileExtensionInPackage" in found and "MissingMetersPerUnitMetadata" in found
