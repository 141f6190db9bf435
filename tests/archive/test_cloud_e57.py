"""E57 scans read a block at a time (archive.publish.cloud_e57): the same points and colours
as pye57's whole-scan reader for several scans with poses, invalid points, spherical scans
and 8- or 16-bit colours, in several blocks per scan; truncated and damaged files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archive.errors import CorruptFile
from archive.publish.cloud_e57 import E57Source
from archive.publish.clouds import read_e57
from archive.publish.modelframe import ModelFrame

pye57 = pytest.importorskip("pye57")

FRAME = ModelFrame(np.eye(3), 1.0)
POSES = [((1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0)), ((0.9, 0.1, 0.3, 0.2), (12.0, -4.0, 1.5))]


def scan(n: int, seed: int, invalid: bool = True) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = {"cartesianX": rng.random(n) * 20 - 10, "cartesianY": rng.random(n) * 8, "cartesianZ": rng.random(n) * 3,
            **{k: rng.integers(0, 256, n).astype(np.uint8) for k in ("colorRed", "colorGreen", "colorBlue")}}
    if invalid:
        data["cartesianInvalidState"] = np.where(rng.random(n) < 0.1, 2, 0).astype(np.int8)
    return data


def write_pye57(path: Path, scans: list[dict[str, np.ndarray]]) -> Path:
    """Scans written by pye57's own writer, the second with a turned and moved pose."""
    with pye57.E57(str(path), mode="w") as e57:
        for data, (rotation, translation) in zip(scans, POSES, strict=False):
            e57.write_scan_raw(data, rotation=np.array(rotation), translation=np.array(translation))
    return path


def write_fields(path: Path, data: dict[str, np.ndarray], colour_max: int, pose: Any = POSES[1]) -> Path:
    """One scan of any fields (spherical coordinates, 16-bit colours) through libe57 itself,
    which pye57's writer cannot make."""
    from pye57 import libe57

    e57 = pye57.E57(str(path), mode="w")
    imf = e57.image_file
    node = libe57.StructureNode(imf)
    node.set("guid", libe57.StringNode(imf, "{test-scan}"))
    pose_node, rotation, translation = libe57.StructureNode(imf), libe57.StructureNode(imf), libe57.StructureNode(imf)
    for k, v in zip("wxyz", pose[0], strict=True):
        rotation.set(k, libe57.FloatNode(imf, float(v)))
    for k, v in zip("xyz", pose[1], strict=True):
        translation.set(k, libe57.FloatNode(imf, float(v)))
    pose_node.set("rotation", rotation)
    pose_node.set("translation", translation)
    node.set("pose", pose_node)
    prototype = libe57.StructureNode(imf)
    for field, values in data.items():
        top = colour_max if field.startswith("color") else 2
        prototype.set(field, libe57.FloatNode(imf, 0.0, libe57.E57_DOUBLE) if values.dtype.kind == "f"
                      else libe57.IntegerNode(imf, 0, 0, top))
    points = libe57.CompressedVectorNode(imf, prototype, libe57.VectorNode(imf, True))
    node.set("points", points)
    e57.data3d.append(node)
    n = len(next(iter(data.values())))
    arrays, buffers = {}, libe57.VectorSourceDestBuffer()
    for field, values in data.items():
        kind = "d" if values.dtype.kind == "f" else "H" if field.startswith("color") else "b"
        arrays[field] = np.ascontiguousarray(values, kind)
        buffers.append(libe57.SourceDestBuffer(imf, field, arrays[field], n, True, True))
    writer = points.writer(buffers)
    writer.write(n)
    writer.close()
    e57.close()
    return path


def read_all(source: E57Source) -> tuple[np.ndarray, np.ndarray | None, int]:
    chunks = list(source.chunks())
    colours = None if chunks[0][1] is None else np.concatenate([c for _, c in chunks])  # type: ignore[misc]
    return np.concatenate([p for p, _ in chunks]), colours, len(chunks)


def test_two_posed_scans_give_the_whole_readers_points_block_by_block(tmp_path: Path) -> None:
    scans = [scan(1_000, 1), scan(1_500, 2)]
    path = write_pye57(tmp_path / "two.e57", scans)
    source = E57Source(path, FRAME, chunk=256)
    points, colours, chunks = read_all(source)
    whole, whole_colours = read_e57(path)
    assert chunks == 4 + 6 and source.count == 2_500 and source.coloured
    assert len(points) == len(whole) == sum(int((s["cartesianInvalidState"] == 0).sum()) for s in scans)
    assert np.allclose(points, whole, atol=1e-9)
    assert np.array_equal(colours[:, :3], whole_colours.astype(np.uint8))  # type: ignore[index, union-attr]
    second = scans[1]
    kept = second["cartesianInvalidState"] == 0
    local = np.column_stack([second[k][kept] for k in ("cartesianX", "cartesianY", "cartesianZ")])
    from pyquaternion import Quaternion

    turned = local @ Quaternion(POSES[1][0]).rotation_matrix.T + POSES[1][1]  # the pose, worked out apart
    assert np.allclose(points[-len(turned):], turned, atol=1e-4)  # pye57 stores single precision
    lo, hi = source.bounds()
    assert np.array_equal(lo, points.min(0)) and np.array_equal(hi, points.max(0))


def test_the_frame_is_applied_after_the_pose(tmp_path: Path) -> None:
    path = write_pye57(tmp_path / "f.e57", [scan(400, 3, invalid=False), scan(300, 4, invalid=False)])
    frame = ModelFrame(np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]), 0.5)
    points, _, _ = read_all(E57Source(path, frame, chunk=100))
    whole, _ = read_e57(path)
    assert np.allclose(points, frame.points(whole), atol=1e-9)


def test_a_spherical_scan_is_turned_into_xyz_as_pye57_does(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 1_200
    data = {"sphericalRange": rng.random(n) * 10 + 1, "sphericalAzimuth": rng.random(n) * 6 - 3,
            "sphericalElevation": rng.random(n) - 0.5, "sphericalInvalidState": (rng.random(n) < 0.2).astype(np.int8)}
    path = write_fields(tmp_path / "sph.e57", data, 255)
    points, colours, chunks = read_all(E57Source(path, FRAME, chunk=500))
    with pye57.E57(str(path)) as e57:
        whole = e57.read_scan(0, ignore_missing_fields=True)
    assert chunks == 3 and colours is None
    assert np.allclose(points, np.column_stack([whole[k] for k in ("cartesianX", "cartesianY", "cartesianZ")]))
    assert len(points) == int((data["sphericalInvalidState"] == 0).sum()) < n


def test_sixteen_bit_colours_are_brought_to_eight_bits(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    n = 600
    data = {"cartesianX": rng.random(n), "cartesianY": rng.random(n), "cartesianZ": rng.random(n),
            **{k: rng.integers(0, 65536, n) for k in ("colorRed", "colorGreen", "colorBlue")}}
    path = write_fields(tmp_path / "deep.e57", data, 65535)
    _, colours, _ = read_all(E57Source(path, FRAME, chunk=128))
    assert colours is not None
    assert np.array_equal(colours[:, 0], np.round(data["colorRed"] / 257.0).astype(np.uint8))
    assert np.array_equal(colours[:, 2], np.round(data["colorBlue"] / 257.0).astype(np.uint8))
    with pytest.raises(pye57.libe57.E57Exception):  # the whole reader's 8-bit buffers cannot hold them
        read_e57(path)


def test_scans_without_colours_in_one_scan_give_no_colours(tmp_path: Path) -> None:
    plain = {k: v for k, v in scan(300, 7).items() if not k.startswith("color")}
    path = write_pye57(tmp_path / "mixed.e57", [scan(300, 8), plain])
    source = E57Source(path, FRAME)
    points, colours, _ = read_all(source)
    assert not source.coloured and colours is None
    assert np.allclose(points, read_e57(path)[0], atol=1e-9)


def test_a_truncated_e57_is_a_corrupt_file_naming_it(tmp_path: Path) -> None:
    path = write_pye57(tmp_path / "cut.e57", [scan(5_000, 9)])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptFile, match=r"cut\.e57: "):
        list(E57Source(path, FRAME).chunks())


def test_damaged_points_are_a_corrupt_file_naming_it(tmp_path: Path) -> None:
    path = write_pye57(tmp_path / "bad.e57", [scan(20_000, 10)])
    data = bytearray(path.read_bytes())
    for at in range(2_000, 60_000, 1_000):  # inside the binary section: the pages' checksums fail
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFile, match=r"bad\.e57: "):
        list(E57Source(path, FRAME).chunks())


# --- levels, pick index, 3D Tiles and the web GLB, never reading the master whole -------------

SHA = "e5" * 32


def test_levels_and_the_pick_index_are_made_block_by_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import archive.levels
    from archive.levels import build_levels
    from archive.pickindex import index_files
    from archive.publish import cloudstream
    from archive.publish.cloudstream import open_cloud_source

    path = write_pye57(tmp_path / "scan.e57", [scan(6_000, 11), scan(5_000, 12)])
    assert isinstance(open_cloud_source(path, FRAME), E57Source)
    monkeypatch.setattr(cloudstream, "CHUNK", 1_000)
    monkeypatch.setattr(archive.levels, "read_master", lambda p: pytest.fail(f"{p.name} was read whole"))
    levels = build_levels(path, SHA, tmp_path / "lv", targets=(3_000, 800))
    assert [lv.level for lv in levels] == [1, 2] and 1_500 < levels[0].points <= 3_000
    files = index_files(tmp_path / "lv", SHA)
    origin = np.array(json.loads(files["manifest"].read_text(encoding="utf-8"))["origin"])
    indexed = np.load(files["vertices"]).astype(np.float64) + origin
    whole, _ = read_e57(path)
    assert np.allclose(indexed[np.lexsort(indexed.T[::-1])], whole[np.lexsort(whole.T[::-1])], atol=1e-5)


def test_an_archived_e57_gives_3d_tiles_and_a_thinned_web_glb(tmp_path: Path) -> None:
    from archive import Archive
    from archive.publish import export_item, get_profile
    from tests.archive.test_publish_support import add
    from tests.archive.test_tiles3d import tiles_points

    (tmp_path / "src").mkdir()
    path = write_pye57(tmp_path / "src" / "hall.e57", [scan(14_000, 13), scan(12_000, 14)])
    whole, whole_colours = read_e57(path)
    with Archive.create(tmp_path / "a") as archive:
        item = add(archive, path, "other", title_vi="Điện", model_licence="CC-BY-4.0")
        tiles = export_item(archive, item, tmp_path / "tiles", "3dtiles")
        profile = get_profile("web").with_overrides(max_bytes=64_000)  # room for about 4,000 points
        web = export_item(archive, item, tmp_path / "web", "glb", profile).web
    points, colours = tiles_points(tiles.files[0].parent)
    assert len(points) == len(whole)
    assert np.allclose(np.sort(points.max(0) - points.min(0)), np.sort(whole.max(0) - whole.min(0)), rtol=1e-4)
    assert sorted(map(tuple, colours[:, :3])) == sorted(map(tuple, whole_colours.astype(np.uint8)))  # type: ignore[union-attr]
    assert web is not None and web.master_points == len(whole) and 0 < web.points <= 4_000
    assert any("thinned while it was read" in n for n in web.notes)
