"""Levels of detail of a master, built once and kept under ``derived/levels/<uid>/``.

A big scan (5-50M triangles, 20M-1G points) is far more than a thumbnail, a first picture
or a web copy needs. After import each master gets a short chain of lighter copies:

* meshes: quadric edge collapse with the web export's own decimation
  (:func:`archive.publish.budget.decimate`: seam-aware when the mesh has colours or texture
  coordinates), each level made from the one above. A textured master's levels keep its
  texture coordinates and its texture (several textures packed into one atlas, smaller for
  coarser levels: :mod:`glbtools.leveltexture`); its vertex colours are not kept;
* clouds: one point per cell of a voxel grid (:func:`archive.publish.budget.voxel_thin`),
  spread evenly in space, with the grid's spacing recorded.

Each level is a binary little-endian PLY (float32 coordinates relative to ``comment origin``,
uchar RGBA colours or float texture coordinates with a ``TextureFile`` image next to it, int32
triangles: :mod:`glbtools.levelfile`) named by the master's SHA-256 and its number, so a
level of an older master is never used; ``<sha256>.json`` lists the levels done so far and is
rewritten after each one, so a build stopped half way resumes where it was. Everything here
can be deleted and rebuilt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from platform_support import remove_stale_temps, temp_beside

from .errors import CorruptFile, EmptyModel
from .store import CancelToken

#: triangles kept by each mesh level, finest first; points for clouds
LEVEL_TRIANGLES = (1_000_000, 250_000, 60_000)
LEVEL_POINTS = (4_000_000, 1_000_000, 250_000)
#: a level is made only when it keeps under this share of the one above (else it saves little)
MAX_SHARE = 0.6
FORMAT_VERSION = 1
#: manifests written since textured levels exist say whether the levels carry a texture; a
#: textured master's levels made before (texture colours baked into vertices) are made again
TEXTURED_KEY = "textured"

Progress = Callable[[int, int, str], None]


@dataclass
class LevelInfo:
    """One kept level: its number (1 = finest), file, and what it holds.

    ``spacing`` is the voxel cell size of a cloud level in the master's units (None for meshes).
    """

    level: int
    path: Path
    triangles: int
    points: int
    spacing: float | None = None

    @property
    def primitives(self) -> int:
        return self.triangles or self.points

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = self.path.name
        return d


@dataclass
class MasterGeometry:
    """A master merged into one part, in its own frame and units.

    vertices : (n, 3) float32 relative to ``origin`` (3,) float64; faces : (m, 3) int32 or
    None for a cloud; colours : (n, 4) uint8 or None; uv : (n, 2) float32 texture
    coordinates (glTF's way: v down) or None; texture : the image they address (PIL) or None.
    """

    vertices: np.ndarray
    faces: np.ndarray | None
    colours: np.ndarray | None
    origin: np.ndarray
    uv: np.ndarray | None = None
    texture: Any = None
    #: the master's materials hold more than a base colour and its texture (other maps, a
    #: colour factor): the levels show its texture, but a web copy must start from the master
    other_material: bool = False

    @property
    def textured(self) -> bool:
        return self.uv is not None and self.texture is not None

    @property
    def primitives(self) -> int:
        return len(self.faces) if self.faces is not None else len(self.vertices)


def level_file(folder: Path, sha256: str, level: int) -> Path:
    return folder / f"{sha256}.L{level}.ply"


def _manifest(folder: Path, sha256: str) -> Path:
    return folder / f"{sha256}.json"


def find_levels(folder: Path, sha256: str) -> list[LevelInfo]:
    """The levels kept for the master with this hash, finest first (empty when none)."""
    data = _read_manifest(folder, sha256)
    if data is None:
        return []
    out = []
    for row in data["levels"]:
        path = folder / row["path"]
        texture = row.get("texture")
        if texture is not None and not (folder / str(texture)).is_file():
            continue  # a textured level without its image is a level to make again
        if path.is_file() and path.name.startswith(sha256 + "."):
            out.append(LevelInfo(row["level"], path, row["triangles"], row["points"], row.get("spacing")))
    return out


def levels_complete(folder: Path, sha256: str) -> bool:
    data = _read_manifest(folder, sha256)
    if data is None or not data.get("complete"):
        return False
    return len(find_levels(folder, sha256)) == len(data["levels"])


def has_pick_index(folder: Path, sha256: str) -> bool:
    """Whether the master's pick index (:mod:`archive.pickindex`) is complete in ``folder``."""
    from .pickindex import find_pick_index

    return find_pick_index(folder, sha256) is not None


def choose_level(levels: list[LevelInfo], max_primitives: int | None) -> LevelInfo | None:
    """The finest level holding at most ``max_primitives`` (the coarsest when none does;
    the finest of all when ``max_primitives`` is None); None when there are no levels."""
    if not levels:
        return None
    if max_primitives is None:
        return levels[0]
    fitting = [lv for lv in levels if lv.primitives <= max_primitives]
    return fitting[0] if fitting else levels[-1]


def _read_manifest(folder: Path, sha256: str) -> dict[str, Any] | None:
    try:
        data = json.loads(_manifest(folder, sha256).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("sha256") != sha256 or data.get("version") != FORMAT_VERSION:
        return None
    return data


def _write_manifest(folder: Path, sha256: str, levels: list[LevelInfo], complete: bool, kind: str,
                    source: MasterGeometry | None = None) -> None:
    data = {"version": FORMAT_VERSION, "sha256": sha256, "kind": kind, "complete": complete,
            TEXTURED_KEY: bool(source is not None and source.textured),
            "other_material": bool(source is not None and source.other_material),
            "levels": [_row(folder, lv) for lv in levels]}
    target = _manifest(folder, sha256)
    tmp = temp_beside(target)  # a name of this PC and process: two PCs may build the same levels at once
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, target)


def _row(folder: Path, level: LevelInfo) -> dict[str, Any]:
    """A level's manifest row; a textured level names its image (so a lost image is noticed)."""
    from glbtools.levelfile import read_level_arrays

    row = level.as_dict()
    if level.triangles:
        try:
            texture = read_level_arrays(level.path).texture
        except (OSError, ValueError):
            texture = None
        if texture is not None:
            row["texture"] = texture
    return row


def plain_textured_levels(folder: Path, sha256: str) -> bool:
    """Whether the complete levels in ``folder`` keep the master's texture and the master's
    materials hold nothing else (so a web copy may start from a level)."""
    data = _read_manifest(folder, sha256)
    return bool(levels_complete(folder, sha256) and data and data.get(TEXTURED_KEY) and not data.get("other_material"))


def baked_texture_levels(folder: Path, sha256: str) -> bool:
    """Whether the levels in ``folder`` were made before levels kept textures (a textured
    master's then hold its texture baked into vertex colours, and must be made again)."""
    data = _read_manifest(folder, sha256)
    return data is not None and data.get("kind") == "mesh" and TEXTURED_KEY not in data


def build_levels(master: Path, sha256: str, folder: Path, progress: Progress | None = None,
                 cancel: CancelToken | None = None, targets: tuple[int, ...] | None = None,
                 memory: int | None = None) -> list[LevelInfo]:
    """Build the missing levels of ``master`` (whose recorded hash is ``sha256``) in ``folder``.

    Levels already there for this hash are kept and used as the source of the next one;
    files of any other hash in ``folder`` (an older master) are removed. Returns every level,
    finest first; empty when the master is small enough to need none. ``targets`` replaces
    :data:`LEVEL_TRIANGLES` or :data:`LEVEL_POINTS`. ``memory`` is the address space the
    build may use (the isolated worker's limit): a textured mesh too big to decimate in one
    pass within it is decimated in blocks (see :func:`reduce`).
    """
    if levels_complete(folder, sha256):
        made = find_levels(folder, sha256)
        if made:  # levels made before the pick index existed get theirs now
            from .pickindex_read import ensure_pick_index

            ensure_pick_index(master, sha256, folder, progress=progress, cancel=cancel)
        return made
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder, sha256)
    done = find_levels(folder, sha256)
    streamed = _streamed_cloud(master, targets)  # a big LAS/LAZ: its first level made while reading
    geometry = read_master(master) if streamed is None else None
    kind = "points" if geometry is None or geometry.faces is None else "mesh"
    wanted = _targets(streamed[2] if streamed else geometry.primitives, kind == "mesh", targets)  # type: ignore[union-attr]
    source = geometry if geometry is not None else streamed[0]  # type: ignore[index]
    for level, target in enumerate(wanted, start=1):
        if progress:
            progress(level - 1, len(wanted), f"Level {level}: about {target:,} {_noun(kind)}")
        if cancel:
            cancel.check()
        kept = next((lv for lv in done if lv.level == level), None)
        if kept is not None:
            source = read_level(kept.path)
            continue
        reduced, spacing = streamed[:2] if streamed and level == 1 else reduce(source, target, memory)
        path = level_file(folder, sha256, level)
        write_level(reduced, path, level)
        done.append(LevelInfo(level, path, len(reduced.faces) if reduced.faces is not None else 0,
                              0 if reduced.faces is not None else len(reduced.vertices), spacing))
        _write_manifest(folder, sha256, done, False, kind, geometry)
        source = reduced
    if done:  # the viewer picks on the master through this index, never by loading it whole
        from .pickindex_read import ensure_pick_index

        ensure_pick_index(master, sha256, folder, geometry, progress, cancel)
    _write_manifest(folder, sha256, done, True, kind, geometry)
    if progress:
        progress(len(wanted), len(wanted), "Levels ready")
    return done


def _noun(kind: str) -> str:
    return "triangles" if kind == "mesh" else "points"


def _targets(count: int, mesh: bool, given: tuple[int, ...] | None) -> list[int]:
    targets, above = [], count
    for t in given or (LEVEL_TRIANGLES if mesh else LEVEL_POINTS):
        if t < above * MAX_SHARE:
            targets.append(t)
            above = t
    return targets


def _streamed_cloud(master: Path, given: tuple[int, ...] | None) -> tuple[MasterGeometry, float, int] | None:
    """(first level, its cell size, the master's point count) of a cloud master that
    :func:`.publish.cloudstream.open_cloud_source` streams (LAS/LAZ, PLY, text…) of over twice
    the first level's points, thinned while it is read a chunk at a time
    (:func:`.publish.cloudstream.thin_cloud_master`: memory follows the level, not the 100M
    points); None for any other master. The count is the points read (a text cloud's count
    before reading is an estimate from its size)."""
    from .publish.cloudstream import streamed_cloud_points, thin_cloud_master

    count = streamed_cloud_points(master)
    wanted = _targets(count or 0, False, given)
    if count is None or not wanted or count <= 2 * wanted[0]:
        return None
    thin = thin_cloud_master(master, wanted[0])
    return MasterGeometry(thin.points.astype(np.float32), None, thin.colours, thin.origin), thin.cell, thin.total


def _remove_stale(folder: Path, sha256: str) -> None:
    for f in folder.iterdir():
        if f.is_file() and not f.name.startswith(sha256 + "."):
            f.unlink(missing_ok=True)
    remove_stale_temps(folder)  # of builds killed half-way (a cancel ends the worker), here or on another PC


def reduce(g: MasterGeometry, target: int, memory: int | None = None) -> tuple[MasterGeometry, float | None]:
    """``g`` decimated to about ``target`` triangles, or thinned to at most ``target`` points
    on a voxel grid; with the grid's cell size for a cloud (None for a mesh). A textured mesh
    goes in blocks (:mod:`.publish.blocks_textured`) above its one-pass size or when one pass
    would take more than ``memory`` bytes."""
    from .publish.budget import decimate, voxel_thin
    from .publish.geometry import Part

    if g.faces is None:
        keep, cell = voxel_thin(g.vertices, target)
        return MasterGeometry(g.vertices[keep], None, None if g.colours is None else g.colours[keep],
                              g.origin), cell
    if g.textured and _in_blocks(len(g.faces), memory):  # in blocks, in bounded memory
        from .publish.blocks_textured import decimate_textured_big

        points, faces, uv = decimate_textured_big(g.vertices, g.faces, g.uv, target)  # type: ignore[arg-type]
        return MasterGeometry(points.astype(np.float32), faces.astype(np.int32), None, g.origin,
                              uv.astype(np.float32), g.texture), None
    if g.textured:  # seam-aware (archive.publish.seams): each kept vertex keeps an original's UV
        from .publish.seams import LEVEL_AGGRESSIVENESS

        part = decimate(Part(g.vertices, g.faces, uv=g.uv, image=g.texture), target, LEVEL_AGGRESSIVENESS)
    else:
        part = decimate(Part(g.vertices, g.faces, colors=g.colours), target)
    assert part.faces is not None
    vertices, faces = np.asarray(part.vertices, dtype=np.float32), part.faces.astype(np.int32)
    if part.uv is not None:
        return MasterGeometry(vertices, faces, None, g.origin, np.asarray(part.uv, dtype=np.float32), g.texture), None
    return MasterGeometry(vertices, faces, part.colors, g.origin), None


def _in_blocks(triangles: int, memory: int | None) -> bool:
    from .publish.blocks_textured import BYTES_PER_TRIANGLE, SINGLE_PASS

    return triangles > SINGLE_PASS or (memory is not None and triangles * BYTES_PER_TRIANGLE > memory)


# --- reading ---------------------------------------------------------------------------

def read_master(path: Path) -> MasterGeometry:
    """The master as one part: binary PLY through a memory map, LAS/LAZ in chunks, anything
    else through the export's readers (textures baked into vertex colours)."""
    from .formats.identify import identify

    fmt = identify(path)
    if fmt == "ply":
        from .formats.ply import map_binary_ply

        arrays = map_binary_ply(path)
        if arrays is not None:
            return _local(arrays.vertices, arrays.faces, arrays.colours, arrays.origin)
    if fmt in ("las", "laz"):
        from .publish.clouds import read_las_lean

        points, colours, origin = read_las_lean(path)
        return MasterGeometry(points, None, colours, origin)
    return _from_parts(path, fmt)


def _from_parts(path: Path, fmt: str) -> MasterGeometry:
    from .errors import UnsupportedFormat
    from .publish.geometry import MASTER_READERS

    reader = MASTER_READERS.get(fmt)
    if reader is None:
        raise UnsupportedFormat(f"{path.name}: no levels can be made from {fmt.upper()} files")
    parts = None
    if fmt == "obj":  # a photogrammetry OBJ (v, vt, f a/t, one material) without trimesh's float64 copies
        from .publish.objtextured import textured_obj_parts

        parts = textured_obj_parts(path)
    parts = reader(path) if parts is None else parts
    meshes = [p for p in parts if p.faces is not None and len(p.faces)]
    chosen = meshes or [p for p in parts if p.faces is None]
    if not chosen:
        raise EmptyModel(f"{path.name}: the master holds no triangles or points")
    vertices = np.concatenate([p.vertices for p in chosen])
    faces = None
    if meshes:
        offsets = np.cumsum([0] + [len(p.vertices) for p in meshes])[:-1]
        faces = np.concatenate([p.faces + o for p, o in zip(meshes, offsets, strict=True)])  # type: ignore[operator]
    if meshes and any(_textured(p) for p in meshes):
        uv, texture = _level_texture(meshes)
        g = _local(vertices, faces, None, np.zeros(3), uv, texture)
        g.other_material = any(_other_material(p) for p in meshes)
        return g
    coloured = any(p.colors is not None or p.image is not None for p in chosen)
    colours = np.concatenate([_part_colours(p) for p in chosen]) if coloured else None
    return _local(vertices, faces, colours, np.zeros(3))


def _textured(part: Any) -> bool:
    return part.image is not None and part.uv is not None


def _other_material(part: Any) -> bool:
    """Whether ``part``'s material holds more than its base-colour texture (see MasterGeometry)."""
    from .publish.materials import BASE_COLOR

    maps = part.details.maps if part.details is not None else {}
    blended = part.details is not None and part.details.alpha_mode not in (None, "OPAQUE")
    return (any(slot != BASE_COLOR for slot in maps) or part.colors is not None
            or not np.allclose(part.base_color, 1.0) or blended)


def _level_texture(meshes: list[Any]) -> tuple[np.ndarray, Any]:
    """((n, 2) float32 texture coordinates of every part, v down; one image): the texture of
    a single textured part, else an atlas (:func:`glbtools.leveltexture.atlas`) in which an
    untextured part is one cell of its base colour."""
    from glbtools.leveltexture import atlas, solid

    charts = [(p.uv, p.image) if _textured(p) else (np.full((len(p.vertices), 2), 0.5, np.float32),
                                                     solid(p.base_color)) for p in meshes]
    moved, image = atlas(charts)
    return np.concatenate(moved).astype(np.float32, copy=False), image


def _part_colours(part: Any) -> np.ndarray:
    """(n, 4) uint8: the part's vertex colours, else its texture sampled at its UVs, else its
    base colour."""
    n = len(part.vertices)
    if part.colors is not None:
        return np.asarray(part.colors, dtype=np.uint8)
    base = np.clip(np.asarray(part.base_color) * 255, 0, 255).round().astype(np.uint8)
    if part.image is None or part.uv is None:
        return np.tile(base, (n, 1))
    img = np.asarray(part.image.convert("RGBA"))
    h, w = img.shape[:2]
    x = np.clip(np.nan_to_num(part.uv[:, 0] % 1.0) * (w - 1), 0, w - 1).round().astype(np.int64)
    y = np.clip(np.nan_to_num(part.uv[:, 1] % 1.0) * (h - 1), 0, h - 1).round().astype(np.int64)
    return np.ascontiguousarray(img[y, x])


def _local(vertices: np.ndarray, faces: np.ndarray | None, colours: np.ndarray | None,
           origin: np.ndarray, uv: np.ndarray | None = None, texture: Any = None) -> MasterGeometry:
    """Coordinates as float32 near zero: far-off (georeferenced) ones are moved by a whole
    offset first, which float32 would otherwise round to decimetres."""
    if not len(vertices):
        raise EmptyModel("the master holds no vertices")
    finite = np.isfinite(vertices).all(1)
    if not finite.all():
        if faces is not None:
            faces = faces[finite[faces].all(1)]
        else:
            vertices, colours = vertices[finite], None if colours is None else colours[finite]
    lo, hi = np.nanmin(vertices, axis=0).astype(np.float64), np.nanmax(vertices, axis=0).astype(np.float64)
    centre, extent = (lo + hi) / 2, float((hi - lo).max()) or 1.0
    if np.abs(centre).max() >= max(1e4, 100.0 * extent):
        shift = np.round(centre)
        vertices = (vertices - shift).astype(np.float32)
        origin = origin + shift
    vertices = np.asarray(vertices, dtype=np.float32)
    faces = None if faces is None else np.asarray(faces, dtype=np.int32)
    return MasterGeometry(vertices, faces, colours, np.asarray(origin, dtype=np.float64), uv, texture)


def read_level(path: Path) -> MasterGeometry:
    """A level file written by :func:`write_level`, its texture (when it has one) decoded."""
    from glbtools.levelfile import LevelFileError, read_level_arrays

    try:
        arrays = read_level_arrays(path)
    except LevelFileError as exc:
        raise CorruptFile(f"{exc} It is not a level file of this archive; delete it to rebuild.") from None
    uv, texture = None, None
    if arrays.texture is not None:
        texture = _open_texture(path.parent / arrays.texture)
        uv = np.column_stack([arrays.uv[:, 0], 1.0 - arrays.uv[:, 1]]).astype(np.float32)  # type: ignore[index]
    return MasterGeometry(np.asarray(arrays.vertices, dtype=np.float32), arrays.faces, arrays.colours,
                          arrays.origin, uv, texture)


def _open_texture(path: Path) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            return img
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise CorruptFile(f"{path.name}: the level's texture cannot be read ({exc}); "
                          "delete the levels to rebuild.") from None


def write_level(g: MasterGeometry, path: Path, level: int = 1) -> Path:
    """Binary PLY (:mod:`glbtools.levelfile`): float32 x y z relative to the ``origin`` comment,
    RGBA or texture coordinates, int32 triangles; a textured level's image is written first,
    next to it, at most :func:`glbtools.leveltexture.level_texture_px` of ``level`` across."""
    from glbtools.levelfile import LevelArrays, write_level_arrays

    name, uv = None, None
    if g.textured:
        from glbtools.leveltexture import level_texture_px, save_texture

        name = save_texture(g.texture, path.parent, path.stem, level_texture_px(level))
        uv = np.column_stack([g.uv[:, 0], 1.0 - g.uv[:, 1]]).astype(np.float32)  # type: ignore[index]  # v up in the file
    return write_level_arrays(LevelArrays(g.vertices, g.faces, None if g.textured else g.colours, uv, name,
                                          g.origin), path)


# --- the archive's side ----------------------------------------------------------------

@dataclass
class LevelsReport:
    """What :func:`build_archive_levels` did: items whose levels were made or were already
    there, items too small to need any, and items that failed (item id -> message)."""

    built: list[int]
    kept: list[int]
    small: list[int]
    failed: dict[int, str]


def master_of(archive: Any, item_id: int) -> tuple[str, Path, str] | None:
    """(asset uid, master path, recorded SHA-256 of the master file) of an item, or None."""
    master = archive.catalogue.current_master(item_id)
    if master is None:
        return None
    uid, storage_dir, main_file = master
    for asset in archive.assets(item_id):
        if asset.get("uid") == uid:
            sha = next((f["sha256"] for f in asset.get("files") or [] if f["path"] == main_file), None)
            if sha:
                return uid, archive.store.asset_file(asset, main_file), sha
    return None


def item_levels(archive: Any, item_id: int) -> list[LevelInfo]:
    """The kept levels of an item's current master, finest first (empty when none)."""
    found = master_of(archive, item_id)
    if found is None:
        return []
    uid, _, sha = found
    return find_levels(archive.store.derived / "levels" / uid, sha)


def _textured_asset(archive: Any, item_id: int, uid: str) -> bool:
    return any(a.get("uid") == uid and a.get("textured") for a in archive.assets(item_id))


def _build_in_worker(master: Path, sha256: str, folder: Path, targets: tuple[int, ...] | None,
                     memory: int | None = None) -> list[LevelInfo]:
    return build_levels(master, sha256, folder, targets=targets, memory=memory)


def build_archive_levels(archive: Any, item_ids: list[int] | None = None, progress: Progress | None = None,
                         cancel: CancelToken | None = None, targets: tuple[int, ...] | None = None) -> LevelsReport:
    """Build the missing levels of each item (all items by default), one master at a time in
    the isolated worker (memory and time follow the master's size). A cancel stops the
    worker; the levels finished so far are kept and the next run resumes from them.
    ``targets`` replaces the default level sizes (tests, benchmarks)."""
    from .errors import ArchiveError, Cancelled
    from .isolation import run_isolated
    from .levels_limits import levels_limits

    report = LevelsReport([], [], [], {})
    ids = list(item_ids) if item_ids is not None else archive.search_ids()
    for n, item_id in enumerate(ids):
        if cancel:
            cancel.check()
        found = master_of(archive, item_id)
        if found is None or archive.read_only:
            continue
        uid, _stored, sha = found
        path = archive.readable_master(item_id)  # a renamed texture still resolves (archive.readable)
        folder = archive.store.derived / "levels" / uid
        if progress:
            progress(n, len(ids), f"Levels of detail: {path.name}")
        if baked_texture_levels(folder, sha) and _textured_asset(archive, item_id, uid):
            _manifest(folder, sha).unlink()  # made before levels kept textures: made again
        if levels_complete(folder, sha) and (has_pick_index(folder, sha) or not find_levels(folder, sha)):
            (report.kept if find_levels(folder, sha) else report.small).append(item_id)
            continue
        try:
            limits = levels_limits(path, targets)  # follows what the job holds and what the machine has
            levels = run_isolated(_build_in_worker, path, sha, folder, targets, limits.memory, name=path.name,
                                  cancel=cancel, memory=limits.memory, timeout=limits.timeout)
        except Cancelled:
            raise
        except ArchiveError as exc:
            report.failed[item_id] = str(exc)
            continue
        (report.built if levels else report.small).append(item_id)
    if progress:
        progress(len(ids), len(ids), "Levels of detail ready")
    return report
