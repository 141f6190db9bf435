"""Archival packages: one item as a BagIt bag (RFC 8493), and back into an archive.

A bag holds the complete record (private fields included: it is a preservation package
between archives, not a publication), every original file of every asset under its
original relative name, the asset metadata and the item's events, with a SHA-256 manifest.
:func:`import_bag` checks the bag and recreates the item in another archive with every
field, every asset row and every file byte-identical; the source events are carried over
and an ``ingest`` event records the transfer.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import bagit as bagit_lib

from archive import db as dbmod
from archive.errors import ImportFailed, StorageError, ValidationError
from archive.fields import ITEM_FIELDS
from archive.store import CancelToken

from .profiles import Progress
from .public import slug

if TYPE_CHECKING:
    from archive.service import Archive

FORMAT = "heritage-archive-bag/1"
ASSET_SKIP = ("id", "item_id", "uid", "storage_dir", "files")


def export_bag(archive: Archive, item_id: int, out_dir: Path, progress: Progress | None = None,
               cancel: CancelToken | None = None) -> Path:
    """Write ``out_dir/<accession>-bag/`` for item ``item_id``; returns the bag folder."""
    item = archive.get(item_id)
    bag_dir = out_dir / f"{slug(item)}-bag"
    if bag_dir.exists():
        raise StorageError(f"{bag_dir.name} already exists in the output folder; remove it or choose another folder")
    work = out_dir / f".{bag_dir.name}.part"
    shutil.rmtree(work, ignore_errors=True)
    try:
        _write_payload(archive, item, work, progress, cancel)
        bagit_lib.make_bag(str(work), _bag_info(item), checksums=["sha256"])
        work.rename(bag_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
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
            shutil.copyfile(archive.store.path(asset["storage_dir"], f["path"]), target)
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


def _asset_index(event: Mapping[str, Any], item: Mapping[str, Any]) -> int | None:
    ids = [a["id"] for a in item["assets"]]
    return ids.index(event["asset_id"]) + 1 if event.get("asset_id") in ids else None


# -- import -------------------------------------------------------------------------------------
def read_bag(path: Path) -> tuple[bagit_lib.Bag, dict[str, Any], list[dict[str, Any]]]:
    """Open and fully validate the bag at ``path``; returns it with its item and events."""
    try:
        bag = bagit_lib.Bag(str(path))
        bag.validate()
    except bagit_lib.BagError as exc:
        raise ImportFailed(f"{path.name} is not a valid BagIt bag: {exc}") from exc
    data = Path(bag.path) / "data"
    try:
        doc = json.loads((data / "metadata" / "item.json").read_text(encoding="utf-8"))
        events = json.loads((data / "metadata" / "events.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"{path.name} is not a bag written by this archive ({exc})") from exc
    if doc.get("format") != FORMAT:
        raise ImportFailed(f"{path.name} is not a bag written by this archive (format {doc.get('format')!r})")
    return bag, doc, events


def import_bag(archive: Archive, path: Path, cancel: CancelToken | None = None) -> int:
    """Recreate the bag's item in ``archive``; returns the new item id. All or nothing."""
    bag, doc, events = read_bag(Path(path))
    data = Path(bag.path) / "data"
    values = dict(doc["item"])
    if values.get("accession") and archive.find_by_accession(values["accession"]) is not None:
        raise ValidationError("accession", f"{values['accession']!r} is already in this archive")
    vessel = values.get("serving_vessel")
    values["serving_vessel"] = archive.find_by_accession(vessel) if vessel else None
    _add_missing_vocabulary(archive, values)
    item = archive.prepare_item(values)
    staged = []
    try:
        for asset in doc["assets"]:
            sources = [(_inside(data, asset["folder"], f["path"]), f["path"]) for f in asset["files"]]
            stage = archive.store.stage(sources, cancel)
            staged.append(stage)
            for got, want in zip(stage.files, asset["files"], strict=True):
                if got.sha256 != want["sha256"]:
                    raise ImportFailed(f"{want['path']}: its checksum differs from the bag's metadata")
        return _commit(archive, item, doc, events, staged)
    except BaseException:
        for stage in staged:
            archive.store.discard(stage)
        raise


def _inside(data: Path, folder: str, rel: str) -> Path:
    path = (data / folder / Path(*PurePosixPath(rel).parts)).resolve()
    if not path.is_relative_to(data.resolve()):
        raise ImportFailed(f"{rel}: the bag refers to a file outside its payload")
    return path


def _add_missing_vocabulary(archive: Archive, values: Mapping[str, Any]) -> None:
    for field in ITEM_FIELDS:
        if not field.vocabulary or values.get(field.name) in (None, [], ""):
            continue
        value = values[field.name]
        for v in value if isinstance(value, list) else [value]:
            if archive.lookup_vocabulary(field.vocabulary, v) is None:
                archive.add_vocabulary(field.vocabulary, v)


def _commit(archive: Archive, item: dict[str, Any], doc: Mapping[str, Any], events: list[dict[str, Any]],
            staged: list[Any]) -> int:
    placed = []
    try:
        for stage in staged:
            archive.store.place(stage)
            placed.append(stage)
        with dbmod.write(archive.db):
            item_id = archive._insert_item(item)
            archive.db.execute("UPDATE items SET created_at = ?, updated_at = ? WHERE id = ?",
                               [doc.get("created_at"), doc.get("updated_at"), item_id])
            asset_ids = [_insert_asset(archive, item_id, meta, stage)
                         for meta, stage in zip(doc["assets"], staged, strict=True)]
            for e in events:
                asset_id = asset_ids[e["asset"] - 1] if e.get("asset") else None
                archive.db.execute(
                    "INSERT INTO events (at, agent, type, item_id, asset_id, field, old_value, new_value, outcome,"
                    " detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [e["at"], e["agent"], e["type"], item_id, asset_id, e.get("field"), e.get("old_value"),
                     e.get("new_value"), e.get("outcome") or "success", e.get("detail")])
            archive.log("ingest", item_id=item_id, detail={"from": "BagIt bag", "accession": item["accession"],
                                                           "files": sum(len(s.files) for s in staged)})
    except BaseException:
        for stage in placed:
            archive.store.unplace(stage)
        raise
    for stage in placed:
        archive.store.confirm(stage)
    return item_id


def _insert_asset(archive: Archive, item_id: int, meta: Mapping[str, Any], stage: Any) -> int:
    row = {k: v for k, v in meta.items() if k not in ("folder", "files", "bbox")}
    bbox = meta.get("bbox") or {}
    row["bbox_min"], row["bbox_max"] = bbox.get("min"), bbox.get("max")
    for key in ("bbox_min", "bbox_max", "textures", "warnings", "details"):
        if row.get(key) is not None:
            row[key] = json.dumps(row[key], ensure_ascii=False)
    row.update(item_id=item_id, uid=stage.uid, storage_dir=stage.storage_dir,
               textured=int(bool(row.get("textured"))), vertex_colors=int(bool(row.get("vertex_colors"))))
    columns = list(row)
    cursor = archive.db.execute(f"INSERT INTO assets ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                [row[c] for c in columns])
    asset_id = int(cursor.lastrowid or 0)
    archive.db.conn.executemany("INSERT INTO files (asset_id, path, sha256, bytes) VALUES (?,?,?,?)",
                                [(asset_id, f.path, f.sha256, f.bytes) for f in stage.files])
    return asset_id


__all__ = ["export_bag", "import_bag", "read_bag"]
