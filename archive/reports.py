"""What the long operations take and give back: plain value objects, importable without the
heavy modules that do the work (the app builds options and shows reports on its GUI thread)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportOptions:
    kind: str = "other"
    title: str | None = None
    collection: str | None = None
    item_fields: dict[str, Any] = field(default_factory=dict)
    asset_fields: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)  # file name -> CSV row
    item_id: int | None = None  # add the scans as new assets (versions) of this item
    isolate: bool = True  # parse in a worker process with limits (see archive.isolation)


@dataclass
class ImportReport:
    imported: list[int] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def fail(self, path: str, exc: BaseException) -> None:
        self.errors.append({"path": path, "error": _without_name(path, str(exc)), "type": type(exc).__name__})


def _without_name(path: str, message: str) -> str:
    """``message`` without the file name it starts with: the report keeps the path beside it,
    and every reader of it (the CLI's "error: PATH: …", the import dialog's File column) shows
    both ("scan.pts: scan.pts: line 3 …" otherwise)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    prefix = f"{name}: "
    return message[len(prefix):] if name and message.startswith(prefix) else message


@dataclass
class VerifyReport:
    files: list[dict[str, Any]] = field(default_factory=list)  # path, status, expected, actual, item_id
    database: list[str] = field(default_factory=list)  # integrity-check problems

    @property
    def counts(self) -> dict[str, int]:
        counts = {"ok": 0, "changed": 0, "missing": 0, "untracked": 0}
        for f in self.files:  # "misnamed" too, when an archive predates portable names (archive.namefix)
            counts[f["status"]] = counts.get(f["status"], 0) + 1
        return counts

    @property
    def ok(self) -> bool:
        return not self.database and all(f["status"] == "ok" for f in self.files)


@dataclass
class CsvReport:
    """What a CSV import did, or its dry run would do: ``changes`` has one entry per changed
    field of an existing item (row, accession, field, old, new; links shown as accession
    numbers), ``new_items`` the rows that create items, ``notes`` what was kept for later."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # row, field, error
    applied: bool = False
    changes: list[dict[str, Any]] = field(default_factory=list)
    new_items: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
