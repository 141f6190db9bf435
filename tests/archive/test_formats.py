"""Tests of archive.formats: identification, inspection, limits and reference safety."""

from __future__ import annotations

import builtins
import csv
import json
import os
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh

from archive.errors import (
    ArchiveError,
    CorruptFile,
    EmptyModel,
    LimitExceeded,
    UnsafeReference,
    UnsupportedFormat,
)
from archive.formats import Limits, identify, inspect_scan, is_side_file
from archive.formats.lzf import decompress
from archive.formats.mtl import texture_name

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"
_3D = re.compile(r"^(OBJ|OFF|PLY|STL|GLB|glb|glTF JSON|PCD|XYZ|empty file|no-extension)")


def _manifest() -> list[dict[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").exists():
        return []
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if _3D.match(r["format"])]


CORPUS_ROWS = _manifest()


def _need_corpus() -> None:
    if not CORPUS.exists():
        pytest.skip("corpus ../shared/corpus not present")


def _expected_count(row: dict[str, str]) -> int | None:
    m = re.match(r"(\d+) (tris|points)$", row["triangles_or_points"])
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- corpus


@pytest.mark.parametrize("row", CORPUS_ROWS or [None], ids=lambda r: r["path"] if r else "none")
def test_corpus_file_inspects_or_raises_archive_error(row: dict[str, str] | None) -> None:
    _need_corpus()
    assert row is not None
    try:
        info = inspect_scan(CORPUS / row["path"], CORPUS)
    except ArchiveError:
        return
    assert info.files[0] == row["path"]
    assert info.vertices > 0
    expected = _expected_count(row)
    if expected is not None and "TestScene" not in row["path"]:
        got = info.points if row["triangles_or_points"].endswith("points") else info.faces
        assert got == expected


@pytest.mark.parametrize(
    ("rel", "error"),
    [
        ("assimp/invalid/OutOfMemory.off", LimitExceeded),
        ("assimp/invalid/empty.ply", EmptyModel),
        ("assimp/invalid/malformed.obj", CorruptFile),
        ("assimp/PLY/payload_JVN42386607", CorruptFile),
        ("gltf-pipeline/1.0/box-textured-binary/box-textured-binary.glb", UnsupportedFormat),
        ("gltf-validator/buffer/non_relative_uri.gltf", UnsafeReference),
        ("gltf-validator/glb/length_mismatch.glb", CorruptFile),
        ("trimesh/empty.stl", EmptyModel),
    ],
)
def test_corpus_hostile_file_raises_typed_error(rel: str, error: type[Exception]) -> None:
    _need_corpus()
    with pytest.raises(error):
        inspect_scan(CORPUS / rel, CORPUS)


@pytest.mark.parametrize(
    ("rel", "fmt"),
    [
        ("assimp/OFF/formatDetection", "off"),
        ("assimp/STL/formatDetection", "stl"),
        ("assimp/PLY/payload_JVN42386607", "ply"),
        ("trimesh/busted.STL", "stl"),
    ],
)
def test_corpus_identify_by_content(rel: str, fmt: str) -> None:
    _need_corpus()
    assert identify(CORPUS / rel) == fmt


def test_corpus_guanyin_point_count() -> None:
    _need_corpus()
    info = inspect_scan(CORPUS / "pcx-guanyin/Guanyin.ply", CORPUS)
    assert (info.geometry, info.points, info.vertex_colors) == ("points", 238154, True)


def test_corpus_obj_files_list_mtl_then_textures() -> None:
    _need_corpus()
    info = inspect_scan(CORPUS / "trimesh/capsule.obj", CORPUS)
    assert info.files == ["trimesh/capsule.obj", "trimesh/capsule.mtl", "trimesh/capsule0.jpg"]


def test_corpus_gltf_uri_with_spaces_resolves() -> None:
    _need_corpus()
    info = inspect_scan(CORPUS / "gltf-sample-assets/Box With Spaces/glTF/Box With Spaces.gltf", CORPUS)
    assert "gltf-sample-assets/Box With Spaces/glTF/Box With Spaces.bin" in info.files
    assert info.textured and info.units == "m"


def test_corpus_draco_counts_without_decoding() -> None:
    _need_corpus()
    info = inspect_scan(CORPUS / "gltf-sample-assets/Avocado/glTF-Draco/Avocado.gltf", CORPUS)
    assert info.faces == 682 and "KHR_draco_mesh_compression" in info.details["extensionsUsed"]


def test_corpus_pcd_compressed_bbox() -> None:
    _need_corpus()
    info = inspect_scan(CORPUS / "pcl/milk_color.pcd", CORPUS)
    assert info.points == 13704 and info.bbox_min is not None and info.vertex_colors


# ---------------------------------------------------------------- generated meshes

BOX = trimesh.creation.box(extents=(2.0, 4.0, 6.0))


@pytest.mark.parametrize(
    ("name", "kwargs", "faces"),
    [
        ("box.ply", {"encoding": "binary"}, 12),
        ("box_ascii.ply", {"encoding": "ascii", "file_type": "ply"}, 12),
        ("box.obj", {}, 12),
        ("box.stl", {}, 12),
        ("box_ascii.stl", {"file_type": "stl_ascii"}, 12),
        ("box.off", {}, 12),
        ("box.glb", {}, 12),
    ],
)
def test_generated_mesh_counts_and_bbox(tmp_path: Path, name: str, kwargs: dict, faces: int) -> None:
    path = tmp_path / name
    BOX.export(path, **kwargs)
    info = inspect_scan(path, tmp_path)
    assert info.faces == faces
    assert np.allclose(info.bbox_min, (-1, -2, -3)) and np.allclose(info.bbox_max, (1, 2, 3))


def test_generated_gltf_lists_buffer(tmp_path: Path) -> None:
    files = BOX.export(file_type="gltf")
    for key, data in files.items():
        (tmp_path / key).write_bytes(data)
    info = inspect_scan(tmp_path / "model.gltf", tmp_path)
    assert info.faces == 12 and info.files[0] == "model.gltf"
    assert set(info.files[1:]) == {k for k in files if k.endswith(".bin")}


@pytest.mark.parametrize("suffix", [".obj", ".dat", ""])
def test_identify_ply_with_wrong_extension(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"scan{suffix}"
    path.write_bytes(BOX.export(file_type="ply"))
    assert identify(path) == "ply"


def test_identify_off_without_extension(tmp_path: Path) -> None:
    path = tmp_path / "scan"
    path.write_text(BOX.export(file_type="off"))
    assert identify(path) == "off"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tex.png", b"\x89PNG\r\n\x1a\n0000"),
        ("tex.jpg", b"\xff\xd8\xff\xe0"),
        ("a.mtl", b"newmtl a\n"),
        ("a.bin", b"\x00\x01"),
        ("notes.txt", b"hello"),
    ],
)
def test_identify_refuses_non_scans(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(UnsupportedFormat):
        identify(tmp_path / name)


def test_identify_gltf1_says_only_gltf2(tmp_path: Path) -> None:
    path = tmp_path / "old.gltf"
    path.write_text(json.dumps({"asset": {"version": "1.0"}, "meshes": {}}))
    with pytest.raises(UnsupportedFormat, match="glTF 2.0"):
        identify(path)


def test_glb_v1_says_only_gltf2(tmp_path: Path) -> None:
    path = tmp_path / "old.glb"
    path.write_bytes(b"glTF" + struct.pack("<II", 1, 20) + b"\x00" * 8)
    with pytest.raises(UnsupportedFormat, match="glTF 2.0"):
        inspect_scan(path, tmp_path)


@pytest.mark.parametrize("name", ["a.mtl", "b.PNG", "c.bin", "d.ktx2", "e.jpeg"])
def test_side_files(name: str) -> None:
    assert is_side_file(Path(name))


@pytest.mark.parametrize("name", ["a.obj", "b.ply", "c.glb"])
def test_scans_are_not_side_files(name: str) -> None:
    assert not is_side_file(Path(name))


# ---------------------------------------------------------------- declared sizes


def _ply_header(fmt: str, nverts: int, nfaces: int = 0, count: str = "uchar") -> bytes:
    head = f"ply\nformat {fmt} 1.0\nelement vertex {nverts}\nproperty float x\nproperty float y\nproperty float z\n"
    if nfaces:
        head += f"element face {nfaces}\nproperty list {count} int vertex_indices\n"
    return (head + "end_header\n").encode()


@pytest.mark.parametrize("fmt", ["ascii", "binary_little_endian"])
def test_ply_trillion_vertices_refused(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "huge.ply"
    path.write_bytes(_ply_header(fmt, 10**12) + b"\x00" * 64)
    with pytest.raises(LimitExceeded):
        inspect_scan(path, tmp_path)


@pytest.mark.parametrize("fmt", ["ascii", "binary_little_endian"])
def test_ply_count_larger_than_file_refused(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "liar.ply"
    path.write_bytes(_ply_header(fmt, 10**7) + b"\x00" * 64)
    with pytest.raises(LimitExceeded):
        inspect_scan(path, tmp_path)


def test_ply_list_count_ffffffff_refused(tmp_path: Path) -> None:
    verts = np.zeros((3, 3), "<f4").tobytes()
    face = struct.pack("<I", 0xFFFFFFFF) + struct.pack("<3i", 0, 1, 2)
    path = tmp_path / "lists.ply"
    path.write_bytes(_ply_header("binary_little_endian", 3, 1, "uint") + verts + face)
    with pytest.raises(LimitExceeded):
        inspect_scan(path, tmp_path)


def test_ply_face_index_out_of_range(tmp_path: Path) -> None:
    verts = np.zeros((3, 3), "<f4").tobytes()
    face = struct.pack("<B3i", 3, 0, 1, 7)
    path = tmp_path / "bad.ply"
    path.write_bytes(_ply_header("binary_little_endian", 3, 1) + verts + face)
    with pytest.raises(CorruptFile):
        inspect_scan(path, tmp_path)


def test_ply_truncated_binary(tmp_path: Path) -> None:
    path = tmp_path / "cut.ply"
    path.write_bytes(BOX.export(file_type="ply")[:-20])
    with pytest.raises((CorruptFile, LimitExceeded)):
        inspect_scan(path, tmp_path)


def test_ply_mixed_quads_and_triangles_counted(tmp_path: Path) -> None:
    verts = np.zeros((4, 3), "<f4").tobytes()
    faces = struct.pack("<B3i", 3, 0, 1, 2) + struct.pack("<B4i", 4, 0, 1, 2, 3)
    path = tmp_path / "mixed.ply"
    path.write_bytes(_ply_header("binary_little_endian", 4, 2) + verts + faces)
    assert inspect_scan(path, tmp_path).faces == 3


def _stl(declared: int, actual: int, extra: bytes = b"") -> bytes:
    tri = np.zeros(actual, dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    tri["v"] = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
    return b"\x00" * 80 + struct.pack("<I", declared) + tri.tobytes() + extra


def test_stl_wrong_count_but_whole_size_loads_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "count.stl"
    path.write_bytes(_stl(1, 2))
    info = inspect_scan(path, tmp_path)
    assert info.faces == 2 and any("declares 1" in w for w in info.warnings)


def test_stl_truncated_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cut.stl"
    path.write_bytes(_stl(5, 2, b"\x00" * 7))
    with pytest.raises(CorruptFile):
        inspect_scan(path, tmp_path)


def _glb(json_len: int | None = None, total: int | None = None) -> bytes:
    doc = json.dumps({"asset": {"version": "2.0"}}).encode().ljust(32)
    chunk = struct.pack("<II", json_len if json_len is not None else len(doc), 0x4E4F534A) + doc
    length = total if total is not None else 12 + len(chunk)
    return b"glTF" + struct.pack("<II", 2, length) + chunk


@pytest.mark.parametrize(
    ("json_len", "total"), [(0xFFFFFFFF, None), (1000, None), (None, 10_000)], ids=["ffffffff", "past-end", "length"]
)
def test_glb_bad_lengths_are_corrupt(tmp_path: Path, json_len: int | None, total: int | None) -> None:
    path = tmp_path / "bad.glb"
    path.write_bytes(_glb(json_len, total))
    with pytest.raises(CorruptFile):
        inspect_scan(path, tmp_path)


def _gltf_doc(uri: str = "data.bin", byte_length: int = 36, count: int = 3) -> dict:
    return {
        "asset": {"version": "2.0"},
        "buffers": [{"uri": uri, "byteLength": byte_length}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": count, "type": "VEC3",
             "min": [0, 0, 0], "max": [1, 1, 0]}
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "nodes": [{"mesh": 0, "translation": [10, 0, 0]}],
        "scenes": [{"nodes": [0]}],
    }  # fmt: skip


def _write_gltf(folder: Path, doc: dict, name: str = "scene.gltf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.bin").write_bytes(b"\x00" * 36)
    (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    return folder / name


def test_gltf_bbox_follows_node_transform(tmp_path: Path) -> None:
    info = inspect_scan(_write_gltf(tmp_path, _gltf_doc()), tmp_path)
    assert info.faces == 1 and info.bbox_min == (10, 0, 0) and info.bbox_max == (11, 1, 0)


def test_gltf_accessor_past_buffer_view_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptFile):
        inspect_scan(_write_gltf(tmp_path, _gltf_doc(count=4)), tmp_path)


def test_gltf_buffer_view_past_buffer_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptFile):
        inspect_scan(_write_gltf(tmp_path, _gltf_doc(byte_length=12)), tmp_path)


def test_gltf_huge_data_uri_refused(tmp_path: Path) -> None:
    uri = "data:application/octet-stream;base64," + "A" * 4000
    with pytest.raises(LimitExceeded):
        inspect_scan(_write_gltf(tmp_path, _gltf_doc(uri=uri)), tmp_path, Limits(max_data_uri_bytes=1000))


def test_gltf_percent_encoded_unicode_uri(tmp_path: Path) -> None:
    doc = _gltf_doc(uri="d%C3%A0ta%20%E2%9D%A4.bin")
    path = _write_gltf(tmp_path, doc)
    (tmp_path / "dàta ❤.bin").write_bytes(b"\x00" * 36)
    assert inspect_scan(path, tmp_path).files[1] == "dàta ❤.bin"


def test_gltf_missing_buffer_is_a_warning(tmp_path: Path) -> None:
    info = inspect_scan(_write_gltf(tmp_path, _gltf_doc(uri="gone.bin")), tmp_path)
    assert info.files == ["scene.gltf"] and any("gone.bin" in w for w in info.warnings)


# ---------------------------------------------------------------- unsafe references


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path passed to open() while the test runs."""
    seen: list[str] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, os.PathLike)):
            seen.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    return seen


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    path = tmp_path / "secret.bin"
    path.write_bytes(b"\x00" * 36)
    return path


@pytest.mark.parametrize(
    "uri",
    ["../secret.bin", "/etc/passwd", "file:///etc/passwd", "http://example.com/a.bin", "C:\\secret.bin",
     "%2E%2E/secret.bin", "https://example.com/a.bin"],
)  # fmt: skip
def test_gltf_unsafe_uri_refused(tmp_path: Path, sentinel: Path, opened: list[str], uri: str) -> None:
    root = tmp_path / "import"
    path = _write_gltf(root, _gltf_doc(uri=uri))
    with pytest.raises(UnsafeReference):
        inspect_scan(path, root)
    assert str(sentinel.resolve()) not in opened


def _obj(folder: Path, mtllib: str, mtl: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m.obj").write_text(f"mtllib {mtllib}\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    if mtl is not None:
        (folder / "m.mtl").write_text(mtl)
    return folder / "m.obj"


@pytest.mark.parametrize("mtllib", ["../../etc/passwd", "/etc/passwd", "ok.mtl ../secret.bin", "..\\secret.bin"])
def test_obj_unsafe_mtllib_refused(tmp_path: Path, sentinel: Path, opened: list[str], mtllib: str) -> None:
    root = tmp_path / "import"
    with pytest.raises(UnsafeReference):
        inspect_scan(_obj(root, mtllib), root)
    assert str(sentinel.resolve()) not in opened


@pytest.mark.parametrize(
    "line",
    ["map_Kd /etc/passwd", "map_Kd C:\\textures\\a.jpg", "bump -bm 1 ../secret.bin", "map_Kd file:///etc/passwd"],
)
def test_mtl_unsafe_texture_refused(tmp_path: Path, sentinel: Path, opened: list[str], line: str) -> None:
    root = tmp_path / "import"
    with pytest.raises(UnsafeReference):
        inspect_scan(_obj(root, "m.mtl", f"newmtl a\n{line}\n"), root)
    assert str(sentinel.resolve()) not in opened


def test_symlink_out_of_root_refused(tmp_path: Path, sentinel: Path) -> None:
    root = tmp_path / "import"
    path = _obj(root, "m.mtl", "newmtl a\nmap_Kd tex.png\n")
    (root / "tex.png").symlink_to(sentinel)
    with pytest.raises(UnsafeReference):
        inspect_scan(path, root)


def test_main_file_outside_root_refused(tmp_path: Path) -> None:
    root = tmp_path / "import"
    root.mkdir()
    path = _obj(tmp_path / "elsewhere", "none.mtl")
    with pytest.raises(UnsafeReference):
        inspect_scan(path, root)


def test_missing_texture_is_warning_not_file(tmp_path: Path) -> None:
    info = inspect_scan(_obj(tmp_path, "m.mtl", "newmtl a\nmap_Kd gone.png\n"), tmp_path)
    assert info.files == ["m.obj", "m.mtl"] and "texture gone.png is missing" in info.warnings[0]


def test_backslash_texture_resolves(tmp_path: Path) -> None:
    (tmp_path / "tex").mkdir()
    (tmp_path / "tex" / "a b.jpg").write_bytes(b"\xff\xd8\xff")
    info = inspect_scan(_obj(tmp_path, "m.mtl", "newmtl a\nmap_Kd -bm 1 -o 1 2 .\\tex\\a b.jpg\n"), tmp_path)
    assert info.textures == ["tex/a b.jpg"] and info.textured


def test_mtllib_several_names_and_escaped_spaces(tmp_path: Path) -> None:
    (tmp_path / "my lib.mtl").write_text("newmtl a\n")
    info = inspect_scan(_obj(tmp_path, "missing.mtl my\\ lib.mtl"), tmp_path)
    assert info.files == ["m.obj", "my lib.mtl"] and any("missing.mtl" in w for w in info.warnings)


@pytest.mark.parametrize(
    ("args", "name"),
    [("-bm 1 -o 0.1 0.2 bump 01.png", "bump 01.png"), ("-imfchan r bumpmap2.jpg -bm 1.5", "bumpmap2.jpg"),
     ("-s 0.1 0.2 specular.jpg", "specular.jpg"), ("-type cube_top sky.jpg", "sky.jpg")],
)  # fmt: skip
def test_mtl_texture_options_stripped(args: str, name: str) -> None:
    assert texture_name(args) == name


# ---------------------------------------------------------------- OBJ / OFF faces


@pytest.mark.parametrize("face", ["f 1 2 9", "f -1 -2 -9", "f 0 1 2"])
def test_obj_bad_face_index_is_corrupt(tmp_path: Path, face: str) -> None:
    path = tmp_path / "bad.obj"
    path.write_text(f"v 0 0 0\nv 1 0 0\nv 0 1 0\n{face}\n")
    with pytest.raises(CorruptFile):
        inspect_scan(path, tmp_path)


def test_obj_relative_indices_and_slashes(tmp_path: Path) -> None:
    path = tmp_path / "rel.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nvt 0 0\nf -4/1 -3/1 -2/1 -1/1\n")
    assert inspect_scan(path, tmp_path).faces == 2


def test_obj_nan_coordinates_warn(tmp_path: Path) -> None:
    path = tmp_path / "nan.obj"
    path.write_text("v nan 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 2 3 4\n")
    info = inspect_scan(path, tmp_path)
    assert info.bbox_min == (0, 0, 0) and any("NaN" in w for w in info.warnings)


def test_obj_vertex_colours(tmp_path: Path) -> None:
    path = tmp_path / "c.obj"
    path.write_text("v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 0 1 0 0 0 1\nf 1 2 3\n")
    assert inspect_scan(path, tmp_path).vertex_colors


def test_off_face_index_out_of_range(tmp_path: Path) -> None:
    path = tmp_path / "bad.off"
    path.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 5\n")
    with pytest.raises(CorruptFile):
        inspect_scan(path, tmp_path)


@pytest.mark.parametrize("name", ["empty.obj", "empty.stl", "empty.glb", "empty.ply"])
def test_empty_file_is_empty_model(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(EmptyModel):
        inspect_scan(tmp_path / name, tmp_path)


# ---------------------------------------------------------------- point clouds


def test_xyz_points(tmp_path: Path) -> None:
    path = tmp_path / "p.xyz"
    path.write_text("0 0 0 255 0 0\n1 2 3 0 255 0\n")
    info = inspect_scan(path, tmp_path)
    assert (info.points, info.bbox_max, info.vertex_colors) == (2, (1, 2, 3), True)


def test_pts_count_line(tmp_path: Path) -> None:
    path = tmp_path / "p.pts"
    path.write_text("2\n0 0 0 10 1 2 3\n1 2 3 10 1 2 3\n")
    assert inspect_scan(path, tmp_path).points == 2


@pytest.mark.parametrize("encoding", ["ascii", "binary"])
def test_pcd_points(tmp_path: Path, encoding: str) -> None:
    xyz = np.array([[0, 0, 0], [1, 2, 3]], "<f4")
    head = (
        f"VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 2\nHEIGHT 1\nPOINTS 2\nDATA {encoding}\n"
    )
    body = xyz.tobytes() if encoding == "binary" else b"0 0 0\n1 2 3\n"
    (tmp_path / "p.pcd").write_bytes(head.encode() + body)
    info = inspect_scan(tmp_path / "p.pcd", tmp_path)
    assert (info.points, info.bbox_max) == (2, (1, 2, 3))


def test_lzf_overlapping_reference() -> None:
    # literal 'ab', then back-reference length 4 at distance 2 -> 'ababab'
    assert decompress(bytes([1]) + b"ab" + bytes([(2 << 5), 1]), 6) == b"ababab"


def test_lzf_bad_reference_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        decompress(bytes([(2 << 5), 9]), 4)


def _las(path: Path, compressed: bool) -> None:
    laspy = pytest.importorskip("laspy")
    header = laspy.LasHeader(point_format=2, version="1.2")
    las = laspy.LasData(header)
    las.x, las.y, las.z = np.array([0.0, 1.0]), np.array([0.0, 2.0]), np.array([0.0, 3.0])
    las.write(str(path), do_compress=compressed)


@pytest.mark.parametrize(("name", "fmt"), [("p.las", "las"), ("p.laz", "laz")])
def test_las_header(tmp_path: Path, name: str, fmt: str) -> None:
    _las(tmp_path / name, name.endswith("laz"))
    info = inspect_scan(tmp_path / name, tmp_path)
    assert (info.format, info.points, info.vertex_colors) == (fmt, 2, True)
    assert np.allclose(info.bbox_max, (1, 2, 3))


def test_las_garbage_is_corrupt(tmp_path: Path) -> None:
    (tmp_path / "bad.las").write_bytes(b"LASF" + b"\x07" * 300)
    with pytest.raises(CorruptFile):
        inspect_scan(tmp_path / "bad.las", tmp_path)


def test_e57_header(tmp_path: Path) -> None:
    pye57 = pytest.importorskip("pye57")
    path = tmp_path / "p.e57"
    e57 = pye57.E57(str(path), mode="w")
    data = {"cartesianX": np.array([0.0, 1.0]), "cartesianY": np.array([0.0, 2.0]),
            "cartesianZ": np.array([0.0, 3.0])}  # fmt: skip
    e57.write_scan_raw(data)
    e57.close()
    info = inspect_scan(path, tmp_path)
    assert info.format == "e57" and info.points == 2
