"""Archival packages: one item as a BagIt bag (RFC 8493), and back into an archive.

A bag holds the complete record (private fields included: it is a preservation package
between archives, not a publication), every original file of every asset under its
original relative name, the asset metadata and the item's events, with a SHA-256 manifest.
:func:`import_bag` checks the bag and recreates the item in another archive with every
field, every asset row and every file byte-identical; the source events are carried over
and an ``ingest`` event records the transfer.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import bagit as bagit_lib

from archive.commit import commit_staged
from archive.errors import ImportFailed, LimitExceeded, StorageError, UnsafeReference, ValidationError
from archive.fields import ASSET_FIELD, ITEM_FIELDS
from archive.links import keep_pending_link, make_waiting_links
from archive.records import asset_row
from archive.safepaths import check_relative, resolve_inside
from archive.store import CancelToken
from archive.validation import nfc
from archive.workfolders import work_folder

from .profiles import Progress
from .public import slug

if TYPE_CHECKING:
    from archive.service import Archive

FORMAT = "heritage-archive-bag/1"
ASSET_SKIP = ("id", "item_id", "uid", "storage_dir", "files")


def export_bag(archive: Archive, item_id: int, out_dir: Path, progress: Progress | None = None,
               cancel: CancelToken | None = None) -> Path:
    """Write ``out_dir/<accession>-bag/`` for item ``item_id``; returns the bag folder.

    The bag is built in a fresh hidden work folder marked as ours and renamed when complete;
    on any failure the work folder (private fields included) is removed, and work folders
    left by a killed export are removed at the next export into the same folder."""
    item = archive.get(item_id)
    bag_dir = out_dir / f"{slug(item)}-bag"
    if bag_dir.exists():
        raise StorageError(f"{bag_dir.name} already exists in the output folder; remove it or choose another folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    with work_folder(out_dir, "bag", ".part") as work:
        _write_payload(archive, item, work / "bag", progress, cancel)
        if cancel:
            cancel.check()
        bagit_lib.make_bag(str(work / "bag"), _bag_info(item), checksums=["sha256"])
        os.rename(work / "bag", bag_dir)
    return bag_dir


def _bag_info(item: Mapping[str, Any]) -> dict[str, str]:
    return {"External-Identifier": str(item["accession"]), "External-Description": str(item.get("title") or ""),
            "Bag-Group-Identifier": FORMAT}


def _write_payload(archive: Archive, item: dict[str, Any], work: Path, progress: Progress | None,
                   cancel: CancelToken | None) -> None:
    work.mkdir(parents=True)
    record = {f.name: item.get(f.name) for f in ITEM_FIELDS}
    vessel = item.get("serving_vessel")
    record["serving_vessel"] = archive.get(vessel, with_assets=False)["accession"] if vessel else None
    assets = []
    total = sum(len(a["files"]) for a in item["assets"])
    done = 0
    for n, asset in enumerate(item["assets"], start=1):
        folder = f"assets/{n:03d}"
        for f in asset["files"]:
            if cancel:
                cancel.check()
            target = work / folder / Path(*PurePosixPath(f["path"]).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(archive.store.asset_file(asset, f["path"]), target)
            done += 1
            if progress:
                progress(done, total, f"Copying {PurePosixPath(f['path']).name}")
        meta = {k: v for k, v in asset.items() if k not in ASSET_SKIP}
        meta["folder"] = folder
        meta["files"] = [{"path": f["path"], "sha256": f["sha256"], "bytes": f["bytes"]} for f in asset["files"]]
        assets.append(meta)
    events = [{k: v for k, v in e.items() if k not in ("id", "item_id")} | {"asset": _asset_index(e, item)}
              for e in archive.history(item["id"])]
    doc = {"format": FORMAT, "item": record, "created_at": item.get("created_at"),
           "updated_at": item.get("updated_at"), "assets": assets}
    (work / "metadata").mkdir()
    (work / "metadata" / "item.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    (work / "metadata" / "events.json").write_text(json.dumps(events, ensure_ascii=False, indent=2),
                                                   encoding="utf-8")
    from archive.research_io import bag_records  # research records, private ones too

    records = bag_records(archive, item["id"], [a["id"] for a in item["assets"]])
    (work / "metadata" / "records.json").write_text(json.dumps(records, ensure_ascii=False, indent=2),
                                                    encoding="utf-8")
    from archive.comparisons_io import BAG_FILE, bag_comparisons  # saved comparisons (figures, not files)

    comparisons = bag_comparisons(archive, item["id"], [a["id"] for a in item["assets"]])
    (work / "metadata" / BAG_FILE).write_text(json.dumps(comparisons, ensure_ascii=False, indent=2), encoding="utf-8")


def _asset_index(event: Mapping[str, Any], item: Mapping[str, Any]) -> int | None:
    ids = [a["id"] for a in item["assets"]]
    return ids.index(event["asset_id"]) + 1 if event.get("asset_id") in ids else None


# -- import -------------------------------------------------------------------------------------
# A bag may come from anywhere: sizes are bounded before the bagit library parses anything
# (its tag parser is quadratic in folded lines), every path goes through archive.safepaths
# before a byte is staged, and every key of its records is checked against an allow-list.
MAX_BAGIT_TXT = 64 * 1024
MAX_TAG_FILE = 1024 * 1024  # bag-info.txt and other tag files
MAX_MANIFEST_PER_FILE = 4096  # one line: a checksum and a path
MAX_RECORD = 64 * 1024 * 1024  # metadata/item.json, metadata/events.json
DOC_KEYS = {"format", "item", "created_at", "updated_at", "assets"}
FILE_KEYS = {"path", "sha256", "bytes"}
EVENT_KEYS = {"at", "agent", "type", "asset_id", "field", "old_value", "new_value", "outcome", "detail", "asset"}
ASSET_EXTRA = {"folder", "files", "bbox"}
ASSET_NOT_FROM_BAG = {"id", "item_id", "uid", "storage_dir", "bbox_min", "bbox_max"}


def read_bag(path: Path, cancel: CancelToken | None = None
             ) -> tuple[bagit_lib.Bag, dict[str, Any], list[dict[str, Any]]]:
    """Open and fully validate the bag at ``path``; returns it with its item and events."""
    _check_bag_files(path)
    if cancel:
        cancel.check()
    try:
        bag = bagit_lib.Bag(str(path))
        bag.validate()
    except bagit_lib.BagError as exc:
        raise ImportFailed(f"{path.name} is not a valid BagIt bag: {exc}") from exc
    if cancel:
        cancel.check()
    data = Path(bag.path) / "data"
    try:
        doc = json.loads(_bounded(data / "metadata" / "item.json").read_text(encoding="utf-8"))
        events = json.loads(_bounded(data / "metadata" / "events.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"{path.name} is not a bag written by this archive ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportFailed(f"{path.name} is not a bag written by this archive (format "
                           f"{doc.get('format') if isinstance(doc, dict) else None!r})")
    _check_records(path.name, doc, events)
    return bag, doc, events


def _bounded(path: Path) -> Path:
    if path.stat().st_size > MAX_RECORD:
        raise LimitExceeded(f"{path.name} in the bag is larger than {MAX_RECORD} bytes; it was not read")
    return path


def _check_bag_files(path: Path) -> None:
    """Bound the size of every tag file and manifest and check every manifest path, before
    the bagit library reads them. A fetch.txt is refused: nothing is fetched."""
    if not path.is_dir():
        raise ImportFailed(f"{path.name} is not a valid BagIt bag: it is not a folder")
    payload = sum(len(files) for _dir, _dirs, files in os.walk(path / "data"))
    for entry in path.iterdir():
        if entry.name == "data":
            continue
        if entry.is_symlink():
            raise UnsafeReference(f"{path.name} holds a symbolic link ({entry.name}); it was not imported")
        if entry.name == "fetch.txt":
            raise ImportFailed(f"{path.name} lists files to download (fetch.txt); the archive never fetches files "
                               "from the network: complete the bag first")
        if not entry.is_file():
            continue
        limit = _size_limit(entry.name, payload)
        size = entry.stat().st_size
        if size > limit:
            raise LimitExceeded(f"{path.name}: {entry.name} is {size} bytes, more than the {limit} bytes a bag of "
                                f"{payload} files may need; it was not read")
        if entry.name.startswith(("manifest-", "tagmanifest-")):
            _check_manifest_paths(path, entry)


def _size_limit(name: str, payload: int) -> int:
    if name == "bagit.txt":
        return MAX_BAGIT_TXT
    if name.startswith(("manifest-", "tagmanifest-")):
        return MAX_TAG_FILE + MAX_MANIFEST_PER_FILE * payload
    return MAX_TAG_FILE


def _check_manifest_paths(bag: Path, manifest: Path) -> None:
    what = f"the bag's {manifest.name}"
    payload = manifest.name.startswith("manifest-")
    with open(manifest, encoding="utf-8-sig", errors="replace") as lines:
        for line in lines:
            entry = line.strip().split(None, 1)
            if len(entry) != 2 or line.startswith("#"):
                continue
            name = entry[1].lstrip("*").replace("%0D", "\r").replace("%0A", "\n")
            rel = check_relative(name, what)
            if payload and rel.parts[0] != "data":
                raise UnsafeReference(f"{what} names {name!r}, which is not in the bag's data folder")
            resolve_inside(bag, rel, what)


def _check_records(bag: str, doc: Mapping[str, Any], events: Any) -> None:
    """Keys and shapes of the item record and events (asset keys are checked on import,
    against the archive's real columns)."""
    _known_keys(bag, "record", doc, DOC_KEYS)
    _known_keys(bag, "item record", doc.get("item"), {f.name for f in ITEM_FIELDS})
    assets = doc.get("assets")
    if not isinstance(assets, list) or not all(isinstance(a, dict) for a in assets):
        raise ImportFailed(f"{bag}: the bag's item record has no valid list of assets")
    for asset in assets:
        if not isinstance(asset.get("files"), list):
            raise ImportFailed(f"{bag}: an asset in the bag's item record has no list of files")
        for f in asset["files"]:
            _known_keys(bag, "file record", f, FILE_KEYS)
    if not isinstance(events, list):
        raise ImportFailed(f"{bag}: the bag's events.json is not a list of events")
    for e in events:
        _known_keys(bag, "event", e, EVENT_KEYS)
        index = e.get("asset")
        if index is not None and (type(index) is not int or not 1 <= index <= len(assets)):
            raise ImportFailed(f"{bag}: an event in the bag names asset {index!r}, which the bag does not hold")
        if not all(isinstance(e.get(k), str) for k in ("at", "agent", "type")):
            raise ImportFailed(f"{bag}: an event in the bag lacks its date, agent or type")


def _known_keys(bag: str, what: str, record: Any, allowed: set[str]) -> None:
    if not isinstance(record, dict):
        raise ImportFailed(f"{bag}: the bag's {what} is not a JSON object")
    unknown = sorted(set(record) - allowed)
    if unknown:
        raise ImportFailed(f"{bag}: the bag's {what} has an unknown key {unknown[0]!r}; "
                           "it was not written by this archive's version, nothing was imported")


def _asset_keys(archive: Archive) -> set[str]:
    columns = archive.catalogue.asset_columns()
    return (columns - ASSET_NOT_FROM_BAG) | ASSET_EXTRA


def _asset_sources(data: Path, asset: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """(file in the bag, relative name in the store) for each file of an asset, every
    path checked by the one door before anything is staged."""
    what = "the bag's item record"
    folder = check_relative(asset.get("folder"), what)
    sources, seen = [], set()
    for f in asset["files"]:
        rel = check_relative(f.get("path"), what)
        key = unicodedata.normalize("NFC", rel.as_posix()).casefold()
        if key in seen:
            raise ImportFailed(f"the bag lists {rel.as_posix()!r} twice in one asset; nothing was imported")
        seen.add(key)
        sources.append((resolve_inside(data, folder / rel, what), rel.as_posix()))
    return sources


@dataclass
class BagImport:
    """The item a bag became, and ``notes`` on links kept for later (a serving vessel not in
    this archive yet) or made now (dishes that were waiting for this item)."""

    item_id: int
    notes: list[str] = dataclasses.field(default_factory=list)


def import_bag(archive: Archive, path: Path, cancel: CancelToken | None = None) -> int:
    """Recreate the bag's item in ``archive``; returns the new item id (see :func:`import_bag_report`)."""
    return import_bag_report(archive, path, cancel).item_id


def import_bag_report(archive: Archive, path: Path, cancel: CancelToken | None = None) -> BagImport:
    """Recreate the bag's item in ``archive``. All or nothing: files, vocabulary additions,
    item, assets, events and links, or none of them."""
    bag, doc, events = read_bag(Path(path), cancel)
    data = Path(bag.path) / "data"
    records = _read_records(data, Path(path).name, len(doc["assets"]))
    comparisons = _read_comparisons(data, Path(path).name, len(doc["assets"]))
    for asset in doc["assets"]:
        _known_keys(Path(path).name, "asset record", asset, _asset_keys(archive))
    sources = [_asset_sources(data, asset) for asset in doc["assets"]]
    values = _nfc_record(doc["item"])  # names compare equal however the sender's tools normalised them
    if values.get("accession") and archive.find_by_accession(values["accession"]) is not None:
        raise ValidationError("accession", f"{values['accession']!r} is already in this archive")
    staged = []
    try:
        for asset, files in zip(doc["assets"], sources, strict=True):
            stage = archive.store.stage(files, cancel)
            staged.append(stage)
            for got, want in zip(stage.files, asset["files"], strict=True):
                if got.sha256 != want.get("sha256"):
                    raise ImportFailed(f"{got.path}: its checksum differs from the bag's metadata")
        if cancel:
            cancel.check()
        return _commit(archive, values, doc, events, staged, records, comparisons)
    except BaseException:
        for stage in staged:
            archive.store.discard(stage)
        raise


def _nfc_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's texts in NFC (as every write stores them), lists of texts included."""
    def norm(value: Any) -> Any:
        if isinstance(value, str):
            return nfc(value)
        return [norm(v) for v in value] if isinstance(value, list) else value

    return {k: norm(v) for k, v in record.items()}


def _add_missing_vocabulary(archive: Archive, values: Mapping[str, Any]) -> None:
    """Inside the import's write transaction: rolled back with the item on failure."""
    for field in ITEM_FIELDS:
        if not field.vocabulary or values.get(field.name) in (None, [], ""):
            continue
        value = values[field.name]
        for v in value if isinstance(value, list) else [value]:
            if archive.lookup_vocabulary(field.vocabulary, v) is None:
                archive.add_vocabulary(field.vocabulary, v)


def _read_records(data: Path, bag: str, assets: int) -> list[dict[str, Any]]:
    """The bag's research records (metadata/records.json; none in a bag from before them)."""
    from archive.research_io import check_bag_records

    path = data / "metadata" / "records.json"
    if not path.is_file():
        return []
    try:
        records = json.loads(_bounded(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"{bag}: the bag's records.json cannot be read ({exc})") from exc
    check_bag_records(bag, records, assets)
    return records  # type: ignore[no-any-return]


def _read_comparisons(data: Path, bag: str, assets: int) -> list[dict[str, Any]]:
    """The bag's saved comparisons (metadata/comparisons.json; none in a bag from before them)."""
    from archive.comparisons_io import BAG_FILE, check_bag_comparisons

    path = data / "metadata" / BAG_FILE
    if not path.is_file():
        return []
    try:
        comparisons = json.loads(_bounded(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"{bag}: the bag's {BAG_FILE} cannot be read ({exc})") from exc
    check_bag_comparisons(bag, comparisons, assets)
    return comparisons  # type: ignore[no-any-return]


def _commit(archive: Archive, values: dict[str, Any], doc: Mapping[str, Any], events: list[dict[str, Any]],
            staged: list[Any], records: list[dict[str, Any]], comparisons: list[dict[str, Any]]) -> BagImport:
    def write() -> BagImport:
        vessel = values.get("serving_vessel")
        values["serving_vessel"] = archive.find_by_accession(vessel) if vessel else None
        pending = vessel if vessel and values["serving_vessel"] is None else None
        _add_missing_vocabulary(archive, values)
        item = archive.prepare_item(values)
        item_id = archive.insert_prepared_item(item, doc.get("created_at"), doc.get("updated_at"))
        asset_ids = [_insert_asset(archive, item_id, meta, stage)
                     for meta, stage in zip(doc["assets"], staged, strict=True)]
        archive.catalogue.log_events(
            (e["at"], e["agent"], e["type"], item_id, asset_ids[e["asset"] - 1] if e.get("asset") else None,
             e.get("field"), e.get("old_value"), e.get("new_value"), e.get("outcome") or "success", e.get("detail"))
            for e in events)
        from archive.comparisons_io import restore_bag_comparisons
        from archive.research_io import restore_bag_records

        restored = restore_bag_records(archive, item_id, records, asset_ids)
        compared, notes = restore_bag_comparisons(archive, item_id, comparisons, asset_ids)
        archive.log("ingest", item_id=item_id, detail={"from": "BagIt bag", "accession": item["accession"],
                                                       "files": sum(len(s.files) for s in staged),
                                                       "records": restored, "comparisons": compared})
        result = BagImport(item_id, make_waiting_links(archive, item_id, item["accession"]) + notes)
        if pending:  # kept by accession, never dropped: made when the vessel arrives
            result.notes.insert(0, keep_pending_link(archive, item_id, "serving_vessel", pending))
        return result

    return commit_staged(archive, staged, write)


def _insert_asset(archive: Archive, item_id: int, meta: Mapping[str, Any], stage: Any) -> int:
    row = {k: v for k, v in meta.items() if k not in ASSET_EXTRA}
    # Catalogue texts in NFC; file names (main_file…) stay byte for byte, as the files are stored.
    row.update(_nfc_record({k: v for k, v in row.items() if k in ASSET_FIELD}))
    bbox = meta.get("bbox") or {}
    if not isinstance(bbox, dict):
        raise ImportFailed("the bag's asset record has a bounding box that is not a JSON object")
    row["bbox_min"], row["bbox_max"] = bbox.get("min"), bbox.get("max")
    row = asset_row({**row, "item_id": item_id, "uid": stage.uid, "storage_dir": stage.storage_dir})
    unknown = set(row) - _asset_keys(archive) - ASSET_NOT_FROM_BAG
    if unknown:  # never SQL built from a name the bag chose
        raise ImportFailed(f"the bag's asset record has an unknown key {sorted(unknown)[0]!r}")
    return archive.catalogue.insert_asset(row, [(f.path, f.sha256, f.bytes) for f in stage.files])


__all__ = ["BagImport", "export_bag", "import_bag", "import_bag_report", "read_bag"]
