"""schema.org JSON-LD for a published item: a ``3DModel`` with its ``encoding``, about a
``Recipe`` (dishes), a ``VisualArtwork`` (relics) or a ``CreativeWork`` (other).

Built only from :func:`archive.publish.public.public_record`. :func:`script_tag_json`
makes the text safe inside ``<script type="application/ld+json">``.

The documents travel: the context is inline (:data:`CONTEXT`, schema.org as ``@vocab`` plus
the archive's own terms), so expanding them never fetches https://schema.org. An item has one
``@id`` in every language (:func:`item_iri`); vocabulary values are labelled in the page's
language and carry ``sameAs`` links to Getty AAT / Wikidata where known: materials always as
``DefinedTerm``; the period, culinary line and capture method as ``DefinedTerm`` (in
``keywords`` and ``measurementTechnique``) when staff aligned them.

Public annotations and landmarks (:mod:`.annotations`) are parts of the ``3DModel``
(``hasPart``): ``Comment`` nodes with their title and text, the tour stop's ``position``, and
where they sit on the model as ``PropertyValue`` values (``pointInModel``, ``normalInModel``: "x y z"
in the published GLB's frame, y up, metres; the archive's own terms, as schema.org has none).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from .annotations import PublicRecord
from .public import Terms, text, title

#: Inline JSON-LD context: schema.org terms, and the dish ↔ serving vessel link both ways.
TERMS_NS = "urn:heritage-archive:terms:"
CONTEXT: dict[str, Any] = {
    "@vocab": "https://schema.org/",
    "hca": TERMS_NS,
    "servingVessel": {"@id": "hca:servingVessel", "@type": "@id"},
    "servingVesselOf": {"@id": "hca:servingVesselOf", "@type": "@id"},
    "sameAs": {"@id": "https://schema.org/sameAs", "@type": "@id"},
    "pointInModel": "hca:pointInModel",
    "normalInModel": "hca:normalInModel",
    "recordKind": "hca:recordKind",
}
_SEED_TERMS = Terms()


def item_iri(record: Mapping[str, Any], base_url: str = "", rel: str = "") -> str:
    """The item's one identifier in every language: ``base_url + rel`` (its folder in the site)
    when the site's address is known, else a name-based ``urn:uuid`` from the accession."""
    if base_url and rel:
        return base_url + rel
    key = str(record.get("accession") or f"id-{record.get('id')}")
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "heritage-archive:item:" + key))


def model_iri(item: str) -> str:
    if item.startswith("urn:uuid:"):
        return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "heritage-archive:model:" + item))
    return item + "#model"


def temporal_coverage(record: Mapping[str, Any]) -> str | None:
    """ISO 8601 year or interval from ``year_from``/``year_to`` (``1841/1847``), else None."""
    years = [record.get("year_from"), record.get("year_to")]
    shown = [f"{int(y):04d}" if int(y) >= 0 else f"-{abs(int(y)):04d}" for y in years if y not in (None, "")]
    if not shown:
        return None
    return shown[0] if len(shown) == 1 or shown[0] == shown[1] else f"{shown[0]}/{shown[1]}"

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


def build(record: Mapping[str, Any], lang: str, urls: Mapping[str, Any], terms: Terms | None = None,
          iri: str | None = None, related: Sequence[str] = (), research: Sequence[PublicRecord] = ()) -> dict[str, Any]:
    """The JSON-LD document for ``record`` in ``lang``.

    ``urls`` gives ``page``, ``model`` (GLB), ``image`` (poster) and ``model_bytes`` as
    (absolute or page-relative) URLs; missing ones are left out. ``iri`` is the item's
    identifier (:func:`item_iri` by default); ``related`` the IRIs of published items linked
    to it: a dish's serving vessel, or the dishes a vessel serves; ``research`` the item's
    published records (annotations and landmarks become parts of the 3D model).
    """
    terms = terms or _SEED_TERMS
    page = urls.get("page") or ""
    item_id = iri or item_iri(record)
    model_id = model_iri(item_id)
    other = "en" if lang == "vi" else "vi"
    alternate = title(record, other) if title(record, other) != title(record, lang) else None
    licence = licence_url(record.get("model_licence")) or record.get("model_licence")
    item = _clean({
        "@type": TYPES.get(str(record.get("kind")), "CreativeWork"), "@id": item_id,
        "name": title(record, lang), "alternateName": alternate, "description": text(record, "description", lang),
        "inLanguage": lang, "identifier": record.get("accession"), "url": page or None, "image": urls.get("image"),
        "keywords": _keywords(record, lang, terms), "subjectOf": {"@id": model_id},
        "copyrightNotice": record.get("object_rights"),
        "temporalCoverage": temporal_coverage(record) or _term(terms, "periods", record.get("period"), lang),
    })
    item.update(_dish(record, lang, terms) if record.get("kind") == "dish" else _relic(record, lang, terms))
    if related:
        key = "servingVessel" if record.get("kind") == "dish" else "servingVesselOf"
        item[key] = related[0] if key == "servingVessel" else list(related)
    encoding = _clean({"@type": "MediaObject", "contentUrl": urls.get("model"), "encodingFormat": "model/gltf-binary",
                       "contentSize": urls.get("model_bytes")})
    ar = _clean({"@type": "MediaObject", "contentUrl": urls.get("usdz"), "encodingFormat": "model/vnd.usdz+zip"})
    model = _clean({
        "@type": "3DModel", "@id": model_id, "name": title(record, lang), "inLanguage": lang,
        "about": {"@id": item_id}, "image": urls.get("image"), "license": licence,
        "encoding": [e for e in (encoding, ar) if e.get("contentUrl")],
        "creditText": record.get("model_credit"), "isResizable": False, **_paradata(record, lang, terms),
        "hasPart": [_annotation(r, lang, model_id) for r in research if r.is_hotspot],
    })
    return {"@context": CONTEXT, "@graph": [item, model]}


def _term(terms: Terms, vocabulary: str, value: Any, lang: str) -> str | None:
    return terms.label(vocabulary, value, lang) if value not in (None, "") else None


def _defined_term(terms: Terms, vocabulary: str, value: Any, lang: str) -> dict[str, Any]:
    """A vocabulary value as a ``DefinedTerm`` named in ``lang``, aligned by ``sameAs``."""
    return _clean({"@type": "DefinedTerm", "name": terms.label(vocabulary, value, lang), "termCode": str(value),
                   "inDefinedTermSet": f"{TERMS_NS}vocabulary:{vocabulary}",
                   "sameAs": terms.same_as(vocabulary, value)})


def _paradata(record: Mapping[str, Any], lang: str, terms: Terms) -> dict[str, Any]:
    """How the 3D model was made: who (the credited body), when, and by which method."""
    model = record.get("model") or {}
    credit = record.get("model_credit")
    return _clean({
        "creator": {"@type": "Organization", "name": credit} if credit else None,
        "dateCreated": model.get("capture_date"),
        "measurementTechnique": _aligned(terms, "capture_methods", model.get("capture_method"), lang),
    })


def _aligned(terms: Terms, vocabulary: str, value: Any, lang: str) -> Any:
    """A vocabulary value as a ``DefinedTerm`` when staff aligned it (AAT/Wikidata), else its label."""
    if value in (None, ""):
        return None
    return _defined_term(terms, vocabulary, value, lang) if terms.same_as(vocabulary, value) \
        else terms.label(vocabulary, value, lang)


def _keywords(record: Mapping[str, Any], lang: str, terms: Terms) -> Any:
    """The tags as one text, then the aligned period and culinary line as ``DefinedTerm`` nodes."""
    tags = ", ".join(record.get("tags") or []) or None
    aligned = [_defined_term(terms, vocabulary, record[name], lang)
               for name, vocabulary in (("period", "periods"), ("culinary_line", "culinary_lines"))
               if record.get(name) and terms.same_as(vocabulary, record[name])]
    if not aligned:
        return tags
    return [tags, *aligned] if tags else aligned


def _in(lang: str, shown: tuple[str, str]) -> Any:
    """A text of the page's language as is; one that fell back to the other language tagged."""
    value, value_lang = shown
    if not value:
        return None
    return value if value_lang == lang else {"@value": value, "@language": value_lang}


def _vector(name: str, values: Sequence[float]) -> dict[str, Any]:
    """A point (metres) or a unit normal in the published model's frame, as "x y z"."""
    point = name == "position"
    what = "metres" if point else "unit vector"
    xyz = " ".join(f"{round(v, 6) + 0.0:.6f}" for v in values)  # + 0.0: never "-0.000000"
    return _clean({"@type": "PropertyValue", "name": name, "value": xyz,
                   "unitCode": "MTR" if point else None,
                   "description": f"x y z in the 3D model's glTF frame (y up, {what})"})


def _annotation(record: PublicRecord, lang: str, model_id: str) -> dict[str, Any]:
    """A public annotation or landmark as a ``Comment`` on the 3D model."""
    return _clean({
        "@type": "Comment", "@id": record.iri, "recordKind": record.kind, "inLanguage": lang,
        "name": _in(lang, record.title(lang)), "text": _in(lang, record.shown("text", lang)),
        "about": {"@id": model_id}, "position": record.stop,
        "pointInModel": _vector("position", record.points_m[0]),
        "normalInModel": _vector("normal", record.normal_m) if record.normal_m else None,
    })


def _dish(r: Mapping[str, Any], lang: str, terms: Terms) -> dict[str, Any]:
    prep, cook = r.get("prep_minutes"), r.get("cook_minutes")
    total = (prep or 0) + (cook or 0) if prep is not None or cook is not None else None
    cuisine = ", ".join(x for x in ("Vietnamese", r.get("region")) if x)
    return _clean({
        "recipeIngredient": list(r.get("ingredients") or []),
        "recipeInstructions": [{"@type": "HowToStep", "position": n + 1, "text": s}
                               for n, s in enumerate(r.get("steps") or [])],
        "recipeCuisine": cuisine, "recipeCategory": _term(terms, "culinary_lines", r.get("culinary_line"), lang),
        "cookingMethod": r.get("cooking_method"),
        "prepTime": _minutes(prep), "cookTime": _minutes(cook), "totalTime": _minutes(total),
        "recipeYield": r.get("yield_text"),
        "author": {"@type": "Person", "name": r["practitioner"]} if r.get("practitioner") else None,
    })


def _relic(r: Mapping[str, Any], lang: str, terms: Terms) -> dict[str, Any]:
    unit = UNIT_CODES.get(str(r.get("dimension_unit") or ""))
    dims = {k: {"@type": "QuantitativeValue", "value": r[k], "unitCode": unit}
            for k in ("height", "width", "depth") if r.get(k) is not None and unit}
    place = _clean({"@type": "Place", "name": r.get("place_name"), "geo": _clean({
        "@type": "GeoCoordinates", "latitude": r.get("place_lat"), "longitude": r.get("place_lon")})
        if r.get("place_lat") is not None else None})
    return _clean({
        **dims,
        "artMedium": ", ".join(terms.label("materials", m, lang) for m in r.get("materials") or []) or None,
        "artform": r.get("object_type"),
        "material": [_defined_term(terms, "materials", m, lang) for m in r.get("materials") or []],
        "creator": {"@type": "Person", "name": r["creator"]} if r.get("creator") else None,
        "dateCreated": r.get("date_text"), "contentLocation": place if len(place) > 1 else None,
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
