"""Import scans (files, folders, zips) into an archive: all or nothing.

Flow per batch: find scans → identify and inspect each (limits, safe references) →
validate its metadata → copy its files into staging while hashing → detect duplicates.
Then every good scan is placed into the store and committed in ONE transaction; a scan
that fails is reported and leaves no trace. Cancelling leaves the archive unchanged.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from . import formats
from .commit import commit_staged
from .errors import ArchiveError, DuplicateImport, ImportFailed, ValidationError
from .formats.registry import not_supported_yet
from .formats.units import UNIT_NAMES
from .isolation import start_inspection
from .labels import item_label
from .photos import inspect_photo, is_photo
from .records import asset_row, now
from .reports import ImportOptions, ImportReport
from .store import CancelToken, StagedAsset
from .validation import clean_asset_changes, nfc
from .zipsafe import extract

if TYPE_CHECKING:
    from .service import Archive

Progress = Callable[[int, int, str], None]


@dataclass
class _Candidate:
    main: Path
    root: Path
    label: str  # what the user recognises: the path they gave, or zip name + entry


@dataclass
class _Ready:
    label: str
    item: dict[str, Any]
    asset: dict[str, Any]
    staged: StagedAsset
    carry: Any = None  # a new master of an existing item: research_carry.CarryPlan


def read_metadata_csv(path: Path) -> dict[str, dict[str, str]]:
    """Rows of a metadata CSV keyed by their ``file`` column (file name or relative path)."""
    from .csvheaders import read_records  # any Excel CSV: UTF-8/16, comma/semicolon/tab, NFC

    records = read_records(path)
    header = [name.strip() for name in records[0]] if records else []
    if records and "file" not in header:
        raise ImportFailed(f"the metadata file {path.name} needs a 'file' column naming each scan")
    rows = [dict(zip(header, record, strict=False)) for record in records[1:] if any(c.strip() for c in record)]
    # The 'file' column is a path from outside: the one door for package paths checks it.
    from .safepaths import check_relative  # imported here: this function's edit stays self-contained

    what = f"the 'file' column of {path.name}"
    return {check_relative((row["file"] or "").strip(), what, backslashes=True).as_posix():
            {k: v for k, v in row.items() if k and k != "file"} for row in rows}


def import_paths(
    archive: Archive,
    paths: list[Path],
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ImportReport:
    options = options or ImportOptions()
    archive.require_writable()
    if options.item_id is not None:
        archive.get(options.item_id, with_assets=False)  # NotFound before any work
    report = ImportReport()
    scratch = archive.store.session_dir() / f"unpack-{uuid.uuid4().hex}"
    ready: list[_Ready] = []
    try:
        candidates = list(_candidates(paths, scratch, report, _wants_photos(options)))
        for n, candidate in enumerate(candidates):
            if cancel:
                cancel.check()
            if progress:
                progress(n, len(candidates), f"Importing {candidate.label}")
            try:
                ready.append(_prepare(archive, candidate, options, ready, report, cancel))
            except (ImportFailed, ValidationError) as exc:
                report.fail(candidate.label, exc)
        if cancel:
            cancel.check()
        if ready:
            report.imported = _commit(archive, ready, options.item_id, report)
        if progress:
            progress(len(candidates), len(candidates), "Done")
    except BaseException:  # cancelled, disk full, interrupted…: nothing staged survives
        for r in ready:
            archive.store.discard(r.staged)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report


def _candidates(paths: list[Path], scratch: Path, report: ImportReport, photos: bool) -> Iterator[_Candidate]:
    for path in paths:
        label = str(path)
        if path.is_symlink() and not path.exists():
            report.fail(label, ImportFailed("the link points to nothing"))
        elif path.is_dir():
            yield from _folder_candidates(path, path, label, report, photos)
        elif not path.exists():
            report.fail(label, ImportFailed("no such file or folder"))
        elif path.suffix.lower() == ".zip":
            target = scratch / uuid.uuid4().hex
            target.mkdir(parents=True)
            try:
                extract(path, target)
            except ArchiveError as exc:
                report.fail(label, exc)
                continue
            yield from _folder_candidates(target, target, path.name, report, photos)
        else:
            yield _Candidate(path, path.parent, label)


def _folder_candidates(folder: Path, root: Path, label: str, report: ImportReport,
                       photos: bool = False) -> Iterator[_Candidate]:
    for dirpath, dirnames, filenames in os.walk(folder):  # never follows symlinked folders
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            shown = f"{label}/{rel}"
            if photos:
                if is_photo(path) and not path.is_symlink():
                    yield _Candidate(path, root, shown)
                continue
            if name.startswith(".") or formats.is_side_file(path):
                continue
            if path.is_symlink():
                report.skipped.append({"path": shown, "reason": "symbolic link (not followed)"})
                continue
            try:
                formats.identify(path)
            except ArchiveError:
                report.skipped.append({"path": shown, "reason": not_supported_yet(path) or "not a 3D scan"})
                continue
            yield _Candidate(path, root, shown)


def _prepare(archive: Archive, candidate: _Candidate, options: ImportOptions,
             ready: list[_Ready], report: ImportReport, cancel: CancelToken | None) -> _Ready:
    # The worker reads the scan while this process copies and hashes it: two cores, one pass.
    inspection: Callable[[], formats.ScanInfo]
    if _wants_photos(options):
        inspection = partial(inspect_photo, candidate.main, candidate.root)
    elif options.isolate:
        inspection = start_inspection(candidate.main, candidate.root)
    else:
        inspection = partial(formats.inspect_scan, candidate.main, candidate.root)
    main_rel = candidate.main.relative_to(candidate.root).as_posix()
    staged = archive.store.stage([(candidate.main, main_rel)], cancel)
    try:
        info = inspection()
        if options.item_id is not None:
            item = archive.get(options.item_id, with_assets=False)
        else:
            item = archive.prepare_item(_item_values(candidate, options))
        asset = _asset_values(archive, info, options, candidate.main.name)
        side = [(candidate.root / Path(*PurePosixPath(f).parts), f) for f in info.files if f != main_rel]
        archive.store.stage_more(staged, side, cancel)
        _check_duplicate(archive, staged, ready)
        for accession in (r.item["accession"] for r in ready if r.item.get("accession")):
            if accession == item.get("accession") and options.item_id is None:
                raise ValidationError("accession", f"{accession!r} is given to two scans of this import")
    except BaseException:
        archive.store.discard(staged)
        raise
    for warning in info.warnings:
        report.warnings.append({"path": candidate.label, "warning": warning})
    asset["main_file"] = main_rel
    ready_scan = _Ready(candidate.label, item, asset, staged)
    if options.item_id is not None:  # records on its previous master carry over (archive.research_carry)
        from .research_carry import plan_carry_over

        ready_scan.carry = plan_carry_over(archive, options.item_id, asset, staged, main_rel, info, options.isolate)
    return ready_scan


def _wants_photos(options: ImportOptions) -> bool:
    return str(options.asset_fields.get("role", "")).strip().lower() == "photo"


def _item_values(candidate: _Candidate, options: ImportOptions) -> dict[str, Any]:
    values: dict[str, Any] = {"kind": options.kind}
    if options.collection:
        values["collections"] = [options.collection]
    rel = candidate.main.relative_to(candidate.root).as_posix()
    # Keys are NFC (read_metadata_csv); names from a Mac's disk may be NFD.
    row = options.metadata.get(nfc(rel)) or options.metadata.get(nfc(candidate.main.name)) or {}
    values.update({k: v for k, v in row.items() if v not in (None, "")})
    values.update(options.item_fields)
    if options.title:
        values["title_vi"] = options.title
    if not values.get("title_vi") and not values.get("title_en"):
        values["title_vi"] = candidate.main.stem.replace("_", " ")
    return values


def _asset_values(archive: Archive, info: formats.ScanInfo, options: ImportOptions, name: str) -> dict[str, Any]:
    asset = clean_asset_changes({"role": "master", **options.asset_fields}, archive.lookup_vocabulary)
    _declared_units_win(asset, info, name)
    asset.update({
        "format": info.format, "geometry": info.geometry, "vertices": info.vertices, "faces": info.faces,
        "points": info.points, "bbox_min": list(info.bbox_min) if info.bbox_min else None,
        "bbox_max": list(info.bbox_max) if info.bbox_max else None, "textured": info.textured,
        "vertex_colors": info.vertex_colors, "textures": info.textures, "warnings": info.warnings,
        "details": info.details,
    })
    return asset


def _declared_units_win(asset: dict[str, Any], info: formats.ScanInfo, name: str) -> None:
    """A unit the file declares is its truth: a different batch setting is not applied, and the
    file's warnings (shown in the import report and kept on the asset) say so."""
    if not info.units_declared:
        return
    chosen = asset.get("units")
    asset["units"] = info.units
    declared = info.units or str(info.details.get("declared_units") or "")
    if chosen and chosen != info.units:
        info.warnings.append(f"{name} declares {UNIT_NAMES.get(declared, declared)} ({info.units_source}); "
                             f"the batch setting {chosen} was not applied")


def _check_duplicate(archive: Archive, staged: StagedAsset, ready: list[_Ready]) -> None:
    existing = _stored_duplicate(archive, staged)
    if existing is not None:
        raise DuplicateImport(f"identical bytes are already in the archive ({item_label(archive, existing)})", existing)
    if any(r.staged.files[0].sha256 == staged.files[0].sha256 for r in ready):
        raise DuplicateImport("the same scan appears twice in this import", 0)


def _stored_duplicate(archive: Archive, staged: StagedAsset) -> int | None:
    """The item already holding a master file with the same bytes as ``staged``'s main file."""
    return archive.catalogue.item_with_master_bytes(staged.files[0].sha256)


def _commit(archive: Archive, ready: list[_Ready], item_id: int | None, report: ImportReport) -> list[int]:
    late: list[tuple[_Ready, int, str]] = []

    def write() -> list[int]:
        # Checked again under the write lock: another process or PC may have committed the
        # same bytes since this import looked (the lock makes check-and-insert one step). A
        # scan left out here is removed from the store by commit_staged. Labels are read here
        # too: after the commit the server may be gone, and the import must still be reported.
        late[:] = [(r, dup, item_label(archive, dup)) for r in ready
                   if (dup := _stored_duplicate(archive, r.staged)) is not None]
        skipped = {id(r) for r, _dup, _label in late}
        return [_insert(archive, r, item_id) for r in ready if id(r) not in skipped]

    ids = commit_staged(archive, [r.staged for r in ready], write)
    for r, dup, label in late:
        message = f"identical bytes are already in the archive as {label}, imported meanwhile from another window or PC"
        report.fail(r.label, DuplicateImport(message, dup))
    return ids


def _insert(archive: Archive, r: _Ready, item_id: int | None) -> int:
    if item_id is None:
        item_id = archive.insert_prepared_item(r.item)
    row = asset_row({**r.asset, "item_id": item_id, "uid": r.staged.uid, "storage_dir": r.staged.storage_dir,
                     "imported_at": now()})
    asset_id = archive.catalogue.insert_asset(row, [(f.path, f.sha256, f.bytes) for f in r.staged.files])
    archive.log("import", item_id=item_id, asset_id=asset_id, detail={
        "source": PurePosixPath(r.label).name, "files": len(r.staged.files),
        "sha256": r.staged.files[0].sha256, "format": row["format"]})
    if r.carry is not None:
        from .research_carry import apply_carry_over

        apply_carry_over(archive, item_id, asset_id, r.carry)
    return item_id
