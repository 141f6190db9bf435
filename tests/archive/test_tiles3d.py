"""3D Tiles of point clouds too big for one web file (archive.publish.tiles3d and its helpers):
the tileset's essentials, every point in exactly one tile, uniform levels, valid GLB tiles,
the web GLB's frame, every cloud format read in chunks, the export format and the site."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archive import Archive
from archive.errors import Cancelled, EmptyModel
from archive.publish import export_item, validate, validator_available
from archive.publish.cloudstream import ArraySource, master_source
from archive.publish.geometry import load_model
from archive.publish.modelframe import model_frame
from archive.publish.profiles import PublishError
from archive.publish.tilebins import Cube
from archive.publish.tiles3d import TILESET, read_tile, tile_centre, write_tileset
from archive.store import CancelToken
from tests.archive.test_publish_support import add

N = 200_000
SMALL = {"grid": 32, "leaf_max": 2_000}  # a deep tree from a small cloud


def terrain(n: int = N, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) y-up metres on a millimetre grid (a rolling 20 m × 12 m ground far from the
    origin, as georeferenced scans are), (n, 4) RGBA coloured by height."""
    rng = np.random.default_rng(seed)
    x, z = rng.uniform(0, 20, n), rng.uniform(0, 12, n)
    y = 0.8 * np.sin(x / 2.5) * np.cos(z / 3.0) + rng.normal(0, 0.01, n)
    points = np.round(np.column_stack([x + 512_000.0, y + 30.0, z - 1_700_000.0]), 3)
    colours = np.full((n, 4), 255, np.uint8)
    colours[:, 0] = np.interp(y, (-0.8, 0.8), (40, 250)).astype(np.uint8)
    colours[:, 2] = 255 - colours[:, 0]
    return points, colours


def nodes(doc: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any] | None, int]]:
    """Every tile of a tileset with its parent and depth."""
    out = []
    todo: list[tuple[dict[str, Any], dict[str, Any] | None, int]] = [(doc["root"], None, 0)]
    while todo:
        node, parent, depth = todo.pop()
        out.append((node, parent, depth))
        todo.extend((child, node, depth + 1) for child in node.get("children", []))
    return out


def tiles_points(out: Path) -> tuple[np.ndarray, np.ndarray]:
    """All points of a tileset back in the published frame (y-up metres), and their colours."""
    doc = json.loads((out / TILESET).read_text(encoding="utf-8"))
    centre = tile_centre(doc)
    points, colours = [], []
    for node, _, _ in nodes(doc):
        p, c = read_tile(out / node["content"]["uri"])
        points.append(p.astype(np.float64) + centre)
        colours.append(c)
    return np.concatenate(points), np.concatenate(colours)


def millimetres(points: np.ndarray) -> np.ndarray:
    """Rows of integer millimetres in one canonical order (a multiset, for comparing clouds)."""
    q = np.rint(points * 1000).astype(np.int64)
    return q[np.lexsort(q.T[::-1])]


def box_zup(box: list[float]) -> tuple[np.ndarray, np.ndarray]:
    c, h = np.array(box[:3]), np.array([box[3], box[7], box[11]])
    assert box[4:7] == [0, 0, 0] and box[8:11] == [0, 0, 0], "axis-aligned boxes"
    return c - h, c + h


@pytest.fixture(scope="module")
def tileset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiles") / "cloud"
    points, colours = terrain()
    write_tileset(ArraySource(points, colours, chunk=30_000), out, {"copyright": "test"}, bucket_max=20_000,
                  local_budget=400_000, **SMALL)
    return out


def test_tileset_json_has_the_3d_tiles_essentials(tileset: Path) -> None:
    doc = json.loads((tileset / TILESET).read_text(encoding="utf-8"))
    assert doc["asset"]["version"] == "1.1"
    assert doc["root"]["refine"] == "ADD"
    assert doc["geometricError"] >= doc["root"]["geometricError"] > 0
    every = nodes(doc)
    assert len(every) > 50 and max(d for _, _, d in every) >= 4
    for node, parent, _ in every:
        if parent is not None:
            lo, hi = box_zup(node["boundingVolume"]["box"])
            plo, phi = box_zup(parent["boundingVolume"]["box"])
            assert np.all(plo <= lo) and np.all(hi <= phi), "a child's box lies inside its parent's"
            assert node["geometricError"] < parent["geometricError"], "the error shrinks with depth"
        assert (node["geometricError"] == 0) == (not node.get("children")), "only leaves are exact"


def test_every_content_uri_is_a_file_inside_the_output_and_every_tile_is_used(tileset: Path) -> None:
    doc = json.loads((tileset / TILESET).read_text(encoding="utf-8"))
    uris = [node["content"]["uri"] for node, _, _ in nodes(doc)]
    root = tileset.resolve()
    for uri in uris:
        assert not uri.startswith(("/", "\\")) and ":" not in uri and ".." not in uri.split("/")
        assert (tileset / uri).resolve().is_relative_to(root) and (tileset / uri).is_file()
    assert sorted(uris) == sorted(p.relative_to(tileset).as_posix() for p in tileset.rglob("*.glb"))
    assert not [p for p in tileset.iterdir() if p.name.startswith(".")], "no work folder left behind"


def test_root_box_holds_every_point_in_the_tileset_frame(tileset: Path) -> None:
    doc = json.loads((tileset / TILESET).read_text(encoding="utf-8"))
    points, _ = tiles_points(tileset)
    zup = np.column_stack([points[:, 0], -points[:, 2], points[:, 1]])  # glTF y-up -> 3D Tiles z-up
    t = doc["root"]["transform"]
    lo, hi = box_zup(doc["root"]["boundingVolume"]["box"])
    offset = np.array(t[12:15])
    assert np.all(zup >= lo + offset - 1e-3) and np.all(zup <= hi + offset + 1e-3)


@pytest.mark.parametrize("bucket_max", [10_000_000, 20_000, 3_000], ids=["one-bucket", "buckets", "cut-again"])
def test_every_point_is_in_exactly_one_tile(tmp_path: Path, bucket_max: int) -> None:
    points, colours = terrain()
    report = write_tileset(ArraySource(points, colours, chunk=50_000), tmp_path, bucket_max=bucket_max, **SMALL)
    got, got_colours = tiles_points(tmp_path)
    assert report.points == len(got) == N
    assert np.array_equal(millimetres(got), millimetres(points))
    def rows(p: np.ndarray, c: np.ndarray) -> np.ndarray:  # colours travel with their points
        r = np.column_stack([np.rint(p * 1000).astype(np.int64), c.astype(np.int64)])
        return r[np.lexsort(r.T[::-1])]

    assert np.array_equal(rows(got, got_colours), rows(points, colours))


def test_each_level_is_a_uniform_sample(tileset: Path) -> None:
    """A tile at depth d keeps one point per occupied cell of its grid (spacing size / (grid·2^d)),
    and the levels down to d together leave no occupied cell of that grid without a point."""
    doc = json.loads((tileset / TILESET).read_text(encoding="utf-8"))
    centre = tile_centre(doc)
    points, _ = terrain()
    cube = Cube.around(points.min(0), points.max(0))  # the writer's cube for an in-memory cloud
    by_depth: dict[int, list[np.ndarray]] = {}
    sampled: dict[int, list[np.ndarray]] = {}  # tiles with children; a leaf keeps all its few points
    for node, _, depth in nodes(doc):
        if depth <= 2:
            tile = read_tile(tileset / node["content"]["uri"])[0] + centre
            by_depth.setdefault(depth, []).append(tile)
            if node.get("children"):
                sampled.setdefault(depth, []).append(tile)
    for depth in range(3):
        spacing = cube.size / (32 << depth)
        assert doc["root"]["geometricError"] / 2**depth == pytest.approx(spacing)

        def cells(p: np.ndarray, size: float = spacing) -> np.ndarray:
            return np.unique(np.floor((p - cube.origin - cube.corner) / size).astype(np.int64), axis=0)

        level = np.concatenate(sampled[depth])
        assert len(level) > 500 and len(cells(level)) == len(level), f"level {depth}: one point per cell"
        so_far = np.concatenate([q for d in range(depth + 1) for q in by_depth[d]])
        assert len(cells(so_far)) == len(cells(points)), f"levels 0-{depth}: every occupied cell has a point"


@pytest.mark.skipif(not validator_available(), reason="the glTF validator is not installed (scripts/node-deps.sh)")
def test_every_tile_passes_the_gltf_validator(tileset: Path) -> None:
    files = sorted(tileset.rglob("*.glb"))
    reports = validate(files)
    assert all(r.errors == 0 and r.warnings == 0 for r in reports.values()), \
        next(r.summary() for r in reports.values() if r.errors or r.warnings)
    data = files[0].read_bytes()
    doc = json.loads(data[20:20 + struct.unpack_from("<I", data, 12)[0]])
    primitive = doc["meshes"][0]["primitives"][0]
    assert primitive["mode"] == 0 and "COLOR_0" in primitive["attributes"]
    assert "KHR_materials_unlit" in doc["materials"][0]["extensions"]


def test_script_copies_hold_the_coarse_levels_within_the_budget(tileset: Path) -> None:
    local = (tileset / "tileset.local.json.js").read_text(encoding="ascii")
    assert local.startswith("HeritageTilesData(document.currentScript.src,")
    doc = json.loads(local[local.index(",") + 1:local.rindex(");")])
    kept = nodes(doc)
    levels = max(d for _, _, d in kept) + 1
    assert 1 <= levels < 5  # the budget (400 kB) holds the first levels, not all
    assert all(n["geometricError"] == 0 for n, _, d in kept if d == levels - 1)
    copies = sorted(tileset.rglob("*.glb.js"))
    assert sorted(p.relative_to(tileset).as_posix()[:-3] for p in copies) == sorted(n["content"]["uri"]
                                                                                 for n, _, _ in kept)
    assert sum((tileset / n["content"]["uri"]).stat().st_size for n, _, _ in kept) <= 400_000


def test_a_cancelled_tiling_stops_and_leaves_no_work_folder(tmp_path: Path) -> None:
    points, colours = terrain(20_000)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        write_tileset(ArraySource(points, colours), tmp_path, cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_a_cloud_without_finite_points_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmptyModel):
        write_tileset(ArraySource(np.full((10, 3), np.nan)), tmp_path)


# --- masters: every cloud format in chunks, a LAS header that lies, the export format ---------

CLOUD_FORMATS = ["ply", "pcd", "xyz", "pts", "e57", "las", "laz"]


@pytest.mark.parametrize("fmt", CLOUD_FORMATS)
def test_every_cloud_format_is_read_in_the_web_glbs_frame(tmp_path: Path, fmt: str) -> None:
    from tests.viewer.test_every_import_format import SAMPLES

    path = SAMPLES[fmt](tmp_path)
    source = master_source(path, model_frame(fmt, "mm", "z"))
    chunks = list(source.chunks())
    got = np.concatenate([p for p, _ in chunks])
    [part] = load_model(path, "mm", "z").parts  # the web GLB's reader and frame
    assert source.count == len(part.vertices) == len(got)
    assert np.allclose(millimetres(got * 1000) / 1000, millimetres(part.vertices * 1000) / 1000, atol=2)
    assert source.coloured and all(c is not None for _, c in chunks)
    lo, hi = source.bounds()
    assert np.all(lo <= got.min(0) + 1e-6) and np.all(hi >= got.max(0) - 1e-6)


def _write_las(path: Path, points: np.ndarray, colours: np.ndarray) -> Path:
    import laspy

    las = laspy.create(point_format=2, file_version="1.2")
    las.header.scales = [0.001] * 3
    las.header.offsets = np.floor(points.min(0))
    las.x, las.y, las.z = points.T
    las.red, las.green, las.blue = (colours[:, :3].astype(np.uint16) * 257).T
    las.write(str(path))
    return path


def test_a_las_header_box_that_lies_gives_the_same_tileset(tmp_path: Path) -> None:
    points, colours = terrain(60_000)
    zup = np.column_stack([points[:, 0], -points[:, 2], points[:, 1]])  # as a scanner writes it
    honest = _write_las(tmp_path / "honest.las", zup, colours)
    lying = tmp_path / "lying.las"
    data = bytearray(honest.read_bytes())
    struct.pack_into("<6d", data, 179, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0)  # max x, min x, … : a 1 m box at 0
    lying.write_bytes(bytes(data))
    frame = model_frame("las", "m", "z")
    reports = [write_tileset(master_source(p, frame), tmp_path / p.stem, bucket_max=20_000, **SMALL)
               for p in (honest, lying)]
    assert reports[1].points == reports[0].points == len(points)
    assert (reports[1].tiles, reports[1].levels) == (reports[0].tiles, reports[0].levels)
    assert np.array_equal(millimetres(tiles_points(tmp_path / "lying")[0]), millimetres(points))


@pytest.mark.parametrize("suffix", [".las", ".laz"])
def test_a_truncated_las_is_a_corrupt_file_and_leaves_nothing_behind(tmp_path: Path, suffix: str) -> None:
    from archive.errors import CorruptFile

    points, colours = terrain(60_000)
    whole = _write_las(tmp_path / f"whole{suffix}", points, colours).read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole[:len(whole) // 2])
    out = tmp_path / "out"
    with pytest.raises(CorruptFile, match="damaged or truncated|declares"):
        write_tileset(master_source(cut, model_frame("las", "m", "z")), out, bucket_max=20_000, **SMALL)
    assert list(out.iterdir()) == []


def _glb_bounds(path: Path) -> tuple[np.ndarray, np.ndarray]:
    data = path.read_bytes()
    doc = json.loads(data[20:20 + struct.unpack_from("<I", data, 12)[0]])
    acc = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    return np.array(acc["min"]), np.array(acc["max"])


def test_exported_tiles_lie_where_the_web_glb_puts_the_cloud(tmp_path: Path) -> None:
    points, colours = terrain(30_000)
    zup = np.column_stack([points[:, 0], -points[:, 2], points[:, 1]]) * 1000  # millimetres, z up
    master = _write_las(tmp_path / "scan.las", zup - zup.min(0) + 5_000, colours)
    with Archive.create(tmp_path / "a") as archive:
        item = add(archive, master, "other", title_vi="Sân", title_en="Yard", model_licence="CC-BY-4.0")
        archive.update_asset(archive.assets(item)[0]["id"], {"up_axis": "z"})
        glb = export_item(archive, item, tmp_path / "out", "glb", "archive").main
        result = export_item(archive, item, tmp_path / "out", "3dtiles")
    assert glb is not None and [p.name for p in result.files] == [TILESET, "index.html"]
    tiles, _ = tiles_points(result.files[0].parent)
    lo, hi = _glb_bounds(glb)
    assert np.allclose(tiles.min(0), lo, atol=1e-3) and np.allclose(tiles.max(0), hi, atol=1e-3)
    assert any("30,000 points" in note for note in result.notes)
    page = (result.files[1]).read_text(encoding="utf-8")
    assert 'data-tileset="tileset.json"' in page and "assets/tiles-viewer/tiles-viewer.min.js" in page
    assert "Sân" in page and "CC-BY-4.0" in page


def test_a_mesh_is_refused_as_3d_tiles(tmp_path: Path) -> None:
    from tests.archive.helpers import write_box_ply

    with Archive.create(tmp_path / "a") as archive:
        item = add(archive, write_box_ply(tmp_path / "src"), "relic", title_vi="Hộp")
        with pytest.raises(PublishError, match="point clouds"):
            export_item(archive, item, tmp_path / "out", "3dtiles")
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --- the site -----------------------------------------------------------------------------

def test_the_site_streams_a_cloud_over_the_profiles_budget_and_not_a_small_one(tmp_path: Path) -> None:
    from archive.publish import build_site

    big, colours = terrain()
    zup = np.column_stack([big[:, 0], -big[:, 2], big[:, 1]])
    small = zup[:5_000]
    with Archive.create(tmp_path / "a") as archive:
        for name, pts in (("big", zup), ("small", small)):
            master = _write_las(tmp_path / f"{name}.las", pts, colours[:len(pts)])
            item = add(archive, master, "other", title_vi=name, accession=name.upper(), status="published")
            archive.update_asset(archive.assets(item)[0]["id"], {"up_axis": "z", "units": "m"})
        build_site(archive, tmp_path / "site", profile="mobile")  # 3 MB: about 196,000 points
    big_page, small_page = (tmp_path / "site" / "items" / n for n in ("big", "small"))
    assert (big_page / TILESET).is_file() and not (big_page / "model.glb.js").exists()
    assert 'id="tiles"' in (big_page / "index.html").read_text(encoding="utf-8")
    assert (big_page / "model.glb").stat().st_size <= 3 * 1024 * 1024  # the coarse levels, for poster and JSON-LD
    assert not (small_page / TILESET).exists() and "<model-viewer" in (small_page / "index.html").read_text("utf-8")
    assert (tmp_path / "site" / "assets" / "tiles-viewer" / "tiles-viewer.min.js").is_file()
    assert np.array_equal(millimetres(tiles_points(big_page)[0]), millimetres(big))
