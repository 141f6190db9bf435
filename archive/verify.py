"""Fixity: re-hash every stored file and compare with the catalogue; never "fixes" a hash."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DATABASE_ERRORS, ArchiveError
from .labels import item_label
from .namefix import misnamed_file
from .reports import VerifyReport
from .store import CancelToken, sha256_file

if TYPE_CHECKING:
    from .service import Archive

_UNLOGGABLE: tuple[type[BaseException], ...] = (ArchiveError, *DATABASE_ERRORS)


def verify(archive: Archive, progress: Callable[[int, int, str], None] | None = None,
           cancel: CancelToken | None = None) -> VerifyReport:
    report = VerifyReport(database=archive.catalogue.integrity_problems())
    rows = archive.catalogue.fixity_rows()
    known: set[Path] = set()
    labels: dict[int, str] = {}
    names: dict[str, list[str]] = {}  # each asset's recorded paths: its stored names come from them
    for _item, storage_dir, rel, _sha, _size in rows:
        names.setdefault(storage_dir, []).append(rel)
    for n, (item_id, storage_dir, rel, expected, _size) in enumerate(rows):
        if cancel:
            cancel.check()
        if progress:
            progress(n, len(rows), f"Checking {rel}")
        path = archive.store.path(storage_dir, rel, names[storage_dir])
        known.add(path)
        entry = {"path": f"{storage_dir}/{rel}", "item_id": item_id, "expected": expected}
        earlier = None if path.is_file() else misnamed_file(archive.root, storage_dir, rel, names[storage_dir])
        if earlier is not None:  # an archive laid out before portable names: `heritage fix-names` moves it
            known.add(earlier)
            actual = sha256_file(earlier)
            entry.update(status="misnamed" if actual == expected else "changed", actual=actual,
                         stored_as=earlier.relative_to(archive.root).as_posix())
        elif not path.is_file():
            entry.update(status="missing", actual=None)
        else:
            actual = sha256_file(path)
            entry.update(status="ok" if actual == expected else "changed", actual=actual)
        if entry["status"] != "ok":  # named as staff know the item: accession and title
            entry["item"] = labels.get(item_id) or labels.setdefault(item_id, _label(archive, item_id))
            hint = " (stored under an earlier name: `heritage fix-names` moves it)" * (entry["status"] == "misnamed")
            entry["message"] = f"{entry['item']}: {rel} is {entry['status']}{hint}"
        report.files.append(entry)
    for path in _stored_files(archive.store.objects):
        if path not in known:
            rel = path.relative_to(archive.root).as_posix()
            report.files.append({"path": rel, "item_id": None, "item": None, "status": "untracked",
                                 "expected": None, "actual": sha256_file(path),
                                 "message": f"{rel} is in the store but belongs to no item"})
    if progress:
        progress(len(rows), len(rows), "Done")
    _log(archive, report)
    return report


def _label(archive: Archive, item_id: int) -> str:
    try:
        return item_label(archive, item_id)
    except _UNLOGGABLE:  # a damaged catalogue still gets its report
        return f"item {item_id}"


def _stored_files(objects: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, _dirs, files in os.walk(objects):
        found.extend(Path(dirpath) / name for name in files)
    return sorted(found)


def _log(archive: Archive, report: VerifyReport) -> None:
    problems = [f for f in report.files if f["status"] != "ok"]
    detail = {"counts": report.counts, "database": report.database[:20],
              "problems": [{k: f[k] for k in ("path", "item", "status", "expected", "actual")} for f in problems[:200]]}
    try:
        archive.record_event("fixity", outcome="success" if report.ok else "failure", detail=detail)
        for item_id in sorted({f["item_id"] for f in problems if f["item_id"] is not None}):
            archive.record_event("fixity", item_id=item_id, outcome="failure",
                                 detail=[f["path"] for f in problems if f["item_id"] == item_id])
    except _UNLOGGABLE:  # a read-only or damaged catalogue still gets its report
        pass
