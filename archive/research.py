"""Research records of the archive: measurements, landmarks and annotations on a master scan.

``Research`` is mixed into ``archive.Archive``. A record belongs to an item and to one master
asset version; its points are in that asset's own coordinates and units. Every write happens
in one transaction with its event (``record_added``, ``record_changed`` one per field with old
and new value, ``record_deleted``), by the archive's agent.

A record, as every method returns it, is a plain dict:

====================  ==========================================================================
``id``                int, this archive's number for it
``uid``               str, the same in every archive it travels to (bags, CSV, JSON)
``item_id``           int
``asset_id``          int, the master version the points belong to
``kind``              "measurement" | "landmark" | "annotation"
``measure``           "distance" | "polyline" | "angle" | "area" (measurements), else None
``points``            list of [x, y, z] floats (2 for a distance, 3 for an angle, 1 for others…)
``value``             float computed from the points (measurements), else None
``unit``              the asset's units ("mm", "cm", "m", "in") or None when unknown; an angle's
                      value is in degrees and an area's in square units whatever ``unit`` says
``normal``            [x, y, z] unit vector or None
``title_vi`` …        ``title_en``, ``text_vi``, ``text_en``: str or None (NFC)
``view``              {"eye": [3], "target": [3], "up": [3], "fov": degrees} or None: a camera
                      saved with the record, in the master's coordinates (see
                      ``viewer.markers.camera_to_view``; the app turns it into the viewer's frame)
``public``            bool (default False: private records never leave the archive but in bags
                      and backups)
``review``            "ok" | "needs_review" (set when a new master with other geometry arrived)
``created_at`` …      ``created_by``, ``updated_at``, ``updated_by``: ISO time and agent
``version``           int, bumped by every change (optimistic concurrency, as items)
====================  ==========================================================================
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import EditConflict, NotFound, ValidationError
from .records import now
from .research_values import (
    EDITABLE,
    KINDS,
    MEASURES,
    REVIEW,
    TEXT_FIELDS,
    article,
    check_inside,
    clean_bool,
    clean_choice,
    clean_normal,
    clean_points,
    clean_text,
    clean_view,
    collect,
    measure_value,
    to_json,
)

if TYPE_CHECKING:
    from .service import Archive, Change

_JSON = ("points", "normal", "view")


class RecordConflict(EditConflict):
    """Someone else changed the same field(s) of a record after this editor loaded it; nothing
    was saved. As ``EditConflict`` (``conflicts``, ``current_version``), plus ``record_id``."""

    def __init__(self, record: Mapping[str, Any], conflicts: list[dict[str, object]]):
        super().__init__(int(record["item_id"]), conflicts, int(record["version"]))
        first = conflicts[0]
        more = f" (and {len(conflicts) - 1} more field(s))" if len(conflicts) > 1 else ""
        self.args = (f"{first['field']} of record {record['id']} (item {record['item_id']}) was changed by "
                     f"{first['agent']} at {first['at']} while you were editing{more}: saved value "
                     f"{first['theirs']!r}, yours {first['yours']!r}. Nothing was saved; reload to take theirs "
                     "or save again to keep yours.",)
        self.record_id = int(record["id"])


def record_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Catalogue columns -> the record dict (JSON decoded, ``public`` a bool)."""
    record = dict(row)
    for name in _JSON:
        record[name] = json.loads(record[name]) if record.get(name) else ([] if name == "points" else None)
    record["public"] = bool(record["public"])
    return record


def record_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """Record values -> catalogue columns (JSON text, 0/1)."""
    row = dict(values)
    for name in _JSON:
        if name in row:
            row[name] = to_json(row[name]) if name != "points" else json.dumps(row[name])
    if "public" in row:
        row["public"] = int(bool(row["public"]))
    return row


class Research:
    """Mixed into ``Archive``: research records, and external ids of vocabulary terms."""

    @property
    def _archive(self) -> Archive:
        return cast("Archive", self)  # only ever mixed into Archive

    # -- reading ---------------------------------------------------------------------------
    def records(self, item_id: int, kind: str | None = None, public_only: bool = False) -> list[dict[str, Any]]:
        """The item's records (of ``kind`` only, public ones only), oldest first. Raises
        NotFound for an item that is not there."""
        if not self._archive.catalogue.item_exists(item_id):
            raise NotFound(f"There is no item {item_id}")
        if kind is not None:
            clean_choice("kind", kind, KINDS)
        rows = self._archive.catalogue.record_rows(item_id, kind, public_only)
        return [record_from_row(r) for r in rows]

    def all_records(self, public_only: bool = False) -> list[dict[str, Any]]:
        """Every record of the archive (public ones only), by item and then oldest first."""
        return [record_from_row(r) for r in self._archive.catalogue.record_rows(None, None, public_only)]

    def record(self, record_id: int) -> dict[str, Any]:
        row = self._archive.catalogue.record_row(record_id)
        if row is None:
            raise NotFound(f"There is no record {record_id}")
        return record_from_row(row)

    def measure(self, item_id: int, measure: str, points: Sequence[Sequence[float]],
                asset_id: int | None = None) -> dict[str, Any]:
        """What a measurement of ``points`` (n, 3) on the item's master (or ``asset_id``) gives,
        without saving it: ``{"measure", "points", "value", "unit", "asset_id"}``."""
        asset = self._record_asset(item_id, asset_id)
        measure = clean_choice("measure", measure, MEASURES)
        clean = clean_points(points, "measurement", measure)
        check_inside(clean, asset["bbox"], asset["units"])
        return {"measure": measure, "points": clean, "value": measure_value(measure, clean),
                "unit": asset["units"], "asset_id": asset["id"]}

    # -- writing ---------------------------------------------------------------------------
    def add_record(self, item_id: int, kind: str, points: Sequence[Sequence[float]], *, measure: str | None = None,
                   asset_id: int | None = None, normal: Sequence[float] | None = None, title_vi: str | None = None,
                   title_en: str | None = None, text_vi: str | None = None, text_en: str | None = None,
                   view: Mapping[str, Any] | None = None, public: bool = False) -> int:
        """Save a new record on the item's current master (or on ``asset_id``, a version of it);
        returns its id. Raises ValidationErrors naming every bad value at once."""
        values = {"normal": normal, "title_vi": title_vi, "title_en": title_en, "text_vi": text_vi,
                  "text_en": text_en, "view": view, "public": public}
        with self._archive.catalogue.transaction():
            row = self.prepare_record(item_id, kind, points, measure, asset_id, values)
            return self.insert_prepared_record(row)

    def prepare_record(self, item_id: int, kind: Any, points: Any, measure: Any = None, asset_id: int | None = None,
                       values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A new record's checked values (not saved): the value and unit computed, review "ok",
        a new uid. Importers (CSV, JSON, bags) build records with it too."""
        values = dict(values or {})
        asset = self._record_asset(item_id, asset_id)
        kind = clean_choice("kind", kind, KINDS)
        if kind == "measurement":
            measure = clean_choice("measure", measure, MEASURES)
        elif measure not in (None, ""):
            raise ValidationError("measure", f"only measurements have a measure, not {article(kind)}",
                                  "not_measurement")
        else:
            measure = None
        checks: list[tuple[str, Any]] = [("points", lambda: clean_points(points, kind, measure))]
        checks += self._field_checks(values, kind)
        clean = collect(checks)
        check_inside(clean["points"], asset["bbox"], asset["units"])
        self._require_title(kind, clean)
        return {"uid": uuid.uuid4().hex, "item_id": item_id, "asset_id": asset["id"], "kind": kind,
                "measure": measure, "value": measure_value(measure, clean["points"]) if measure else None,
                "unit": asset["units"], "review": "ok", **clean}

    def insert_prepared_record(self, row: dict[str, Any], created: tuple[str, str] | None = None,
                               updated: tuple[str, str] | None = None, version: int = 1,
                               detail: Mapping[str, Any] | None = None, event: bool = True) -> int:
        """Insert a record from ``prepare_record`` inside the caller's write transaction and log
        ``record_added``. ``created``/``updated`` ((at, by)) and ``version`` keep those of a record
        carried from another archive; ``detail`` adds to the event's detail (where it came from);
        ``event=False`` for a bag, whose own events tell the record's history."""
        stamp = now()
        created = created or (stamp, self._archive.agent)
        updated = updated or created
        row = {**row, "created_at": created[0], "created_by": created[1], "updated_at": updated[0],
               "updated_by": updated[1], "version": version}
        record_id = self._archive.catalogue.insert_record(record_columns(row))
        if not event:
            return record_id
        record = self.record(record_id)
        content = {k: v for k, v in record.items() if k not in ("id", "item_id", "asset_id")}
        self._archive.log("record_added", item_id=record["item_id"], asset_id=record["asset_id"], new=content,
                          detail={"record": record_id, "uid": record["uid"], "kind": record["kind"],
                                  "version": version, **(detail or {})})
        return record_id

    def update_record(self, record_id: int, changes: Mapping[str, Any],
                      expected_version: int | None = None) -> Change:
        """Validate and save changes to a record's editable fields (points, normal, titles,
        texts, view, public, review); the value follows the points. Each changed field is one
        ``record_changed`` event with old and new value. ``expected_version``: as
        ``Archive.update`` (a field someone else saved since raises RecordConflict)."""
        from .service import Change

        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            fixed = unknown[0] in ("kind", "measure", "asset_id", "item_id", "value", "unit", "uid", "id")
            why = "cannot be changed (make a new record)" if fixed else "is not a field of a record"
            raise ValidationError(unknown[0], why, "not_editable")
        with self._archive.catalogue.transaction():
            current = self.record(record_id)
            clean = self._clean_changes(current, changes)
            diff = {k: (current[k], v) for k, v in clean.items() if current[k] != v}
            if expected_version is not None and current["version"] != expected_version:
                self._check_record_conflicts(current, diff, expected_version)
            if not diff:
                return Change()
            self.write_record_changes(current, diff)
        return Change([current["item_id"]], diff)

    def write_record_changes(self, current: dict[str, Any], diff: dict[str, tuple[Any, Any]],
                             detail: Mapping[str, Any] | None = None) -> None:
        """Save ``diff`` (field: (old, new)) on the record and log one event per field: inside
        the caller's transaction (carry-over and unit changes write through here too)."""
        version = int(current["version"]) + 1
        row = record_columns({k: new for k, (_old, new) in diff.items()})
        row.update(updated_at=now(), updated_by=self._archive.agent, version=version)
        self._archive.catalogue.update_record(current["id"], row)
        for name, (old, new) in diff.items():
            self._archive.log("record_changed", item_id=current["item_id"], asset_id=current["asset_id"],
                              field=name, old=old, new=new,
                              detail={"record": current["id"], "uid": current["uid"], "version": version,
                                      **(detail or {})})

    def delete_record(self, record_id: int) -> Change:
        """Remove a record; the ``record_deleted`` event keeps all of it (old value)."""
        from .service import Change

        with self._archive.catalogue.transaction():
            record = self.record(record_id)
            self._archive.catalogue.delete_record(record_id)
            content = {k: v for k, v in record.items() if k not in ("id", "item_id", "asset_id")}
            self._archive.log("record_deleted", item_id=record["item_id"], asset_id=record["asset_id"], old=content,
                              detail={"record": record_id, "uid": record["uid"], "kind": record["kind"]})
        return Change([record["item_id"]])

    # -- files ---------------------------------------------------------------------------------
    def export_records(self, path: Path, item_ids: Iterable[int] | None = None) -> int:
        """Write the records of ``item_ids`` (all items' when None) to a ``.csv`` or ``.json``
        file, private ones included; returns how many (see ``archive.research_io``)."""
        from .research_io import export_records

        return export_records(self._archive, Path(path), item_ids)

    def import_records(self, path: Path, dry_run: bool = False, skip_bad: bool = False) -> Any:
        """Create or update records from a records CSV or JSON file; all or nothing unless
        ``skip_bad``. Returns a ``RecordsReport`` (created, updated, unchanged, errors, notes,
        applied)."""
        from .research_io import import_records

        return import_records(self._archive, Path(path), dry_run, skip_bad)

    def records_follow_units(self, asset_id: int, units: str | None) -> None:
        """Inside ``update_asset``'s transaction: the asset's units were corrected, so its records'
        unit follows (the coordinates are the same numbers; only what they count changes)."""
        asset = self._archive.catalogue.asset_row(asset_id)
        if asset is None:
            return
        for row in self._archive.catalogue.record_rows(int(asset["item_id"])):
            if row["asset_id"] == asset_id and row["unit"] != units:
                self.write_record_changes(record_from_row(row), {"unit": (row["unit"], units)},
                                          {"reason": "the asset's units were corrected"})

    # -- vocabulary external ids -------------------------------------------------------------
    def set_vocabulary_external_id(self, name: str, value: str, external_id: str | None) -> Change:
        """Align term ``value`` of vocabulary ``name`` with a Getty AAT or Wikidata id (any usual
        form, stored as the entity URI; empty clears it). Logged as ``vocabulary_changed``."""
        from .service import Change
        from .vocab import normalise_external_id

        try:
            uri = normalise_external_id(external_id)
        except ValueError as exc:
            raise ValidationError("external_id", str(exc), "not_external_id") from None
        with self._archive.catalogue.transaction():
            term = self._archive.lookup_vocabulary(name, value)
            if term is None:
                raise NotFound(f"{value!r} is not in the vocabulary {name!r}")
            old = self._archive.catalogue.vocabulary_external_ids(name).get(term)
            if old == uri:
                return Change()
            self._archive.catalogue.set_vocabulary_external_id(name, term, uri)
            self._archive.log("vocabulary_changed", field="external_id", old=old, new=uri,
                              detail={"vocabulary": name, "value": term})
        return Change()

    # -- helpers -----------------------------------------------------------------------------
    def _record_asset(self, item_id: int, asset_id: int | None) -> dict[str, Any]:
        """The asset a record's points belong to: ``asset_id`` (a 3D version of this item) or the
        item's current master."""
        catalogue = self._archive.catalogue
        if not catalogue.item_exists(item_id):
            raise NotFound(f"There is no item {item_id}")
        if asset_id is None:
            asset_id = catalogue.master_asset_id(item_id)
            if asset_id is None:
                raise ValidationError("asset_id", f"item {item_id} has no 3D model to put a record on", "no_model")
        asset = self._archive.asset(asset_id)
        if asset["item_id"] != item_id:
            raise ValidationError("asset_id", f"asset {asset_id} is not a version of item {item_id}", "other_item")
        if asset.get("role") == "photo":
            raise ValidationError("asset_id", f"asset {asset_id} is a photo, not a 3D model", "not_model")
        return asset

    def _field_checks(self, values: Mapping[str, Any], kind: str) -> list[tuple[str, Any]]:
        checks: list[tuple[str, Any]] = []
        for name, value in values.items():
            if name in TEXT_FIELDS:
                checks.append((name, lambda n=name, v=value: clean_text(n, v)))
            elif name == "normal":
                checks.append((name, lambda v=value: self._normal(v, kind)))
            elif name == "view":
                checks.append((name, lambda v=value: clean_view(v)))
            elif name == "public":
                checks.append((name, lambda v=value: clean_bool("public", v)))
            elif name == "review":
                checks.append((name, lambda v=value: clean_choice("review", v, REVIEW)))
            else:
                raise ValidationError(name, "is not a field of a record", "not_editable")
        return checks

    @staticmethod
    def _normal(raw: Any, kind: str) -> list[float] | None:
        normal = clean_normal(raw)
        if normal is not None and kind == "measurement":
            raise ValidationError("normal", "only landmarks and annotations have a normal", "not_annotation")
        return normal

    @staticmethod
    def _require_title(kind: str, record: Mapping[str, Any]) -> None:
        if kind != "measurement" and not (record.get("title_vi") or record.get("title_en")):
            raise ValidationError("title_vi", f"{article(kind)} needs a title (Vietnamese or English)", "required")

    def _clean_changes(self, current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
        checks = self._field_checks({k: v for k, v in changes.items() if k != "points"}, current["kind"])
        if "points" in changes:
            checks.insert(0, ("points", lambda: clean_points(changes["points"], current["kind"], current["measure"])))
        clean = collect(checks)
        if "points" in clean:
            asset = self._archive.asset(current["asset_id"])
            check_inside(clean["points"], asset["bbox"], asset["units"])
            if current["measure"]:
                clean["value"] = measure_value(current["measure"], clean["points"])
        self._require_title(current["kind"], {**current, **clean})
        return clean

    def _check_record_conflicts(self, current: Mapping[str, Any], diff: Mapping[str, tuple[Any, Any]],
                                since: int) -> None:
        saved = self._archive.catalogue.record_saves_since(current["item_id"], current["uid"], since)
        last = {name: (agent, at) for name, agent, at in saved}
        conflicts: list[dict[str, object]] = [
            {"field": name, "theirs": current[name], "yours": new, "agent": last[name][0], "at": last[name][1]}
            for name, (_old, new) in diff.items() if name in last]
        if conflicts:
            raise RecordConflict(current, conflicts)


__all__ = ["RecordConflict", "Research", "record_columns", "record_from_row"]
