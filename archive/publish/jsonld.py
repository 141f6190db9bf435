"""schema.org JSON-LD for a published item: a ``3DModel`` with its ``encoding``, about a
``Recipe`` (dishes), a ``VisualArtwork`` (relics) or a ``CreativeWork`` (other).

Built only from :func:`archive.publish.public.public_record`. :func:`script_tag_json`
makes the text safe inside ``<script type="application/ld+json">``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .public import text, title

LICENCE_URLS = {
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "CC-BY-ND-4.0": "https://creativecommons.org/licenses/by-nd/4.0/",
    "CC-BY-NC-ND-4.0": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "PDM-1.0": "https://creativecommons.org/publicdomain/mark/1.0/",
}
UNIT_CODES = {"mm": "MMT", "cm": "CMT", "m": "MTR"}
TYPES = {"dish": "Recipe", "relic": "VisualArtwork"}


def licence_url(licence: str | None) -> str | None:
    """A URL for an SPDX-style licence id, or the value itself when it already is a URL."""
    if not licence:
        return None
    if licence.startswith(("http://", "https://")):
        return licence
    return LICENCE_URLS.get(licence.strip())


def _minutes(value: Any) -> str | None:
    return f"PT{int(value)}M" if value not in (None, "") else None


def _clean(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if v not in (None, "", [], {})}


def build(record: Mapping[str, Any], lang: str, urls: Mapping[str, str | None]) -> dict[str, Any]:
    """The JSON-LD document for ``record`` in ``lang``.

    ``urls`` gives ``page``, ``model`` (GLB), ``image`` (poster) and ``model_bytes`` as
    (absolute or page-relative) URLs; missing ones are left out.
    """
    page = urls.get("page") or ""
    item_id, model_id = f"{page}#item", f"{page}#model"
    other = "en" if lang == "vi" else "vi"
    alternate = title(record, other) if title(record, other) != title(record, lang) else None
    licence = licence_url(record.get("model_licence")) or record.get("model_licence")
    item = _clean({
        "@type": TYPES.get(str(record.get("kind")), "CreativeWork"), "@id": item_id,
        "name": title(record, lang), "alternateName": alternate, "description": text(record, "description", lang),
        "inLanguage": lang, "identifier": record.get("accession"), "url": page or None, "image": urls.get("image"),
        "keywords": ", ".join(record.get("tags") or []) or None, "subjectOf": {"@id": model_id},
        "copyrightNotice": record.get("object_rights"),
    })
    item.update(_dish(record) if record.get("kind") == "dish" else _relic(record))
    encoding = _clean({"@type": "MediaObject", "contentUrl": urls.get("model"), "encodingFormat": "model/gltf-binary",
                       "contentSize": urls.get("model_bytes")})
    model = _clean({
        "@type": "3DModel", "@id": model_id, "name": title(record, lang), "inLanguage": lang,
        "about": {"@id": item_id}, "encoding": [encoding] if encoding.get("contentUrl") else [],
        "image": urls.get("image"), "license": licence, "creditText": record.get("model_credit"),
        "isResizable": False,
    })
    return {"@context": "https://schema.org", "@graph": [item, model]}


def _dish(r: Mapping[str, Any]) -> dict[str, Any]:
    prep, cook = r.get("prep_minutes"), r.get("cook_minutes")
    total = (prep or 0) + (cook or 0) if prep is not None or cook is not None else None
    cuisine = ", ".join(x for x in ("Vietnamese", r.get("region")) if x)
    return _clean({
        "recipeIngredient": list(r.get("ingredients") or []),
        "recipeInstructions": [{"@type": "HowToStep", "position": n + 1, "text": s}
                               for n, s in enumerate(r.get("steps") or [])],
        "recipeCuisine": cuisine, "recipeCategory": r.get("culinary_line"), "cookingMethod": r.get("cooking_method"),
        "prepTime": _minutes(prep), "cookTime": _minutes(cook), "totalTime": _minutes(total),
        "recipeYield": r.get("yield_text"),
        "author": {"@type": "Person", "name": r["practitioner"]} if r.get("practitioner") else None,
    })


def _relic(r: Mapping[str, Any]) -> dict[str, Any]:
    unit = UNIT_CODES.get(str(r.get("dimension_unit") or ""))
    dims = {k: {"@type": "QuantitativeValue", "value": r[k], "unitCode": unit}
            for k in ("height", "width", "depth") if r.get(k) is not None and unit}
    place = _clean({"@type": "Place", "name": r.get("place_name"), "geo": _clean({
        "@type": "GeoCoordinates", "latitude": r.get("place_lat"), "longitude": r.get("place_lon")})
        if r.get("place_lat") is not None else None})
    return _clean({
        **dims,
        "artMedium": ", ".join(r.get("materials") or []) or None, "artform": r.get("object_type"),
        "artworkSurface": None, "material": list(r.get("materials") or []),
        "creator": {"@type": "Person", "name": r["creator"]} if r.get("creator") else None,
        "dateCreated": r.get("date_text"), "temporalCoverage": r.get("period"),
        "locationCreated": None, "contentLocation": place if len(place) > 1 else None,
        "weight": {"@type": "QuantitativeValue", "value": r["weight_kg"], "unitCode": "KGM"}
        if r.get("weight_kg") is not None else None,
    })


def script_tag_json(doc: Mapping[str, Any]) -> str:
    """JSON for inside ``<script>``: ``<``, ``>``, ``&`` and line separators escaped, so no
    value can close the script element or start a comment."""
    raw = json.dumps(doc, ensure_ascii=False, indent=1)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        raw = raw.replace(char, escape)
    return raw
