"""The static catalogue site: index with search and filters, item pages, sitemap.

Layout (every URL relative, so any web server, CDN folder or ``file://`` serves it)::

    index.html, index.en.html          the catalogue, Vietnamese and English
    items/<slug>/index.html (.en.html) item pages, model.glb, model.glb.js, poster.jpg, thumb.jpg
    assets/                            CSS, scripts, vendored model-viewer and its licences
    sitemap.xml, robots.txt

Only items with status ``published`` are included unless ``include_unpublished``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from archive.search import SearchQuery
from archive.store import CancelToken

from . import html
from .export import ItemSource, languages, poster_jpeg, thumbnail_jpeg
from .profiles import BudgetNotReached, Progress, RenderImage, get_profile
from .public import search_terms, title

if TYPE_CHECKING:
    from archive.service import Archive

SITE_MARKER = ".heritage-site"


@dataclass
class SiteReport:
    out: Path
    items: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    bytes: int = 0
    notes: list[str] = field(default_factory=list)


def build_site(archive: Archive, out: Path, collection: str | None = None, profile: str = "web",
               include_unpublished: bool = False, base_url: str = "", render_image: RenderImage | None = None,
               up_axis: str = "auto", progress: Progress | None = None,
               cancel: CancelToken | None = None) -> SiteReport:
    """Build the site into ``out`` (emptied first if it holds an earlier site)."""
    prof = get_profile(profile)
    _prepare_out(out)
    base_url = base_url.rstrip("/") + "/" if base_url else ""
    report = SiteReport(out)
    query = SearchQuery(collection=collection, status=None if include_unpublished else "published", sort="title")
    ids = archive.search_ids(query)
    html.copy_web_assets(out)
    cards: list[dict[str, Any]] = []
    step: Callable[[int, int, str], None] = progress or (lambda d, t, m: None)
    for n, item_id in enumerate(ids):
        if cancel:
            cancel.check()
        step(n, len(ids), f"Item {n + 1} of {len(ids)}")
        try:
            cards.append(_item_pages(archive, item_id, out, prof.name, base_url, render_image, up_axis))
        except (BudgetNotReached, OSError, ValueError) as exc:
            report.skipped.append({"item": str(item_id), "reason": str(exc)})
        except Exception as exc:  # noqa: BLE001 - one broken scan must not stop the whole site
            report.skipped.append({"item": str(item_id), "reason": f"{type(exc).__name__}: {exc}"})
    _index_pages(out, cards, base_url)
    _sitemap(out, cards, base_url, report)
    (out / SITE_MARKER).write_text("built by heritage site\n", encoding="utf-8")
    report.items = len(cards)
    report.bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    step(len(ids), len(ids), "Done")
    return report


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / SITE_MARKER).exists():
            raise FileExistsError(f"{out} is not empty and holds no earlier site; choose an empty folder")
        for child in out.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _item_pages(archive: Archive, item_id: int, out: Path, profile: str, base_url: str,
                render_image: RenderImage | None, up_axis: str) -> dict[str, Any]:
    source = ItemSource(archive, item_id, up_axis)
    record = source.record
    folder = out / "items" / source.slug
    folder.mkdir(parents=True)
    report = source.web_glb(folder / "model.glb", get_profile(profile))
    html.write_model_fallback(folder / "model.glb", folder / "model.glb.js")
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
    rel = f"items/{source.slug}/"
    alternates = [{"lang": lang, "href": names[lang], "label": html.STRINGS[lang]["language"]} for lang in langs]
    for lang in langs:
        page_url = base_url + rel + names[lang] if base_url else ""
        links = html.PageLinks(poster="poster.jpg" if poster else None, root="../../",
                               home="../../" + ("index.html" if lang == "vi" else f"index.{lang}.html"),
                               page_url=page_url, base_url=base_url + rel if base_url else "",
                               model_bytes=report.bytes, alternates=alternates)
        ctx = html.item_context(record, lang, links)
        (folder / names[lang]).write_text(html.render("item.html.j2", ctx), encoding="utf-8")
    import json

    (folder / f"{source.slug}.jsonld").write_text(
        json.dumps(html.item_context(record, langs[0], html.PageLinks(
            poster="poster.jpg" if poster else None, page_url=base_url + rel if base_url else "",
            base_url=base_url + rel if base_url else ""))["jsonld_doc"], ensure_ascii=False, indent=1),
        encoding="utf-8")
    return {"record": record, "rel": rel, "langs": langs, "names": names, "thumb": bool(poster)}


def _index_pages(out: Path, cards: list[dict[str, Any]], base_url: str) -> None:
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
               "cards": entries, "collections": collections, "thumb_px": 320,
               "kinds": [(k, t.get(k, k)) for k in kinds_present]}
        (out / name).write_text(html.render("index.html.j2", ctx), encoding="utf-8")


def _sitemap(out: Path, cards: list[dict[str, Any]], base_url: str, report: SiteReport) -> None:
    """sitemap.xml with language alternates; URLs are absolute only when ``base_url`` is known."""
    if not base_url:
        report.notes.append("no --base-url given: sitemap.xml lists relative URLs and Open Graph images are "
                            "left out; give the site's public address for search engines and link previews")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    pages = [("", {"vi": "index.html", "en": "index.en.html"})]
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
