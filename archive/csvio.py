"""CSV export and import of item metadata (UTF-8 with BOM so spreadsheets open it right).

Lists are written "a; b" (steps one per line); a list whose values themselves hold the
separator is written as a JSON array, so a round trip loses nothing. The serving-vessel
link is written as the vessel's accession number, so a CSV moves between archives.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import db as dbmod
from .errors import ArchiveError, ImportFailed, ValidationError
from .fields import ITEM_FIELDS

if TYPE_CHECKING:
    from .service import Archive

COLUMNS = ["id"] + [f.name for f in ITEM_FIELDS]


@dataclass
class CsvReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # row, field, error
    applied: bool = False


def export_csv(archive: Archive, path: Path) -> int:
    ids = archive.search_ids()
    accession = dict(archive.db.execute("SELECT id, accession FROM items").fetchall())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item_id in ids:
        item = archive.get(item_id, with_assets=False)
        writer.writerow({name: _cell(name, item.get(name), accession) for name in COLUMNS})
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8-sig")
    tmp.replace(path)
    archive.record_event("export", detail={"format": "csv", "items": len(ids)})
    return len(ids)


def _cell(name: str, value: Any, accession: dict[int, str]) -> str:
    if value is None:
        return ""
    if name == "serving_vessel":
        return accession.get(value, str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        sep = "\n" if name == "steps" else "; "
        if any(sep.strip() in v or "\n" in v for v in value) or any(v.startswith("[") for v in value[:1]):
            return json.dumps(value, ensure_ascii=False)
        return sep.join(value)
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def import_csv(archive: Archive, path: Path, dry_run: bool = False, skip_bad: bool = False) -> CsvReport:
    """Create or update items from a CSV. Rows are matched by ``id``, then ``accession``.
    Nothing is changed when any row is invalid, unless ``skip_bad``."""
    rows = _read(path)
    report = CsvReport()
    plans: list[tuple[int | None, dict[str, Any]]] = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            plans.append(_plan(archive, row))
        except ArchiveError as exc:
            report.errors.append({"row": number, "field": getattr(exc, "field", None), "error": str(exc)})
    if dry_run or (report.errors and not skip_bad):
        _count(archive, plans, report)
        return report
    with dbmod.write(archive.db):
        for item_id, values in plans:
            if item_id is None:
                archive.add_item(values)
                report.created += 1
            elif archive.update(item_id, values).fields:
                report.updated += 1
            else:
                report.unchanged += 1
    report.applied = True
    return report


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed(f"{path.name} cannot be read as a UTF-8 CSV file: {exc}") from exc
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ValidationError(unknown[0], "is not a column of the catalogue (see `heritage csv-export`)")
    return rows


def _plan(archive: Archive, row: dict[str, str]) -> tuple[int | None, dict[str, Any]]:
    values: dict[str, Any] = {k: v for k, v in row.items() if k != "id" and k is not None}
    if values.get("serving_vessel"):
        vessel = archive.find_by_accession(values["serving_vessel"].strip())
        if vessel is not None:
            values["serving_vessel"] = vessel
    item_id = None
    if row.get("id", "").strip():
        try:
            item_id = int(row["id"])
        except ValueError:
            raise ValidationError("id", f"must be a number, not {row['id']!r}") from None
        archive.get(item_id, with_assets=False)  # NotFound when it is not there
    elif values.get("accession"):
        item_id = archive.find_by_accession(values["accession"].strip())
    if item_id is None:
        archive.prepare_item(values)
    else:
        _check_update(archive, item_id, values)
    return item_id, values


def _check_update(archive: Archive, item_id: int, values: dict[str, Any]) -> None:
    """Validate an update without saving it (a savepoint rolled back)."""
    class _DryRun(Exception):
        pass

    try:
        with dbmod.write(archive.db):
            archive.update(item_id, values)
            raise _DryRun
    except _DryRun:
        pass


def _count(archive: Archive, plans: list[tuple[int | None, dict[str, Any]]], report: CsvReport) -> None:
    for item_id, _values in plans:
        if item_id is None:
            report.created += 1
        else:
            report.updated += 1
