"""The reader's memory limit follows what a glTF/GLB or an OBJ's textures hold, not the file's
size (issue 12: a 6M-triangle textured GLB of 134 MB was given 2.75 GiB), and a hostile or
truncated header never makes the estimate read much or fail."""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh
from PIL import Image

from archive import memory_estimate as me
from archive.isolation import MEMORY_FLOOR, limits_for
from archive.levels import read_master, reduce
from archive.levels_limits import levels_limits
from glbtools import contents

GIB = 1024**3


def _textured_glb(path: Path, image_size: tuple[int, int] = (300, 200), count: int = 64) -> Path:
    """A textured sphere (UVs, a JPEG texture) written by trimesh as a GLB."""
    sphere = trimesh.creation.uv_sphere(count=[count, count])
    rng = np.random.default_rng(1)
    image = Image.fromarray(rng.integers(0, 255, (image_size[1], image_size[0], 3), dtype=np.uint8))
    uv = np.column_stack([np.arctan2(sphere.vertices[:, 1], sphere.vertices[:, 0]) / (2 * np.pi) + 0.5,
                          sphere.vertices[:, 2] / 2 + 0.5])
    sphere.visual = trimesh.visual.TextureVisuals(uv=uv, image=image)
    path.write_bytes(sphere.export(file_type="glb"))
    return path


def _glb(path: Path, doc: dict, binary: bytes, declared_bin: int | None = None) -> Path:
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    binary += b"\0" * (-len(binary) % 4)
    length = len(binary) if declared_bin is None else declared_bin
    data = (struct.pack("<4sII", b"glTF", 2, 28 + len(js) + len(binary)) + struct.pack("<I4s", len(js), b"JSON") + js
            + struct.pack("<I4s", length, b"BIN\0") + binary)
    path.write_bytes(data)
    return path


def _expected_from_document(path: Path) -> int:
    """What the GLB at ``path`` holds by the rule, counted here with pygltflib."""
    gltf = pygltflib.GLTF2().load(str(path))
    total = 0
    for mesh in gltf.meshes:
        for prim in mesh.primitives:
            a = prim.attributes
            positions = gltf.accessors[a.POSITION].count
            corners = gltf.accessors[prim.indices].count if prim.indices is not None else positions
            total += positions * me.GLTF_BYTES_PER_VERTEX + corners // 3 * me.GLTF_BYTES_PER_TRIANGLE
            total += gltf.accessors[a.TEXCOORD_0].count * me.GLTF_BYTES_PER_UV if a.TEXCOORD_0 is not None else 0
            total += gltf.accessors[a.NORMAL].count * me.GLTF_BYTES_PER_NORMAL if a.NORMAL is not None else 0
    blob = gltf.binary_blob()
    total += me.GLB_COPIES * len(blob)
    for image in gltf.images:
        view = gltf.bufferViews[image.bufferView]
        with Image.open(io.BytesIO(blob[view.byteOffset or 0:(view.byteOffset or 0) + view.byteLength])) as im:
            total += im.width * im.height * me.BYTES_PER_TEXEL
    return total


def test_a_textured_glb_limit_follows_its_counts_and_texture(tmp_path: Path) -> None:
    glb = _textured_glb(tmp_path / "scan.glb", (1024, 512))
    expected = _expected_from_document(glb)
    assert expected > 3 * glb.stat().st_size  # the size rule would have said less
    limits = levels_limits(glb, total=64 * GIB)
    assert limits.needed == MEMORY_FLOOR + expected
    assert limits.memory == MEMORY_FLOOR + 2 * expected


def test_the_glb_estimate_covers_what_reading_and_decimating_it_hold(tmp_path: Path) -> None:
    reduce(read_master(_textured_glb(tmp_path / "warm.glb", (8, 8))), 100)  # imports: the floor's part
    glb = _textured_glb(tmp_path / "scan.glb", (1024, 1024), count=256)
    counted, beside = me.contents_expected([glb])
    tracemalloc.start()
    try:
        g = read_master(glb)
        reduce(g, len(g.faces) // 4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert g.textured and beside == 0
    assert peak <= counted, (peak, counted)


def test_the_limit_stays_within_the_machine(tmp_path: Path) -> None:
    glb = _textured_glb(tmp_path / "scan.glb", (4096, 4096))  # 128 MB decoded by the rule
    limits = levels_limits(glb, total=int(2.6 * GIB))
    assert limits.memory == limits.cap == int(0.8 * 2.6 * GIB)


def _small_doc(count: int = 3, view_length: int = 36, **accessor: object) -> dict:
    return {"asset": {"version": "2.0"}, "buffers": [{"byteLength": 36}],
            "bufferViews": [{"buffer": 0, "byteLength": view_length}],
            "accessors": [{"bufferView": 0, "componentType": 5126, "type": "VEC3", "count": count, **accessor}],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}]}


def test_a_plain_small_glb_is_counted(tmp_path: Path) -> None:
    glb = _glb(tmp_path / "t.glb", _small_doc(), bytes(36))
    assert me.gltf_expected(glb) == 3 * me.GLTF_BYTES_PER_VERTEX + 1 * me.GLTF_BYTES_PER_TRIANGLE + 3 * 36


@pytest.mark.parametrize("doc, declared_bin", [
    (_small_doc(count=10**12), None),  # a count beyond its view
    (_small_doc(view_length=10**12), None),  # a view beyond its buffer
    ({**_small_doc(), "buffers": [{"byteLength": 10**12}]}, 2**32 - 1),  # a BIN chunk beyond the file
])
def test_declared_counts_are_believed_only_as_far_as_the_data_holds(tmp_path: Path, doc: dict,
                                                                     declared_bin: int | None) -> None:
    glb = _glb(tmp_path / "t.glb", doc, bytes(36), declared_bin)
    assert me.gltf_expected(glb) == 3 * me.GLTF_BYTES_PER_VERTEX + 1 * me.GLTF_BYTES_PER_TRIANGLE + 3 * 36


@pytest.mark.parametrize("data", [
    b"glTF\x02\x00\x00\x00",  # cut in the header
    struct.pack("<4sII", b"glTF", 2, 100) + struct.pack("<I4s", 2**32 - 4, b"JSON") + b"{}",  # 4 GB of JSON
    struct.pack("<4sII", b"glTF", 2, 100) + struct.pack("<I4s", 400, b"JSON") + b'{"accessors": [',  # cut short
    struct.pack("<4sII", b"glTF", 2, 100) + struct.pack("<I4s", 8, b"JSON") + b"[1, 2] ",  # not an object
    struct.pack("<4sII", b"glTF", 2, 100) + struct.pack("<I4s", 8, b"JSON") + b"\xff\xfe{}    ",  # not UTF-8
    struct.pack("<4sII", b"glTF", 2, 100) + struct.pack("<I4s", 4, b"BIN\0") + b"abcd",  # no JSON chunk
    struct.pack("<4sII", b"glTF", 2, 100) + struct.pack("<I4s", 400_000, b"JSON") + b"[" * 400_000,  # too deep
])
def test_a_truncated_or_hostile_header_keeps_the_size_rule(tmp_path: Path, data: bytes) -> None:
    glb = tmp_path / "bad.glb"
    glb.write_bytes(data)
    assert me.gltf_expected(glb) == 0
    assert limits_for([glb], per_byte=6, total=64 * GIB).needed == MEMORY_FLOOR + 3 * len(data)


def test_a_json_longer_than_the_cap_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    glb = _glb(tmp_path / "t.glb", _small_doc(), bytes(36))
    monkeypatch.setattr(contents, "MAX_JSON_BYTES", 64)  # the shared counting reads it
    assert me.gltf_expected(glb) == 0


def test_odd_values_in_the_document_count_nothing(tmp_path: Path) -> None:
    doc = _small_doc(count="1e12")  # type: ignore[arg-type]
    doc["meshes"].append({"primitives": [{"attributes": {"POSITION": 7}}, "x"]})
    doc["images"] = [{"bufferView": 0}, {"uri": "../../etc/passwd"}, {"uri": "https://example.org/a.png"}, 5]
    glb = _glb(tmp_path / "t.glb", doc, bytes(36))
    assert me.gltf_expected(glb) == 3 * 36  # only the binary chunk's copies


def test_an_image_claiming_a_huge_size_counts_no_more_than_the_archive_decodes(tmp_path: Path) -> None:
    png = io.BytesIO()
    Image.new("RGB", (1, 1)).save(png, "PNG")
    head = bytearray(png.getvalue())
    head[16:24] = struct.pack(">II", 200_000, 200_000)  # IHDR's width and height, and its CRC again
    head[29:33] = struct.pack(">I", zlib.crc32(bytes(head[12:29])))
    doc = {"asset": {"version": "2.0"}, "buffers": [{"byteLength": len(head)}],
           "bufferViews": [{"buffer": 0, "byteLength": len(head)}], "images": [{"bufferView": 0}]}
    glb = _glb(tmp_path / "t.glb", doc, bytes(head))
    from archive.imagesafe import MAX_PIXELS

    assert me.gltf_expected(glb) == MAX_PIXELS * me.BYTES_PER_TEXEL + 3 * (len(head) + -len(head) % 4)


def test_an_obj_limit_counts_its_mtl_textures(tmp_path: Path) -> None:
    Image.new("RGB", (512, 256)).save(tmp_path / "skin.png")
    Image.new("RGB", (64, 64)).save(tmp_path.parent / "outside.png")
    (tmp_path / "m.mtl").write_text("newmtl a\nmap_Kd skin.png\nnewmtl b\nmap_Kd ../outside.png\n")
    obj = tmp_path / "m.obj"
    obj.write_text("mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nusemtl a\nf 1/1 2/2 3/3\n")
    size_rule = 3 * obj.stat().st_size
    assert levels_limits(obj, total=64 * GIB).needed == MEMORY_FLOOR + size_rule + 512 * 256 * me.BYTES_PER_TEXEL
    # the texture listed among the master's files (an export) is counted once
    both = limits_for([obj, tmp_path / "m.mtl", tmp_path / "skin.png"], per_byte=6, total=64 * GIB)
    files = sum(p.stat().st_size for p in (obj, tmp_path / "m.mtl", tmp_path / "skin.png"))
    assert both.needed == MEMORY_FLOOR + 3 * files + 512 * 256 * me.BYTES_PER_TEXEL
