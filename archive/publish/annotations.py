"""Research records as they are published: public ones only, placed on the web model.

Records (``Archive.records``) are kept in the master's own coordinates and units. What is
published — hotspots and tour stops on item pages, JSON-LD, open data — is built from
:class:`PublicRecord`, made here and nowhere else:

* only records with ``public`` set (asked of the archive with ``public_only=True`` and checked
  again here), and only the fields in :data:`PUBLIC_RECORD_FIELDS` (never who made or changed
  a record, nor its review state);
* only records on the master version that is published (a record left on an older version
  would float off the model) whose review is "ok" (one flagged ``needs_review`` after a new
  master may no longer sit on the surface); what is left out is said in ``notes``;
* points, normals and saved views also in the web GLB's frame, through the same
  :func:`.modelframe.model_frame` as the GLB export itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .modelframe import ModelFrame, model_frame

if TYPE_CHECKING:
    from archive.service import Archive

#: The only record fields that may be published.
PUBLIC_RECORD_FIELDS = ("uid", "kind", "measure", "points", "value", "unit", "normal", "title_vi", "title_en",
                        "text_vi", "text_en", "view")
#: Kinds shown as hotspots on the model (each has one point and a title).
HOTSPOT_KINDS = ("annotation", "landmark")
#: Names of measures, (vi, en), for records published without a title of their own.
MEASURE_NAMES = {"distance": ("Khoảng cách", "Distance"), "polyline": ("Chiều dài đường đo", "Path length"),
                 "angle": ("Góc", "Angle"), "area": ("Diện tích", "Area")}


@dataclass(frozen=True)
class PublicRecord:
    """One published record.

    points : master coordinates in ``master_unit``; points_m : the same in the web GLB's frame
    (metres, y up), list of [x, y, z]; normal / normal_m likewise (unit vectors or None);
    view / view_m : saved camera ({"eye", "target", "up", "fov"}) or None; stop : 1-based
    place in the guided tour (records with a view, oldest first) or None.
    """

    uid: str
    kind: str
    measure: str | None
    points: list[list[float]]
    value: float | None
    master_unit: str | None
    normal: list[float] | None
    texts: dict[str, str]
    view: dict[str, Any] | None
    points_m: list[list[float]]
    normal_m: list[float] | None
    view_m: dict[str, Any] | None
    stop: int | None = None

    @property
    def is_hotspot(self) -> bool:
        return self.kind in HOTSPOT_KINDS

    @property
    def iri(self) -> str:
        """The same identifier wherever the record is published (it travels with its uid)."""
        try:
            return "urn:uuid:" + str(uuid.UUID(hex=self.uid))
        except ValueError:
            return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "heritage-archive:record:" + self.uid))

    def shown(self, name: str, lang: str) -> tuple[str, str]:
        """(text, its language) of ``title`` or ``text`` in ``lang``, else the other language;
        ("", lang) when neither is recorded."""
        other = "en" if lang == "vi" else "vi"
        for code in (lang, other):
            if self.texts.get(f"{name}_{code}"):
                return self.texts[f"{name}_{code}"], code
        return "", lang

    def title(self, lang: str) -> tuple[str, str]:
        """The title in ``lang`` (or the other language); a measurement without one is named
        by its measure and value: ("Distance: 12.5 mm", "en")."""
        shown = self.shown("title", lang)
        if shown[0] or self.measure is None:
            return shown
        name = MEASURE_NAMES.get(self.measure, (self.measure, self.measure))[0 if lang == "vi" else 1]
        return (f"{name}: {format_value(self.value, value_unit(self.measure, self.master_unit))}".rstrip(": "),
                lang)


def value_unit(measure: str | None, unit: str | None) -> str | None:
    """The unit a measured value is in: degrees for an angle, square units for an area."""
    if measure == "angle":
        return "°"
    if unit and measure == "area":
        return f"{unit}²"
    return unit


def format_value(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    number = f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    return f"{number}{unit}" if unit == "°" else f"{number} {unit}" if unit else number


@dataclass
class ItemResearch:
    """An item's published records and what was left out (``notes``, plain sentences)."""

    records: list[PublicRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def hotspots(self) -> list[PublicRecord]:
        return [r for r in self.records if r.is_hotspot]

    @property
    def stops(self) -> list[PublicRecord]:
        return sorted((r for r in self.records if r.stop), key=lambda r: r.stop or 0)


def public_research(records: Iterable[Mapping[str, Any]], asset: Mapping[str, Any], frame: ModelFrame) -> ItemResearch:
    """The publishable part of an item's ``records`` (as ``Archive.records`` returns them, oldest
    first) on its published master ``asset``, placed with ``frame`` (see the module's note)."""
    out = ItemResearch()
    other_asset = unreviewed = 0
    for record in records:
        if record.get("public") is not True:
            continue
        if record.get("asset_id") != asset.get("id"):
            other_asset += 1
            continue
        if record.get("review", "ok") != "ok":
            unreviewed += 1
            continue
        out.records.append(_public(record, frame, len([r for r in out.records if r.stop]) + 1))
    if unreviewed:
        out.notes.append(f"{unreviewed} public record(s) flagged for review after a new master version were left "
                         "out until someone confirms them")
    if other_asset:
        out.notes.append(f"{other_asset} public record(s) on an older version of the model were left out")
    return out


def _public(record: Mapping[str, Any], frame: ModelFrame, next_stop: int) -> PublicRecord:
    values = {k: record.get(k) for k in PUBLIC_RECORD_FIELDS}
    points = [[float(c) for c in p] for p in values["points"] or []]
    normal = values["normal"]
    view = values["view"]
    view_m = None
    if view:
        view_m = {"eye": frame.point(view["eye"]), "target": frame.point(view["target"]),
                  "up": [float(c) for c in frame.directions([view["up"]])[0]], "fov": float(view["fov"])}
    return PublicRecord(
        uid=str(values["uid"]), kind=str(values["kind"]), measure=values["measure"], points=points,
        value=None if values["value"] is None else float(values["value"]), master_unit=values["unit"],
        normal=None if normal is None else [float(c) for c in normal],
        texts={k: str(values[k]) for k in ("title_vi", "title_en", "text_vi", "text_en") if values[k]},
        view=view, points_m=[[float(c) for c in p] for p in frame.points(points)] if points else [],
        normal_m=None if normal is None else [float(c) for c in frame.directions([normal])[0]],
        view_m=view_m, stop=next_stop if view else None)


def asset_frame(asset: Mapping[str, Any], up_axis: str) -> ModelFrame:
    """The web GLB's frame for the master ``asset`` whose up axis resolved to ``up_axis``."""
    return model_frame(asset.get("format"), asset.get("units"), up_axis)


def item_research(archive: Archive, item_id: int, asset: Mapping[str, Any], up_axis: str) -> ItemResearch:
    """The item's published records on its master ``asset`` (``up_axis`` resolved as the
    export resolves it: ``archive.publish.export.resolve_up_axis``)."""
    return public_research(archive.records(item_id, public_only=True), asset, asset_frame(asset, up_axis))
