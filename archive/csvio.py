"""CSV export and import of item metadata (UTF-8 with BOM so spreadsheets open it right).

Lists are written "a; b" (steps one per line); a list whose values themselves hold the
separator is written as a JSON array, so a round trip loses nothing. The serving-vessel
link is written as the vessel's accession number, so a CSV moves between archives.

An import and its dry run are the same run: the dry run rolls the transaction back at the end,
so what it reports (per item, each field that changes, old and new) is what the import does.
Files may use commas, semicolons or tabs, UTF-8 or UTF-16, field names or labels in the header
(see :mod:`archive.csvheaders`).

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

from .csvheaders import COLUMNS, header_rows, read_table
from .errors import ArchiveError, ValidationError
from .links import keep_pending_link, make_waiting_links
from .reports import CsvReport

if TYPE_CHECKING:
    from .service import Archive

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


def export_csv(archive: Archive, path: Path, labels: str | None = None) -> int:
    """Write every item to ``path``; with ``labels`` ("vi" or "en") the first header row holds
    the fields' labels in that language and the second their names, so the file reads well and
    still imports back without loss."""
    headers = header_rows(labels)
    ids = archive.search_ids()
    accession = archive.catalogue.accessions()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(headers)
    for item_id in ids:
        item = archive.get(item_id, with_assets=False)
        writer.writerow([neutralise(_cell(name, item.get(name), accession)) for name in COLUMNS])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8-sig")
    tmp.replace(path)
    archive.record_event("export", detail={"format": "csv", "items": len(ids), "labels": labels})
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


class _RollBack(Exception):
    """Ends a dry run (or a refused import) by rolling its transaction back."""


@dataclass
class _Waiting:
    row: int
    item_id: int
    accession: str  # of the serving vessel, not in the archive before this row
    counted_unchanged: bool = False


def import_csv(archive: Archive, path: Path, dry_run: bool = False, skip_bad: bool = False) -> CsvReport:
    """Create or update items from a CSV. Rows are matched by ``accession``, else by ``id``.
    Nothing is changed when any row is invalid, unless ``skip_bad``. A dry run makes every change
    in a transaction and rolls it back, so its report is the import's."""
    fields, rows = read_table(path)
    report = CsvReport()
    try:
        with archive.catalogue.transaction():
            waiting: list[_Waiting] = []
            seen: set[str] = set()
            for number, cells in rows:
                _import_row(archive, number, fields, cells, report, waiting, seen)
            for link in waiting:
                _link_vessel(archive, link, report)
            if dry_run or (report.errors and not skip_bad):
                raise _RollBack
        report.applied = True
    except _RollBack:
        pass
    return report


def _values(fields: list[str | None], cells: list[str]) -> dict[str, str]:
    """The row's cells by field; cells beyond the header are an error, not dropped."""
    extra = [c for c in cells[len(fields):] if c.strip()]
    if extra:
        raise ValidationError("row", f"has {len(cells)} cells but the header names {len(fields)} columns "
                              f"(first extra cell: {extra[0][:40]!r})", "extra_cells", {"cells": len(cells)})
    return {name: restore(cell) for name, cell in zip(fields, cells, strict=False) if name is not None}


def _import_row(archive: Archive, number: int, fields: list[str | None], cells: list[str], report: CsvReport,
                waiting: list[_Waiting], seen: set[str]) -> None:
    try:
        with archive.catalogue.transaction():  # a savepoint: a bad row leaves no trace
            _write_row(archive, number, _values(fields, cells), report, waiting, seen)
    except ArchiveError as exc:
        report.errors.append({"row": number, "field": getattr(exc, "field", None), "error": str(exc)})


def _write_row(archive: Archive, number: int, values: dict[str, str], report: CsvReport,
               waiting: list[_Waiting], seen: set[str]) -> None:
    item_id, accession = _target(archive, values, seen)
    vessel = _vessel(archive, values)
    values.pop("id", None)
    unchanged = False
    if item_id is None:
        item_id = archive.add_item(values)
        accession = archive.get(item_id, with_assets=False)["accession"]
        report.created += 1
        report.new_items.append({"row": number, "accession": accession})
        report.notes += make_waiting_links(archive, item_id, accession)
    else:
        change = archive.update(item_id, values)
        _record(archive, number, accession, change.fields, report)
        if change.fields:
            report.updated += 1
        else:
            report.unchanged += 1
            unchanged = True
    seen.add(accession)
    if vessel:
        waiting.append(_Waiting(number, item_id, vessel, unchanged))


def _target(archive: Archive, values: dict[str, str], seen: set[str]) -> tuple[int | None, str]:
    """(the item the row updates, None for a new one; its accession)."""
    accession = (values.get("accession") or "").strip()
    if accession:
        if accession in seen:
            raise ValidationError("accession", f"{accession!r} appears twice in the file", "duplicate_row")
        return archive.find_by_accession(accession), accession
    if (values.get("id") or "").strip():
        try:
            item_id = int(values["id"])
        except ValueError:
            raise ValidationError("id", f"must be a number, not {values['id']!r}", "not_number") from None
        return item_id, archive.get(item_id, with_assets=False)["accession"]  # NotFound when it is not there
    return None, ""


def _vessel(archive: Archive, values: dict[str, Any]) -> str | None:
    """Turn the serving-vessel accession into an item id; an accession not (yet) in the archive
    is taken out of the row and returned, to link after every row is in (or keep pending)."""
    link = (values.get("serving_vessel") or "").strip()
    if not link:
        return None
    found = archive.find_by_accession(link)
    if found is not None:
        values["serving_vessel"] = found
        return None
    if link.isdigit():  # an item id, as written for a vessel without an accession
        return None
    del values["serving_vessel"]
    return link


def _link_vessel(archive: Archive, link: _Waiting, report: CsvReport) -> None:
    vessel_id = archive.find_by_accession(link.accession)
    if vessel_id is None:
        report.notes.append(f"row {link.row}: " + keep_pending_link(archive, link.item_id, "serving_vessel",
                                                                      link.accession))
        return
    try:
        with archive.catalogue.transaction():
            change = archive.update(link.item_id, {"serving_vessel": vessel_id})
    except ArchiveError as exc:
        report.errors.append({"row": link.row, "field": "serving_vessel", "error": str(exc)})
        return
    accession = archive.get(link.item_id, with_assets=False)["accession"]
    _record(archive, link.row, accession, change.fields, report)
    if change.fields and link.counted_unchanged:  # its only change was this link
        report.unchanged -= 1
        report.updated += 1


def _record(archive: Archive, row: int, accession: str, diff: dict[str, tuple[Any, Any]],
            report: CsvReport) -> None:
    for name, (old, new) in diff.items():
        if name == "serving_vessel":
            old, new = (archive.get(v, with_assets=False)["accession"] if v else None for v in (old, new))
        report.changes.append({"row": row, "accession": accession, "field": name, "old": old, "new": new})
