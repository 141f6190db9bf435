"""Web GLBs: the Khronos validator on every corpus scan, budgets, units and axes, formats."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from archive.publish import get_profile, validate, validator_available
from archive.publish.budget import geometric_error, reduce_model
from archive.publish.export import asset_meta
from archive.publish.formats import write_obj, write_ply, write_stl
from archive.publish.geometry import Model, Part, load_model
from archive.publish.textures import original_candidates, strip_metadata
from archive.publish.webcopy import make_web_glb

from .test_publish_support import glb_json

needs_validator = pytest.mark.skipif(not validator_available(),
                                     reason="the glTF validator is not installed (run scripts/node-deps.sh)")
CORPUS_SCANS = [
    ("odedstein-meshes/nefertiti/nefertiti-lowres.obj", "mm"),
    ("ycb-pybullet/YcbBanana/textured_simple_reoriented.obj", "m"),
    ("pcx-guanyin/Guanyin.ply", "m"),
    ("gltf-sample-assets/BoxTextured/glTF-Binary/BoxTextured.glb", None),
    ("gltf-sample-assets/VertexColorTest/glTF-Binary/VertexColorTest.glb", None),
    ("gltf-sample-assets/DamagedHelmet/glTF-Binary/DamagedHelmet.glb", None),
    ("robotlocomotion-models/veggies/assets/yellow_bell_pepper_no_stem_low.gltf", None),
    ("trimesh/teapot.stl", "mm"),
    ("trimesh/fuze.obj", "m"),
    ("common-3d-test-models/spot_unzipped/spot/spot_triangulated.obj", "m"),
    ("tinyobjloader/cube-vertexcol.obj", "cm"),
]


def _export(path: Path, units: str | None, out: Path, profile: str = "web", **overrides: object):
    model = load_model(path, units)
    prof = get_profile(profile).with_overrides(**overrides)
    report = make_web_glb(model, prof, original_candidates(list(path.parent.iterdir())), out,
                          asset_meta({"title_vi": "Thử", "model_licence": "CC-BY-4.0", "model_credit": "Huế"}))
    return model, report


@needs_validator
@pytest.mark.corpus
@pytest.mark.parametrize("profile", ["archive", "mobile"])
def test_corpus_scans_pass_the_validator(corpus: Path, tmp_path: Path, profile: str) -> None:
    written = []
    for rel, units in CORPUS_SCANS:
        out = tmp_path / (Path(rel).stem + ".glb")
        _export(corpus / rel, units, out, profile)
        written.append(out)
    for path, report in validate(written).items():
        assert report.errors == 0 and report.warnings == 0, f"{path.name}: {report.summary()}"


@needs_validator
def test_draco_copy_passes_the_validator(tmp_path: Path) -> None:
    mesh = trimesh.creation.icosphere(subdivisions=4)
    mesh.export(tmp_path / "s.ply")
    _export(tmp_path / "s.ply", "m", tmp_path / "d.glb", compress="draco")
    doc = glb_json(tmp_path / "d.glb")
    assert doc["extensionsRequired"] == ["KHR_draco_mesh_compression"]
    assert validate([tmp_path / "d.glb"])[tmp_path / "d.glb"].errors == 0


def test_mobile_budget_is_met_by_decimation(tmp_path: Path) -> None:
    mesh = trimesh.creation.icosphere(subdivisions=7)  # 327k triangles, ~12 MB as plain GLB
    mesh.export(tmp_path / "big.ply")
    model, report = _export(tmp_path / "big.ply", "mm", tmp_path / "m.glb", "mobile")
    assert report.bytes <= 3 * 1024 * 1024 == report.budget
    assert (tmp_path / "m.glb").stat().st_size == report.bytes
    assert 0 < report.triangles < model.triangles
    assert report.error is not None and report.error.mean_rel < 1e-3 and report.error.max_rel < 1e-2


def test_texture_that_fits_is_copied_byte_for_byte(tmp_path: Path) -> None:
    mesh = trimesh.creation.box()
    mesh.visual = trimesh.visual.TextureVisuals(uv=np.random.default_rng(0).random((8, 2)),
                                                image=Image.new("RGB", (64, 64), (10, 200, 30)))
    mesh.export(tmp_path / "box.obj")
    original = next(tmp_path.glob("*.png")).read_bytes()
    _, report = _export(tmp_path / "box.obj", "m", tmp_path / "b.glb")
    assert report.textures[0]["how"] == "copied"
    assert original in (tmp_path / "b.glb").read_bytes()


def test_texture_over_the_pixel_limit_is_downscaled(tmp_path: Path) -> None:
    mesh = trimesh.creation.box()
    mesh.visual = trimesh.visual.TextureVisuals(uv=np.random.default_rng(0).random((8, 2)),
                                                image=Image.new("RGB", (512, 256), (10, 200, 30)))
    mesh.export(tmp_path / "box.obj")
    _, report = _export(tmp_path / "box.obj", "m", tmp_path / "b.glb", max_texture_px=128)
    assert report.textures[0]["how"] == "downscaled"
    assert (report.textures[0]["width"], report.textures[0]["height"]) == (128, 64)


@pytest.mark.parametrize(("units", "scale"), [("mm", 0.001), ("cm", 0.01), ("m", 1.0), ("in", 0.0254), (None, 1.0)])
def test_units_become_metres(tmp_path: Path, units: str | None, scale: float) -> None:
    trimesh.creation.box(extents=[10, 20, 30]).export(tmp_path / "b.ply")
    _export(tmp_path / "b.ply", units, tmp_path / "b.glb")
    pos = glb_json(tmp_path / "b.glb")["accessors"][0]
    assert np.allclose(np.array(pos["max"]) - np.array(pos["min"]), np.array([10, 20, 30]) * scale, rtol=1e-5)


def test_unknown_units_are_reported() -> None:
    assert "taken as metres" in " ".join(Model([], ["the master's units are unknown; it was taken as metres"]).notes)


def test_z_up_master_is_turned_y_up(tmp_path: Path) -> None:
    trimesh.creation.box(extents=[1, 2, 3]).export(tmp_path / "b.ply")  # tallest along z
    model = load_model(tmp_path / "b.ply", "m", up_axis="z")
    extent = np.ptp(model.parts[0].vertices, axis=0)
    assert np.allclose(extent, [1, 3, 2])


def test_points_and_vertex_colours_are_kept(tmp_path: Path) -> None:
    from .test_publish_support import coloured_ply, point_cloud

    _export(point_cloud(tmp_path / "p"), "mm", tmp_path / "p.glb")
    prim = glb_json(tmp_path / "p.glb")["meshes"][0]["primitives"][0]
    assert prim["mode"] == 0 and "COLOR_0" in prim["attributes"]
    _export(coloured_ply(tmp_path / "c"), "mm", tmp_path / "c.glb")
    prim = glb_json(tmp_path / "c.glb")["meshes"][0]["primitives"][0]
    assert prim["mode"] == 4 and "COLOR_0" in prim["attributes"] and "NORMAL" in prim["attributes"]


def test_asset_carries_public_metadata(tmp_path: Path) -> None:
    trimesh.creation.box().export(tmp_path / "b.ply")
    _export(tmp_path / "b.ply", "m", tmp_path / "b.glb")
    asset = glb_json(tmp_path / "b.glb")["asset"]
    assert asset["version"] == "2.0" and asset["copyright"] == "Huế — CC-BY-4.0"
    assert asset["extras"]["licence"] == "CC-BY-4.0" and asset["extras"]["title"] == "Thử"


def test_point_cloud_budget_thins_points(tmp_path: Path) -> None:
    from .test_publish_support import point_cloud

    model, report = _export(point_cloud(tmp_path / "p", n=50_000), "mm", tmp_path / "p.glb", max_bytes=200_000)
    assert report.bytes <= 200_000 and report.points < model.points


def test_geometric_error_of_an_identical_copy_is_zero() -> None:
    mesh = trimesh.creation.icosphere(subdivisions=3)
    model = Model([Part(np.asarray(mesh.vertices), np.asarray(mesh.faces))])
    assert geometric_error(model, model, samples=2000).max_rel < 1e-6
    reduced = reduce_model(model, 0.2, 1.0)
    assert 0 < geometric_error(model, reduced, samples=2000).mean_rel < 0.01


def test_strip_metadata_keeps_pixels() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "someone")
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buf, "PNG", pnginfo=info)
    clean = strip_metadata(buf.getvalue())
    assert b"someone" not in clean
    assert Image.open(io.BytesIO(clean)).tobytes() == Image.open(buf).tobytes()
    jpg = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(jpg, "JPEG", comment=b"secret")
    assert b"secret" not in strip_metadata(jpg.getvalue())


@pytest.mark.parametrize("writer", ["obj", "ply", "stl"])
def test_other_formats_round_trip_through_trimesh(tmp_path: Path, writer: str) -> None:
    mesh = trimesh.creation.box(extents=[0.1, 0.2, 0.3])
    mesh.export(tmp_path / "b.ply")
    model = load_model(tmp_path / "b.ply", "m")
    if writer == "obj":
        path = write_obj(model, [None], tmp_path, "x")[0]
    elif writer == "ply":
        path = write_ply(model, tmp_path / "x.ply")
    else:
        path = write_stl(model, tmp_path / "x.stl")
    back = trimesh.load(path, force="mesh")
    assert len(back.faces) == 12
    expected = np.array([0.1, 0.3, 0.2]) * 1000 if writer == "stl" else np.array([0.1, 0.2, 0.3])
    assert np.allclose(np.sort(back.extents), np.sort(expected), rtol=1e-4)
    if writer == "stl":  # z-up millimetres for slicers
        assert np.allclose(back.extents, [100, 300, 200], rtol=1e-4)  # the y-up height became z


def test_an_mtl_written_on_windows_keeps_its_texture(tmp_path: Path) -> None:
    """``map_Kd .\\tex.png`` (a Windows path in the MTL) is the texture the import recorded: the
    export must carry it, not drop it without a word."""
    folder = tmp_path / "scan"
    folder.mkdir()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(folder / "tex.png")
    (folder / "m.mtl").write_text("newmtl red\nKd 1 1 1\nmap_Kd .\\tex.png\n")
    (folder / "q.obj").write_text("mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\n"
                                  "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl red\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\n")
    model = load_model(folder / "q.obj", units="m")
    images = [part.image for part in model.parts if part.image is not None]
    assert images and images[0].convert("RGB").getpixel((1, 1)) == (200, 30, 30)
