"""The publishing allowlist: the only view of an item that export code may read.

Everything that leaves the archive (HTML, JSON-LD, GLB extras, the site's search index,
file names) is built from :func:`public_record`, never from ``Archive.get`` directly. A
field is public when ``archive.fields`` says so; coordinates are withheld when the item
flags them as sensitive. Asset paradata is reduced to technical, non-personal values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from archive.fields import ITEM_FIELD, PUBLIC_ITEM_FIELDS
from archive.text import fold

#: Public item fields that are still not published: internal bookkeeping, not description.
NOT_PUBLISHED = frozenset({"status", "place_sensitive", "serving_vessel"})
#: Asset values that may be published (technical description of the master scan).
PUBLIC_ASSET_KEYS = ("format", "geometry", "vertices", "faces", "points", "textured", "vertex_colors",
                     "units", "capture_method", "capture_date", "accuracy_mm", "scale_reference")
SENSITIVE_COORDINATES = ("place_lat", "place_lon")


def public_record(item: Mapping[str, Any]) -> dict[str, Any]:
    """Public fields of ``item`` (as returned by ``Archive.get``), empty values dropped.

    Never contains a private field, nor ``place_lat``/``place_lon`` when
    ``place_sensitive`` is set. ``id`` is kept (it names nothing outside the archive).
    """
    record: dict[str, Any] = {"id": item.get("id")}
    for name in PUBLIC_ITEM_FIELDS:
        if name in NOT_PUBLISHED or ITEM_FIELD[name].private:
            continue
        if name in SENSITIVE_COORDINATES and item.get("place_sensitive"):
            continue
        value = item.get(name)
        if value in (None, "", []):
            continue
        record[name] = list(value) if isinstance(value, list) else value
    master = master_asset(item)
    if master is not None:
        record["model"] = public_asset(master)
    return record


def master_asset(item: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The asset ``Archive.master_path`` would pick: the newest master, else the newest asset."""
    assets = list(item.get("assets") or [])
    if not assets:
        return None
    masters = [a for a in assets if a.get("role") == "master"] or assets
    return max(masters, key=lambda a: a.get("id") or 0)


def public_asset(asset: Mapping[str, Any]) -> dict[str, Any]:
    """Technical, non-personal description of a scan (no operator, device serials, paths)."""
    out = {k: asset.get(k) for k in PUBLIC_ASSET_KEYS if asset.get(k) not in (None, "", [])}
    bbox = asset.get("bbox") or {}
    if bbox.get("min") and bbox.get("max"):
        out["size"] = [round(float(b) - float(a), 6) for a, b in zip(bbox["min"], bbox["max"], strict=True)]
    return out


def title(record: Mapping[str, Any], lang: str = "vi") -> str:
    """Display title in ``lang``, falling back to the other language, then the accession."""
    other = "en" if lang == "vi" else "vi"
    return str(record.get(f"title_{lang}") or record.get(f"title_{other}") or record.get("accession") or "")


def text(record: Mapping[str, Any], name: str, lang: str) -> str:
    """A bilingual text field in ``lang`` with fallback to the other language."""
    other = "en" if lang == "vi" else "vi"
    return str(record.get(f"{name}_{lang}") or record.get(f"{name}_{other}") or "")


_UNSAFE = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 80


def slug(record: Mapping[str, Any]) -> str:
    """A file-name-safe name from the (public) accession number, distinct for distinct
    accessions, also on disks that ignore case: ``HUE-0001`` → ``hue-0001``.

    Folding accents and case loses information (``HUE-Đ1``, ``HUE-D1`` and ``hue-d1`` all
    fold to ``hue-d1``), so unless the accession is exactly the upper-case form of its
    folded name, a short hash of the exact accession follows a double hyphen, which a
    folded name never contains: ``HUE-Đ1`` → ``hue-d1--5c1f0a2e``. Items without an
    accession are ``item--id-<id>``.
    """
    accession = str(record.get("accession") or "")
    base = _UNSAFE.sub("-", fold(accession)).strip("-")
    if not base:
        return f"item--id-{record.get('id')}"
    if accession == base.upper() and len(base) <= SLUG_MAX:
        return base
    digest = hashlib.sha256(accession.encode("utf-8")).hexdigest()[:8]
    return f"{base[:SLUG_MAX - 10].rstrip('-')}--{digest}"


def search_terms(record: Mapping[str, Any]) -> str:
    """Accent-folded text of the public searchable fields (the site's client-side index)."""
    parts: list[str] = []
    for name, field in ITEM_FIELD.items():
        if not field.searchable or field.private:
            continue
        value = record.get(name)
        if isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif value:
            parts.append(str(value))
    return fold(" ".join(parts))


# -- bilingual values of vocabularies and choices ---------------------------------------------
#: Labels of the fixed choices (``archive.fields`` stores only the values): value → (vi, en).
CHOICE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {"relic": ("Hiện vật", "Relic"), "dish": ("Món ăn", "Dish"), "other": ("Khác", "Other")},
    "status": {"draft": ("Bản nháp", "Draft"), "reviewed": ("Đã duyệt", "Reviewed"),
               "published": ("Đã công bố", "Published")},
    "specimen": {"real": ("Món thật", "Real food"), "replica": ("Mô hình", "Replica")},
    "dimension_unit": {"mm": ("mm", "mm"), "cm": ("cm", "cm"), "m": ("m", "m")},
}


class Terms:
    """English labels (and aligned external ids) of vocabulary values, from the archive's
    vocabulary table: ``Terms.from_archive(archive)``; ``Terms()`` uses the seeded terms only.

    Vietnamese is the stored value; English falls back to the value when no label is recorded.
    """

    def __init__(self, vocabularies: Mapping[str, list[dict[str, Any]]] | None = None):
        from archive.vocab import SEED_TERM_IDS, SEED_VOCABULARIES

        if vocabularies is None:
            vocabularies = {name: [{"value": v, "label_en": en} for v, en in terms]
                            for name, terms in SEED_VOCABULARIES.items()}
        self.english: dict[str, dict[str, str]] = {}
        self.ids: dict[str, dict[str, list[str]]] = {}
        for name, rows in vocabularies.items():
            self.english[name] = {str(r["value"]): str(r.get("label_en") or "") for r in rows}
            seeded = SEED_TERM_IDS.get(name, {})
            # Hook: a catalogue that stores an external id per term returns it as "external_id".
            self.ids[name] = {str(r["value"]): [x for x in (r.get("external_id"), *seeded.get(str(r["value"]), ()))
                                                if x] for r in rows}

    @classmethod
    def from_archive(cls, archive: Any) -> Terms:
        """Every vocabulary of ``archive`` (via ``Archive.vocabulary_names``/``vocabulary``)."""
        return cls({name: archive.vocabulary(name) for name in archive.vocabulary_names()})

    def label(self, vocabulary: str, value: Any, lang: str) -> str:
        """``value`` in ``lang``: the English label of a term, or the value itself."""
        if lang == "en":
            return self.english.get(vocabulary, {}).get(str(value)) or str(value)
        return str(value)

    def same_as(self, vocabulary: str, value: Any) -> list[str]:
        """Getty AAT / Wikidata IRIs recorded for a term (empty when none)."""
        return list(self.ids.get(vocabulary, {}).get(str(value), []))


def choice_label(field_name: str, value: Any, lang: str) -> str:
    """Label of a fixed choice (kind, status, specimen…) in ``lang``; the value when unknown."""
    pair = CHOICE_LABELS.get(field_name, {}).get(str(value))
    return (pair[0] if lang == "vi" else pair[1]) if pair else str(value)


def value_label(field_name: str, value: Any, lang: str, terms: Terms) -> Any:
    """A field's value as shown in ``lang``: vocabulary terms and choices labelled, lists item by item."""
    field_ = ITEM_FIELD.get(field_name)
    if field_ is None or value in (None, ""):
        return value
    if isinstance(value, list):
        return [value_label(field_name, v, lang, terms) for v in value]
    if field_.vocabulary:
        return terms.label(field_.vocabulary, value, lang)
    if field_name in CHOICE_LABELS:
        return choice_label(field_name, value, lang)
    return value
