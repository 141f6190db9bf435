"""Every material property a master gives reaches the web GLB, map by map; what cannot is a note."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image

from archive.publish import get_profile, validate, validator_available
from archive.publish.budget import reduce_model
from archive.publish.geometry import load_model
from archive.publish.gltfmaterials import split_glb
from archive.publish.textures import original_candidates
from archive.publish.webcopy import make_web_glb

needs_validator = pytest.mark.skipif(not validator_available(), reason="the glTF validator is not installed")
COLOURS = {"base": (200, 30, 30, 255), "mr": (0, 120, 40, 255), "normal": (128, 128, 255, 255),
           "occlusion": (90, 90, 90, 255), "emissive": (250, 220, 0, 255)}
TRANSFORM = {"offset": [0.25, 0.5], "scale": [2.0, 2.0], "rotation": 0.1}


def png(rgba: tuple[int, ...], size: int = 8) -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGBA", (size, size), rgba)
    img.putpixel((1, 2), (rgba[2], rgba[0], rgba[1], 255))  # not flat: a copy must keep every pixel
    img.save(buf, "PNG")
    return buf.getvalue()


def tiny_ktx2() -> bytes:
    """A minimal KTX2 file (4×4, one level, UASTC data format descriptor, one 16-byte block).
    The validator in tools/node (2.0.0-dev.3.10) does not check KTX2 payloads at all, so its
    structure is only ours to keep: the test asserts it is carried byte for byte."""
    dfd_block = struct.pack("<IHHBBBBBBBBBBBBI", 0, 2, 40, 166, 1, 1, 0, 3, 3, 0, 0, 16, 0, 0, 0, 0)
    dfd_block += struct.pack("<HBBBBBBII", 0, 127, 0, 0, 0, 0, 0, 0, 0xFFFFFFFF)
    dfd = struct.pack("<I", 4 + len(dfd_block)) + dfd_block
    header_len, index_len = 80, 24
    dfd_offset = header_len + index_len
    data_offset = dfd_offset + len(dfd)
    data_offset += -data_offset % 16
    header = b"\xabKTX 20\xbb\r\n\x1a\n" + struct.pack("<9I", 0, 1, 4, 4, 0, 0, 1, 1, 0)
    header += struct.pack("<4I2Q", dfd_offset, len(dfd), 0, 0, 0, 0)
    level = struct.pack("<3Q", data_offset, 16, 16)
    body = header + level + dfd
    return body + b"\0" * (data_offset - len(body)) + bytes(range(16))


def quad_buffers() -> tuple[bytes, list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """A two-triangle quad: POSITION, NORMAL, TEXCOORD_0, COLOR_0 and indices."""
    pos = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    arrays = {"POSITION": (pos, "VEC3", 5126), "NORMAL": (np.tile([0, 0, 1], (4, 1)).astype(np.float32), "VEC3", 5126),
              "TEXCOORD_0": (np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32), "VEC2", 5126),
              "COLOR_0": (np.array([[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [255, 255, 255, 255]],
                                   np.uint8), "VEC4", 5121),
              "indices": (np.array([0, 1, 2, 0, 2, 3], np.uint16), "SCALAR", 5123)}
    blob, views, accessors, index = bytearray(), [], [], {}
    for name, (arr, kind, ctype) in arrays.items():
        blob.extend(b"\0" * (-len(blob) % 4))
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": arr.nbytes})
        blob.extend(arr.tobytes())
        acc: dict[str, Any] = {"bufferView": len(views) - 1, "componentType": ctype, "count": len(arr), "type": kind}
        if name == "POSITION":
            acc.update(min=[0.0, 0.0, 0.0], max=[1.0, 1.0, 0.0])
        if name == "COLOR_0":
            acc["normalized"] = True
        accessors.append(acc)
        index[name] = len(accessors) - 1
    return bytes(blob), views, accessors, index


def pbr_gltf(folder: Path, extra: dict[str, Any] | None = None) -> Path:
    """A .gltf (with its .bin and PNGs beside it) whose first material uses every map, and a
    second primitive whose base colour is a KTX2 image only."""
    folder.mkdir(parents=True, exist_ok=True)
    blob, views, accessors, idx = quad_buffers()
    for name, rgba in COLOURS.items():
        (folder / f"{name}.png").write_bytes(png(rgba))
    (folder / "base.ktx2").write_bytes(tiny_ktx2())
    (folder / "quad.bin").write_bytes(blob)
    attrs = {k: v for k, v in idx.items() if k != "indices"}
    doc: dict[str, Any] = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0, 1]}],
        "nodes": [{"mesh": 0}, {"mesh": 1, "translation": [2, 0, 0]}],
        "meshes": [{"primitives": [{"attributes": attrs, "indices": idx["indices"], "material": 0}]},
                   {"primitives": [{"attributes": attrs, "indices": idx["indices"], "material": 1}]}],
        "materials": [{
            "pbrMetallicRoughness": {"baseColorFactor": [0.9, 0.8, 0.7, 1.0], "metallicFactor": 0.2,
                                     "roughnessFactor": 0.6,
                                     "baseColorTexture": {"index": 0,
                                                          "extensions": {"KHR_texture_transform": TRANSFORM}},
                                     "metallicRoughnessTexture": {"index": 1}},
            "normalTexture": {"index": 2, "scale": 0.7}, "occlusionTexture": {"index": 3, "strength": 0.5},
            "emissiveTexture": {"index": 4}, "emissiveFactor": [1.0, 0.5, 0.25],
            "alphaMode": "MASK", "alphaCutoff": 0.3, "doubleSided": True,
            "extensions": {"KHR_materials_emissive_strength": {"emissiveStrength": 2.0}}},
            {"pbrMetallicRoughness": {"baseColorTexture": {"index": 5}}}],
        "textures": [{"source": n, "sampler": 0} for n in range(5)]
        + [{"extensions": {"KHR_texture_basisu": {"source": 5}}}],
        "images": [{"uri": f"{name}.png", "mimeType": "image/png"} for name in COLOURS]
        + [{"uri": "base.ktx2", "mimeType": "image/ktx2"}],
        "samplers": [{"magFilter": 9728, "minFilter": 9728, "wrapS": 33071, "wrapT": 33648}],
        "buffers": [{"uri": "quad.bin", "byteLength": len(blob)}], "bufferViews": views, "accessors": accessors,
        "extensionsUsed": ["KHR_texture_transform", "KHR_texture_basisu", "KHR_materials_emissive_strength"],
        "extensionsRequired": ["KHR_texture_basisu"],
    }
    for key, value in (extra or {}).items():
        doc[key] = value
    path = folder / "pbr.gltf"
    path.write_text(json.dumps(doc))
    return path


def export(path: Path, out: Path, profile: str = "archive", units: str | None = None):
    model = load_model(path, units)
    report = make_web_glb(model, get_profile(profile), original_candidates(list(path.parent.iterdir())), out, {})
    return model, report, *split_glb(out.read_bytes())


def image_bytes(doc: dict[str, Any], binary: bytes, texture_info: dict[str, Any]) -> bytes:
    texture = doc["textures"][texture_info["index"]]
    image = doc["images"][texture["source"] if "source" in texture else
                          texture["extensions"]["KHR_texture_basisu"]["source"]]
    view = doc["bufferViews"][image["bufferView"]]
    return binary[view.get("byteOffset", 0):view.get("byteOffset", 0) + view["byteLength"]]


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def test_every_map_and_factor_of_a_gltf_material_reaches_the_web_glb(tmp_path: Path) -> None:
    _, report, doc, binary = export(pbr_gltf(tmp_path / "src"), tmp_path / "out.glb")
    first = next(m for m in doc["materials"] if "normalTexture" in m)
    pbr = first["pbrMetallicRoughness"]
    assert pbr["baseColorFactor"] == pytest.approx([0.9, 0.8, 0.7, 1.0])
    assert (pbr["metallicFactor"], pbr["roughnessFactor"]) == (0.2, 0.6)
    assert first["emissiveFactor"] == [1.0, 0.5, 0.25]
    assert (first["alphaMode"], first["alphaCutoff"], first["doubleSided"]) == ("MASK", 0.3, True)
    assert first["normalTexture"]["scale"] == 0.7 and first["occlusionTexture"]["strength"] == 0.5
    assert pbr["baseColorTexture"]["extensions"]["KHR_texture_transform"] == TRANSFORM
    assert first["extensions"] == {"KHR_materials_emissive_strength": {"emissiveStrength": 2.0}}
    slots = {"base": pbr["baseColorTexture"], "mr": pbr["metallicRoughnessTexture"], "normal": first["normalTexture"],
             "occlusion": first["occlusionTexture"], "emissive": first["emissiveTexture"]}
    for name, info in slots.items():  # map by map: the very pixels of the master's PNG
        assert np.array_equal(pixels(image_bytes(doc, binary, info)), pixels(png(COLOURS[name]))), name
    sampler = doc["samplers"][doc["textures"][slots["normal"]["index"]]["sampler"]]
    assert sampler == {"magFilter": 9728, "minFilter": 9728, "wrapS": 33071, "wrapT": 33648}
    prim = doc["meshes"][0]["primitives"]
    assert all({"TEXCOORD_0", "COLOR_0"} <= set(p["attributes"]) for p in prim)  # colours kept next to the texture
    assert "TANGENT" in next(p for p in prim if doc["materials"][p["material"]] is first)["attributes"]
    assert {"map": "normal map", "mime": "image/png"}.items() <= next(
        t for t in report.textures if t["map"] == "normal map").items()


def test_a_ktx2_only_texture_is_carried_as_it_is_with_khr_texture_basisu(tmp_path: Path) -> None:
    _, report, doc, binary = export(pbr_gltf(tmp_path / "src"), tmp_path / "out.glb")
    second = next(m for m in doc["materials"] if "normalTexture" not in m)
    info = second["pbrMetallicRoughness"]["baseColorTexture"]
    texture = doc["textures"][info["index"]]
    assert "source" not in texture and doc["extensionsRequired"] == ["KHR_texture_basisu"]
    assert image_bytes(doc, binary, info) == tiny_ktx2()
    assert doc["images"][texture["extensions"]["KHR_texture_basisu"]["source"]]["mimeType"] == "image/ktx2"
    assert any(t["mime"] == "image/ktx2" and t["how"].startswith("copied") for t in report.textures)


@needs_validator
def test_the_pbr_web_copy_passes_the_validator(tmp_path: Path) -> None:
    export(pbr_gltf(tmp_path / "src"), tmp_path / "out.glb")
    result = validate([tmp_path / "out.glb"])[tmp_path / "out.glb"]
    assert result.errors == 0, result.summary()
    # The only warnings allowed are the validator's own lack of KTX2 support (it predates KHR_texture_basisu).
    assert {m["code"] for m in result.messages if m["severity"] == 1} <= {"VALUE_NOT_IN_LIST",
                                                                          "IMAGE_UNRECOGNIZED_FORMAT"}


def test_normal_maps_stay_lossless_when_downscaled(tmp_path: Path) -> None:
    src = tmp_path / "src"
    path = pbr_gltf(src)
    for name, rgba in COLOURS.items():  # larger than the profile allows: every map is downscaled
        (src / f"{name}.png").write_bytes(png(rgba, 64))
    model = load_model(path, None)
    prof = get_profile("mobile").with_overrides(max_texture_px=16)
    report = make_web_glb(model, prof, [], tmp_path / "out.glb", {})
    rows = {t["map"]: t for t in report.textures if t["mime"] != "image/ktx2"}
    assert rows["normal map"]["how"] == "downscaled" and rows["normal map"]["mime"] == "image/png"
    assert rows["metallic-roughness map"]["mime"] == rows["occlusion map"]["mime"] == "image/png"


def test_decimation_keeps_every_map_and_the_uvs(tmp_path: Path) -> None:
    src = tmp_path / "src"
    path = pbr_gltf(src)
    model = load_model(path, None)
    sphere = trimesh.creation.icosphere(subdivisions=3)
    model.parts = [p for p in model.parts if p.image is not None]  # the material with every map
    part = model.parts[0]
    part.vertices, part.faces = np.asarray(sphere.vertices), np.asarray(sphere.faces, np.int64)
    part.uv = np.asarray(sphere.vertices[:, :2]) * 0.5 + 0.5
    part.colors = None
    part.normals = None
    reduced = reduce_model(model, 0.25, 1.0).parts[0]
    assert reduced.triangles < part.triangles and reduced.uv is not None
    assert reduced.details is part.details and set(reduced.details.maps) == set(part.details.maps)


def test_what_a_web_copy_cannot_hold_is_named(tmp_path: Path) -> None:
    extra = {"skins": [{"joints": [0]}], "animations": [{"channels": [], "samplers": []}],
             "cameras": [{"type": "perspective", "perspective": {"yfov": 0.8, "znear": 0.1}}],
             "extensionsUsed": ["KHR_texture_transform", "KHR_texture_basisu", "KHR_materials_emissive_strength",
                                "KHR_lights_punctual"]}
    model, report, _, _ = export(pbr_gltf(tmp_path / "src", extra), tmp_path / "out.glb")
    text = "\n".join(report.notes)
    for word in ("skin", "animation", "camera", "KHR_lights_punctual"):
        assert word in text, word


@pytest.mark.corpus
def test_ktx2_twins_of_png_maps_are_reported(corpus: Path, tmp_path: Path) -> None:
    path = corpus / "robotlocomotion-models/veggies/assets/yellow_bell_pepper_no_stem_low.gltf"
    _, report, doc, _ = export(path, tmp_path / "pepper.glb")
    material = doc["materials"][0]
    assert {"normalTexture", "occlusionTexture"} <= set(material)
    assert "metallicRoughnessTexture" in material["pbrMetallicRoughness"]
    ktx2_notes = " ".join(n for n in report.notes if "KTX2 copy" in n)
    for name in ("base-colour", "normal", "metallic-roughness", "occlusion"):
        assert f"the KTX2 copy of the {name} map is not carried" in ktx2_notes


MTL = """newmtl skin
Kd 1 1 1
Ke 0.5 0.25 0
d 0.5
map_Kd base.png
map_Bump -bm 0.4 normal.png
map_Ke emissive.png
"""


def test_obj_mtl_maps_become_gltf_maps(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    obj = "mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl skin\n" \
          "f 1/1 2/2 3/3\nf 1/1 3/3 4/4\n"
    (src / "q.obj").write_text(obj)
    (src / "m.mtl").write_text(MTL)
    for name in ("base", "normal", "emissive"):
        (src / f"{name}.png").write_bytes(png(COLOURS[name]))
    _, _, doc, binary = export(src / "q.obj", tmp_path / "out.glb", units="m")
    mat = doc["materials"][0]
    assert mat["normalTexture"]["scale"] == pytest.approx(0.4)
    assert mat["emissiveFactor"] == [0.5, 0.25, 0.0] and mat["alphaMode"] == "BLEND"
    assert mat["pbrMetallicRoughness"]["baseColorFactor"][3] == pytest.approx(0.5)
    assert np.array_equal(pixels(image_bytes(doc, binary, mat["normalTexture"])), pixels(png(COLOURS["normal"])))
    assert np.array_equal(pixels(image_bytes(doc, binary, mat["emissiveTexture"])), pixels(png(COLOURS["emissive"])))


def test_a_missing_ply_texture_is_a_note_not_a_grey_placeholder(tmp_path: Path) -> None:
    header = ("ply\nformat ascii 1.0\ncomment TextureFile lost.png\nelement vertex 4\nproperty float x\n"
              "property float y\nproperty float z\nelement face 2\nproperty list uchar int vertex_indices\n"
              "property list uchar float texcoord\nend_header\n")
    body = "0 0 0\n1 0 0\n0 1 0\n1 1 0\n3 0 1 2 6 0 0 1 0 0 1\n3 1 3 2 6 1 0 1 1 0 1\n"
    (tmp_path / "t.ply").write_text(header + body)
    model, report, doc, _ = export(tmp_path / "t.ply", tmp_path / "out.glb", units="m")
    assert "images" not in doc
    assert any("lost.png" in n and "missing" in n for n in report.notes)


def test_a_ply_texture_named_with_this_is_embedded(tmp_path: Path) -> None:
    header = ("ply\nformat ascii 1.0\ncomment TextureFile <this>.png\nelement vertex 4\nproperty float x\n"
              "property float y\nproperty float z\nelement face 2\nproperty list uchar int vertex_indices\n"
              "property list uchar float texcoord\nend_header\n")
    body = "0 0 0\n1 0 0\n0 1 0\n1 1 0\n3 0 1 2 6 0 0 1 0 0 1\n3 1 3 2 6 1 0 1 1 0 1\n"
    (tmp_path / "scan.ply").write_text(header + body)
    (tmp_path / "scan.png").write_bytes(png(COLOURS["base"]))
    _, _, doc, binary = export(tmp_path / "scan.ply", tmp_path / "out.glb", units="m")
    info = doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"]
    assert np.array_equal(pixels(image_bytes(doc, binary, info)), pixels(png(COLOURS["base"])))

