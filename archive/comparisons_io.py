"""Saved comparisons travelling: in BagIt bags (``metadata/comparisons.json``) and, with their
derived files, in backups, restores and migrations.

A bag carries the comparisons whose reference is one of its item's scans, with their figures and
parameters (their derived files are not carried: they are rebuilt by running the comparison
again). The compared scan is named by its index in the bag when it is a version of the same item,
else by what describes it across archives (accession and main file SHA-256): an importing archive
that holds those bytes links the comparison to its scan, one that does not keeps the comparison
with the description alone.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platform_support import hard_link

from .catalogue.comparisons_sql import comparison_uids_of
from .comparisons import FILE_NAME, FOLDER, UID, clean_parameters, clean_summary, clean_transform
from .errors import ImportFailed, ValidationError
from .research_values import collect

if TYPE_CHECKING:
    from .service import Archive

BAG_FILE = "comparisons.json"
BAG_KEYS = frozenset({"uid", "asset", "compared_asset", "compared", "parameters", "summary", "transform",
                      "created_at", "created_by"})
DESCRIPTION_KEYS = frozenset({"accession", "version", "main_file", "sha256", "uid"})


# -- bags ----------------------------------------------------------------------------------------
def bag_comparisons(archive: Archive, item_id: int, asset_ids: list[int]) -> list[dict[str, Any]]:
    """The item's comparisons as reference, for a bag whose assets are ``asset_ids`` in order."""
    out = []
    for c in archive.comparisons(item_id):
        if c["item_id"] != item_id:
            continue  # the item was the compared scan: the comparison travels with the other item
        compared = c["compared_asset_id"]
        out.append({"uid": c["uid"], "asset": asset_ids.index(c["asset_id"]) + 1,
                    "compared_asset": asset_ids.index(compared) + 1 if compared in asset_ids else None,
                    "compared": c["compared"], "parameters": c["parameters"], "summary": c["summary"],
                    "transform": c["transform"], "created_at": c["created_at"], "created_by": c["created_by"]})
    return out


def check_bag_comparisons(bag: str, comparisons: Any, assets: int) -> None:
    """Shapes and keys of a bag's comparisons.json (the values are checked when restored)."""
    if not isinstance(comparisons, list):
        raise ImportFailed(f"{bag}: the bag's {BAG_FILE} is not a list of comparisons")
    for n, c in enumerate(comparisons, start=1):
        if not isinstance(c, dict):
            raise ImportFailed(f"{bag}: comparison {n} in the bag is not a JSON object")
        unknown = sorted(set(c) - BAG_KEYS)
        if unknown:
            raise ImportFailed(f"{bag}: comparison {n} in the bag has an unknown key {unknown[0]!r}; it was not "
                               "written by this archive's version, nothing was imported")
        for key, required in (("asset", True), ("compared_asset", False)):
            index = c.get(key)
            if (index is not None or required) and (type(index) is not int or not 1 <= index <= assets):
                raise ImportFailed(f"{bag}: comparison {n} in the bag names asset {index!r}, which the bag does "
                                   "not hold")


def restore_bag_comparisons(archive: Archive, item_id: int, comparisons: list[dict[str, Any]],
                            asset_ids: list[int]) -> tuple[int, list[str]]:
    """Inside the bag import's transaction: recreate the bag's comparisons (each checked as a new
    one is), keeping uid (a new one when this archive holds it already), date and agent. Returns
    how many, and notes on compared scans that are not in this archive."""
    import uuid

    notes = []
    for n, c in enumerate(comparisons, start=1):
        try:
            row = _checked(c)
        except ValidationError as exc:
            raise ImportFailed(f"comparison {n} in the bag is not valid ({exc}); nothing was imported") from exc
        compared_asset = asset_ids[c["compared_asset"] - 1] if c.get("compared_asset") else \
            _asset_with_bytes(archive, row["compared"].get("sha256"))
        if compared_asset is None:
            notes.append(f"comparison {n}: the scan it measured ({_label(row['compared'])}) is not in this archive; "
                         "its figures are kept, it cannot be shown again until that scan is imported and compared")
        uid = str(c.get("uid") or "")
        if not UID.fullmatch(uid) or archive.catalogue.comparison_id_for_uid(uid) is not None:
            uid = uuid.uuid4().hex
        compared_item = archive.asset(compared_asset)["item_id"] if compared_asset is not None else None
        row.update(uid=uid, item_id=item_id, asset_id=asset_ids[c["asset"] - 1], compared_item_id=compared_item,
                   compared_asset_id=compared_asset)
        stamp = (str(c.get("created_at") or ""), str(c.get("created_by") or "")) if c.get("created_at") else None
        archive.insert_prepared_comparison(row, stamp, event=False)
    return len(comparisons), notes


def _checked(c: Mapping[str, Any]) -> dict[str, Any]:
    given = c.get("summary")
    summary: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    return collect([("parameters", lambda: clean_parameters(c.get("parameters"))),
                    ("summary", lambda: clean_summary(summary, c.get("parameters"), summary.get("unit"),
                                                       summary.get("fitness"))),
                    ("transform", lambda: clean_transform(c.get("transform"))),
                    ("compared", lambda: _clean_description(c.get("compared")))])


def _clean_description(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or set(raw) - DESCRIPTION_KEYS:
        raise ValidationError("compared", "is not a description of a scan", "not_description")
    for key, value in raw.items():
        if value is not None and not (isinstance(value, str) and len(value) <= 1000 or type(value) is int):
            raise ValidationError("compared", f"{key} is not a short text or a number", "not_description")
    return dict(raw)


def _asset_with_bytes(archive: Archive, sha256: Any) -> int | None:
    """The asset of this archive whose main file has these bytes, if any."""
    if not isinstance(sha256, str):
        return None
    item = archive.catalogue.item_with_master_bytes(sha256)
    if item is None:
        return None
    for asset in archive.assets(item):
        if any(f["path"] == asset["main_file"] and f["sha256"] == sha256 for f in asset["files"]):
            return int(asset["id"])
    return None


def _label(description: Mapping[str, Any]) -> str:
    version = f" version {description['version']}" if description.get("version") else ""
    return f"{description.get('accession') or 'another item'}{version}, {description.get('main_file') or '?'}"


# -- backups, restores, migrations ----------------------------------------------------------------
def copy_comparison_files(src_root: Path, dest_root: Path, catalogue_file: Path, link: bool = False) -> int:
    """Copy (or hard-link) the derived files of every comparison the catalogue file names from
    ``src_root/derived/comparisons`` to ``dest_root``'s; returns how many files. A comparison
    without files is skipped (they are rebuilt by running it again); names come from an
    untrusted catalogue, so only a uid's own folder and plain files of simple names are read."""
    copied = 0
    for uid in comparison_uids_of(catalogue_file):
        if not UID.fullmatch(uid):
            continue
        source = src_root / "derived" / FOLDER / uid
        if not source.is_dir() or source.is_symlink():
            continue
        target = dest_root / "derived" / FOLDER / uid
        for entry in os.scandir(source):
            if not entry.is_file(follow_symlinks=False) or not FILE_NAME.fullmatch(entry.name):
                continue
            target.mkdir(parents=True, exist_ok=True)
            if not (link and hard_link(Path(entry.path), target / entry.name)):
                shutil.copyfile(entry.path, target / entry.name)
            copied += 1
    return copied


__all__ = ["BAG_FILE", "BAG_KEYS", "bag_comparisons", "check_bag_comparisons", "copy_comparison_files",
           "restore_bag_comparisons"]
