"""The static catalogue site: index with search and filters, item pages, sitemap.

Layout (every URL relative, so any web server, CDN folder or ``file://`` serves it)::

    index.html, index.en.html          the catalogue, Vietnamese and English
    map.html, map.en.html              published places that are not sensitive (an SVG, offline)
    items/<slug>/index.html (.en.html) item pages, model.glb, model.glb.js, model.usdz (AR), poster.jpg, thumb.jpg
    assets/                            CSS, scripts, vendored model-viewer and its licences
    sitemap.xml, robots.txt

Only items with status ``published`` are included unless ``include_unpublished``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from archive.errors import ArchiveError, Cancelled, SiteFolderInUse
from archive.search import SearchQuery
from archive.store import CancelToken
from archive.workfolders import MARKER as WORK_MARKER
from archive.workfolders import new_work_folder, remove_stale_work_folders

from . import html, jsonld, mapping, tilespage, usdz
from .export import ItemSource, languages, poster_jpeg, thumbnail_jpeg
from .profiles import BudgetNotReached, Progress, RenderImage, get_profile
from .public import Terms, public_record, search_terms, slug, title

if TYPE_CHECKING:
    from archive.service import Archive

SITE_MARKER = ".heritage-site"  # in a built site: JSON listing every file the build wrote
BUILD_KIND = "site-build"  # a build in progress: a work folder inside the output folder
BUILD_PREFIX = f".heritage-{BUILD_KIND}-"
_LEGACY_TOP = ("index.html", "index.en.html", "sitemap.xml", "robots.txt", "assets", "items")


@dataclass
class SiteReport:
    out: Path
    items: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)  # item, reason: each item that failed
    bytes: int = 0
    notes: list[str] = field(default_factory=list)


def build_site(archive: Archive, out: Path, collection: str | None = None, profile: str = "web",
               include_unpublished: bool = False, base_url: str = "", render_image: RenderImage | None = None,
               up_axis: str = "auto", progress: Progress | None = None,
               cancel: CancelToken | None = None, tile_url: str = "") -> SiteReport:
    """Build the site into ``out``: a new folder, an empty one or an earlier site (replaced).

    The site is built in a hidden folder inside ``out`` and moved into place at the end, so a
    killed or failed build leaves the earlier site and no temporary files (a killed build's
    folder is removed by the next build). Only files an earlier build wrote are ever removed;
    a folder holding anything else is refused (:class:`SiteFolderInUse`). An item that fails
    is listed in ``skipped`` with the reason; the others are still built."""
    get_profile(profile)  # an unknown profile fails before anything is written
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_work_folders(out, BUILD_KIND)
    owned = _check_out(out)
    build = new_work_folder(out, BUILD_KIND)
    try:
        report = _build(archive, build, collection, profile, include_unpublished, base_url, render_image,
                        up_axis, progress, cancel, tile_url)
        files = _files(build) - {WORK_MARKER}
        report.bytes = sum((build / rel).stat().st_size for rel in files)
        _install(build, out, files, owned)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        if created and not any(out.iterdir()):
            out.rmdir()  # the folder this run made, still empty
        raise
    shutil.rmtree(build, ignore_errors=True)
    report.out = out
    return report


def _build(archive: Archive, out: Path, collection: str | None, profile: str, include_unpublished: bool,
           base_url: str, render_image: RenderImage | None, up_axis: str, progress: Progress | None,
           cancel: CancelToken | None, tile_url: str = "") -> SiteReport:
    base_url = base_url.rstrip("/") + "/" if base_url else ""
    report = SiteReport(out)
    query = SearchQuery(collection=collection, status=None if include_unpublished else "published", sort="title")
    ids = archive.search_ids(query)
    html.copy_web_assets(out)
    cards: list[dict[str, Any]] = []
    plan = SitePlan.make(archive, ids, base_url)
    step: Callable[[int, int, str], None] = progress or (lambda d, t, m: None)
    for n, item_id in enumerate(ids):
        if cancel:
            cancel.check()
        step(n, len(ids), f"Item {n + 1} of {len(ids)}")
        try:
            cards.append(_item_pages(archive, item_id, out, profile, plan, render_image, up_axis))
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken scan must not stop the whole site
            reason = str(exc) if isinstance(exc, (BudgetNotReached, ArchiveError)) else f"{type(exc).__name__}: {exc}"
            report.skipped.append({"item": str(item_id), "reason": reason})
    has_map = bool(mapping.write_map_pages(out, cards, tile_url))
    _index_pages(out, cards, base_url, has_map)
    _sitemap(out, cards, base_url, report, has_map)
    report.items = len(cards)
    if any(card.get("no_ar") for card in cards):
        reasons = sorted({card["no_ar"] for card in cards if card.get("no_ar")})
        report.notes.append(f"{sum(1 for c in cards if c.get('no_ar'))} item page(s) without AR on iOS: "
                            + "; ".join(reasons))
    report.notes.extend(note for card in cards for note in card.get("research_notes", []))
    step(len(ids), len(ids), "Done")
    return report


def _files(root: Path) -> set[str]:
    """Every file and link under ``root`` (links not followed), as POSIX paths relative to it."""
    found: set[str] = set()
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        links = [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in links]
        found.update((here / name).relative_to(root).as_posix() for name in [*names, *links])
    return found


def _owned_files(out: Path) -> set[str] | None:
    """The files an earlier build wrote (from its marker), or None when ``out`` holds no site."""
    marker = out / SITE_MARKER
    if not marker.is_file():
        return None
    try:
        return set(json.loads(marker.read_text(encoding="utf-8"))["files"])
    except (ValueError, KeyError, TypeError):  # a marker from before the file list: its fixed layout
        return {rel for rel in _files(out) if rel.split("/", 1)[0] in _LEGACY_TOP}


def _check_out(out: Path) -> set[str]:
    """The files of an earlier site in ``out`` (empty for an empty folder); refuse anything else."""
    owned = _owned_files(out)
    if owned is None:
        if any(out.iterdir()):
            raise SiteFolderInUse(f"{out} is not empty and holds no earlier site; choose an empty folder")
        return set()
    present = {rel for rel in _files(out) if rel != SITE_MARKER}
    foreign = sorted(present - owned)
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise SiteFolderInUse(f"{out} holds {foreign[0]}{more}, which the site build did not write; move it "
                              "out of the folder or choose another one (nothing was changed)")
    return owned & present  # a marker can be edited: only files really inside ``out`` are ever removed


def _write_marker(build: Path, out: Path, files: set[str]) -> None:
    staged = build / SITE_MARKER  # written beside the new files, then renamed: never half a marker
    staged.write_text(json.dumps({"built_by": "heritage site", "files": sorted(files)}, indent=0), encoding="utf-8")
    os.replace(staged, out / SITE_MARKER)


def _install(build: Path, out: Path, files: set[str], old: set[str]) -> None:
    """Replace the earlier site's files with the new ones. The marker lists both while files
    move, so a build killed here leaves nothing the next build would take for a user's file."""
    _write_marker(build, out, files | old)
    for rel in sorted(old - files):
        (out / rel).unlink(missing_ok=True)
    for rel in sorted(files):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(build / rel, out / rel)
    _write_marker(build, out, files)
    _remove_empty_parents(out, old - files)


def _remove_empty_parents(out: Path, removed: set[str]) -> None:
    """Folders that held only files of the earlier site (a user's folder is never empty by our doing)."""
    for folder in sorted({(out / rel).parent for rel in removed}, key=lambda p: len(p.parts), reverse=True):
        while folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


@dataclass
class SitePlan:
    """Decided before any page is written: each item's folder and ``@id``, the vocabulary
    labels, and the dish ↔ serving vessel links between items that are both in the site."""

    base_url: str
    terms: Terms
    names: dict[int, str] = field(default_factory=dict)
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    links: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def make(cls, archive: Archive, ids: list[int], base_url: str) -> SitePlan:
        plan = cls(base_url, Terms.from_archive(archive))
        taken: set[str] = set()
        in_site = set(ids)
        for item_id in ids:
            item = archive.get(item_id, with_assets=False)
            plan.records[item_id] = public_record(item)
            plan.names[item_id] = _unique_folder(slug(plan.records[item_id]), item_id, taken)
            vessel = item.get("serving_vessel")
            if item.get("kind") == "dish" and vessel is not None and vessel in in_site:
                plan.links.setdefault(item_id, []).append(int(vessel))
                plan.links.setdefault(int(vessel), []).append(item_id)
        return plan

    def iri(self, item_id: int) -> str:
        return jsonld.item_iri(self.records[item_id], self.base_url, f"items/{self.names[item_id]}/")

    def related(self, item_id: int, lang: str) -> list[dict[str, str]]:
        page = "index.html" if lang == "vi" else f"index.{lang}.html"
        return [{"iri": self.iri(other), "href": f"../{self.names[other]}/{page}",
                 "title": title(self.records[other], lang)} for other in self.links.get(item_id, [])]


def _item_pages(archive: Archive, item_id: int, out: Path, profile: str, plan: SitePlan,
                render_image: RenderImage | None, up_axis: str) -> dict[str, Any]:
    """Write ``items/<slug>/``; a failed item leaves no half-written folder behind."""
    source = ItemSource(archive, item_id, up_axis)
    folder = out / "items" / plan.names[item_id]
    folder.mkdir(parents=True)
    try:
        return _write_item(source, folder, item_id, plan, profile, render_image)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _unique_folder(slug: str, item_id: int, taken: set[str]) -> str:
    """Two accessions can give one slug; compared case-blind, as on Windows and macOS disks."""
    name, n = slug, 1
    while name.casefold() in taken:
        name, n = f"{slug}-{item_id}" + (f"-{n}" if n > 1 else ""), n + 1
    taken.add(name.casefold())
    return name


def _ar_copy(folder: Path) -> tuple[str | None, str | None]:
    """``model.usdz`` beside the GLB for AR Quick Look: (file name, None) or (None, why not)."""
    try:
        usdz.write_usdz(folder / "model.glb", folder / "model.usdz")
    except (usdz.UsdUnavailable, usdz.UsdzNotMade) as exc:
        return None, str(exc)
    return "model.usdz", None


def _write_item(source: ItemSource, folder: Path, item_id: int, plan: SitePlan, profile: str,
                render_image: RenderImage | None) -> dict[str, Any]:
    record, name, base_url = source.record, plan.names[item_id], plan.base_url
    tiles = tilespage.item_tiles(source, folder, get_profile(profile))  # a cloud too big for one web file
    report = tiles or source.web_glb(folder / "model.glb", get_profile(profile))
    if tiles is None:
        html.write_model_fallback(folder / "model.glb", folder / "model.glb.js")
    ar_file, no_ar = _ar_copy(folder)
    poster = None
    try:
        poster = poster_jpeg(render_image, folder / "model.glb", get_profile(profile).poster_px)
    except Exception:  # noqa: BLE001 - without a poster the page still shows the model
        poster = None
    if poster:
        (folder / "poster.jpg").write_bytes(poster)
        (folder / "thumb.jpg").write_bytes(thumbnail_jpeg(poster, get_profile(profile).thumbnail_px))
    langs = languages(record)
    names = {lang: "index.html" if lang == "vi" else f"index.{lang}.html" for lang in langs}
    rel = f"items/{name}/"
    alternates = [{"lang": lang, "href": names[lang], "label": html.STRINGS[lang]["language"]} for lang in langs]
    docs = {}
    for lang in langs:
        page_url = base_url + rel + names[lang] if base_url else ""
        links = html.PageLinks(poster="poster.jpg" if poster else None, root="../../",
                               home="../../" + ("index.html" if lang == "vi" else f"index.{lang}.html"),
                               page_url=page_url, base_url=base_url + rel if base_url else "",
                               model_bytes=report.bytes, alternates=alternates, usdz=ar_file,
                               iri=plan.iri(item_id), related=plan.related(item_id, lang))
        ctx = html.item_context(record, lang, links, plan.terms, source.research)
        docs[lang] = ctx["jsonld_doc"]
        page = html.render("item.html.j2", ctx) if tiles is None else tilespage.render_page(ctx, tiles.tileset)
        (folder / names[lang]).write_text(page, encoding="utf-8")
    (folder / f"{name}.jsonld").write_text(json.dumps(docs[langs[0]], ensure_ascii=False, indent=1),
                                           encoding="utf-8")
    return {"record": record, "rel": rel, "langs": langs, "names": names, "thumb": bool(poster), "no_ar": no_ar,
            "research_notes": [f"{name}: {note}" for note in _tiles_notes(source, tiles, profile)
                               + source.research.notes]}


def _tiles_notes(source: ItemSource, tiles: tilespage.TiledItem | None, profile: str) -> list[str]:
    """Why an item's page streams 3D Tiles, and what they hold (none for a page of one GLB)."""
    if tiles is None:
        return []
    return [str(tilespage.tiles_reason(source.asset, get_profile(profile))), tiles.tileset.summary()]


def _index_pages(out: Path, cards: list[dict[str, Any]], base_url: str, has_map: bool = False) -> None:
    collections = sorted({c for card in cards for c in card["record"].get("collections", [])})
    kinds_present = sorted({card["record"]["kind"] for card in cards})
    for lang in ("vi", "en"):
        t = html.STRINGS[lang]
        other = "en" if lang == "vi" else "vi"
        entries = []
        for card in cards:
            r = card["record"]
            page = card["names"].get(lang, "index.html")
            entries.append({"href": card["rel"] + page, "thumb": card["rel"] + "thumb.jpg" if card["thumb"] else None,
                            "title": title(r, lang), "alt_title": title(r, other) if title(r, other) != title(r, lang)
                            else "", "kind": r["kind"], "kind_label": t.get(r["kind"], r["kind"]),
                            "collections": r.get("collections", []), "terms": search_terms(r)})
        name = "index.html" if lang == "vi" else "index.en.html"
        ctx = {"lang": lang, "other_lang": other, "t": t, "csp": html.CSP_FOLDER, "root": "", "home_href": name,
               "alternates": [{"lang": x, "href": "index.html" if x == "vi" else "index.en.html",
                               "label": html.STRINGS[x]["language"]} for x in ("vi", "en")],
               "canonical": base_url + name if base_url else "", "description": t["footer"], "inline": None,
               "og": [("og:type", "website"), ("og:title", t["site_name"]), ("og:description", t["footer"]),
                      ("og:locale", "vi_VN" if lang == "vi" else "en_US")]
               + ([("og:url", base_url + name)] if base_url else []),
               "cards": entries, "collections": collections, "thumb_px": 320, "has_map": has_map,
               "kinds": [(k, t.get(k, k)) for k in kinds_present]}
        (out / name).write_text(html.render("index.html.j2", ctx), encoding="utf-8")


def _sitemap(out: Path, cards: list[dict[str, Any]], base_url: str, report: SiteReport, has_map: bool = False) -> None:
    """sitemap.xml with language alternates; URLs are absolute only when ``base_url`` is known."""
    if not base_url:
        report.notes.append("no --base-url given: sitemap.xml lists relative URLs and Open Graph images are "
                            "left out; give the site's public address for search engines and link previews")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    pages = [("", {"vi": "index.html", "en": "index.en.html"})]
    pages += [("", {"vi": "map.html", "en": "map.en.html"})] if has_map else []
    pages += [(card["rel"], card["names"]) for card in cards]
    for rel, names in pages:
        for name in names.values():
            lines.append(f"<url><loc>{escape(base_url + rel + name)}</loc>")
            for alt, alt_name in names.items():
                href = escape(base_url + rel + alt_name)
                lines.append(f' <xhtml:link rel="alternate" hreflang="{alt}" href="{href}"/>')
            lines.append("</url>")
    lines.append("</urlset>")
    (out / "sitemap.xml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    robots = "User-agent: *\nAllow: /\n" + (f"Sitemap: {base_url}sitemap.xml\n" if base_url else "")
    (out / "robots.txt").write_text(robots, encoding="utf-8")
