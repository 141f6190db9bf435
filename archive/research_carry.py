"""Research records across master versions: when a new master of an item arrives, the records
on its previous master move to the new one; they stay "ok" only when the geometry is the same.

"The same geometry" is decided honestly and cautiously, because a record's points are numbers
in the master's coordinates and a wrong "same" would silently misplace them:

1. a cheap look at what the import already knows (mesh or cloud, vertex, triangle and point
   counts, bounding box within a millionth of its size): any difference settles it;
2. otherwise both masters are read (in the isolated worker, as every master reader runs) and
   compared: the same kind, the same number of vertices, the same triangles (indices, in the
   same order) and every vertex within a millionth of the model's size of its old place. This
   passes a re-export that changed only textures, materials, the file format's encoding or
   the printed precision of the numbers, and fails a re-processed scan.

File hashes cannot decide it: a new master always has new bytes (identical bytes are refused as
a duplicate import), and a texture-only change keeps the geometry. Anything not shown to be the
same (different, unreadable, not compared) moves the records anyway and marks them
``needs_review``: nothing is deleted, and the ``record_changed`` events name the old asset and
the reason. A change of the asset's units also needs review (the numbers now mean other lengths).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .portable import stored_names
from .research import record_from_row

if TYPE_CHECKING:
    from .formats import ScanInfo
    from .service import Archive
    from .store import StagedAsset

TOLERANCE = 1e-6
"""How far (a share of the model's largest side) a vertex may lie from its old place and still be
"the same": far below any scanner's accuracy, far above float32 and printed-decimal rounding."""


@dataclass
class CarryPlan:
    """What the import found before its commit: the master the new one follows and whether
    their geometry is the same (None: not compared, e.g. the item had no records then)."""

    previous_asset_id: int | None
    same: bool | None
    reason: str


def plan_carry_over(archive: Archive, item_id: int, asset: dict[str, Any], staged: StagedAsset, main_rel: str,
                    info: ScanInfo, isolate: bool = True) -> CarryPlan | None:
    """Before the commit (no lock held): compare the item's current master with the new one
    being imported, when records hang on it. None when the new asset is not a master."""
    if asset.get("role") != "master":
        return None
    previous = archive.catalogue.master_asset_id(item_id)
    if previous is None:
        return CarryPlan(None, None, "the item had no master before")
    if not any(r["asset_id"] == previous for r in archive.catalogue.record_rows(item_id)):
        return CarryPlan(previous, None, "no records to carry were on the previous master")
    try:
        old = archive.asset(previous)
        differs = _cheap_difference(old, info)
        if differs:
            return CarryPlan(previous, False, differs)
        new_path = staged.staging_dir / stored_names([f.path for f in staged.files])[main_rel]
        same, reason = _compare_files(archive.asset_path(old), new_path, isolate)
    except Exception as exc:  # noqa: BLE001 - unreadable, too big, cancelled: not shown to be the same
        return CarryPlan(previous, False, f"the geometry could not be compared ({exc})")
    return CarryPlan(previous, same, reason)


def apply_carry_over(archive: Archive, item_id: int, new_asset_id: int, plan: CarryPlan) -> int:
    """Inside the import's transaction, after the new master's row is in: move the records of
    the item's previous master onto it (review kept when the geometry is the same, else
    ``needs_review``), one ``record_changed`` event per changed field. Returns how many moved."""
    assets = [a for a in archive.catalogue.asset_rows(item_id) if a["id"] != new_asset_id]
    if not assets:
        return 0
    previous = min(assets, key=lambda a: (a.get("role") != "master", -int(a["id"])))  # as current_master
    new = archive.catalogue.asset_row(new_asset_id) or {}
    same, reason = _verdict(plan, int(previous["id"]), previous.get("units"), new.get("units"))
    moved = 0
    for row in archive.catalogue.record_rows(item_id):
        if row["asset_id"] != previous["id"]:
            continue
        record = record_from_row(row)
        diff: dict[str, tuple[Any, Any]] = {"asset_id": (record["asset_id"], new_asset_id)}
        if record["unit"] != new.get("units"):
            diff["unit"] = (record["unit"], new.get("units"))
        if not same and record["review"] != "needs_review":
            diff["review"] = (record["review"], "needs_review")
        archive.write_record_changes(record, diff, {"reason": reason, "carried_from": int(previous["id"])})
        moved += 1
    return moved


def _verdict(plan: CarryPlan, previous_id: int, old_units: Any, new_units: Any) -> tuple[bool, str]:
    if plan.previous_asset_id != previous_id:
        return False, "another version arrived while this one was being imported; not compared"
    if plan.same is None:
        return False, f"not compared ({plan.reason})"
    if plan.same and old_units != new_units:
        return False, f"the same geometry, but its units changed ({old_units or 'unknown'} → {new_units or 'unknown'})"
    return bool(plan.same), plan.reason


def _cheap_difference(old: dict[str, Any], info: ScanInfo) -> str:
    """Why the new master's recorded figures show other geometry ("" when they agree)."""
    if old.get("geometry") != info.geometry:
        return f"the previous master is a {old.get('geometry')}, the new one a {info.geometry}"
    for name in ("vertices", "faces", "points"):
        before, after = int(old.get(name) or 0), int(getattr(info, name) or 0)
        if before != after:
            return f"{name}: {before:,} before, {after:,} now"
    lo, hi = (old.get("bbox") or {}).get("min"), (old.get("bbox") or {}).get("max")
    if lo and hi and info.bbox_min and info.bbox_max:
        old_box = np.array([lo, hi], dtype=np.float64)
        new_box = np.array([info.bbox_min, info.bbox_max], dtype=np.float64)
        size = float((old_box[1] - old_box[0]).max()) or 1.0
        if float(np.abs(old_box - new_box).max()) > TOLERANCE * size:
            return "the bounding box moved"
    return ""


def _compare_files(old: Path, new: Path, isolate: bool) -> tuple[bool, str]:
    if not isolate:
        return same_geometry(old, new)
    from .isolation import limits_for, run_isolated

    limits = limits_for([old, new], per_byte=6)
    return run_isolated(same_geometry, old, new, name=new.name, memory=limits.memory, timeout=limits.timeout)


def same_geometry(old: Path, new: Path, tolerance: float = TOLERANCE) -> tuple[bool, str]:
    """(whether two masters hold the same geometry, why): see the module's note. Runs in the
    isolated worker (a module-level function: picklable)."""
    from .levels import read_master

    a, b = read_master(old), read_master(new)
    if (a.faces is None) != (b.faces is None):
        return False, "one is a mesh and the other a point cloud"
    if len(a.vertices) != len(b.vertices):
        return False, f"{len(a.vertices):,} vertices before, {len(b.vertices):,} now"
    if a.faces is not None and b.faces is not None and not np.array_equal(a.faces, b.faces):
        return False, "the triangles differ"
    va = a.vertices.astype(np.float64) + a.origin
    vb = b.vertices.astype(np.float64) + b.origin
    size = float(np.ptp(va, axis=0).max()) or 1.0
    worst = float(np.abs(va - vb).max()) if len(va) else 0.0
    if worst > tolerance * size:
        return False, f"vertices moved by up to {worst:.3g} (model units)"
    what = f"{len(a.faces):,} triangles" if a.faces is not None else f"{len(va):,} points"
    return True, f"the same geometry ({len(va):,} vertices, {what}; within {worst:.2g})"


__all__ = ["TOLERANCE", "CarryPlan", "apply_carry_over", "plan_carry_over", "same_geometry"]
