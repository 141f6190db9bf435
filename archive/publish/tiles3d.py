"""A point cloud too big for one web file, as a 3D Tiles 1.1 tileset of GLB tiles.

Why 3D Tiles and not COPC: it is an open OGC community standard whose tiles are glTF, which
we already write and check with the Khronos validator (points as ``POINTS`` primitives,
colours in ``COLOR_0``, ``KHR_materials_unlit``); browsers show it with three.js and
NASA-AMMOS' 3d-tiles-renderer, vendored as one classic script (``assets/web/tiles-viewer``).
COPC would need a LAZ decoder in WebAssembly in the page and a viewer (Potree) that is not
kept as an npm package.

Layout (``out/``)::

    tileset.json              asset.version 1.1, one explicit tree, REFINE "ADD"
    tiles/<d>/<x>-<y>-<z>.glb one tile per octree cell that holds points
    tileset.local.json.js     (optional) the coarse levels again as scripts, for pages
    tiles/…/….glb.js          opened from file://, where a browser may not fetch files

How: the cloud is read once in chunks (:mod:`.cloudstream`) into octree buckets on disk
(:mod:`.tilebins`); each bucket is then loaded alone and its points given to tiles
(:mod:`.tilelevels`: each level a uniform sample at half the spacing of the one above, every
point in exactly one tile). Memory is one bucket (``bucket_max`` points) and one chunk.

Frame: the tiles hold the published frame of the web GLB (:func:`.modelframe.model_frame`:
y-up metres) less a point near the cloud's centre (float32 keeps a georeferenced scan's
detail), which the root's ``transform`` adds back; 3D Tiles turns
glTF's y-up into its own z-up (x, -z, y), the frame of every ``boundingVolume``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archive.errors import EmptyModel
from archive.store import CancelToken
from archive.workfolders import work_folder

from .cloudstream import CloudSource
from .geometry import Model, Part
from .glb import write_glb
from .profiles import Progress
from .tilebins import RECORD, Bucket, Cube, bin_chunks, bounds, first_depth, split_big
from .tilelevels import assign, grid_bits, spacing

TILESET = "tileset.json"
LOCAL_TILESET = "tileset.local.json"  # read from its script copy, LOCAL_TILESET + ".js"
GRID = 128  # sampling cells along a tile's edge: a scanned surface gives ~16-50k points a tile
LEAF_MAX = 30_000  # a cell with this few points left keeps them all
BUCKET_MAX = 4_000_000  # points loaded at once (~400 MB while their tiles are decided)

Key = tuple[int, int, int, int]  # depth, x, y, z


@dataclass
class TileInfo:
    count: int
    lo: np.ndarray
    hi: np.ndarray
    bytes: int = 0


@dataclass
class TilesetReport:
    """What :func:`write_tileset` made: points, tiles, levels, bytes and spacings (metres)."""

    points: int
    tiles: int
    levels: int
    bytes: int
    root_spacing: float
    finest_spacing: float
    coloured: bool
    local_levels: int = 0  # levels with script copies for file:// pages (0: none written)
    local_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{self.points:,} points in {self.tiles:,} tiles over {self.levels} levels "
                f"({self.bytes / 1e6:.1f} MB; spacing {self.root_spacing * 1000:.1f} mm at the root, "
                f"{self.finest_spacing * 1000:.2f} mm at the finest level)")
        if self.local_levels >= self.levels:
            text += "; opened from file:// the page shows every level"
        elif self.local_levels:
            text += (f"; opened from file:// the page shows the first {self.local_levels} levels "
                     f"({self.local_bytes / 1e6:.1f} MB): serve the folder for every level")
        return text


def write_tileset(source: CloudSource, out: Path, asset_meta: Mapping[str, Any] | None = None, *,
                  grid: int = GRID, leaf_max: int = LEAF_MAX, bucket_max: int = BUCKET_MAX,
                  local_budget: int | None = None, progress: Progress | None = None,
                  cancel: CancelToken | None = None) -> TilesetReport:
    """Write the tileset of ``source`` into ``out`` (created); see the module docstring.

    ``local_budget`` (bytes): also write script copies of the coarsest levels that fit it,
    for pages opened from ``file://``. Raises :class:`EmptyModel` for a cloud of no points.
    """
    bits = grid_bits(grid)
    step = progress or (lambda done, total, message: None)
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(asset_meta or {})
    with work_folder(out, "tiles") as scratch:
        step(0, 3, "Sorting the points into octree buckets")
        cube, buckets = _buckets(source, scratch, bucket_max, bits, cancel)
        step(1, 3, "Writing the tiles")
        tiles = _write_tiles(buckets, cube, out, scratch, grid, leaf_max, source.coloured, meta, cancel)
    step(2, 3, "Writing tileset.json")
    doc = tileset_json(tiles, cube, grid)
    (out / TILESET).write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    levels = max(k[0] for k in tiles) + 1
    report = TilesetReport(sum(t.count for t in tiles.values()), len(tiles), levels,
                           sum(t.bytes for t in tiles.values()) + (out / TILESET).stat().st_size,
                           spacing(cube, grid, 0), spacing(cube, grid, levels - 1), source.coloured)
    if local_budget is not None:
        report.local_levels, report.local_bytes = write_local_copies(out, doc, tiles, local_budget)
    step(3, 3, "Done")
    return report


def _buckets(source: CloudSource, scratch: Path, bucket_max: int, max_depth: int,
             cancel: CancelToken | None) -> tuple[Cube, list[Bucket]]:
    """The octree's cube and its buckets on disk, none over ``bucket_max`` points where a
    deeper cut can help. When the box a header declared does not fit the points, they are
    read again around their own box (records relative to a far-off origin would lose detail)."""
    cube = Cube.around(*source.bounds())
    depth = first_depth(source.count, bucket_max, max_depth)
    buckets, lo, hi = bin_chunks(source.chunks(), scratch, cube, depth, cancel)
    if not buckets:
        raise EmptyModel("the cloud holds no points with finite coordinates")
    if not cube.holds(lo, hi):
        for bucket in buckets:
            bucket.path.unlink()
        cube = Cube.around(lo + cube.origin, hi + cube.origin)
        buckets, _, _ = bin_chunks(source.chunks(), scratch, cube, depth, cancel)
    return cube, split_big(buckets, cube, bucket_max, max_depth, cancel)


def _write_tiles(buckets: list[Bucket], cube: Cube, out: Path, scratch: Path, grid: int,
                 leaf_max: int, coloured: bool, meta: dict[str, Any],
                 cancel: CancelToken | None) -> dict[Key, TileInfo]:
    """Each bucket's tiles written as it is decided; the points a bucket gives to tiles above
    it are set aside in files and those tiles written last."""
    tiles: dict[Key, TileInfo] = {}
    above = scratch / "above"
    above.mkdir()
    for bucket in buckets:
        if cancel:
            cancel.check()
        records = bucket.read()
        for depth, xyz, index in assign(records["p"], cube, bucket.depth, bucket.xyz, grid, leaf_max):
            key = (depth, *xyz)
            if depth < bucket.depth:
                with open(above / _name(key, ".bin"), "ab") as fh:
                    records[index].tofile(fh)
            else:
                tiles[key] = _write_tile(out, key, records[index], coloured, meta)
        bucket.path.unlink()
    for path in sorted(above.iterdir()):
        key = _key(path.stem)
        tiles[key] = _write_tile(out, key, np.fromfile(path, dtype=RECORD), coloured, meta)
        path.unlink()
    return tiles


def _name(key: Key, suffix: str) -> str:
    return f"{key[0]}-{key[1]}-{key[2]}-{key[3]}{suffix}"


def _key(stem: str) -> Key:
    d, x, y, z = (int(v) for v in stem.split("-"))
    return d, x, y, z


def tile_uri(key: Key) -> str:
    """Where tile ``key`` lives, relative to ``tileset.json``."""
    return f"tiles/{key[0]}/{key[1]}-{key[2]}-{key[3]}.glb"


def _write_tile(out: Path, key: Key, records: np.ndarray, coloured: bool,
                meta: dict[str, Any]) -> TileInfo:
    points = np.ascontiguousarray(records["p"])  # float32, relative to the cube's origin, as stored
    path = out / tile_uri(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = Part(points, colors=np.ascontiguousarray(records["c"]) if coloured else None)
    size = write_glb(Model([part]), [None], path, meta, "none", f"tile {key[0]}/{key[1]}-{key[2]}-{key[3]}")
    lo, hi = bounds(points)
    return TileInfo(len(points), lo.astype(np.float64), hi.astype(np.float64), size)


# --- tileset.json ---------------------------------------------------------------------------

def tileset_json(tiles: Mapping[Key, TileInfo], cube: Cube, grid: int,
                 max_depth: int | None = None) -> dict[str, Any]:
    """The tileset document of ``tiles`` (down to ``max_depth`` when given)."""
    kept = {k: t for k, t in tiles.items() if max_depth is None or k[0] <= max_depth}
    children: dict[Key, list[Key]] = {}
    for key in kept:
        if key[0]:
            children.setdefault((key[0] - 1, key[1] >> 1, key[2] >> 1, key[3] >> 1), []).append(key)
    boxes: dict[Key, tuple[np.ndarray, np.ndarray]] = {}
    for key in sorted(kept, key=lambda k: -k[0]):  # deepest first: a box holds its children's
        lo, hi = kept[key].lo, kept[key].hi
        for child in children.get(key, []):
            lo, hi = np.minimum(lo, boxes[child][0]), np.maximum(hi, boxes[child][1])
        boxes[key] = (lo, hi)
    deepest = max(k[0] for k in kept)

    def pad(depth: int) -> float:  # a margin a little wider at each level up: a box stays inside
        return 1e-6 * cube.size * (deepest + 1 - depth)  # its parent's once written as centre ± half


    def node(key: Key) -> dict[str, Any]:
        lo, hi = boxes[key]
        below = sorted(children.get(key, []))
        out: dict[str, Any] = {"boundingVolume": {"box": _box(lo - pad(key[0]), hi + pad(key[0]))},
                               "geometricError": spacing(cube, grid, key[0]) if below else 0.0,
                               "content": {"uri": tile_uri(key)}}
        if below:
            out["children"] = [node(k) for k in below]
        return out

    root = node((0, 0, 0, 0))
    root["refine"] = "ADD"
    if cube.origin.any():
        x, y, z = (float(v) for v in cube.origin)
        root["transform"] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, x, -z, y, 1]  # the centre in z-up
    return {"asset": {"version": "1.1", "generator": "Heritage & Cuisine 3D Archive"},
            "geometricError": cube.size, "root": root}


def _box(lo: np.ndarray, hi: np.ndarray) -> list[float]:
    """A 3D Tiles box (centre, three half-axes) in z-up of a y-up ``lo``..``hi``: (x, -z, y)."""
    zlo = np.array([lo[0], -hi[2], lo[1]])
    zhi = np.array([hi[0], -lo[2], hi[1]])
    c, h = (zlo + zhi) / 2, (zhi - zlo) / 2
    return [float(v) for v in (c[0], c[1], c[2], h[0], 0, 0, 0, h[1], 0, 0, 0, h[2])]


# --- script copies for file:// --------------------------------------------------------------

def write_local_copies(out: Path, doc: dict[str, Any], tiles: Mapping[Key, TileInfo], budget: int) -> tuple[int, int]:
    """``tileset.local.json.js`` and a ``.glb.js`` beside each tile of the coarsest levels
    whose tiles together fit ``budget`` bytes (the root's at least); (levels, bytes)."""
    by_depth: dict[int, int] = {}
    for key, tile in tiles.items():
        by_depth[key[0]] = by_depth.get(key[0], 0) + tile.bytes
    depth, total = 0, by_depth[0]
    while depth + 1 in by_depth and total + by_depth[depth + 1] <= budget:
        depth += 1
        total += by_depth[depth]
    local = _pruned(doc, depth)
    _script(out / (LOCAL_TILESET + ".js"), json.dumps(local, separators=(",", ":")))
    for key in tiles:
        if key[0] <= depth:
            path = out / tile_uri(key)
            _script(path.with_name(path.name + ".js"), json.dumps(base64.b64encode(path.read_bytes()).decode("ascii")))
    return depth + 1, total


def _pruned(doc: dict[str, Any], depth: int) -> dict[str, Any]:
    def cut(node: dict[str, Any], d: int) -> dict[str, Any]:
        out = {k: v for k, v in node.items() if k != "children"}
        if d < depth and node.get("children"):
            out["children"] = [cut(c, d + 1) for c in node["children"]]
        else:
            out["geometricError"] = 0.0
        return out

    return {**doc, "root": cut(doc["root"], 0)}


def _script(path: Path, value_json: str) -> None:
    """A script that hands ``value_json`` to the page by the address it was loaded from."""
    path.write_text(f"HeritageTilesData(document.currentScript.src,{value_json});\n", encoding="ascii")


# --- reading tiles back ---------------------------------------------------------------------

def read_tile(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """(positions (n, 3) float32 as stored, colours (n, 4) uint8 or None) of a tile GLB this
    module wrote (one POINTS primitive; positions are relative to the root's centre)."""
    import struct

    data = path.read_bytes()
    js_len = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + js_len])
    blob = memoryview(data)[20 + js_len + 8:]
    attrs = doc["meshes"][0]["primitives"][0]["attributes"]

    def array(accessor: int, dtype: str, width: int) -> np.ndarray:
        acc = doc["accessors"][accessor]
        view = doc["bufferViews"][acc["bufferView"]]
        raw = np.frombuffer(blob, dtype=dtype, count=acc["count"] * width, offset=view.get("byteOffset", 0))
        return raw.reshape(-1, width)

    colours = array(attrs["COLOR_0"], "u1", 4) if "COLOR_0" in attrs else None
    return array(attrs["POSITION"], "<f4", 3), colours


def tile_centre(doc: Mapping[str, Any]) -> np.ndarray:
    """The y-up point the tiles' positions are relative to (the root's translation)."""
    t = doc["root"].get("transform")
    return np.zeros(3) if t is None else np.array([t[12], t[14], -t[13]], dtype=np.float64)


def write_preview(out: Path, doc: Mapping[str, Any], levels: int, path: Path, asset_meta: Mapping[str, Any],
                  name: str = "model") -> int:
    """One GLB (the web copy's frame: y-up metres, not recentred) of the tiles of the first
    ``levels`` levels, a uniform sample of the cloud; returns its size in bytes."""
    centre = tile_centre(doc)
    points, colours = [], []

    def walk(node: Mapping[str, Any], depth: int) -> None:
        if depth >= levels:
            return
        p, c = read_tile(out / node["content"]["uri"])
        points.append(p.astype(np.float64) + centre)
        colours.append(c)
        for child in node.get("children", []):
            walk(child, depth + 1)

    walk(doc["root"], 0)
    coloured = all(c is not None for c in colours)
    part = Part(np.concatenate(points), colors=np.concatenate(colours) if coloured else None)  # type: ignore[arg-type]
    return write_glb(Model([part]), [None], path, asset_meta, "none", name)
