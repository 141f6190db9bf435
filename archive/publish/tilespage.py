"""Tiled point clouds in exports and pages: the ``3dtiles`` export format and the site's
item pages of clouds too big for one web file.

* :data:`TILES_WRITER` is the ``"3dtiles"`` row of :data:`.formats.WRITERS`: ``<stem>/`` with
  ``tileset.json``, its tiles, script copies of the coarse levels and an ``index.html`` that
  shows them (:func:`.tiles3d.write_tileset`). From an item it reads the master a chunk at
  a time (:meth:`TilesWriter.from_master`) instead of loading it whole.
* :func:`wants_tiles` decides which items' pages (the site's and ``export --format html``)
  get a tileset instead of a single GLB (a cloud with more points than the profile's web copy
  may keep), and :func:`write_item_tiles` writes it beside a ``model.glb`` made of its coarse
  levels (for the poster, JSON-LD, downloads and the single-file page).

Tiling runs in the isolated worker, like every reader of a master.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.formats.identify import identify
from archive.isolation import limits_for, run_isolated
from archive.store import CancelToken

from . import html
from .cloudstream import ArraySource, master_source
from .geometry import Model
from .levelsource import profile_budget
from .modelframe import METRE_FORMATS, model_frame
from .profiles import Profile, Progress, PublishError, RenderImage
from .textures import Texture
from .tiles3d import LOCAL_TILESET, TILESET, TilesetReport, write_preview, write_tileset

if TYPE_CHECKING:
    from .export import ExportResult, ItemSource, MasterJob, MasterOutput

#: what the script copies for file:// pages may hold when the profile sets no byte budget
LOCAL_BUDGET = 10 * 1024 * 1024
#: screen-space error (pixels) the viewer refines to: about the size of a drawn point
ERROR_TARGET = 2

HINT = {"vi": "Đang mở từ tệp trên máy: chỉ hiện các mức chi tiết thô. Mở thư mục qua một máy chủ web "
              "để xem đủ chi tiết.",
        "en": "Opened from a file: only the coarse levels of detail are shown. Serve the folder from a web "
              "server to see every level."}
SUMMARY = {"vi": "Đám mây {points} điểm, {levels} mức chi tiết, tải dần khi phóng to.",
           "en": "A cloud of {points} points in {levels} levels of detail, loaded as you zoom in."}


@dataclass
class TilesJob:
    """What the worker needs to tile a master (all picklable)."""

    master: Path
    units: str | None
    up_axis: str
    folder: Path  # the tileset's folder
    meta: dict[str, Any]  # glTF asset metadata of every tile
    local_budget: int
    preview: str | None = None  # file name of a GLB of the coarse levels, written when given


def tiles_from_master(job: TilesJob) -> TilesetReport:
    """Worker side: the master's tileset (and preview GLB) in ``job.folder``."""
    fmt = identify(job.master)
    frame = model_frame(fmt, job.units, job.up_axis)
    report = write_tileset(master_source(job.master, frame), job.folder, job.meta, local_budget=job.local_budget)
    if not job.units and fmt not in METRE_FORMATS:
        report.notes.append("the master's units are unknown; it was taken as metres")
    if job.preview:
        _preview(job.folder, job.preview, job.meta, report)
    return report


def _preview(folder: Path, name: str, meta: Mapping[str, Any], report: TilesetReport) -> None:
    doc = json.loads((folder / TILESET).read_text(encoding="utf-8"))
    size = write_preview(folder, doc, max(report.local_levels, 1), folder / name, meta)
    report.notes.append(f"{name} holds the first {max(report.local_levels, 1)} levels ({size / 1e6:.1f} MB)")


def local_budget(profile: Profile) -> int:
    return profile.max_bytes or LOCAL_BUDGET


# --- the site -----------------------------------------------------------------------------

def wants_tiles(asset: Mapping[str, Any], profile: Profile) -> bool:
    """Whether an item's master is a point cloud with more points than ``profile``'s web
    copy may keep, so its page streams a tileset instead of showing a thinned GLB."""
    return tiles_reason(asset, profile) is not None


def tiles_reason(asset: Mapping[str, Any], profile: Profile) -> str | None:
    """Why ``asset``'s pages stream 3D Tiles under ``profile`` (for an export's report); None
    when one web GLB holds it."""
    faces, points = int(asset.get("faces") or 0), int(asset.get("points") or 0)
    budget = profile_budget(profile, cloud=True)
    if faces or budget is None or points <= budget:
        return None
    return (f"the cloud's {points:,} points are over the {profile.name} profile's web budget of {budget:,}: "
            "its pages stream them as 3D Tiles (coarse levels first) instead of one thinned GLB")


@dataclass
class TiledItem:
    """A site item's tileset; ``bytes`` is the size of its ``model.glb`` (the coarse levels)."""

    bytes: int
    tileset: TilesetReport


def item_tiles(source: ItemSource, folder: Path, profile: Profile) -> TiledItem | None:
    """:func:`write_item_tiles` for an item that :func:`wants_tiles`; None for any other."""
    return write_item_tiles(source, folder, profile) if wants_tiles(source.asset, profile) else None


def write_item_tiles(source: ItemSource, folder: Path, profile: Profile,
                     cancel: CancelToken | None = None) -> TiledItem:
    """``tileset.json``, tiles, script copies and ``model.glb`` of ``source`` in ``folder``, in the
    isolated worker (memory and time follow the master's size and point count)."""
    job = TilesJob(source.master_path, source.asset.get("units"), source.up_axis, folder,
                   _meta(source), local_budget(profile), "model.glb")
    limits = limits_for(source.files)
    report = run_isolated(tiles_from_master, job, name=source.master_path.name, memory=limits.memory,
                          timeout=max(limits.timeout, tiling_seconds(source.asset)), cancel=cancel)
    return TiledItem((folder / "model.glb").stat().st_size, report)


def tiling_seconds(asset: Mapping[str, Any]) -> float:
    """Time allowed to tile a master: 100M points took 8.5 minutes on a busy 2-core PC
    (benchmarks/bench_tiles.py); twice that, and two minutes more."""
    return 120.0 + 2 * int(asset.get("points") or 0) / 200_000


def _meta(source: ItemSource) -> dict[str, Any]:
    from .export import asset_meta

    return asset_meta(source.record)


def page_context(ctx: Mapping[str, Any], report: TilesetReport) -> dict[str, Any]:
    """An item page's template values (:func:`.html.item_context`) for ``tiles.html.j2``."""
    lang = ctx.get("lang", "vi")
    points = f"{report.points:,}".replace(",", "." if lang == "vi" else ",")
    partial = report.local_levels < report.levels  # from file:// some levels are missing: say so
    return {**ctx, "tileset": TILESET, "tileset_local": LOCAL_TILESET, "error_target": ERROR_TARGET,
            "tiles_hint": HINT.get(lang, HINT["en"]) if partial else "",
            "tiles_summary": SUMMARY.get(lang, SUMMARY["en"]).format(points=points, levels=report.levels)}


def render_page(ctx: Mapping[str, Any], report: TilesetReport) -> str:
    return html.render("tiles.html.j2", page_context(ctx, report))


# --- export --format html of a big cloud ------------------------------------------------------

def export_html(source: ItemSource, out: Path, prof: Profile, render: RenderImage | None, step: Progress,
                cancel: CancelToken | None) -> ExportResult:
    """``<slug>/`` (a page per language streaming the tileset, the tiles, their script copies for
    file://, ``model.glb`` of the coarse levels, poster) and ``<slug>.html``, one file holding
    those coarse levels only: what :func:`.export._export_html` writes for a cloud that
    :func:`wants_tiles`. The report says which was chosen and why."""
    from .export import ExportResult, _renamed, _safe_poster, free_stem, write_language_pages

    stem = free_stem(out.parent, source.slug)
    folder = out / stem
    folder.mkdir()
    step(1, 4, "Writing the 3D Tiles")
    tiled = write_item_tiles(source, folder, prof, cancel)
    glb = folder / "model.glb"
    step(2, 4, "Rendering the poster")
    poster = _safe_poster(render, glb, prof.poster_px)
    if poster:
        (folder / "poster.jpg").write_bytes(poster)
    html.copy_web_assets(folder)
    step(3, 4, "Writing the pages")
    langs = write_language_pages(source, folder, stem, lambda ctx: render_page(ctx, tiled.tileset),
                                 poster="poster.jpg" if poster else None, fallback=None, model_bytes=tiled.bytes)
    single = out / f"{stem}.html"
    single.write_text(html.single_file_page(source.record, langs[0], glb, poster, terms=source.terms,
                                            research=source.research), encoding="utf-8")
    step(4, 4, "Done")
    notes = [str(tiles_reason(source.asset, prof)), tiled.tileset.summary(),
             f"{single.name} is one file and cannot stream tiles: it holds the coarse levels only "
             f"({tiled.bytes / 1e6:.1f} MB); {stem}/index.html shows the whole cloud"]
    return ExportResult(source.record["id"], "html", [folder / "index.html", single], None,
                        _renamed(source, stem) + notes + tiled.tileset.notes + source.research.notes)


# --- the 3dtiles export format ------------------------------------------------------------

class TilesWriter:
    """``<stem>/``: the tileset, its script copies and a page showing it (see the module
    docstring). Called as a :data:`.formats.ModelWriter` for a model already loaded;
    :meth:`from_master` is what an export of an item uses."""

    def __call__(self, model: Model, textures: list[Texture | None], folder: Path, stem: str) -> list[Path]:
        import numpy as np

        clouds = [p for p in model.parts if p.faces is None and len(p.vertices)]
        if not clouds:
            raise PublishError("3D Tiles are made from point clouds; this item is a mesh. Export GLB or HTML instead.")
        colours = None
        if any(p.colors is not None for p in clouds):
            colours = np.concatenate([p.colors if p.colors is not None else np.full((len(p.vertices), 4), 255, np.uint8)
                                      for p in clouds])
        source = ArraySource(np.concatenate([p.vertices for p in clouds]), colours)
        out = folder / stem
        report = write_tileset(source, out, {}, local_budget=LOCAL_BUDGET)
        return [out / TILESET, write_export_page(out, {}, report)]

    @staticmethod
    def seconds_for(asset: Mapping[str, Any]) -> float:
        """The export's time limit for ``asset``'s master (the worker's default follows bytes)."""
        return tiling_seconds(asset)

    def from_master(self, job: MasterJob) -> MasterOutput:
        from .export import MasterOutput

        out = job.folder / job.stem
        report = tiles_from_master(TilesJob(job.master, job.units, job.up_axis, out, job.meta,
                                            local_budget(job.profile)))
        return MasterOutput([out / TILESET, write_export_page(out, job.meta, report)], None,
                            [*report.notes, report.summary()])


TILES_WRITER = TilesWriter()


def write_export_page(out: Path, meta: Mapping[str, Any], report: TilesetReport) -> Path:
    """``index.html`` beside an exported tileset, from the public values the tiles carry."""
    extras = meta.get("extras") or {}
    lang = "vi" if extras.get("title_vi") or not extras.get("title_en") else "en"
    title = extras.get(f"title_{lang}") or extras.get("title") or extras.get("accession") or "3D Tiles"
    ctx: dict[str, Any] = {
        "lang": lang, "other_lang": "en" if lang == "vi" else "vi", "t": html.STRINGS[lang], "title": title,
        "alt_title": "", "description": None, "credit": extras.get("credit"), "licence": extras.get("licence"),
        "licence_url": extras.get("licence_url"), "ingredients": [], "steps": [], "related": [], "facts": [],
        "downloads": [], "jsonld": None, "root": "", "home_href": "index.html", "alternates": [],
        "canonical": "", "og": [], "csp": html.CSP_FOLDER, "inline": None}
    html.copy_web_assets(out)
    page = out / "index.html"
    page.write_text(render_page(ctx, report), encoding="utf-8")
    return page
