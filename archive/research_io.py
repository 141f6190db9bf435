"""Research records out of and into files: CSV (spreadsheets) and JSON, and the records of one
item inside a BagIt bag (``archive.publish.bagit`` calls ``bag_records``/``restore_bag_records``).

A record travels by its ``uid``, its item's ``accession`` and the SHA-256 of the master file its
points belong to (``asset_sha256``): ids differ between archives, bytes do not. Points, normal and
view are JSON in a CSV cell; cells a spreadsheet would run as formulas are neutralised as in item
CSVs (``archive.csvio``). On import the value and unit are always recomputed (from the points and
the asset), never taken from the file; a file whose value differs says so in the report.

An import is all or nothing (unless ``skip_bad``), and its dry run is the same run rolled back.
A row whose uid is already in the archive updates that record (each changed field logged);
any other row creates a record, keeping the file's dates, agents and version.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .csvio import neutralise, restore
from .errors import ArchiveError, ImportFailed, NotFound, ValidationError
from .research_values import EDITABLE

if TYPE_CHECKING:
    from .service import Archive

FORMAT = "heritage-records/1"
COLUMNS = ("uid", "accession", "asset_sha256", "kind", "measure", "points", "value", "unit", "normal", "title_vi",
           "title_en", "text_vi", "text_en", "view", "public", "review", "created_at", "created_by", "updated_at",
           "updated_by", "version")
"""The columns of a records CSV and the keys of each record in a records JSON file."""
_JSON_CELLS = ("points", "normal", "view")
_UID = re.compile(r"[A-Za-z0-9-]{1,64}")
MAX_FILE = 256 * 1024 * 1024


@dataclass
class RecordsReport:
    """What an import did (or its dry run would do). ``errors``: {row, field, error};
    ``notes``: lines worth reading (values the file stated differently, new uids)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    applied: bool = False


class _RollBack(Exception):
    """Ends a dry run (or a refused import) by rolling its transaction back."""


# -- export -----------------------------------------------------------------------------------
def portable_records(archive: Archive, item_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """The records of ``item_ids`` (every item's when None) as they travel: keyed by ``COLUMNS``."""
    records = archive.all_records() if item_ids is None else [r for i in item_ids for r in archive.records(i)]
    accessions = archive.catalogue.accessions()
    masters: dict[int, str | None] = {}
    out = []
    for record in records:
        if record["asset_id"] not in masters:
            asset = archive.asset(record["asset_id"])
            masters[record["asset_id"]] = next(
                (f["sha256"] for f in asset["files"] if f["path"] == asset["main_file"]), None)
        travelling = {k: record.get(k) for k in COLUMNS}
        travelling.update(accession=accessions.get(record["item_id"]), asset_sha256=masters[record["asset_id"]])
        out.append(travelling)
    return out


def export_records(archive: Archive, path: Path, item_ids: Iterable[int] | None = None) -> int:
    """Write the records to ``path`` (``.csv`` or ``.json``); returns how many."""
    kind = _file_kind(path)
    records = portable_records(archive, item_ids)
    if kind == "json":
        text = json.dumps({"format": FORMAT, "records": records}, ensure_ascii=False, indent=1)
        encoding = "utf-8"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows([neutralise(_cell(r.get(name))) for name in COLUMNS] for r in records)
        text, encoding = buffer.getvalue(), "utf-8-sig"  # with BOM: spreadsheets then read UTF-8
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding=encoding)
    tmp.replace(path)
    archive.record_event("export", detail={"format": f"records-{kind}", "records": len(records)})
    return len(records)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return repr(value) if isinstance(value, float) else str(value)  # repr: every float round-trips


def _file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ValidationError("file", f"records are written as .csv or .json, not {suffix or 'a file without one'}",
                              "not_a_choice", {"choices": [".csv", ".json"]})
    return suffix[1:]


# -- import -----------------------------------------------------------------------------------
def import_records(archive: Archive, path: Path, dry_run: bool = False, skip_bad: bool = False) -> RecordsReport:
    """Create or update records from a records CSV or JSON file (see the module's note)."""
    rows = _read_json(path) if _file_kind(path) == "json" else _read_csv(path)
    report = RecordsReport()
    try:
        with archive.catalogue.transaction():
            for number, values in rows:
                try:
                    with archive.catalogue.transaction():  # a savepoint: a bad row leaves no trace
                        _import_row(archive, number, values, report, _file_kind(path))
                except ArchiveError as exc:
                    report.errors.append({"row": number, "field": getattr(exc, "field", None), "error": str(exc)})
            if dry_run or (report.errors and not skip_bad):
                raise _RollBack
        report.applied = True
    except _RollBack:
        pass
    return report


def _read_csv(path: Path) -> list[tuple[int, dict[str, Any]]]:
    from .csvheaders import read_records

    records = read_records(path)
    if not records:
        return []
    header = [c.strip() for c in records[0]]
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        raise ImportFailed(f"{path.name}: {unknown[0]!r} is not a column of a records file "
                           f"(columns: {', '.join(COLUMNS)})")
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise ImportFailed(f"{path.name}: row {number} has more cells than the header names")
        values: dict[str, Any] = {name: restore(cell) for name, cell in zip(header, cells, strict=False) if name}
        for name in _JSON_CELLS:
            if values.get(name, "").strip():
                try:
                    values[name] = json.loads(values[name])
                except ValueError:
                    values[name] = _BadCell(name, values[name])
        rows.append((number, values))
    return rows


def _read_json(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        if path.stat().st_size > MAX_FILE:
            raise ImportFailed(f"{path.name} is larger than {MAX_FILE} bytes; it was not read")
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"{path.name} cannot be read as a records JSON file ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("records"), list):
        raise ImportFailed(f"{path.name} is not a records file written by this archive (format {FORMAT})")
    rows = []
    for number, record in enumerate(doc["records"], start=1):
        if not isinstance(record, dict):
            raise ImportFailed(f"{path.name}: record {number} is not a JSON object")
        unknown = sorted(set(record) - set(COLUMNS))
        if unknown:
            raise ImportFailed(f"{path.name}: record {number} has an unknown key {unknown[0]!r}")
        rows.append((number, record))
    return rows


@dataclass
class _BadCell:
    """A JSON cell that does not parse: reported by the row's validation, naming the column."""

    name: str
    text: str


def _import_row(archive: Archive, number: int, values: dict[str, Any], report: RecordsReport, source: str) -> None:
    for name, value in values.items():
        if isinstance(value, _BadCell):
            raise ValidationError(name, f"is not valid JSON: {value.text[:40]!r}", "not_json")
    item_id = _item(archive, values)
    uid = str(values.get("uid") or "").strip()
    if uid and not _UID.fullmatch(uid):
        raise ValidationError("uid", f"{uid[:40]!r} is not a record uid (letters, digits and -)", "not_uid")
    existing = archive.catalogue.record_id_for_uid(uid) if uid else None
    if existing is not None:
        _update(archive, number, existing, item_id, values, report)
        return
    fields = _editable(values, with_review=True)
    fields.pop("points", None)
    row = archive.prepare_record(item_id, values.get("kind"), values.get("points"), values.get("measure") or None,
                                 _asset(archive, item_id, values), fields)
    if uid:
        row["uid"] = uid
    _note_value(number, values, row.get("value"), report)
    archive.insert_prepared_record(row, _stamp(values, "created"), _stamp(values, "updated"), _version(values),
                                   detail={"from": source})
    report.created += 1


def _update(archive: Archive, number: int, record_id: int, item_id: int, values: dict[str, Any],
            report: RecordsReport) -> None:
    current = archive.record(record_id)
    if current["item_id"] != item_id:
        raise ValidationError("uid", f"record {values['uid']} belongs to another item in this archive", "other_item")
    change = archive.update_record(record_id, _editable(values, with_review=True))
    _note_value(number, values, archive.record(record_id)["value"], report)
    if change.fields:
        report.updated += 1
    else:
        report.unchanged += 1


def _editable(values: Mapping[str, Any], with_review: bool) -> dict[str, Any]:
    """The record's editable fields from a row: empty cells clear, missing columns are left alone."""
    out = {}
    for name in EDITABLE:
        if name == "points" or name not in values or (name == "review" and not with_review):
            continue
        value = values[name]
        if name == "public":
            value = _yes_no(value)
        elif name == "review":
            value = value or "ok"
        out[name] = None if value == "" else value
    if "points" in values:
        out["points"] = values["points"]
    return out


def _yes_no(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    return {"yes": True, "có": True, "true": True, "1": True, "no": False, "không": False, "false": False,
            "0": False, "": False}.get(text, value)


def _item(archive: Archive, values: Mapping[str, Any]) -> int:
    accession = str(values.get("accession") or "").strip()
    if not accession:
        raise ValidationError("accession", "is empty: every record names its item's accession number", "required")
    item_id = archive.find_by_accession(accession)
    if item_id is None:
        raise NotFound(f"accession: there is no item {accession!r} in this archive")
    return item_id


def _asset(archive: Archive, item_id: int, values: Mapping[str, Any]) -> int | None:
    """The asset whose main file has the row's ``asset_sha256``; None (the current master) when
    the row names none."""
    sha = str(values.get("asset_sha256") or "").strip().lower()
    if not sha:
        return None
    for asset in archive.assets(item_id):
        if any(f["path"] == asset["main_file"] and f["sha256"] == sha for f in asset["files"]):
            return int(asset["id"])
    raise ValidationError("asset_sha256", f"the scan this record was made on ({sha[:12]}…) is not in this item; "
                          "import that version of the master first", "no_asset")


def _stamp(values: Mapping[str, Any], which: str) -> tuple[str, str] | None:
    at, by = str(values.get(f"{which}_at") or "").strip(), str(values.get(f"{which}_by") or "").strip()
    if not at or not by:
        return None
    if len(at) > 40 or len(by) > 200 or not re.fullmatch(r"\d{4}-\d\d-\d\d[T ][0-9:.+\-Z]*", at):
        raise ValidationError(f"{which}_at", f"{at[:40]!r} by {by[:40]!r} is not a date and agent", "not_date")
    return at, by


def _version(values: Mapping[str, Any]) -> int:
    raw = values.get("version")
    if raw in (None, ""):
        return 1
    try:
        version = int(str(raw).strip())
    except ValueError:
        raise ValidationError("version", f"must be a whole number, not {str(raw)[:20]!r}", "not_number") from None
    if version < 1:
        raise ValidationError("version", "must be at least 1", "range")
    return version


def _note_value(number: int, values: Mapping[str, Any], computed: float | None, report: RecordsReport) -> None:
    stated = values.get("value")
    if stated in (None, "") or computed is None:
        return
    try:
        given = float(stated)
    except (TypeError, ValueError):
        given = math.nan
    if not math.isclose(given, computed, rel_tol=1e-9, abs_tol=1e-12):
        report.notes.append(f"row {number}: the file says {stated!r}; the value computed from its points, "
                            f"{computed!r}, was kept")


# -- inside a bag (metadata/records.json) ---------------------------------------------------------
BAG_KEYS = (set(COLUMNS) - {"accession", "asset_sha256"}) | {"asset"}
"""Keys of a record in a bag: the asset is named by its place in the bag's list of assets (1…)."""


def bag_records(archive: Archive, item_id: int, asset_ids: list[int]) -> list[dict[str, Any]]:
    """The item's records (private ones too: a bag is the archive's own copy) for a bag whose
    assets are ``asset_ids`` in order."""
    out = []
    for record in archive.records(item_id):
        travelling = {k: record.get(k) for k in BAG_KEYS if k != "asset"}
        travelling["asset"] = asset_ids.index(record["asset_id"]) + 1
        out.append(travelling)
    return out


def check_bag_records(bag: str, records: Any, assets: int) -> None:
    """Shapes and keys of a bag's records.json (the values are checked when they are restored)."""
    if not isinstance(records, list):
        raise ImportFailed(f"{bag}: the bag's records.json is not a list of records")
    for record in records:
        if not isinstance(record, dict):
            raise ImportFailed(f"{bag}: a record in the bag is not a JSON object")
        unknown = sorted(set(record) - BAG_KEYS)
        if unknown:
            raise ImportFailed(f"{bag}: a record in the bag has an unknown key {unknown[0]!r}; it was not written "
                               "by this archive's version, nothing was imported")
        index = record.get("asset")
        if type(index) is not int or not 1 <= index <= assets:
            raise ImportFailed(f"{bag}: a record in the bag names asset {index!r}, which the bag does not hold")


def restore_bag_records(archive: Archive, item_id: int, records: list[dict[str, Any]], asset_ids: list[int]) -> int:
    """Inside the bag import's transaction: recreate the bag's records on the new item's assets,
    each checked as a new record is (value and unit recomputed), keeping its uid (a new one when
    this archive holds it already), dates, agents, version and review. The item's ingest event
    counts them; the bag's own events already tell their history. Returns how many."""
    for n, record in enumerate(records, start=1):
        values = _editable(record, with_review=True)
        values.pop("points", None)
        try:
            row = archive.prepare_record(item_id, record.get("kind"), record.get("points"), record.get("measure"),
                                         asset_ids[record["asset"] - 1], values)
            uid = str(record.get("uid") or "")
            if _UID.fullmatch(uid) and archive.catalogue.record_id_for_uid(uid) is None:
                row["uid"] = uid
            archive.insert_prepared_record(row, _stamp(record, "created"), _stamp(record, "updated"),
                                           _version(record), event=False)
        except ValidationError as exc:
            raise ImportFailed(f"record {n} in the bag is not valid ({exc}); nothing was imported") from exc
    return len(records)


__all__ = ["BAG_KEYS", "COLUMNS", "FORMAT", "RecordsReport", "bag_records", "check_bag_records", "export_records",
           "import_records", "portable_records", "restore_bag_records"]
