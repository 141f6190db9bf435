"""Exporting one item: web GLB, OBJ/PLY/STL, HTML page (folder and single file), BagIt.

``export_item`` is the one entry point the CLI and the app call. It reads the item once,
reduces it to its public record, writes into ``out_dir`` and logs an ``export`` event.

The master is a file from outside (possibly hostile): reading it and everything that
follows from it (decimation, textures, writing the model files) runs in the isolated worker
(:mod:`archive.isolation`) with memory and time limits; this process only gets a small
report back. Outputs are written into a hidden folder of this run inside ``out_dir`` and
then given their final names only where nothing has that name yet (see :mod:`.outputs`
below): an export never replaces or deletes a file it did not create.
"""

from __future__ import annotations

import functools
import io
import json
import shutil
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from archive.errors import ArchiveError, NotFound, StorageError
from archive.imagesafe import check_image, open_image
from archive.isolation import limits_for, run_isolated
from archive.store import CancelToken
from archive.workfolders import work_folder
from glbtools.frames import UP_AXES, normalise_up_axis
from platform_support import link_or_copy

from . import formats, html, tilespage
from .annotations import item_research
from .cloudfiles import cloud_files_from_master
from .geometry import load_model
from .jsonld import licence_url
from .levelsource import LevelSource, choose_web_level, web_glb_from_cloud, web_glb_from_level  # noqa: F401
from .profiles import Profile, Progress, PublishError, RenderImage, get_profile
from .public import Terms, master_asset, public_record, slug, title
from .textures import Texture, find_original, original_candidates, prepare_texture
from .webcopy import WebCopyReport, make_web_glb

if TYPE_CHECKING:
    from archive.service import Archive


@dataclass
class ExportResult:
    item_id: int
    format: str
    files: list[Path] = field(default_factory=list)
    web: WebCopyReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def main(self) -> Path | None:
        return self.files[0] if self.files else None


def asset_meta(record: Mapping[str, Any]) -> dict[str, Any]:
    """glTF ``asset.copyright`` and ``asset.extras`` from the public record."""
    credit, licence = record.get("model_credit"), record.get("model_licence")
    extras = {k: v for k, v in {
        "title": title(record, "vi"), "title_vi": record.get("title_vi"), "title_en": record.get("title_en"),
        "accession": record.get("accession"), "licence": licence, "licence_url": licence_url(licence),
        "credit": credit}.items() if v}
    copyright_ = " — ".join(str(x) for x in (credit, licence) if x)
    return {"copyright": copyright_, "extras": extras} if copyright_ else {"extras": extras}


def resolve_up_axis(up_axis: str, asset: Mapping[str, Any]) -> str:
    """One of ``UP_AXES``: the option, else the asset's ``up_axis`` field (or its details), else
    y (glTF's own)."""
    if up_axis in UP_AXES:
        return up_axis
    details = asset.get("details") or {}
    declared = str(asset.get("up_axis") or (details.get("up_axis") if isinstance(details, dict) else "") or "")
    try:
        return normalise_up_axis(declared)
    except ValueError:
        return "y"


@dataclass
class MasterJob:
    """What the worker needs to turn a master into output files (all picklable)."""

    master: Path
    units: str | None
    up_axis: str
    files: list[Path]  # the asset's files: the master's own encoded textures come from them
    profile: Profile
    fmt: str  # "glb", "obj", "ply" or "stl"
    folder: Path  # where the worker writes (a folder of this run)
    stem: str  # file name without suffix ("model" for an HTML page's GLB)
    meta: dict[str, Any]  # glTF asset metadata
    name: str  # the GLB's internal name
    level: LevelSource | None = None  # a kept level of detail to start a web GLB from, instead of the master




@dataclass
class MasterOutput:
    """The worker's small report: the files it wrote and what they hold."""

    files: list[Path]
    web: WebCopyReport | None = None
    notes: list[str] = field(default_factory=list)


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tga", ".tif", ".tiff", ".webp", ".gif")


def write_from_master(job: MasterJob) -> MasterOutput:
    """Worker side: read the master and write ``job.fmt`` into ``job.folder``."""
    for path in job.files:  # texture bombs are refused from their headers, before any decoding
        if path.suffix.lower() in _IMAGE_SUFFIXES:
            check_image(path, path.name)
    if job.fmt == "glb" and job.level is not None:
        return web_glb_from_level(job, job.level)
    if job.fmt == "glb" and (thinned := web_glb_from_cloud(job)) is not None:
        return thinned  # a cloud far over the budget, thinned while read (never whole in memory)
    if (copied := cloud_files_from_master(job)) is not None:
        return copied  # a cloud's PLY/LAS/LAZ at full resolution, copied a chunk at a time
    from_master = getattr(formats.WRITERS.get(job.fmt), "from_master", None)
    if from_master is not None:  # a writer that reads the master itself, a chunk at a time (3D Tiles)
        return from_master(job)  # type: ignore[no-any-return]
    model = load_model(job.master, job.units, job.up_axis)
    originals = original_candidates(job.files)
    if job.fmt == "glb":
        path = job.folder / f"{job.stem}.glb"
        report = make_web_glb(model, job.profile, originals, path, job.meta, job.name)
        return MasterOutput([path], report, list(model.notes))
    prof = job.profile
    kept: list[str] = []
    if prof.max_bytes is not None or prof.max_triangles:
        scratch = job.folder / f".{job.stem}.reduction.glb"  # the profile's reduction, shared with the GLB
        try:
            report = make_web_glb(model, prof, originals, scratch, job.meta, job.name)
        finally:
            scratch.unlink(missing_ok=True)
        from .budget import reduce_model

        ratio = report.triangles / max(model.triangles, 1) if model.triangles else 1.0
        pratio = report.points / max(model.points, 1) if model.points else 1.0
        points = model.points
        model = reduce_model(model, ratio, pratio) if ratio < 1 or pratio < 1 else model
        if model.points < points:
            kept.append(f"{model.points:,} of {points:,} points kept (one per cell of a regular grid)")
    textures: list[Texture | None] = [None] * len(model.parts)
    if job.fmt == "obj":
        textures = [None if p.image is None else prepare_texture(
            p.image, find_original(p.image, originals), prof.max_texture_px, prof.jpeg_quality) for p in model.parts]
    files = formats.WRITERS[job.fmt](model, textures, job.folder, job.stem)
    return MasterOutput(files, None, list(model.notes) + kept)


class ItemSource:
    """An item's public record and master files; the master itself is read only by the
    isolated worker."""

    def __init__(self, archive: Archive, item_id: int, up_axis: str = "auto"):
        item = archive.get(item_id)
        self.item = item
        self.record = public_record(item)
        asset = master_asset(item)
        if asset is None:
            raise NotFound(f"item {item_id} has no 3D model to export")
        self.asset = asset
        # Where the master's references to its side files resolve, even to files stored under
        # portable names (archive.readable: the one place every reader of a master goes through).
        readable = archive.readable(asset)
        self.master_path = readable.main
        self.files = [readable.files[f["path"]] for f in asset["files"]]
        self.up_axis = resolve_up_axis(up_axis, asset)
        self.research = item_research(archive, item_id, asset, self.up_axis)  # public records, in the GLB's frame
        self._archive, self._item_id = archive, item_id  # to find kept levels of detail for web copies
        self.terms = Terms.from_archive(archive)  # English pages say "bronze" where Vietnamese ones say "đồng"

    @property
    def slug(self) -> str:
        return slug(self.record)

    def write(self, fmt: str, folder: Path, stem: str, profile: Profile,
              cancel: CancelToken | None = None) -> MasterOutput:
        """Write ``fmt`` from the master into ``folder`` as ``stem.*``, in the isolated worker
        (memory and time limits; ``cancel`` stops it). ``folder`` must be this run's own."""
        level = choose_web_level(self._archive, self._item_id, self.asset, profile) if fmt == "glb" else None
        job = MasterJob(self.master_path, self.asset.get("units"), self.up_axis, self.files, profile, fmt,
                        folder, stem, asset_meta(self.record), self.slug, level)
        # The master's limits even from a level: a reused worker may still hold a bigger job's address space.
        limits = limits_for(self.files)
        seconds = getattr(formats.WRITERS.get(fmt), "seconds_for", None)  # a writer whose time follows the points
        return run_isolated(write_from_master, job, name=self.master_path.name, memory=limits.memory,
                            timeout=max(limits.timeout, seconds(self.asset)) if seconds else limits.timeout,
                            cancel=cancel)

    def web_glb(self, path: Path, profile: Profile, cancel: CancelToken | None = None) -> WebCopyReport:
        """The web copy written to ``path`` (``.glb``), in the isolated worker."""
        report = self.write("glb", path.parent, path.stem, profile, cancel).web
        assert report is not None
        return report


def poster_jpeg(render_image: RenderImage | None, model_path: Path, size: int) -> bytes | None:
    """A poster rendered by ``render_image``, flattened on white and saved as JPEG without
    metadata (whatever the renderer wrote into its PNG stays behind)."""
    if render_image is None:
        return None
    png = render_image(model_path, size)
    with open_image(png, "the rendered poster") as img:
        rgba = img.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    buf = io.BytesIO()
    flat.save(buf, "JPEG", quality=85, optimize=True)
    return buf.getvalue()


def thumbnail_jpeg(poster: bytes, size: int) -> bytes:
    with open_image(poster, "the poster") as opened:
        img = opened.convert("RGB")
        img.thumbnail((size, size), Image.Resampling.LANCZOS)
        square = Image.new("RGB", (size, size), (255, 255, 255))
        square.paste(img, ((size - img.width) // 2, (size - img.height) // 2))
    buf = io.BytesIO()
    square.save(buf, "JPEG", quality=82, optimize=True)
    return buf.getvalue()


def export_item(archive: Archive, item_id: int, out_dir: Path, fmt: str = "glb", profile: str | Profile = "web",
                render_image: RenderImage | None = None, up_axis: str = "auto", progress: Progress | None = None,
                cancel: CancelToken | None = None) -> ExportResult:
    """Export item ``item_id`` into ``out_dir`` (created) as ``fmt``; logs an ``export`` event.

    Files are named from the public accession number; when that name is taken in
    ``out_dir`` the export takes the next free one (``--2``, ``--3``…) and says so in the
    notes: nothing in ``out_dir`` is ever replaced or deleted. ``render_image(path, size)
    -> PNG`` makes the poster of HTML pages (none when omitted).
    """
    if fmt not in FORMATS:
        raise PublishError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = _export(archive, item_id, out_dir, fmt, prof, render_image, up_axis, progress, cancel)
    detail: dict[str, Any] = {"format": fmt, "profile": prof.name, "files": [p.name for p in result.files]}
    if result.web:
        detail.update(bytes=result.web.bytes, triangles=result.web.triangles, points=result.web.points)
    archive.record_event("export", item_id=item_id, detail=detail)
    return result


def _export(archive: Archive, item_id: int, out_dir: Path, fmt: str, prof: Profile, render_image: RenderImage | None,
            up_axis: str, progress: Progress | None, cancel: CancelToken | None) -> ExportResult:
    if fmt == "bag":
        from .bagit import export_bag

        bag = export_bag(archive, item_id, out_dir, progress=progress, cancel=cancel)
        return ExportResult(item_id, fmt, [bag])
    source = ItemSource(archive, item_id, up_axis)
    step = progress or (lambda done, total, message: None)
    step(0, 3, f"Reading {source.slug}")
    with _scratch(out_dir) as scratch:
        result: ExportResult = _EXPORTERS[fmt](source, scratch, prof, render_image, step, cancel)
        result.files = _publish(scratch, out_dir, result.files)
    return result


# --- outputs: written in a folder of this run, then given free names --------------------------
def _scratch(out_dir: Path) -> AbstractContextManager[Path]:
    """A hidden work folder inside ``out_dir`` created by this run (same disk, so finished
    files move without copying); removed afterwards, or by the next export if killed."""
    return work_folder(out_dir, "export")


def free_stem(out_dir: Path, stem: str) -> str:
    """``stem`` or, when ``out_dir`` already holds ``stem``, ``stem.*`` or ``stem_*``, the
    first free ``stem--2``, ``stem--3``…: the name an export may take without touching
    anything already there."""
    taken = {p.name for p in out_dir.iterdir()} if out_dir.is_dir() else set()

    def free(candidate: str) -> bool:
        return not any(n == candidate or n.startswith((candidate + ".", candidate + "_")) for n in taken)

    n = 1
    candidate = stem
    while not free(candidate):
        n += 1
        candidate = f"{stem}--{n}"
    return candidate


def _publish(scratch: Path, out_dir: Path, files: list[Path]) -> list[Path]:
    """Give each top-level entry of ``scratch`` its name in ``out_dir``, never replacing
    anything; if a name got taken meanwhile, undo what this call placed and refuse.
    Returns ``files`` as they are named in ``out_dir``."""
    placed: list[Path] = []
    try:
        for entry in sorted(scratch.iterdir()):
            if not entry.name.startswith("."):
                placed.append(out_dir / entry.name)
                place_new(entry, out_dir / entry.name)
    except FileExistsError as exc:
        for path in reversed(placed[:-1]):  # the last one is the name that was taken: not ours
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        raise StorageError(f"{Path(exc.filename or '').name or 'a file'} appeared in {out_dir} during the export; "
                           "nothing there was replaced. Export again.") from None
    return [out_dir / f.relative_to(scratch) for f in files]


def place_new(src: Path, dest: Path) -> None:
    """Move ``src`` (this run's file or folder) to ``dest`` only if nothing has that name;
    raises ``FileExistsError`` otherwise. Never replaces or deletes anything at ``dest``."""
    if src.is_dir():
        dest.mkdir()  # exclusive: FileExistsError when taken
        for child in src.iterdir():
            place_new(child, dest / child.name)
        src.rmdir()
        return
    # A hard link is atomic and exclusive; where the disk has none (FAT, some shares) the copy
    # is created exclusively too: either way a name that exists raises FileExistsError.
    link_or_copy(src, dest)
    src.unlink()


# --- the formats -------------------------------------------------------------------------------
def _export_glb(source: ItemSource, out: Path, prof: Profile, render: RenderImage | None, step: Progress,
                cancel: CancelToken | None) -> ExportResult:
    stem = free_stem(out.parent, source.slug)
    step(1, 3, "Writing the web copy")
    written = source.write("glb", out, stem, prof, cancel)
    step(3, 3, "Done")
    return ExportResult(source.record["id"], "glb", written.files, written.web, _renamed(source, stem) + written.notes)


def _renamed(source: ItemSource, stem: str) -> list[str]:
    if stem == source.slug:
        return []
    return [f"{source.slug} already exists in the output folder; this export is named {stem} (nothing was replaced)"]


def _export_format(source: ItemSource, out: Path, prof: Profile, render: RenderImage | None, step: Progress,
                   cancel: CancelToken | None, fmt: str) -> ExportResult:
    stem = free_stem(out.parent, source.slug)
    step(1, 3, f"Writing {fmt.upper()}")
    written = source.write(fmt, out, stem, prof, cancel)
    step(3, 3, "Done")
    return ExportResult(source.record["id"], fmt, written.files, notes=_renamed(source, stem) + written.notes)


def _export_html(source: ItemSource, out: Path, prof: Profile, render: RenderImage | None, step: Progress,
                 cancel: CancelToken | None) -> ExportResult:
    """``<slug>/`` (index.html per language, model.glb, poster, viewer) and ``<slug>.html``;
    a cloud over the profile's web budget streams 3D Tiles instead (:func:`.tilespage.export_html`)."""
    if tilespage.wants_tiles(source.asset, prof):
        return tilespage.export_html(source, out, prof, render, step, cancel)
    stem = free_stem(out.parent, source.slug)
    folder = out / stem
    folder.mkdir()
    step(1, 4, "Writing the web copy")
    written = source.write("glb", folder, "model", prof, cancel)
    report, glb = written.web, folder / "model.glb"
    assert report is not None
    step(2, 4, "Rendering the poster")
    poster = _safe_poster(render, glb, prof.poster_px)
    if poster:
        (folder / "poster.jpg").write_bytes(poster)
    html.copy_web_assets(folder)
    html.write_model_fallback(glb, folder / "model.glb.js")
    step(3, 4, "Writing the pages")
    langs = write_language_pages(source, folder, stem, functools.partial(html.render, "item.html.j2"),
                                 poster="poster.jpg" if poster else None, model_bytes=report.bytes)
    single = out / f"{stem}.html"
    single.write_text(html.single_file_page(source.record, langs[0], glb, poster, terms=source.terms,
                                            research=source.research), encoding="utf-8")
    step(4, 4, "Done")
    return ExportResult(source.record["id"], "html", [folder / "index.html", single], report,
                        _renamed(source, stem) + written.notes + source.research.notes)


def write_language_pages(source: ItemSource, folder: Path, stem: str, page: Callable[[dict[str, Any]], str],
                         **links: Any) -> list[str]:
    """An item page per language in ``folder`` (``index.html`` for the first, ``index.<lang>.html``
    for the others, each linking to all) with its JSON-LD beside it (``<stem>.<lang>.jsonld``).
    ``page`` renders a page's context; ``links`` are the :class:`.html.PageLinks` fields that are
    the same in every language. Returns the languages, first (the home page's) first."""
    langs = languages(source.record)
    names = {lang: ("index.html" if n == 0 else f"index.{lang}.html") for n, lang in enumerate(langs)}
    alternates = [{"lang": lang, "href": names[lang], "label": html.STRINGS[lang]["language"]} for lang in langs]
    for lang in langs:
        page_links = html.PageLinks(home=names[langs[0]], alternates=alternates, **links)
        ctx = html.item_context(source.record, lang, page_links, source.terms, source.research)
        (folder / names[lang]).write_text(page(ctx), encoding="utf-8")
        (folder / f"{stem}.{lang}.jsonld").write_text(
            json.dumps(ctx["jsonld_doc"], ensure_ascii=False, indent=1), encoding="utf-8")
    return langs


def _safe_poster(render: RenderImage | None, glb: Path, size: int) -> bytes | None:
    try:
        return poster_jpeg(render, glb, size)
    except ArchiveError:
        raise
    except Exception:  # noqa: BLE001 - a renderer failure costs the poster, not the export
        return None


def languages(record: Mapping[str, Any]) -> list[str]:
    """Page languages: Vietnamese first, English when the item has English text."""
    langs = ["vi"]
    if record.get("title_en") or record.get("description_en"):
        langs.append("en")
    return langs


_EXPORTERS: dict[str, Any] = {
    "glb": _export_glb,
    **{fmt: functools.partial(_export_format, fmt=fmt) for fmt in formats.WRITERS},
    "html": _export_html,
}
"""Export format -> exporter. A new model format is one writer in :data:`.formats.WRITERS`;
a new kind of output (page, package) is one function here."""

FORMATS: tuple[str, ...] = (*_EXPORTERS, "bag")  # "bag" is a package of the item, not a copy of its model

