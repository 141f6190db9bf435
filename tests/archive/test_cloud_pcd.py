"""PCD clouds read a chunk at a time (archive.publish.cloud_pcd): the same points and colours
as the export's whole reader (Open3D) for every DATA encoding and field layout, in several
chunks; organised clouds with holes; the compressed cloud through a scratch file; truncated
and damaged files; and the levels, the 3D Tiles export and the pick index made from them
without reading the master whole."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from archive.errors import CorruptFile, LimitExceeded
from archive.formats import lzf
from archive.publish import cloud_pcd, cloudstream
from archive.publish.cloud_pcd import PcdSource
from archive.publish.clouds import read_pcd
from archive.publish.modelframe import ModelFrame

FRAME = ModelFrame(np.eye(3), 1.0)
ENCODINGS = ["ascii", "binary", "binary_compressed"]


# --- writing PCD files by hand --------------------------------------------------------------

def lzf_literals(data: bytes) -> bytes:
    """A valid LZF stream of ``data`` made of literal runs only (any reader must accept it)."""
    out = bytearray()
    for a in range(0, len(data), 32):
        run = data[a:a + 32]
        out += bytes([len(run) - 1]) + run
    return bytes(out)


def write_pcd(path: Path, rows: np.ndarray, encoding: str, types: str, height: int = 1) -> Path:
    """``rows`` (a structured array; a field named ``_<i>`` is padding ``_``) as a PCD."""
    names = rows.dtype.names or ()
    fields = ["_" if k.startswith("_") else k for k in names]
    sizes = [rows.dtype[k].base.itemsize for k in names]
    counts = [int(np.prod(rows.dtype[k].shape or (1,))) for k in names]
    n = len(rows)
    head = (f"# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS {' '.join(fields)}\n"
            f"SIZE {' '.join(map(str, sizes))}\nTYPE {' '.join(types)}\nCOUNT {' '.join(map(str, counts))}\n"
            f"WIDTH {n // height}\nHEIGHT {height}\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA {encoding}\n")
    if encoding == "binary":
        body = rows.tobytes()
    elif encoding == "binary_compressed":
        raw = b"".join(np.ascontiguousarray(rows[k]).tobytes() for k in names)  # field after field
        packed = lzf_literals(raw)
        body = np.array([len(packed), len(raw)], "<u4").tobytes() + packed
    else:
        flat = [rows[k].reshape(n, -1) for k in names]
        body = "".join(" ".join(_text(v) for c in flat for v in c[i]) + "\n" for i in range(n)).encode()
    path.write_bytes(head.encode() + body)
    return path


def _text(v: np.generic) -> str:
    return repr(float(v)) if isinstance(v, np.floating) else str(int(v))


def cloud(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 3)) * [40, 30, 5] - [3, 2, 1], rng.integers(0, 256, (n, 3))


def packed(rgb: np.ndarray) -> np.ndarray:
    return (rgb[:, 0].astype(np.uint32) << 16) | (rgb[:, 1].astype(np.uint32) << 8) | rgb[:, 2].astype(np.uint32)


def layout(name: str, n: int) -> tuple[np.ndarray, str]:
    """A generated cloud in one of the field layouts PCL and scanners write, with its TYPE letters."""
    xyz, rgb = cloud(n)
    if name == "xyz":
        rows = np.zeros(n, [("x", "<f4"), ("y", "<f4"), ("z", "<f4")])
        types = "FFF"
    elif name == "rgb_float":  # PCL's PointXYZRGB: the colour packed in a float
        rows = np.zeros(n, [("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("rgb", "<f4")])
        rows["rgb"] = packed(rgb).view("<f4")
        types = "FFFF"
    elif name == "rgba_padding_count":  # an unsigned rgba, intensity, padding and a field of COUNT 3
        rows = np.zeros(n, [("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("_3", "u1", (4,)), ("rgba", "<u4"),
                            ("intensity", "<f4"), ("normal", "<f4", (3,))])
        rows["rgba"] = packed(rgb) | np.uint32(0x7F000000)
        rows["intensity"], rows["normal"] = xyz[:, 0], 0.5
        types = "FFFUUFF"
    else:  # integer coordinates of several sizes
        rows = np.zeros(n, [("x", "<i2"), ("y", "<u1"), ("z", "<i4"), ("rgb", "<u4")])
        xyz = np.round(xyz * [100, 8, 1000]) + [0, 20, 0]
        rows["rgb"] = packed(rgb)
        types = "IUIU"
    for k, axis in enumerate("xyz"):
        rows[axis] = xyz[:, k]
    return rows, types


def read_all(source: PcdSource) -> tuple[np.ndarray, np.ndarray | None, int]:
    chunks = list(source.chunks())
    colours = None if chunks[0][1] is None else np.concatenate([c for _, c in chunks])  # type: ignore[misc]
    return np.concatenate([p for p, _ in chunks]), colours, len(chunks)


# --- the same points and colours as the whole reader ------------------------------------------

LAYOUTS = ["xyz", "rgb_float", "rgba_padding_count", "integers"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", LAYOUTS)
def test_chunks_hold_the_whole_readers_points_and_colours(tmp_path: Path, encoding: str, name: str) -> None:
    rows, types = layout(name, 2_500)
    path = write_pcd(tmp_path / "c.pcd", rows, encoding, types)
    source = PcdSource(path, FRAME, chunk=700)
    points, colours, chunks = read_all(source)
    whole, whole_colours = read_pcd(path)
    assert chunks >= 3 and source.count == len(points) == 2_500
    assert np.array_equal(points, whole)
    assert source.coloured == (whole_colours is not None) == (colours is not None)
    if colours is not None:
        assert np.array_equal(colours[:, :3], np.round(whole_colours).astype(np.uint8))  # type: ignore[arg-type]
        assert (colours[:, 3] == 255).all()
    lo, hi = source.bounds()
    assert np.array_equal(lo, whole.min(0)) and np.array_equal(hi, whole.max(0))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_an_organised_cloud_loses_its_holes_as_in_the_whole_reader(tmp_path: Path, encoding: str) -> None:
    rows, types = layout("rgb_float", 40 * 30)
    rows["x"][::7] = np.nan  # the holes of a depth camera's grid
    rows["z"][3::11] = np.inf
    path = write_pcd(tmp_path / "o.pcd", rows, encoding, types, height=30)
    points, colours, _ = read_all(PcdSource(path, FRAME, chunk=100))
    whole, whole_colours = read_pcd(path)
    assert len(points) == len(whole) < 1_200
    assert np.array_equal(points, whole)
    assert np.array_equal(colours[:, :3], np.round(whole_colours).astype(np.uint8))  # type: ignore[index, arg-type]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_eight_byte_coordinates_are_read_as_the_file_holds_them(tmp_path: Path, encoding: str) -> None:
    xyz, _ = cloud(300)
    rows = np.zeros(300, [("x", "<f8"), ("y", "<f8"), ("z", "<f8")])
    for k, axis in enumerate("xyz"):
        rows[axis] = xyz[:, k] + 600_000.0  # georeferenced: float32 would round them
    path = write_pcd(tmp_path / "d.pcd", rows, encoding, "FFF")
    points, _, _ = read_all(PcdSource(path, FRAME, chunk=64))
    assert np.array_equal(points, xyz + 600_000.0)


def test_the_frame_is_applied_to_points_and_bounds(tmp_path: Path) -> None:
    rows, types = layout("xyz", 500)
    path = write_pcd(tmp_path / "f.pcd", rows, "binary", types)
    frame = ModelFrame(np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]), 0.001)  # z-up millimetres
    source = PcdSource(path, frame, chunk=128)
    points, _, _ = read_all(source)
    whole, _ = read_pcd(path)
    assert np.allclose(points, frame.points(whole))
    lo, hi = source.bounds()
    assert np.allclose(lo, points.min(0)) and np.allclose(hi, points.max(0))


def test_open3ds_compressed_file_is_read_through_a_scratch_file_that_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import open3d as o3d

    xyz, rgb = cloud(20_000)
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(xyz))
    pcd.colors = o3d.utility.Vector3dVector(rgb / 255.0)
    path = tmp_path / "o3d.pcd"
    assert o3d.io.write_point_cloud(str(path), pcd, compressed=True)  # real LZF with back references
    monkeypatch.setattr(cloud_pcd, "IN_MEMORY", 1024)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    source = PcdSource(path, FRAME, chunk=3_000, scratch=scratch)
    points, colours, chunks = read_all(source)
    whole, whole_colours = read_pcd(path)
    assert chunks == 7 and np.array_equal(points, whole)
    assert np.array_equal(colours[:, :3], np.round(whole_colours).astype(np.uint8))  # type: ignore[index, arg-type]
    assert source._unpacked is not None and not isinstance(source._unpacked, bytes)  # the scratch file was used
    assert list(scratch.iterdir()) == []  # never linked: nothing to clean up after a crash
    source.close()


def test_a_disk_too_full_for_the_scratch_file_is_a_limit_naming_the_space(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows, types = layout("xyz", 2_000)
    path = write_pcd(tmp_path / "big.pcd", rows, "binary_compressed", types)
    monkeypatch.setattr(cloud_pcd, "IN_MEMORY", 1024)
    monkeypatch.setattr(cloud_pcd, "DISK_MARGIN", 1 << 62)  # more than any disk holds
    with pytest.raises(LimitExceeded, match=r"big\.pcd: its compressed points need .* GB of free disk"):
        list(PcdSource(path, FRAME).chunks())


def test_streamed_lzf_equals_the_whole_decompression_at_any_piece_size(tmp_path: Path) -> None:
    import open3d as o3d

    grid = np.stack(np.meshgrid(np.arange(40), np.arange(40), np.arange(10)), -1).reshape(-1, 3) * 0.5
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(grid.astype(np.float64)))  # repeats: back references
    path = tmp_path / "grid.pcd"
    assert o3d.io.write_point_cloud(str(path), pcd, compressed=True)
    data = path.read_bytes()
    block = data[data.index(b"DATA binary_compressed\n") + 23:]
    size, unpacked = (int(v) for v in np.frombuffer(block[:8], "<u4"))
    whole = lzf.decompress(block[8:8 + size], unpacked)
    assert size < unpacked // 2  # mostly back references
    for piece in (40, 1_000, 1 << 20):
        got = bytearray()
        lzf.decompress_stream(io.BytesIO(block[8:8 + size]).read, size, unpacked, got.extend, piece=piece)
        assert bytes(got) == whole


# --- truncated and damaged files ------------------------------------------------------------

@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_truncated_pcd_is_a_corrupt_file_naming_it(tmp_path: Path, encoding: str) -> None:
    rows, types = layout("rgb_float", 1_000)
    path = write_pcd(tmp_path / "cut.pcd", rows, encoding, types)
    path.write_bytes(path.read_bytes()[:-2_000])
    with pytest.raises(CorruptFile, match=r"cut\.pcd: .*truncated"):
        list(PcdSource(path, FRAME, chunk=300).chunks())


def test_a_damaged_compressed_block_is_a_corrupt_file_naming_it(tmp_path: Path) -> None:
    rows, types = layout("xyz", 1_000)
    path = write_pcd(tmp_path / "bad.pcd", rows, "binary_compressed", types)
    data = bytearray(path.read_bytes())
    data[data.index(b"DATA binary_compressed\n") + 23 + 8] = 0xFF  # a back reference before the start
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFile, match=r"bad\.pcd: compressed point data is damaged"):
        list(PcdSource(path, FRAME).chunks())


def test_a_compressed_size_that_disagrees_with_the_points_is_a_corrupt_file(tmp_path: Path) -> None:
    rows, types = layout("xyz", 1_000)
    path = write_pcd(tmp_path / "size.pcd", rows, "binary_compressed", types)
    data = path.read_bytes().replace(b"POINTS 1000", b"POINTS 1001")
    path.write_bytes(data)
    with pytest.raises(CorruptFile, match=r"size\.pcd: .*uncompressed size disagrees"):
        list(PcdSource(path, FRAME).chunks())


def test_a_word_in_an_ascii_pcd_is_a_corrupt_file_naming_its_line(tmp_path: Path) -> None:
    rows, types = layout("xyz", 500)
    path = write_pcd(tmp_path / "word.pcd", rows, "ascii", types)
    lines = path.read_bytes().split(b"\n")
    lines[11 + 321] = b"1.0 oops 2.0"  # the 322nd point; the header has 11 lines
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(CorruptFile, match=r"word\.pcd: line 333 of the PCD holds a value that is not a number"):
        list(PcdSource(path, FRAME, chunk=128).chunks())


def test_a_pcd_without_coordinates_or_with_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    rows = np.zeros(10, [("x", "<f4"), ("y", "<f4"), ("intensity", "<f4")])
    with pytest.raises(CorruptFile, match=r"noz\.pcd: the PCD has no x y z fields"):
        PcdSource(write_pcd(tmp_path / "noz.pcd", rows, "binary", "FFF"), FRAME)
    rows, types = layout("xyz", 10)
    path = write_pcd(tmp_path / "enc.pcd", rows, "binary", types)
    path.write_bytes(path.read_bytes().replace(b"DATA binary", b"DATA binary_zstd"))
    with pytest.raises(CorruptFile, match=r"enc\.pcd: unknown PCD DATA encoding"):
        PcdSource(path, FRAME)


# --- levels, pick index and 3D Tiles, never reading the master whole ---------------------------

SHA = "cd" * 32


def _no_whole_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.levels

    def whole(path: Path) -> None:
        raise AssertionError(f"{path.name} was read whole")

    monkeypatch.setattr(archive.levels, "read_master", whole)


def index_points(folder: Path) -> np.ndarray:
    """Every point the pick index holds, in the master's frame, sorted."""
    import json

    from archive.pickindex import index_files

    files = index_files(folder, SHA)
    origin = np.array(json.loads(files["manifest"].read_text(encoding="utf-8"))["origin"])
    points = np.load(files["vertices"]).astype(np.float64) + origin
    return points[np.lexsort(points.T[::-1])]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_levels_and_the_pick_index_are_made_a_chunk_at_a_time(
        tmp_path: Path, encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.levels import build_levels
    from archive.publish.cloudstream import open_cloud_source

    rows, types = layout("rgb_float", 12_000)
    rows["x"][::50] = np.nan
    path = write_pcd(tmp_path / "scan.pcd", rows, encoding, types)
    assert isinstance(open_cloud_source(path, FRAME), PcdSource)
    monkeypatch.setattr(cloud_pcd, "IN_MEMORY", 1024)
    monkeypatch.setattr(cloudstream, "CHUNK", 1_000)
    _no_whole_read(monkeypatch)
    levels = build_levels(path, SHA, tmp_path / "lv", targets=(3_000, 800))
    assert [lv.level for lv in levels] == [1, 2] and 1_500 < levels[0].points <= 3_000 and levels[1].points <= 800
    whole, _ = read_pcd(path)
    assert np.allclose(index_points(tmp_path / "lv"), whole[np.lexsort(whole.T[::-1])], atol=1e-5)


def test_an_archived_pcd_is_exported_as_3d_tiles_holding_every_point(tmp_path: Path) -> None:
    from archive import Archive
    from archive.publish import export_item
    from tests.archive.test_publish_support import add
    from tests.archive.test_tiles3d import tiles_points

    rows, types = layout("rgb_float", 9_000)
    (tmp_path / "src").mkdir()
    path = write_pcd(tmp_path / "src" / "gate.pcd", rows, "binary_compressed", types)
    with Archive.create(tmp_path / "a") as archive:
        item = add(archive, path, "other", title_vi="Cổng", model_licence="CC-BY-4.0")
        result = export_item(archive, item, tmp_path / "out", "3dtiles")
    points, colours = tiles_points(result.files[0].parent)
    whole, whole_colours = read_pcd(path)
    assert len(points) == len(whole) == 9_000
    extent = whole.max(0) - whole.min(0)  # the published frame turns and scales: compare extents
    assert np.allclose(np.sort(points.max(0) - points.min(0)), np.sort(extent * 0.001), rtol=1e-4)
    assert sorted(map(tuple, colours[:, :3])) == sorted(map(tuple, np.round(whole_colours).astype(np.uint8)))


def test_a_web_glb_of_a_pcd_far_over_the_budget_is_thinned_while_read(tmp_path: Path) -> None:
    from archive import Archive
    from archive.publish import export_item, get_profile

    rows, types = layout("rgb_float", 30_000)
    (tmp_path / "src").mkdir()
    archive = Archive.create(tmp_path / "arc")
    assert not archive.import_paths([write_pcd(tmp_path / "src" / "wall.pcd", rows, "ascii", types)]).errors
    (item,) = archive.search_ids()
    profile = get_profile("web").with_overrides(max_bytes=64_000)  # room for about 4,000 points
    web = export_item(archive, item, tmp_path / "out", "glb", profile).web
    assert web is not None and web.master_points == 30_000 and 0 < web.points <= 4_000
    assert any("thinned while it was read" in n for n in web.notes)  # before: the whole reader, no such note


# --- import: an ASCII PCD is measured a block of lines at a time --------------------------------

def test_importing_an_ascii_pcd_measures_it_as_its_binary_twin(tmp_path: Path) -> None:
    from archive.formats.base import DEFAULT_LIMITS
    from archive.formats.pointclouds import inspect_pcd

    rows, types = layout("rgba_padding_count", 3_000)
    rows["y"][5::97] = np.nan
    infos = [inspect_pcd(write_pcd(tmp_path / f"{e}.pcd", rows, e, types), tmp_path, DEFAULT_LIMITS)
             for e in ("ascii", "binary")]
    assert infos[0].points == infos[1].points == 3_000
    assert infos[0].bbox_min == infos[1].bbox_min and infos[0].bbox_max == infos[1].bbox_max
    warning = "31 point(s) have NaN or infinite coordinates; ignored in the bounds"
    assert infos[0].warnings == infos[1].warnings == [warning]


def test_ascii_rows_are_the_same_whatever_the_block(tmp_path: Path) -> None:
    from archive.formats.pointclouds import pcd_ascii_rows

    rows, types = layout("integers", 2_000)
    path = write_pcd(tmp_path / "a.pcd", rows, "ascii", types)
    offset = path.read_bytes().index(b"DATA ascii\n") + 11
    small = list(pcd_ascii_rows(path, offset, 4, block=300))
    assert len(small) > 50
    assert np.array_equal(np.concatenate(small), np.concatenate(list(pcd_ascii_rows(path, offset, 4))))
