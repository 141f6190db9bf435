"""The shared meshopt decoder refuses broken or escaping files with typed errors, and the
archive and the viewer each turn them into their own."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

import glbtools

MESHOPT_DOC = {"asset": {"version": "2.0"}, "extensionsUsed": ["EXT_meshopt_compression"],
               "buffers": [{"byteLength": 64}],
               "bufferViews": [{"buffer": 0, "byteLength": 48, "extensions": {"EXT_meshopt_compression": {
                   "buffer": 0, "byteOffset": 0, "byteLength": 64, "byteStride": 12, "count": 4,
                   "mode": "ATTRIBUTES"}}}]}


def _glb(doc: dict, binary: bytes) -> bytes:
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    binary += b"\0" * (-len(binary) % 4)
    body = struct.pack("<I4s", len(js), b"JSON") + js + struct.pack("<I4s", len(binary), b"BIN\0") + binary
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


@pytest.mark.parametrize("case", ["garbage-stream", "view-past-buffer", "broken-json", "buffer-outside"])
def test_hostile_meshopt_files_fail_typed_everywhere(tmp_path: Path, case: str) -> None:
    from archive.errors import ImportFailed
    from archive.formats.meshopt import decoded_glb
    from viewer.errors import ViewerError
    from viewer.readers import meshopt_decoded_glb

    path = tmp_path / "m.glb"
    doc = json.loads(json.dumps(MESHOPT_DOC))
    if case == "garbage-stream":
        data = _glb(doc, b"\xff" * 64)
    elif case == "view-past-buffer":
        doc["bufferViews"][0]["extensions"]["EXT_meshopt_compression"]["byteLength"] = 4096
        data = _glb(doc, b"\xff" * 64)
    elif case == "broken-json":
        data = _glb(doc, b"\xff" * 64).replace(b'"asset": {', b'"asset": [', 1)  # not JSON any more
    else:
        doc["buffers"][0]["uri"] = "../../outside.bin"
        (tmp_path.parent / "outside.bin").write_bytes(b"\0" * 64)
        data = _glb(doc, b"")
    path.write_bytes(data)
    with pytest.raises(glbtools.GlbError):
        glbtools.decoded_glb(path)
    with pytest.raises(ImportFailed):
        decoded_glb(path)
    with pytest.raises(ViewerError):
        meshopt_decoded_glb(path)


def test_a_plain_glb_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "plain.glb"
    path.write_bytes(_glb({"asset": {"version": "2.0"}}, b""))
    assert glbtools.decoded_glb(path) is None


@pytest.mark.parametrize("data", [b"\xfe\xff\x00v\x00 \x001", b"", b"solid x\nendsolid x\n"])
def test_files_that_are_not_gltf_are_left_alone(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "scan.obj"  # the viewer's trimesh reader asks about every file it reads
    path.write_bytes(data)
    assert glbtools.decoded_glb(path) is None


def test_every_up_axis_is_turned_to_plus_y_without_a_mirror():
    import numpy as np

    from archive.fields import ASSET_FIELD
    from glbtools.frames import UP_AXES, to_y_up

    assert set(ASSET_FIELD["up_axis"].choices) == set(UP_AXES)  # what staff record is what the tools turn
    for axis in UP_AXES:
        rotation = to_y_up(axis)
        direction = np.zeros(3)
        direction["xyz".index(axis[-1])] = -1.0 if axis.startswith("-") else 1.0
        assert np.allclose(direction @ rotation.T, [0.0, 1.0, 0.0]), axis
        assert np.allclose(rotation @ rotation.T, np.eye(3)) and np.isclose(np.linalg.det(rotation), 1.0), axis
