"""``heritage open-data --out DIR``: the public catalogue as open data.

Writes, from the same allow-list as the site (published items only, through
:func:`archive.publish.public.public_record`: no private field, no sensitive coordinates)::

    heritage.db      SQLite: items, assets, annotations, vocabulary (bilingual labels, licence and
                     credit per row, AAT/Wikidata ids of terms)
    metadata.json    Datasette metadata: title, licence, source, vi/en column descriptions, facets, queries
    dcat.jsonld      DCAT dataset description for national portals
    items.csv, assets.csv, annotations.csv, vocabulary.csv   dumps
    items.jsonld, vocabulary.jsonld                          schema.org dumps (annotations in the items')

Annotations are the public research records of published items (:mod:`.annotations`: public
ones only, on the published master, reviewed), each with its points twice: as recorded, in the
master scan's coordinates and units, and in the frame of the published web model (metres, y up;
what the site's hotspots use).

``datasette DIR/heritage.db -m DIR/metadata.json`` serves it (``pip install heritage-archive[publish]``).
The database is a new file written with sqlite-utils' table API; it is not the catalogue.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from archive.errors import SiteFolderInUse
from archive.fields import ITEM_FIELD, PUBLIC_ITEM_FIELDS
from archive.search import SearchQuery

from . import jsonld
from .annotations import ItemResearch, PublicRecord, item_research, value_unit
from .export import resolve_up_axis
from .public import NOT_PUBLISHED, Terms, choice_label, master_asset, public_record, title, value_label

if TYPE_CHECKING:
    from archive.service import Archive

FILES = ("heritage.db", "metadata.json", "dcat.jsonld", "items.csv", "assets.csv", "annotations.csv", "vocabulary.csv",
         "items.jsonld", "vocabulary.jsonld")
#: Item columns with a vocabulary or choice value get an ``_en`` twin holding the English label.
LABELLED = ("kind", "period", "materials", "culinary_line", "specimen", "model_licence")
ASSET_COLUMNS = ("format", "geometry", "vertices", "faces", "points", "textured", "vertex_colors", "units",
                 "capture_method", "capture_date", "accuracy_mm", "scale_reference")


@dataclass
class OpenDataReport:
    out: Path
    items: int = 0
    files: list[str] = field(default_factory=list)
    annotations: int = 0
    notes: list[str] = field(default_factory=list)


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def item_row(record: Mapping[str, Any], terms: Terms, iri: str, vessel: int | None) -> dict[str, Any]:
    """One ``items`` row: every public field, English labels beside vocabulary values, licence URL."""
    row: dict[str, Any] = {"id": record["id"], "iri": iri, "title": title(record, "vi")}
    for name in PUBLIC_ITEM_FIELDS:  # every column in every export, so facets and queries always work
        if name in NOT_PUBLISHED:
            continue
        row[name] = _cell(record.get(name))  # absent: empty, private or a sensitive place's coordinates
        if name in LABELLED:
            row[f"{name}_en"] = _cell(value_label(name, record.get(name), "en", terms))
    row["kind_vi"] = choice_label("kind", record.get("kind"), "vi")
    row["licence_url"] = jsonld.licence_url(record.get("model_licence"))
    row["temporal_coverage"] = jsonld.temporal_coverage(record)
    row["serving_vessel_id"] = vessel
    return row


def asset_row(record: Mapping[str, Any], terms: Terms) -> dict[str, Any] | None:
    model = record.get("model")
    if not model:
        return None
    row = {"item_id": record["id"], **{k: model.get(k) for k in ASSET_COLUMNS}}
    row["capture_method_en"] = terms.label("capture_methods", model.get("capture_method"), "en") \
        if model.get("capture_method") else None
    size = model.get("size") or [None, None, None]
    row.update({"size_x": size[0], "size_y": size[1], "size_z": size[2]})
    row.update({"licence": record.get("model_licence"), "licence_url": jsonld.licence_url(record.get("model_licence")),
                "credit": record.get("model_credit")})
    return row


def annotation_row(record: Mapping[str, Any], iri: str, note: PublicRecord) -> dict[str, Any]:
    """One ``annotations`` row: a public record of a published item, its points as recorded
    (master coordinates, ``master_unit``) and in the published model's frame (metres, y up)."""
    first = note.points_m[0] if note.points_m else [None, None, None]
    view = note.view_m
    return {
        "uid": note.uid, "item_id": record["id"], "item_iri": iri, "accession": record.get("accession"),
        "kind": note.kind, "measure": note.measure, "value": note.value,
        "value_unit": value_unit(note.measure, note.master_unit) if note.measure else None,
        **{k: note.texts.get(k) for k in ("title_vi", "title_en", "text_vi", "text_en")},
        "x_m": first[0], "y_m": first[1], "z_m": first[2], "points_m": _cell(note.points_m),
        "normal_m": _cell(note.normal_m) if note.normal_m else None,
        "points_master": _cell(note.points), "master_unit": note.master_unit,
        "normal_master": _cell(note.normal) if note.normal else None,
        "tour_stop": note.stop, "view_m": _cell(view) if view else None,
        "licence": record.get("model_licence"), "licence_url": jsonld.licence_url(record.get("model_licence")),
        "credit": record.get("model_credit"),
    }


def _research(archive: Archive, item: Mapping[str, Any]) -> ItemResearch:
    asset = master_asset(item)
    if asset is None:
        return ItemResearch()
    return item_research(archive, int(item["id"]), asset, resolve_up_axis("auto", asset))


def write_open_data(archive: Archive, out: Path, base_url: str = "", collection: str | None = None) -> OpenDataReport:
    """Write the open data files into ``out`` (new, empty, or holding only an earlier open-data export)."""
    out.mkdir(parents=True, exist_ok=True)
    foreign = sorted(p.name for p in out.iterdir() if p.name not in FILES)
    if foreign:
        raise SiteFolderInUse(f"{out} holds {foreign[0]}, which open-data did not write; choose an empty folder")
    base_url = base_url.rstrip("/") + "/" if base_url else ""
    terms = Terms.from_archive(archive)
    ids = archive.search_ids(SearchQuery(collection=collection, status="published", sort="title"))
    items = {i: archive.get(i) for i in ids}
    records = {i: public_record(item) for i, item in items.items()}
    iris = {i: jsonld.item_iri(records[i], "", "") for i in ids}  # site folders are the site's: a stable urn
    rows, assets, graph = [], [], []
    notes_rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for i in ids:
        research = _research(archive, items[i])
        notes_rows.extend(annotation_row(records[i], iris[i], r) for r in research.records)
        notes.extend(f"{records[i].get('accession') or i}: {n}" for n in research.notes)
        vessel = items[i].get("serving_vessel") if records[i].get("kind") == "dish" else None
        vessel = vessel if vessel in records else None  # only a published vessel is named
        rows.append(item_row(records[i], terms, iris[i], vessel))
        asset = asset_row(records[i], terms)
        if asset:
            assets.append(asset)
        related = [iris[vessel]] if vessel else [iris[d] for d in ids if items[d].get("serving_vessel") == i
                                                    and records[d].get("kind") == "dish"]
        for lang in ("vi", "en"):
            graph.extend(jsonld.build(records[i], lang, {}, terms, iris[i], related, research.records)["@graph"])
    vocab = [{"vocabulary": name, "value": t["value"], "label_en": t.get("label_en") or None,
              "external_id": t.get("external_id") or None,
              "same_as": _cell(terms.same_as(name, t["value"])) if terms.same_as(name, t["value"]) else None}
             for name in archive.vocabulary_names() for t in archive.vocabulary(name)]
    _database(out / "heritage.db", rows, assets, notes_rows, vocab)
    for name, table in (("items.csv", rows), ("assets.csv", assets), ("annotations.csv", notes_rows),
                        ("vocabulary.csv", vocab)):
        _csv(out / name, table, ANNOTATION_COLUMNS if name == "annotations.csv" else ())
    _json(out / "items.jsonld", {"@context": jsonld.CONTEXT, "@graph": graph})
    _json(out / "vocabulary.jsonld", vocabulary_jsonld(vocab))
    _json(out / "metadata.json", datasette_metadata(base_url))
    _json(out / "dcat.jsonld", dcat(base_url, len(rows)))
    return OpenDataReport(out, len(rows), list(FILES), len(notes_rows), notes)


#: Columns of ``annotations`` in order, so the table and its CSV exist even with no annotation.
ANNOTATION_COLUMNS = ("uid", "item_id", "item_iri", "accession", "kind", "measure", "value", "value_unit", "title_vi",
                      "title_en", "text_vi", "text_en", "x_m", "y_m", "z_m", "points_m", "normal_m", "points_master",
                      "master_unit", "normal_master", "tour_stop", "view_m", "licence", "licence_url", "credit")
_ANNOTATION_TYPES = {"item_id": int, "value": float, "x_m": float, "y_m": float, "z_m": float, "tour_stop": int}


def _database(path: Path, items: list[dict[str, Any]], assets: list[dict[str, Any]], notes: list[dict[str, Any]],
              vocab: list[dict[str, Any]]) -> None:
    staged = path.with_name(path.name + ".part")
    staged.unlink(missing_ok=True)
    db = sqlite_utils.Database(staged)
    db.table("items").insert_all(items, pk="id", alter=True)
    db.table("assets").insert_all(assets, alter=True, foreign_keys=[("item_id", "items", "id")])
    if not db.table("items").exists():
        db.table("items").create({"id": int}, pk="id")
    db.table("annotations").create({c: _ANNOTATION_TYPES.get(c, str) for c in ANNOTATION_COLUMNS}, pk="uid",
                                   foreign_keys=[("item_id", "items", "id")])
    db.table("annotations").insert_all(notes)
    db.table("vocabulary").insert_all(vocab, pk=("vocabulary", "value"))
    for table in ("assets", "vocabulary"):
        if not db.table(table).exists():
            db.table(table).create({"id": int}, pk="id")
    db.close()
    staged.replace(path)


def vocabulary_jsonld(vocab: list[dict[str, Any]]) -> dict[str, Any]:
    """Every vocabulary as a schema.org ``DefinedTermSet`` of ``DefinedTerm``: the Vietnamese
    value, its English label, and ``sameAs`` the Getty AAT / Wikidata entities staff aligned it with."""
    sets: dict[str, list[dict[str, Any]]] = {}
    for t in vocab:
        names = [{"@value": t["value"], "@language": "vi"}]
        names += [{"@value": t["label_en"], "@language": "en"}] if t.get("label_en") else []
        term = {"@type": "DefinedTerm", "termCode": t["value"], "name": names,
                "inDefinedTermSet": {"@id": f"{jsonld.TERMS_NS}vocabulary:{t['vocabulary']}"}}
        if t.get("same_as"):
            term["sameAs"] = json.loads(t["same_as"])
        sets.setdefault(t["vocabulary"], []).append(term)
    graph = [{"@type": "DefinedTermSet", "@id": f"{jsonld.TERMS_NS}vocabulary:{name}", "name": name,
              "hasDefinedTerm": terms} for name, terms in sets.items()]
    return {"@context": jsonld.CONTEXT, "@graph": graph}


def _csv(path: Path, rows: list[dict[str, Any]], columns_: tuple[str, ...] = ()) -> None:
    columns = list(columns_) or list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows:  # a cell starting with =, +, -, @ is text, not a formula, in spreadsheets
            writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in row.items()})


def _json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


TITLE = "Di sản & Ẩm thực Huế 3D — Hue Heritage & Cuisine in 3D"
DESCRIPTION = ("Danh mục công khai các hiện vật và món ăn Huế có mô hình 3D. / Public catalogue of Hue relics "
               "and dishes with 3D models.")
LICENSE = ("Metadata CC0-1.0; each 3D model under the licence in its row",
           "https://creativecommons.org/publicdomain/zero/1.0/")


def _columns() -> dict[str, str]:
    cols = {name: f"{f.label_vi} / {f.label_en}" for name, f in ITEM_FIELD.items()}
    cols.update({f"{n}_en": f"{ITEM_FIELD[n].label_vi} (nhãn tiếng Anh) / {ITEM_FIELD[n].label_en} (English label)"
                 for n in LABELLED}, iri="Định danh (IRI) / Identifier (IRI)", title="Tên hiển thị / Display title",
                licence_url="Địa chỉ giấy phép / Licence URL", kind_vi="Loại (tiếng Việt) / Kind (Vietnamese)",
                temporal_coverage="Khoảng năm (ISO 8601) / Years (ISO 8601)",
                serving_vessel_id="Đồ đựng (mã hiện vật) / Serving vessel (item id)")
    return cols


#: Column notes of ``annotations``, Vietnamese / English.
ANNOTATION_NOTES = {
    "uid": "Mã bản ghi (không đổi giữa các kho) / Record id (the same in every archive)",
    "item_id": "Hiện vật (mã) / Item (id)", "item_iri": "Định danh hiện vật (IRI) / Item identifier (IRI)",
    "accession": "Số đăng ký của hiện vật / Item accession number",
    "kind": "Loại: annotation (chú thích), landmark (điểm mốc), measurement (phép đo) / "
            "Kind: annotation, landmark or measurement",
    "measure": "Phép đo: distance, polyline, angle, area / Measure: distance, polyline, angle, area",
    "value": "Giá trị đo, tính từ các điểm (đơn vị ở value_unit) / Measured value, computed from the points "
             "(unit in value_unit)",
    "value_unit": "Đơn vị của giá trị: đơn vị của bản quét gốc, ° cho góc, đơn vị² cho diện tích / Unit of the value: "
                  "the master scan's unit, ° for an angle, unit² for an area",
    "title_vi": "Tiêu đề (tiếng Việt) / Title (Vietnamese)", "title_en": "Tiêu đề (tiếng Anh) / Title (English)",
    "text_vi": "Nội dung (tiếng Việt) / Text (Vietnamese)", "text_en": "Nội dung (tiếng Anh) / Text (English)",
    "x_m": "X của điểm (đầu tiên), mét, trong hệ toạ độ của mô hình web (trục Y hướng lên) / X of the (first) point, "
           "metres, in the published web model's frame (Y up)",
    "y_m": "Y của điểm (đầu tiên), mét, mô hình web, Y hướng lên / Y of the (first) point, metres, web model, Y up",
    "z_m": "Z của điểm (đầu tiên), mét, mô hình web / Z of the (first) point, metres, web model",
    "points_m": "Mọi điểm [[x, y, z], …], mét, trong hệ toạ độ của mô hình web (glTF: Y hướng lên), như các điểm "
                "chú thích trên trang / Every point [[x, y, z], …], metres, in the published web model's frame "
                "(glTF: Y up), where the site's hotspots sit",
    "normal_m": "Pháp tuyến (vectơ đơn vị), mô hình web / Surface normal (unit vector), web model frame",
    "points_master": "Mọi điểm như đã ghi, trong toạ độ và đơn vị của bản quét gốc (master_unit) / Every point as "
                     "recorded, in the master scan's own coordinates and units (master_unit)",
    "master_unit": "Đơn vị toạ độ của bản quét gốc (mm, cm, m, in; trống: chưa rõ) / Coordinate unit of the master "
                   "scan (mm, cm, m, in; empty: unknown)",
    "normal_master": "Pháp tuyến trong toạ độ bản quét gốc / Surface normal in the master scan's coordinates",
    "tour_stop": "Thứ tự trong chuyến tham quan có hướng dẫn (trống: không phải điểm dừng) / Place in the guided "
                 "tour (empty: not a stop)",
    "view_m": "Góc nhìn đã lưu (eye, target, up, fov độ), mô hình web / Saved view (eye, target, up, fov in degrees), "
              "web model frame",
    "licence": "Giấy phép (theo mô hình 3D) / Licence (that of the 3D model)",
    "licence_url": "Địa chỉ giấy phép / Licence URL", "credit": "Ghi công / Credit",
}


def datasette_metadata(base_url: str = "") -> dict[str, Any]:
    """Datasette's ``metadata.json``: title, licence, source, bilingual column notes, facets, queries."""
    return {
        "title": TITLE, "description": DESCRIPTION, "license": LICENSE[0], "license_url": LICENSE[1],
        "source": "Heritage & Cuisine 3D Archive", "source_url": base_url or None,
        "databases": {"heritage": {
            "tables": {
                "items": {"description": "Hiện vật và món ăn đã công bố / Published relics and dishes",
                          "columns": _columns(), "sort": "accession",
                          "facets": ["kind_en", "period_en", "culinary_line_en", "model_licence", "collections"]},
                "assets": {"description": "Mô hình 3D gốc (kỹ thuật) / Master 3D scans (technical)",
                           "facets": ["format", "capture_method_en", "licence"]},
                "annotations": {"description": "Chú thích, điểm mốc và phép đo công khai trên mô hình 3D / Public "
                                               "annotations, landmarks and measurements on the 3D models",
                                "columns": ANNOTATION_NOTES, "sort": "item_id",
                                "facets": ["kind", "measure", "value_unit", "licence"]},
                "vocabulary": {"description": "Từ vựng kiểm soát, nhãn tiếng Anh, mã Getty AAT / Wikidata / "
                                              "Controlled terms, English labels, Getty AAT / Wikidata ids",
                               "columns": {"external_id": "Mã Getty AAT hoặc Wikidata do cán bộ ghi / Getty AAT or "
                                                          "Wikidata id recorded by staff",
                                           "same_as": "Mọi mã tương đương đã biết (JSON) / Every known equivalent "
                                                      "(JSON)"},
                               "facets": ["vocabulary"]},
            },
            "queries": {
                "relics_by_period": {"title": "Hiện vật theo thời kỳ / Relics by period",
                                     "sql": "select period, period_en, count(*) as n from items where kind = 'relic' "
                                            "group by period, period_en order by n desc"},
                "dishes_with_vessels": {"title": "Món ăn và đồ đựng / Dishes and their serving vessels",
                                        "sql": "select d.accession, d.title, v.accession as vessel, v.title as "
                                               "vessel_title from items d join items v on v.id = d.serving_vessel_id"},
                "item_annotations": {"title": "Chú thích của một hiện vật / Annotations of one item",
                                     "description": "Theo số đăng ký, theo thứ tự tham quan / By accession number, "
                                                    "in tour order",
                                     "sql": "select a.kind, a.title_vi, a.title_en, a.text_vi, a.text_en, a.measure, "
                                            "a.value, a.value_unit, a.x_m, a.y_m, a.z_m, a.tour_stop, a.uid "
                                            "from annotations a join items i on i.id = a.item_id "
                                            "where i.accession = :accession "
                                            "order by a.tour_stop is null, a.tour_stop, a.rowid"},
                "items_with_places": {"title": "Hiện vật có tọa độ / Items with coordinates",
                                      "sql": "select accession, title, place_name, place_lat, place_lon from items "
                                             "where place_lat is not null"},
            },
        }},
    }


def dcat(base_url: str, items: int) -> dict[str, Any]:
    """A DCAT dataset with its distributions (relative URLs unless ``base_url`` is given)."""
    def dist(name: str, media: str, title_: str) -> dict[str, Any]:
        return {"@type": "dcat:Distribution", "dct:title": title_, "dcat:downloadURL": {"@id": base_url + name},
                "dcat:mediaType": media, "dct:license": {"@id": LICENSE[1]}}
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "@base": base_url or "urn:heritage-archive:open-data:"},
        "@id": base_url or "urn:heritage-archive:open-data:dataset", "@type": "dcat:Dataset",
        "dct:title": [{"@value": "Di sản & Ẩm thực Huế 3D", "@language": "vi"},
                      {"@value": "Hue Heritage & Cuisine in 3D", "@language": "en"}],
        "dct:description": DESCRIPTION, "dct:license": {"@id": LICENSE[1]},
        "dct:modified": datetime.now(UTC).date().isoformat(), "dct:language": ["vi", "en"],
        "dcat:keyword": ["heritage", "cuisine", "3D", "Huế", "di sản", "ẩm thực"],
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "Heritage & Cuisine 3D Archive"},
        "dct:extent": f"{items} items",
        "dcat:distribution": [dist("heritage.db", "application/vnd.sqlite3", "SQLite (Datasette)"),
                              dist("items.csv", "text/csv", "Items (CSV)"),
                              dist("assets.csv", "text/csv", "3D models (CSV)"),
                              dist("annotations.csv", "text/csv", "Annotations, landmarks, measurements (CSV)"),
                              dist("vocabulary.csv", "text/csv", "Vocabulary (CSV)"),
                              dist("items.jsonld", "application/ld+json", "Items (JSON-LD, schema.org)"),
                              dist("vocabulary.jsonld", "application/ld+json",
                                   "Vocabulary with Getty AAT / Wikidata links (JSON-LD)")],
    }
