"""HTML pages for published items, rendered with Jinja2 (autoescape on).

Two variants of an item page:

* a folder (``index.html``, ``model.glb``, poster, the vendored model-viewer, JSON-LD):
  for a web server or CDN; from ``file://`` the model comes from ``model.glb.js``;
* a single file with everything inline (model and poster as ``data:`` URIs, scripts and
  styles inline and allowed by their hashes): opens with a double-click.

Every page carries a Content-Security-Policy allowing only its own files (plus ``data:``
and ``blob:``, which model-viewer uses for embedded textures).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from archive.fields import ITEM_FIELD

from . import jsonld
from .annotations import ItemResearch
from .hotspots import hotspot_values, tour_values
from .public import Terms, text, title, value_label

ASSETS = Path(__file__).resolve().parents[2] / "assets"
TEMPLATES = ASSETS / "templates"
WEB = ASSETS / "web"
VIEWER_FILES = ("model-viewer-umd.min.js", "LICENSE", "LICENSE.three", "LICENSE.lit", "LICENSE.gainmap-js",
                "README.md")
TILES_FILES = ("tiles.js", "tiles.css", "tiles-viewer/tiles-viewer.min.js", "tiles-viewer/LICENSE.3d-tiles-renderer",
               "tiles-viewer/LICENSE.three")

#: model-viewer 4.4.0 inserts one fixed <style> element; allowed by its hash (a newer
#: vendored version may need a new hash: the Chromium tests report the violation).
VIEWER_STYLE_HASH = "'sha256-PXtZZkJMMyc18o/DN1ZEFOJ2qEGq95IQbVaJFMOXOb0='"
#: three.js compiles a small WebAssembly helper: 'wasm-unsafe-eval' allows that, not JS eval.
CSP_FOLDER = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
              f"style-src 'self' {VIEWER_STYLE_HASH}; img-src 'self' data: blob:; "
              "connect-src 'self' data: blob:; worker-src 'self' blob:; font-src 'self'; object-src 'none'; "
              "base-uri 'none'; form-action 'none'")

STRINGS: dict[str, dict[str, str]] = {
    "vi": {"site_name": "Di sản & Ẩm thực Huế 3D", "footer": "Mô hình 3D từ kho lưu trữ số Di sản & Ẩm thực Huế.",
           "model_alt": "Mô hình 3D", "model_error": "Không tải được mô hình 3D.", "credit": "Ghi công",
           "licence": "Giấy phép", "unknown": "chưa rõ", "ingredients": "Nguyên liệu", "steps": "Các bước chế biến",
           "ar": "Xem trong không gian của bạn (AR)",
           "served_in": "Đựng trong", "serves": "Dùng để đựng", "map": "Bản đồ",
           "details": "Thông tin", "downloads": "Tải về", "search": "Tìm kiếm", "search_hint": "ví dụ: bun bo hue",
           "kind": "Loại", "collection": "Bộ sưu tập", "all": "Tất cả", "no_results": "Không tìm thấy hiện vật nào.",
           "relic": "Hiện vật", "dish": "Món ăn", "other": "Khác", "language": "Tiếng Việt",
           "annotations": "Chú thích trên mô hình", "tour": "Tham quan có hướng dẫn",
           "tour_intro": "{total} điểm dừng: bấm “Tiếp” để bắt đầu.",
           "tour_intro_one": "1 điểm dừng: bấm “Tiếp” để bắt đầu.", "tour_status": "Điểm dừng {n}/{total}",
           "previous": "Trước", "next": "Tiếp"},
    "en": {"site_name": "Hue Heritage & Cuisine in 3D",
           "footer": "3D models from the Hue Heritage & Cuisine digital archive.",
           "model_alt": "3D model", "model_error": "The 3D model could not be loaded.", "credit": "Credit",
           "licence": "Licence", "unknown": "not stated", "ingredients": "Ingredients", "steps": "Preparation",
           "ar": "View in your space (AR)",
           "served_in": "Served in", "serves": "Vessel for", "map": "Map",
           "details": "Details", "downloads": "Downloads", "search": "Search", "search_hint": "e.g. bun bo hue",
           "kind": "Kind", "collection": "Collection", "all": "All", "no_results": "No item matches.",
           "relic": "Relic", "dish": "Dish", "other": "Other", "language": "English",
           "annotations": "Notes on the model", "tour": "Guided tour",
           "tour_intro": "{total} stops: press “Next” to begin.",
           "tour_intro_one": "1 stop: press “Next” to begin.", "tour_status": "Stop {n} of {total}",
           "previous": "Previous", "next": "Next"},
}
#: Fields shown in the page's "details" list, in this order (titles, descriptions,
#: ingredients, steps, credit and licence have their own places).
FACT_FIELDS = ("accession", "other_names", "object_type", "materials", "techniques", "period", "date_text",
               "culture", "creator", "height", "width", "depth", "dimension_unit", "weight_kg", "inscriptions",
               "provenance", "condition", "current_location", "place_name", "culinary_line", "region",
               "cooking_method", "occasions", "prep_minutes", "cook_minutes", "yield_text", "practitioner",
               "specimen", "collections", "tags", "object_rights")

_ENV: Environment | None = None


def environment() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                           trim_blocks=False, lstrip_blocks=False)
    return _ENV


@dataclass
class PageLinks:
    """Where an item page finds its files, relative to the page (or absolute)."""

    model: str = "model.glb"
    fallback: str | None = "model.glb.js"
    poster: str | None = None
    root: str = ""  # prefix of the shared assets/ folder
    home: str = "#"
    page_url: str = ""  # absolute URL of this page when known (Open Graph, JSON-LD, canonical)
    base_url: str = ""  # absolute URL of the page's folder when known
    model_bytes: int | None = None
    alternates: list[dict[str, str]] = field(default_factory=list)
    downloads: list[dict[str, str]] = field(default_factory=list)
    usdz: str | None = None  # the AR copy for iOS Quick Look, when one was written
    iri: str | None = None  # the item's @id, the same in every language (jsonld.item_iri by default)
    related: list[dict[str, str]] = field(default_factory=list)  # iri, href, title: serving vessel / dishes


def facts(record: Mapping[str, Any], lang: str, terms: Terms | None = None) -> list[tuple[str, str]]:
    """(label, value) of the details list in ``lang``: vocabulary values and choices labelled."""
    terms = terms or Terms()
    out = []
    for name in FACT_FIELDS:
        value = record.get(name)
        if value in (None, "", []):
            continue
        field_ = ITEM_FIELD[name]
        label = field_.label_vi if lang == "vi" else field_.label_en
        value = value_label(name, value, lang, terms)
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        out.append((label, shown))
    return out


def item_context(record: Mapping[str, Any], lang: str, links: PageLinks, terms: Terms | None = None,
                 research: ItemResearch | None = None) -> dict[str, Any]:
    """Template values of an item page in ``lang``; ``terms`` labels vocabulary values (seeded
    terms when None); ``research`` the item's published records (hotspots, tour stops)."""
    terms = terms or Terms()
    other = "en" if lang == "vi" else "vi"
    absolute = links.base_url
    poster_abs = absolute + links.poster if absolute and links.poster else links.poster
    model_abs = absolute + links.model if absolute else links.model
    usdz_abs = absolute + links.usdz if absolute and links.usdz else links.usdz
    doc = jsonld.build(record, lang, {"page": links.page_url, "model": model_abs, "image": poster_abs,
                                      "usdz": usdz_abs,
                                      "model_bytes": f"{links.model_bytes} B" if links.model_bytes else None},
                       terms, links.iri, [r["iri"] for r in links.related], research.records if research else ())
    name, description = title(record, lang), text(record, "description", lang)
    og = [("og:type", "website"), ("og:title", name), ("og:locale", "vi_VN" if lang == "vi" else "en_US")]
    if description:
        og.append(("og:description", description[:300]))
    if links.page_url:
        og.append(("og:url", links.page_url))
    if poster_abs and links.base_url:
        og.append(("og:image", poster_abs))
    alt_title = title(record, other)
    return {
        "lang": lang, "other_lang": other, "t": STRINGS[lang], "title": name,
        "alt_title": alt_title if alt_title != name else "", "description": description,
        "credit": record.get("model_credit"), "licence": record.get("model_licence"),
        "licence_url": jsonld.licence_url(record.get("model_licence")),
        "ingredients": record.get("ingredients") or [], "steps": record.get("steps") or [],
        "facts": facts(record, lang, terms), "usdz": links.usdz,
        "related": links.related,
        "related_label": STRINGS[lang]["served_in" if record.get("kind") == "dish" else "serves"],
        "jsonld": jsonld.script_tag_json(doc), "jsonld_doc": doc,
        "model_src": None, "model_href": links.model, "fallback_href": links.fallback, "poster": links.poster,
        "root": links.root, "home_href": links.home, "alternates": links.alternates, "canonical": links.page_url,
        "og": og, "csp": CSP_FOLDER, "inline": None, "downloads": links.downloads,
        "hotspots": hotspot_values(research, lang), "tour": tour_values(research, lang),
    }


def render(template: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def copy_web_assets(root: Path) -> None:
    """Copy the shared page assets (CSS, scripts, vendored model-viewer and tiles viewer) into ``root/assets``."""
    dest = root / "assets"
    (dest / "model-viewer").mkdir(parents=True, exist_ok=True)
    for name in ("page.css", "tour.js", "page.js", "site.js", "favicon.svg"):
        shutil.copyfile(WEB / name, dest / name)
    for name in VIEWER_FILES:
        if (WEB / "model-viewer" / name).exists():
            shutil.copyfile(WEB / "model-viewer" / name, dest / "model-viewer" / name)
    (dest / "tiles-viewer").mkdir(exist_ok=True)  # pages of tiled point clouds (tiles.html.j2)
    for name in TILES_FILES:
        shutil.copyfile(WEB / name, dest / name)


def write_model_fallback(glb: Path, target: Path) -> None:
    """``model.glb.js``: the GLB as base64 in a script, for pages opened from file://."""
    data = base64.b64encode(glb.read_bytes()).decode("ascii")
    target.write_text(f"window.HERITAGE_MODEL_GLB=\"{data}\";\n", encoding="ascii")


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def single_file_page(record: Mapping[str, Any], lang: str, glb: Path, poster: bytes | None,
                     alternates: Sequence[dict[str, str]] = (), terms: Terms | None = None,
                     research: ItemResearch | None = None) -> str:
    """One self-contained HTML document: model, poster, viewer and styles inline."""
    links = PageLinks(model="", fallback=None, alternates=list(alternates))
    ctx = item_context(record, lang, links, terms, research)
    inline = {"viewer": (WEB / "model-viewer" / "model-viewer-umd.min.js").read_text(encoding="utf-8"),
              # one script: the tour's buttons (tour.js) and the page that gives them its camera
              "page": "\n".join((WEB / name).read_text(encoding="utf-8") for name in ("tour.js", "page.js")),
              "css": (WEB / "page.css").read_text(encoding="utf-8")}
    # A literal "</script" inside inline code would end the element early.
    for key in ("viewer", "page"):
        inline[key] = inline[key].replace("</script", "<\\/script")
    ctx["inline"] = inline
    ctx["model_src"] = "data:model/gltf-binary;base64," + base64.b64encode(glb.read_bytes()).decode("ascii")
    ctx["poster"] = None
    if poster:
        ctx["poster"] = "data:image/jpeg;base64," + base64.b64encode(poster).decode("ascii")
    ctx["csp"] = (f"default-src 'none'; script-src {_sha256(inline['viewer'])} {_sha256(inline['page'])} "
                  f"'wasm-unsafe-eval'; style-src {_sha256(inline['css'])} {VIEWER_STYLE_HASH}; "
                  "img-src data: blob:; connect-src data: blob:; "
                  "worker-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'")
    return render("item.html.j2", ctx)
