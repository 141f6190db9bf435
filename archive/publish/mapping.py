"""The site's map page (``map.html``, ``map.en.html``): published items whose place is not
sensitive, plotted over an outline of Vietnam and Thừa Thiên Huế that ships in the page.

No script and no library: the map is an SVG drawn here in Web Mercator pixel space, so it works
offline, from ``file://`` and with JavaScript off. Map tiles are drawn underneath only when a
tile URL is configured (``{z}/{x}/{y}`` template; default none, and then nothing is fetched).

Coordinates come only from the public record, which has none for sensitive places
(:func:`archive.publish.public.public_record`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import html
from .public import title

#: Approximate outlines drawn for this site from general knowledge of the coastline and borders
#: (lon, lat); for orientation only, not for navigation or boundary claims.
VIETNAM = [
    (102.14, 22.40), (102.60, 22.73), (103.50, 22.70), (104.00, 22.80), (104.80, 22.90), (105.32, 23.39),
    (106.00, 22.95), (106.70, 22.85), (107.35, 21.90), (108.00, 21.55), (107.40, 21.20), (106.70, 20.70),
    (106.20, 20.00), (105.80, 19.30), (105.70, 18.70), (106.50, 17.90), (107.10, 17.10), (107.80, 16.50),
    (108.25, 16.10), (108.70, 15.30), (109.10, 14.30), (109.30, 13.00), (109.20, 12.00), (108.90, 11.30),
    (108.00, 10.70), (107.10, 10.40), (106.70, 9.90), (106.20, 9.40), (105.40, 8.60), (104.75, 8.60),
    (104.80, 9.60), (104.50, 10.40), (105.10, 10.90), (106.00, 11.70), (107.50, 12.30), (107.60, 13.50),
    (107.50, 14.60), (107.40, 15.40), (107.05, 16.10), (106.60, 16.50), (106.20, 17.20), (105.60, 18.00),
    (105.10, 18.70), (104.00, 19.20), (104.10, 19.70), (104.60, 20.60), (103.70, 20.70), (103.20, 20.80),
    (102.90, 21.70),
]
THUA_THIEN_HUE = [
    (107.17, 16.73), (107.40, 16.68), (107.63, 16.56), (107.90, 16.42), (108.05, 16.33), (108.18, 16.20),
    (107.90, 16.03), (107.60, 15.99), (107.30, 15.99), (107.05, 16.12), (107.00, 16.35), (107.05, 16.55),
]
TILE = 256
WIDTH_PX = 960  # the map's width in Mercator pixels: the zoom follows from the area shown

STRINGS = {
    "vi": {"title": "Bản đồ hiện vật và món ăn", "note": "Chỉ hiện các địa điểm không cần bảo mật. Đường viền chỉ "
           "mang tính minh họa, không dùng để xác định ranh giới.", "none": "Chưa có địa điểm nào để hiện."},
    "en": {"title": "Map of relics and dishes", "note": "Only places that are not sensitive are shown. Outlines "
           "are approximate, for orientation only.", "none": "No place to show yet."},
}


def _mercator(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel coordinates at ``zoom`` (the tile servers' own)."""
    scale = TILE * 2 ** zoom
    lat = max(min(lat, 85.0), -85.0)
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return (lon + 180) / 360 * scale, y * scale


def places(cards: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """(record, page) of each card with public coordinates: lat, lon, title per language, href."""
    out = []
    for card in cards:
        r = card["record"]
        if r.get("place_lat") is None or r.get("place_lon") is None:
            continue  # no coordinates, or sensitive ones (never in the public record)
        out.append({"lat": float(r["place_lat"]), "lon": float(r["place_lon"]), "record": r, "card": card})
    return out


def view(points: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The area shown: Thừa Thiên Huế and every point, padded; zoom, viewBox and outlines' paths."""
    lons = [p[0] for p in THUA_THIEN_HUE] + [p["lon"] for p in points]
    lats = [p[1] for p in THUA_THIEN_HUE] + [p["lat"] for p in points]
    pad_lon, pad_lat = (max(lons) - min(lons)) * 0.15 + 0.05, (max(lats) - min(lats)) * 0.15 + 0.05
    west, east, south, north = min(lons) - pad_lon, max(lons) + pad_lon, min(lats) - pad_lat, max(lats) + pad_lat
    zoom = math.log2(WIDTH_PX * 360 / (TILE * (east - west)))
    x0, y0 = _mercator(west, north, zoom)
    x1, y1 = _mercator(east, south, zoom)

    def path(outline: Sequence[tuple[float, float]]) -> str:
        xy = [_mercator(lon, lat, zoom) for lon, lat in outline]
        return "M" + " L".join(f"{x - x0:.1f},{y - y0:.1f}" for x, y in xy) + " Z"

    return {"zoom": zoom, "x0": x0, "y0": y0, "width": x1 - x0, "height": y1 - y0,
            "vietnam": path(VIETNAM), "province": path(THUA_THIEN_HUE)}


def tiles(tile_url: str, v: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Tiles under the view at the nearest whole zoom, scaled into the view's pixel space."""
    if not tile_url:
        return []
    z = round(v["zoom"])
    k = 2 ** (v["zoom"] - z)  # tile pixels → view pixels
    first_x, first_y = int(v["x0"] / k // TILE), int(v["y0"] / k // TILE)
    last_x, last_y = int((v["x0"] + v["width"]) / k // TILE), int((v["y0"] + v["height"]) / k // TILE)
    return [{"href": tile_url.format(z=z, x=tx, y=ty), "x": tx * TILE * k - v["x0"], "y": ty * TILE * k - v["y0"],
             "size": TILE * k} for tx in range(first_x, last_x + 1) for ty in range(first_y, last_y + 1)]


def map_context(cards: Sequence[Mapping[str, Any]], lang: str, tile_url: str = "") -> dict[str, Any]:
    points = places(cards)
    v = view(points)
    markers = []
    for p in points:
        x, y = _mercator(p["lon"], p["lat"], v["zoom"])
        card = p["card"]
        markers.append({"x": x - v["x0"], "y": y - v["y0"], "title": title(p["record"], lang),
                        "place": p["record"].get("place_name") or "", "kind": p["record"].get("kind"),
                        "href": card["rel"] + card["names"].get(lang, "index.html"), "slug": card["rel"]})
    csp = html.CSP_FOLDER
    if tile_url:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(tile_url))
        csp = csp.replace("img-src 'self'", f"img-src 'self' {origin}")
    t = html.STRINGS[lang]
    name = "map.html" if lang == "vi" else f"map.{lang}.html"
    return {"lang": lang, "other_lang": "en" if lang == "vi" else "vi", "t": t, "m": STRINGS[lang], "csp": csp,
            "root": "", "home_href": "index.html" if lang == "vi" else f"index.{lang}.html", "inline": None,
            "alternates": [{"lang": x, "href": "map.html" if x == "vi" else f"map.{x}.html",
                            "label": html.STRINGS[x]["language"]} for x in ("vi", "en")],
            "canonical": "", "description": STRINGS[lang]["title"], "og": [], "name": name,
            "view": v, "markers": markers, "tiles": tiles(tile_url, v)}


def write_map_pages(out: Path, cards: Sequence[Mapping[str, Any]], tile_url: str = "") -> list[str]:
    """Write ``map.html`` and ``map.en.html`` into the site folder ``out``; their names. A site
    with no public place gets no map (and its index no link to one)."""
    names: list[str] = []
    if not places(cards):
        return names
    for lang in ("vi", "en"):
        ctx = map_context(cards, lang, tile_url)
        (out / ctx["name"]).write_text(html.render("map.html.j2", ctx), encoding="utf-8")
        names.append(ctx["name"])
    return names
