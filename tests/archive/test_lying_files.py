"""Files whose declared sizes and counts lie: refused with a typed error, or accepted with a
warning that says what is really there. Every hostile file is generated here, small on disk."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from archive.errors import CorruptFile, LimitExceeded
from archive.formats import inspect_scan

TRIANGLE = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)


def glb(doc: dict, binary: bytes | None = None) -> bytes:
    """A GLB of ``doc`` and an optional BIN chunk (both padded to 4 bytes)."""
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    body = struct.pack("<II", len(js), 0x4E4F534A) + js
    if binary is not None:
        binary += b"\x00" * (-len(binary) % 4)
        body += struct.pack("<II", len(binary), 0x004E4942) + binary
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def mesh_doc(accessors: list[dict], buffers: list[dict], views: list[dict], prim: dict | None = None) -> dict:
    return {
        "asset": {"version": "2.0"}, "buffers": buffers, "bufferViews": views, "accessors": accessors,
        "meshes": [{"primitives": [prim or {"attributes": {"POSITION": 0}}]}],
        "nodes": [{"mesh": 0}], "scenes": [{"nodes": [0]}],
    }  # fmt: skip


def position(count: int, view: int | None = 0, **extra: object) -> dict:
    acc = {"componentType": 5126, "count": count, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0], **extra}
    if view is not None:
        acc["bufferView"] = view
    return acc


def inspect_bytes(tmp_path: Path, data: bytes, name: str = "scan.glb"):  # type: ignore[no-untyped-def]
    (tmp_path / name).write_bytes(data)
    return inspect_scan(tmp_path / name, tmp_path)


# ------------------------------------------------------------------ glTF sparse accessors


def test_gltf_sparse_accessor_of_a_billion_vertices_is_refused(tmp_path: Path) -> None:
    sparse = {"count": 1, "indices": {"bufferView": 0, "componentType": 5125}, "values": {"bufferView": 1}}
    doc = mesh_doc([position(1_073_741_824, None, sparse=sparse)], [{"byteLength": 16}],
                   [{"buffer": 0, "byteLength": 4}, {"buffer": 0, "byteOffset": 4, "byteLength": 12}])
    data = glb(doc, b"\x00" * 16)
    assert len(data) < 700
    with pytest.raises(LimitExceeded, match="1,073,741,824 vertices"):
        inspect_bytes(tmp_path, data)


@pytest.mark.parametrize(("sparse_count", "values_len"), [(5, 60), (3, 12)], ids=["more-than-count", "past-view"])
def test_gltf_sparse_accessor_that_does_not_fit_is_corrupt(tmp_path: Path, sparse_count: int, values_len: int) -> None:
    sparse = {"count": sparse_count, "indices": {"bufferView": 1, "componentType": 5125}, "values": {"bufferView": 2}}
    doc = mesh_doc([position(3, sparse=sparse)], [{"byteLength": 36 + 20 + 60}],
                   [{"buffer": 0, "byteLength": 36}, {"buffer": 0, "byteOffset": 36, "byteLength": 20},
                    {"buffer": 0, "byteOffset": 56, "byteLength": values_len}])
    with pytest.raises(CorruptFile, match="sparse"):
        inspect_bytes(tmp_path, glb(doc, TRIANGLE.tobytes() + b"\x00" * 80))


def test_gltf_scene_adding_up_beyond_the_vertex_limit_is_refused(tmp_path: Path) -> None:
    from archive.formats import Limits

    doc = mesh_doc([position(3)], [{"byteLength": 36}], [{"buffer": 0, "byteLength": 36}])
    doc["nodes"] = [{"mesh": 0}] * 4
    doc["scenes"] = [{"nodes": [0, 1, 2, 3]}]
    (tmp_path / "scan.glb").write_bytes(glb(doc, TRIANGLE.tobytes()))
    with pytest.raises(LimitExceeded, match="12 vertices"):
        inspect_scan(tmp_path / "scan.glb", tmp_path, Limits(max_vertices=10))


# ------------------------------------------------------------------ buffers that lie


def data_uri(raw: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(raw).decode()


@pytest.mark.parametrize("where", ["glb-no-bin", "data-uri"])
def test_gltf_buffer_of_500_mb_with_36_real_bytes_is_refused(tmp_path: Path, where: str) -> None:
    big = 500_000_000
    buffer = {"byteLength": big} if where == "glb-no-bin" else {"byteLength": big, "uri": data_uri(TRIANGLE.tobytes())}
    doc = mesh_doc([position(3)], [buffer], [{"buffer": 0, "byteLength": big}])
    with pytest.raises(CorruptFile, match="holds only"):
        inspect_bytes(tmp_path, glb(doc))


def test_gltf_buffer_declaring_more_than_it_holds_warns_when_views_fit(tmp_path: Path) -> None:
    doc = mesh_doc([position(3)], [{"byteLength": 500_000_000, "uri": data_uri(TRIANGLE.tobytes())}],
                   [{"buffer": 0, "byteLength": 36}])
    info = inspect_bytes(tmp_path, glb(doc))
    assert info.vertices == 3
    assert any("500,000,000 bytes but holds only 36" in w for w in info.warnings)


# ------------------------------------------------------------------ meshopt


def meshopt_doc(count: int, stride: int, view_len: int, comp_len: int = 8) -> dict:
    comp = {"buffer": 0, "byteLength": comp_len, "byteStride": stride, "mode": "ATTRIBUTES", "count": count}
    return mesh_doc([position(3)], [{"byteLength": 8}, {"byteLength": view_len}],
                    [{"buffer": 1, "byteLength": view_len, "byteStride": 12,
                      "extensions": {"EXT_meshopt_compression": comp}}])


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        (meshopt_doc(3, 12, 36, comp_len=4000), CorruptFile),  # compressed bytes past the real buffer
        (meshopt_doc(5, 12, 36), CorruptFile),  # count × stride is not the view
        (meshopt_doc(1_000_000_000, 252, 252_000_000_000), LimitExceeded),  # 252 GB decompressed
        (meshopt_doc(3, 13, 39), CorruptFile),  # stride not a multiple of 4
    ],
    ids=["compressed-past-buffer", "count-vs-view", "huge", "bad-stride"],
)
def test_gltf_meshopt_declared_sizes_are_checked(tmp_path: Path, doc: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        inspect_bytes(tmp_path, glb(doc, b"\x00" * 8))


def test_gltf_meshopt_consistent_view_is_accepted(tmp_path: Path) -> None:
    assert inspect_bytes(tmp_path, glb(meshopt_doc(3, 12, 36), b"\x00" * 8)).vertices == 3


# ------------------------------------------------------------------ Draco


def draco_glb(position_count: int, index_count: int, payload: bytes | None = None) -> bytes:
    import DracoPy

    data = payload if payload is not None else DracoPy.encode(TRIANGLE, np.array([[0, 1, 2]], np.uint32))
    prim = {"attributes": {"POSITION": 0}, "indices": 1,
            "extensions": {"KHR_draco_mesh_compression": {"bufferView": 0, "attributes": {"POSITION": 0}}}}
    accessors = [position(position_count, None), {"componentType": 5125, "count": index_count, "type": "SCALAR"}]
    doc = mesh_doc(accessors, [{"byteLength": len(data)}], [{"buffer": 0, "byteLength": len(data)}], prim)
    doc["extensionsUsed"] = doc["extensionsRequired"] = ["KHR_draco_mesh_compression"]
    return glb(doc, bytes(data))


def test_gltf_draco_matching_accessors_is_accepted(tmp_path: Path) -> None:
    info = inspect_bytes(tmp_path, draco_glb(3, 3))
    assert (info.vertices, info.faces) == (3, 1)


@pytest.mark.parametrize(
    ("positions", "indices", "payload"),
    [(3_000_000, 3, None), (3, 9_000_000, None), (3, 3, b"DRACO" + b"\x02\x02\x01\x01" + b"\xff" * 40)],
    ids=["vertex-count", "index-count", "garbage"],
)
def test_gltf_draco_that_lies_or_is_garbage_is_corrupt(
    tmp_path: Path, positions: int, indices: int, payload: bytes | None
) -> None:
    with pytest.raises(CorruptFile, match="Draco"):
        inspect_bytes(tmp_path, draco_glb(positions, indices, payload))


# ------------------------------------------------------------------ PCD POINTS header


def pcd(points: int, real: int, encoding: str) -> bytes:
    head = (f"VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH {points}\nHEIGHT 1\n"
            f"POINTS {points}\nDATA {encoding}\n").encode()
    xyz = np.arange(real * 3, dtype=np.float32).reshape(real, 3) + 1
    if encoding == "binary":
        return head + xyz.tobytes()
    return head + "".join(f"{a} {b} {c}\n" for a, b, c in xyz).encode()


@pytest.mark.parametrize("encoding", ["ascii", "binary"])
def test_pcd_points_header_smaller_than_data_warns_with_both_counts(tmp_path: Path, encoding: str) -> None:
    info = inspect_bytes(tmp_path, pcd(2, 5, encoding), "cloud.pcd")
    assert info.points == 2
    assert any("declares 2 PCD points but the file holds 5" in w for w in info.warnings)


@pytest.mark.parametrize("encoding", ["ascii", "binary"])
def test_pcd_points_header_larger_than_data_is_refused(tmp_path: Path, encoding: str) -> None:
    with pytest.raises((CorruptFile, LimitExceeded), match="holds only|only .* bytes follow"):
        inspect_bytes(tmp_path, pcd(5, 2, encoding), "cloud.pcd")


def test_pcd_points_disagreeing_with_width_height_warns(tmp_path: Path) -> None:
    data = pcd(3, 3, "ascii").replace(b"WIDTH 3", b"WIDTH 7")
    assert any("WIDTH × HEIGHT is 7" in w for w in inspect_bytes(tmp_path, data, "cloud.pcd").warnings)
