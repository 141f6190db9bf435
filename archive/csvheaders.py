"""Reading the shape of a CSV file as spreadsheets write it, and the header rows we write.

Spreadsheets write more than one kind of CSV: comma-separated UTF-8, semicolon-separated
(Excel in decimal-comma locales), tab-separated UTF-16 ("Unicode text"). This module finds the
encoding and the delimiter, and maps each header cell to a catalogue field, by its name or by
its Vietnamese or English label, refusing what would otherwise be dropped without a word:
unknown, duplicate and unnamed columns, and rows with more cells than the header.

A CSV exported with labels has two header rows: the labels people read, then the field names,
so it imports back whatever language the labels are in.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Sequence
from pathlib import Path

from .errors import ImportFailed, ValidationError, ValidationErrors
from .fields import ITEM_FIELDS
from .validation import nfc

COLUMNS = ["id"] + [f.name for f in ITEM_FIELDS]
LABELS: dict[str, dict[str, str]] = {
    "vi": {"id": "ID", **{f.name: f.label_vi for f in ITEM_FIELDS}},
    "en": {"id": "ID", **{f.name: f.label_en for f in ITEM_FIELDS}},
}
DELIMITERS = (",", ";", "\t")
_BY_LABEL = {nfc(label).casefold(): name for labels in LABELS.values() for name, label in labels.items()}


def header_rows(labels: str | None) -> list[list[str]]:
    """The header row(s) of an export: field names, or labels in ``labels`` ("vi"/"en") above them."""
    if labels is None:
        return [COLUMNS]
    if labels not in LABELS:
        raise ValidationError("labels", f"must be one of {', '.join(LABELS)}, not {labels!r}", "not_a_choice",
                              {"choices": list(LABELS), "value": labels})
    return [[LABELS[labels][name] for name in COLUMNS], COLUMNS]


def read_table(path: Path) -> tuple[list[str | None], list[tuple[int, list[str]]]]:
    """(the field of each column, None for an empty unnamed one; (record number, cells) of each
    data row). Record numbers count the header rows, as a spreadsheet's row numbers do."""
    records = read_records(path)
    if not records:
        return [], []
    start = 2 if len(records) > 1 and _is_name_row(records[1]) and not _is_name_row(records[0]) else 1
    header = records[start - 1]
    rows = [(n, r) for n, r in enumerate(records[start:], start=start + 1) if any(c.strip() for c in r)]
    return _columns(header, [r for _n, r in rows]), rows


def read_records(path: Path) -> list[list[str]]:
    """Every record of a CSV as Excel writes it in any locale: UTF-8 or UTF-16 (by its byte-order
    mark), comma, semicolon or tab, text in NFC."""
    text = _decode(path)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0])))
    except csv.Error as exc:
        raise ImportFailed(f"{path.name} cannot be read as a CSV file: {exc}") from exc


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path.name} cannot be read: {exc}") from exc
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return nfc(data.decode(encoding))
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path.name} is not a UTF-8 or UTF-16 text file ({exc.reason} at byte {exc.start}); "
                           "save it from the spreadsheet as \"CSV UTF-8\"") from exc


def _delimiter(header_line: str) -> str:
    """The delimiter the header line uses most (field names and labels hold none of them)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _is_name_row(cells: Sequence[str]) -> bool:
    named = [c.strip() for c in cells if c.strip()]
    return bool(named) and all(c in COLUMNS for c in named)


def _columns(header: list[str], rows: list[list[str]]) -> list[str | None]:
    """The field of each header cell; every unknown, duplicate or unnamed column is reported."""
    problems: list[ValidationError] = []
    fields: list[str | None] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.strip()
        field = name if name in COLUMNS else _BY_LABEL.get(name.casefold())
        if not name:
            field = None
            if any(index < len(r) and r[index].strip() for r in rows):
                problems.append(ValidationError(f"column {index + 1}", "has values but no name in the header",
                                                "unnamed_column", {"column": index + 1}))
        elif field is None:
            problems.append(_unknown_column(name))
        elif field in seen:
            problems.append(ValidationError(name, f"appears twice in the header (columns {seen[field] + 1} and "
                                            f"{index + 1})", "duplicate_column", {"field": field}))
        else:
            seen[field] = index
        fields.append(field)
    if problems:
        raise ValidationErrors(problems)
    return fields


def _unknown_column(name: str) -> ValidationError:
    candidates = [*COLUMNS, *(label for labels in LABELS.values() for label in labels.values())]
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else " (see `heritage fields`)"
    return ValidationError(name[:60], f"is not a column of the catalogue{hint}", "unknown_column",
                           {"suggestions": close})
