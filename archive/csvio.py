"""CSV export and import of item metadata (UTF-8 with BOM so spreadsheets open it right).

Lists are written "a; b" (steps one per line); a list whose values themselves hold the
separator is written as a JSON array, so a round trip loses nothing. The serving-vessel
link is written as the vessel's accession number, so a CSV moves between archives.

Cells a spreadsheet would run as a formula (OWASP's CSV-injection rule) are written with a
leading ``'``; see :func:`neutralise` and :func:`restore`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArchiveError, ImportFailed, ValidationError
from .fields import ITEM_FIELDS
from .reports import CsvReport

if TYPE_CHECKING:
    from .service import Archive

COLUMNS = ["id"] + [f.name for f in ITEM_FIELDS]

# A spreadsheet treats a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")  # "-5", "-1.5": a number, never run; kept numeric


def neutralise(cell: str) -> str:
    """``cell`` as written to a CSV: a leading ``'`` when it starts like a formula or with ``'``.

    Escaping a leading ``'`` too makes the rule reversible: :func:`restore` removes exactly
    one quote, so every value round-trips, ``'`` and ``''=x`` included."""
    if cell.startswith((*FORMULA_START, QUOTE)) and not _PLAIN_NUMBER.fullmatch(cell):
        return QUOTE + cell
    return cell


def restore(cell: str) -> str:
    """The value :func:`neutralise` was given. A hand-made cell such as ``'abc`` is kept as is;
    ``'=1`` (how spreadsheet users type text that looks like a formula) becomes ``=1``."""
    if cell.startswith(QUOTE) and cell[1:].startswith((*FORMULA_START, QUOTE)):
        return cell[1:]
    return cell


def export_csv(archive: Archive, path: Path) -> int:
    ids = archive.search_ids()
    accession = archive.catalogue.accessions()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item_id in ids:
        item = archive.get(item_id, with_assets=False)
        writer.writerow({name: neutralise(_cell(name, item.get(name), accession)) for name in COLUMNS})
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
    """Create or update items from a CSV. Rows are matched by ``accession``, else by ``id``.
    Nothing is changed when any row is invalid, unless ``skip_bad``."""
    rows = _read(path)
    report = CsvReport()
    plans: list[_Plan] = []
    new_accessions: set[str] = set()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            plan = _plan(archive, row, new_accessions)
        except ArchiveError as exc:
            report.errors.append({"row": number, "field": getattr(exc, "field", None), "error": str(exc)})
            continue
        plans.append(plan)
        if plan.item_id is None and plan.values.get("accession"):
            new_accessions.add(plan.values["accession"].strip())
    if dry_run or (report.errors and not skip_bad):
        report.created = sum(p.item_id is None for p in plans)
        report.updated = len(plans) - report.created
        return report
    with archive.catalogue.transaction():
        for plan in plans:
            _apply(archive, plan, report)
        for plan in plans:  # links to items created by this same file
            if plan.vessel:
                archive.update(plan.applied_id, {"serving_vessel": archive.find_by_accession(plan.vessel)})
    report.applied = True
    return report


@dataclass
class _Plan:
    item_id: int | None
    values: dict[str, Any]
    vessel: str | None = None  # accession of a serving vessel created by the same CSV
    applied_id: int = 0


def _apply(archive: Archive, plan: _Plan, report: CsvReport) -> None:
    if plan.item_id is None:
        plan.applied_id = archive.add_item(plan.values)
        report.created += 1
        return
    plan.applied_id = plan.item_id
    if archive.update(plan.item_id, plan.values).fields:
        report.updated += 1
    else:
        report.unchanged += 1


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = [{k: restore(v) if isinstance(v, str) else v for k, v in row.items()} for row in reader]
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed(f"{path.name} cannot be read as a UTF-8 CSV file: {exc}") from exc
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ValidationError(unknown[0], "is not a column of the catalogue (see `heritage csv-export`)")
    return rows


def _plan(archive: Archive, row: dict[str, str], new_accessions: set[str]) -> _Plan:
    values: dict[str, Any] = {k: v for k, v in row.items() if k != "id" and k is not None}
    vessel = None
    link = (values.get("serving_vessel") or "").strip()
    if link:
        found = archive.find_by_accession(link)
        if found is not None:
            values["serving_vessel"] = found
        elif link in new_accessions:
            vessel, values["serving_vessel"] = link, None
    item_id = None
    accession = (values.get("accession") or "").strip()
    if accession:
        if accession in new_accessions:
            raise ValidationError("accession", f"{accession!r} appears twice in the file")
        item_id = archive.find_by_accession(accession)
    elif (row.get("id") or "").strip():
        try:
            item_id = int(row["id"])
        except ValueError:
            raise ValidationError("id", f"must be a number, not {row['id']!r}") from None
        archive.get(item_id, with_assets=False)  # NotFound when it is not there
    if item_id is None:
        archive.prepare_item(values)
    else:
        _check_update(archive, item_id, values)
    return _Plan(item_id, values, vessel)


def _check_update(archive: Archive, item_id: int, values: dict[str, Any]) -> None:
    """Validate an update without saving it (a savepoint rolled back)."""
    class _DryRun(Exception):
        pass

    try:
        with archive.catalogue.transaction():
            archive.update(item_id, values)
            raise _DryRun
    except _DryRun:
        pass
