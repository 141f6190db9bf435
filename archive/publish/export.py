"""Exporting one item: web GLB, OBJ/PLY/STL, HTML page (folder and single file), BagIt.

``export_item`` is the one entry point the CLI and the app call. It reads the item once,
reduces it to its public record, writes into ``out_dir`` and logs an ``export`` event.
"""

from __future__ import annotations

import functools
import io
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from archive.errors import ArchiveError, NotFound
from archive.store import CancelToken

from . import formats, html
from .geometry import Model, load_model
from .jsonld import licence_url
from .profiles import Profile, Progress, PublishError, RenderImage, get_profile
from .public import master_asset, public_record, slug, title
from .textures import find_original, original_candidates, prepare_texture
from .webcopy import WebCopyReport, make_web_glb

if TYPE_CHECKING:
    from archive.service import Archive

FORMATS = ("glb", "obj", "ply", "stl", "html", "bag")


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
    """"y" or "z": the option, else the asset's ``up_axis`` field (or its details), else y
    (glTF's own)."""
    if up_axis in ("y", "z"):
        return up_axis
    details = asset.get("details") or {}
    declared = str(asset.get("up_axis") or (details.get("up_axis") if isinstance(details, dict) else "") or "")
    return declared.lower() if declared.lower() in ("y", "z") else "y"


class ItemSource:
    """An item's public record and master geometry, loaded once per export."""

    def __init__(self, archive: Archive, item_id: int, up_axis: str = "auto"):
        item = archive.get(item_id)
        self.item = item
        self.record = public_record(item)
        asset = master_asset(item)
        if asset is None:
            raise NotFound(f"item {item_id} has no 3D model to export")
        self.asset = asset
        self.master_path = archive.asset_path(asset)
        self.files = [archive.store.path(asset["storage_dir"], f["path"]) for f in asset["files"]]
        self.up_axis = resolve_up_axis(up_axis, asset)
        self._model: Model | None = None

    @property
    def slug(self) -> str:
        return slug(self.record)

    def model(self) -> Model:
        if self._model is None:
            self._model = load_model(self.master_path, self.asset.get("units"), self.up_axis)
        return self._model

    def web_glb(self, path: Path, profile: Profile, cancel: CancelToken | None = None) -> WebCopyReport:
        return make_web_glb(self.model(), profile, original_candidates(self.files), path, asset_meta(self.record),
                            self.slug, cancel)


def poster_jpeg(render_image: RenderImage | None, model_path: Path, size: int) -> bytes | None:
    """A poster rendered by ``render_image``, flattened on white and saved as JPEG without
    metadata (whatever the renderer wrote into its PNG stays behind)."""
    if render_image is None:
        return None
    png = render_image(model_path, size)
    with Image.open(io.BytesIO(png)) as img:
        rgba = img.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    buf = io.BytesIO()
    flat.save(buf, "JPEG", quality=85, optimize=True)
    return buf.getvalue()


def thumbnail_jpeg(poster: bytes, size: int) -> bytes:
    with Image.open(io.BytesIO(poster)) as opened:
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

    Files are named from the public accession number. ``render_image(path, size) -> PNG``
    makes the poster of HTML pages (none when omitted).
    """
    if fmt not in FORMATS:
        raise PublishError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "bag":
        from .bagit import export_bag

        bag = export_bag(archive, item_id, out_dir, progress=progress, cancel=cancel)
        result = ExportResult(item_id, fmt, [bag])
    else:
        source = ItemSource(archive, item_id, up_axis)
        step = progress or (lambda done, total, message: None)
        step(0, 3, f"Reading {source.slug}")
        result = _EXPORTERS[fmt](source, out_dir, prof, render_image, step, cancel)
        result.notes += source.model().notes if source._model is not None else []
    detail: dict[str, Any] = {"format": fmt, "profile": prof.name, "files": [p.name for p in result.files]}
    if result.web:
        detail.update(bytes=result.web.bytes, triangles=result.web.triangles, points=result.web.points)
    archive.record_event("export", item_id=item_id, detail=detail)
    return result


def _export_glb(source: ItemSource, out: Path, prof: Profile, render: RenderImage | None, step: Progress,
                cancel: CancelToken | None) -> ExportResult:
    path = out / f"{source.slug}.glb"
    step(1, 3, "Writing the web copy")
    report = source.web_glb(path, prof, cancel)
    step(3, 3, "Done")
    return ExportResult(source.record["id"], "glb", [path], report)


def _export_format(source: ItemSource, out: Path, prof: Profile, render: RenderImage | None, step: Progress,
                   cancel: CancelToken | None, fmt: str) -> ExportResult:
    model = source.model()
    if prof.max_bytes is not None or prof.max_triangles:
        with tempfile.TemporaryDirectory() as tmp:  # the profile's reduction, shared with the GLB
            report = source.web_glb(Path(tmp) / "m.glb", prof, cancel)
        from .budget import reduce_model

        ratio = report.triangles / max(model.triangles, 1) if model.triangles else 1.0
        pratio = report.points / max(model.points, 1) if model.points else 1.0
        model = reduce_model(model, ratio, pratio) if ratio < 1 or pratio < 1 else model
    step(1, 3, f"Writing {fmt.upper()}")
    if fmt == "obj":
        originals = original_candidates(source.files)
        textures = [None if p.image is None else prepare_texture(
            p.image, find_original(p.image, originals), prof.max_texture_px, prof.jpeg_quality) for p in model.parts]
        files = formats.write_obj(model, textures, out, source.slug)
    elif fmt == "ply":
        files = [formats.write_ply(model, out / f"{source.slug}.ply")]
    else:
        files = [formats.write_stl(model, out / f"{source.slug}.stl")]
    step(3, 3, "Done")
    return ExportResult(source.record["id"], fmt, files)


def _export_html(source: ItemSource, out: Path, prof: Profile, render: RenderImage | None, step: Progress,
                 cancel: CancelToken | None) -> ExportResult:
    """``<slug>/`` (index.html per language, model.glb, poster, viewer) and ``<slug>.html``."""
    folder = out / source.slug
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    step(1, 4, "Writing the web copy")
    glb = folder / "model.glb"
    report = source.web_glb(glb, prof, cancel)
    step(2, 4, "Rendering the poster")
    poster = _safe_poster(render, glb, prof.poster_px)
    if poster:
        (folder / "poster.jpg").write_bytes(poster)
    html.copy_web_assets(folder)
    html.write_model_fallback(glb, folder / "model.glb.js")
    step(3, 4, "Writing the pages")
    langs = languages(source.record)
    names = {lang: ("index.html" if n == 0 else f"index.{lang}.html") for n, lang in enumerate(langs)}
    alternates = [{"lang": lang, "href": names[lang], "label": html.STRINGS[lang]["language"]} for lang in langs]
    for lang in langs:
        links = html.PageLinks(poster="poster.jpg" if poster else None, home=names[langs[0]],
                               model_bytes=report.bytes, alternates=alternates)
        ctx = html.item_context(source.record, lang, links)
        (folder / names[lang]).write_text(html.render("item.html.j2", ctx), encoding="utf-8")
        (folder / f"{source.slug}.{lang}.jsonld").write_text(
            json.dumps(ctx["jsonld_doc"], ensure_ascii=False, indent=1), encoding="utf-8")
    single = out / f"{source.slug}.html"
    single.write_text(html.single_file_page(source.record, langs[0], glb, poster), encoding="utf-8")
    step(4, 4, "Done")
    return ExportResult(source.record["id"], "html", [folder / "index.html", single], report)


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
    "html": _export_html,
    "obj": functools.partial(_export_format, fmt="obj"),
    "ply": functools.partial(_export_format, fmt="ply"),
    "stl": functools.partial(_export_format, fmt="stl"),
}
