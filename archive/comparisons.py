"""Saved scan comparisons: a derived record of one scan version measured against another.

``Comparisons`` is mixed into ``archive.Archive``. The archive does not compare anything (it
never imports the viewer): the caller runs ``viewer.compare`` and hands over what came out —
the parameters it ran with, the summary, the rigid transform — and a folder of derived files
(per-point deviations and histogram, the HTML report and its pictures). The row and its
``comparison_saved`` event are one transaction; the files go to ``derived/comparisons/<uid>/``,
which can always be rebuilt by running the comparison again with the saved parameters (the
sampling and the registration are seeded: the same inputs give the same summary).

A comparison, as every method returns it, is a plain dict:

=====================  ========================================================================
``id``, ``uid``        this archive's number; the uid is the same in every archive it travels to
``item_id``            the item whose scan is the reference
``asset_id``           the reference scan (a 3D asset version of ``item_id``)
``compared_item_id``   the item whose scan was measured (the same item for two versions), or None
``compared_asset_id``  the scan measured against the reference, or None once it was deleted
``compared``           what the compared scan was: {"accession", "version", "main_file",
                       "sha256", "uid"} (kept when the scan itself is gone, or not in this archive)
``reference``          the same description of the reference scan
``parameters``         dict: what the comparison ran with (tolerance, alignment, picked pairs…)
``summary``            dict: ``points``, ``mean`` (signed), ``mean_abs``, ``rms``, ``p95``, ``max``,
                       ``min_signed``, ``max_signed``, ``beyond_tolerance`` (share 0..1),
                       ``tolerance``, ``unit`` ("mm", "cm", "m", "in" or None), ``fitness`` or None
``transform``          4 × 4 rigid transform (list of rows) taking the compared scan's file
                       coordinates (in ``unit``) onto the reference's
``created_at``, ``created_by``
``folder``             str: ``derived/comparisons/<uid>`` under the archive
``files``              sorted names of the derived files there now (may be empty: rebuild them)
=====================  ========================================================================
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from platform_support import remove_tree

from .errors import NotFound, ValidationError
from .records import now
from .research_values import collect

if TYPE_CHECKING:
    from .service import Archive, Change

FOLDER = "comparisons"
SUMMARY_KEYS = ("points", "mean", "mean_abs", "rms", "p95", "max", "min_signed", "max_signed", "beyond_tolerance")
UNITS = ("mm", "cm", "m", "in")
MAX_PARAMETERS = 64 * 1024  # JSON characters: a few hundred picked pairs and the settings
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
UID = re.compile(r"[0-9a-f]{32}")
_JSON = ("compared", "parameters", "summary", "transform")


def comparison_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Catalogue columns -> the comparison dict (JSON decoded), without the derived fields."""
    comparison = dict(row)
    for name in _JSON:
        comparison[name] = json.loads(comparison[name]) if comparison.get(name) else {}
    return comparison


class Comparisons:
    """Mixed into ``Archive``: saved scan comparisons and their derived files."""

    @property
    def _archive(self) -> Archive:
        return cast("Archive", self)  # only ever mixed into Archive

    # -- reading -----------------------------------------------------------------------------
    def comparisons(self, item_id: int) -> list[dict[str, Any]]:
        """The comparisons the item takes part in (as reference or compared scan), oldest first.
        Raises NotFound for an item that is not there."""
        if not self._archive.catalogue.item_exists(item_id):
            raise NotFound(f"There is no item {item_id}")
        return [self._full(r) for r in self._archive.catalogue.comparison_rows(item_id)]

    def comparison(self, comparison_id: int) -> dict[str, Any]:
        row = self._archive.catalogue.comparison_row(comparison_id)
        if row is None:
            raise NotFound(f"There is no comparison {comparison_id}")
        return self._full(row)

    def comparison_folder(self, uid: str) -> Path:
        """``derived/comparisons/<uid>``: where a comparison's derived files are (or go)."""
        if not UID.fullmatch(uid):
            raise ValidationError("uid", f"{uid!r} is not a comparison's uid", "not_uid")
        return self._archive.store.derived / FOLDER / uid

    # -- writing -----------------------------------------------------------------------------
    def save_comparison(self, reference_asset_id: int, compared_asset_id: int, *, parameters: Mapping[str, Any],
                        summary: Mapping[str, Any], transform: Sequence[Sequence[float]], unit: str | None,
                        fitness: float | None = None, files: Path | None = None) -> int:
        """Keep a comparison of scan ``compared_asset_id`` against scan ``reference_asset_id`` (two
        versions of one item, or scans of two items); returns its id. ``summary`` holds the
        figures of :data:`SUMMARY_KEYS` in ``unit``; ``parameters`` what it ran with (its
        ``tolerance`` joins the summary); ``files``: a folder of derived files to keep with it
        (plain files, simple names). Raises ValidationErrors naming every bad value at once."""
        self._archive.require_writable()
        reference = self._scan_asset("asset_id", reference_asset_id)
        compared = self._scan_asset("compared_asset_id", compared_asset_id)
        clean = collect([("parameters", lambda: clean_parameters(parameters)),
                         ("summary", lambda: clean_summary(summary, parameters, unit, fitness)),
                         ("transform", lambda: clean_transform(transform))])
        row = {"uid": uuid.uuid4().hex, "item_id": reference["item_id"], "asset_id": reference["id"],
               "compared_item_id": compared["item_id"], "compared_asset_id": compared["id"],
               "compared": self.describe_scan(compared), **clean}
        sources = _derived_files(files) if files is not None else []
        folder: Path | None = None
        try:
            with self._archive.catalogue.transaction():
                folder = self._place_files(row["uid"], sources) if sources else None
                return self.insert_prepared_comparison(row)
        except BaseException:
            if folder is not None:  # not committed: its files go too
                remove_tree(folder)
            raise

    def insert_prepared_comparison(self, row: Mapping[str, Any], created: tuple[str, str] | None = None,
                                   event: bool = True) -> int:
        """Insert a checked comparison inside the caller's transaction and log ``comparison_saved``
        (``event=False`` for a bag, whose own events tell its history)."""
        created = created or (now(), self._archive.agent)
        columns = {k: json.dumps(v, ensure_ascii=False) if k in _JSON else v for k, v in row.items()}
        columns.update(created_at=created[0], created_by=created[1])
        comparison_id = self._archive.catalogue.insert_comparison(columns)
        if event:
            saved = self.comparison(comparison_id)
            self._archive.log("comparison_saved", item_id=saved["item_id"], asset_id=saved["asset_id"],
                              new=_content(saved), detail=_detail(saved))
        return comparison_id

    def delete_comparison(self, comparison_id: int) -> Change:
        """Remove a comparison and its derived files; ``comparison_deleted`` keeps all of its record."""
        from .service import Change

        with self._archive.catalogue.transaction():
            comparison = self.comparison(comparison_id)
            self._archive.catalogue.delete_comparison(comparison_id)
            self._archive.log("comparison_deleted", item_id=comparison["item_id"], asset_id=comparison["asset_id"],
                              old=_content(comparison), detail=_detail(comparison))
        remove_tree(Path(comparison["folder"]))  # derived: after the commit, a leftover is only a cache
        return Change(sorted({i for i in (comparison["item_id"], comparison["compared_item_id"]) if i is not None}))

    def keep_comparison_files(self, comparison_id: int, files: Path) -> Path:
        """Replace a saved comparison's derived files by those in the folder ``files`` (after running
        it again because they were missing, or to add a report); returns the folder."""
        self._archive.require_writable()
        comparison = self.comparison(comparison_id)
        sources = _derived_files(files)
        old = Path(comparison["folder"])
        aside = old.with_name(f".{old.name}.{uuid.uuid4().hex}.old")
        if old.exists():
            os.replace(old, aside)
        try:
            folder = self._place_files(comparison["uid"], sources)
        except BaseException:
            if aside.exists():
                os.replace(aside, old)
            raise
        remove_tree(aside)
        return folder

    def drop_comparison_files(self, comparisons: Sequence[Mapping[str, Any]], item_id: int) -> None:
        """After item ``item_id`` was deleted: remove the derived files of its comparisons as
        reference (their rows went with it; those where it was compared stay, without it)."""
        for comparison in comparisons:
            if comparison["item_id"] == item_id:
                remove_tree(Path(comparison["folder"]))

    def describe_scan(self, asset: Mapping[str, Any]) -> dict[str, Any]:
        """What names a scan across archives: its item's accession, its version (1 = the item's
        oldest master), main file and that file's SHA-256, and its uid."""
        item = self._archive.catalogue.item_row(int(asset["item_id"])) or {}
        assets = self._archive.assets(int(asset["item_id"]))
        masters = [a["id"] for a in assets if a.get("role") == "master"] or [a["id"] for a in assets]
        sha = next((f["sha256"] for f in asset.get("files") or [] if f["path"] == asset["main_file"]), None)
        return {"accession": item.get("accession"),
                "version": masters.index(asset["id"]) + 1 if asset["id"] in masters else None,
                "main_file": asset["main_file"], "sha256": sha, "uid": asset["uid"]}

    # -- helpers -----------------------------------------------------------------------------
    def _full(self, row: Mapping[str, Any]) -> dict[str, Any]:
        comparison = comparison_from_row(row)
        comparison["reference"] = self.describe_scan(self._archive.asset(int(comparison["asset_id"])))
        folder = self.comparison_folder(comparison["uid"])
        comparison["folder"] = str(folder)
        comparison["files"] = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        return comparison

    def _scan_asset(self, field: str, asset_id: int) -> dict[str, Any]:
        try:
            asset = self._archive.asset(int(asset_id))
        except (NotFound, TypeError, ValueError):
            raise ValidationError(field, f"there is no scan {asset_id!r} in this archive", "not_found") from None
        if asset.get("role") == "photo":
            raise ValidationError(field, f"asset {asset_id} is a photo, not a 3D scan", "not_model")
        return asset

    def _place_files(self, uid: str, sources: list[Path]) -> Path:
        """Copy ``sources`` into a new hidden folder beside the target, then rename it into place."""
        target = self.comparison_folder(uid)
        target.parent.mkdir(parents=True, exist_ok=True)
        work = target.with_name(f".{uid}.{uuid.uuid4().hex}.part")
        work.mkdir()
        try:
            for source in sources:
                shutil.copyfile(source, work / source.name)
            if target.exists():
                remove_tree(target)  # a leftover of a comparison with this uid: derived, rebuilt now
            os.replace(work, target)
        except BaseException:
            remove_tree(work)
            raise
        return target


# -- checks (below the class) -----------------------------------------------------------------
def clean_parameters(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValidationError("parameters", "must be a JSON object of settings", "not_json")
    try:
        text = json.dumps(dict(raw), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError("parameters", f"cannot be kept as JSON ({exc})", "not_json") from None
    if len(text) > MAX_PARAMETERS:
        raise ValidationError("parameters", f"take {len(text):,} characters; at most {MAX_PARAMETERS:,}", "too_long",
                              {"max": MAX_PARAMETERS})
    return cast(dict[str, Any], json.loads(text))


def _number(field: str, raw: Any, low: float | None = None, high: float | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(float(raw)):
        raise ValidationError(field, f"{raw!r} is not a finite number", "not_number")
    value = float(raw)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
        raise ValidationError(field, f"{value:g} is not {bounds}", "range", {"min": low, "max": high})
    return value


def clean_summary(raw: Any, parameters: Any, unit: Any, fitness: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValidationError("summary", "must be a JSON object of figures", "not_json")
    checks: list[tuple[str, Any]] = []
    for key in SUMMARY_KEYS:
        low, high = {"points": (1.0, None), "beyond_tolerance": (0.0, 1.0)}.get(key, (None, None))
        if key in ("rms", "p95", "max", "mean_abs"):
            low = 0.0
        checks.append((key, lambda k=key, lo=low, hi=high: _number(f"summary.{k}", raw.get(k), lo, hi)))
    tolerance = parameters.get("tolerance") if isinstance(parameters, Mapping) else None
    checks.append(("tolerance", lambda: _number("parameters.tolerance", tolerance, 0.0)))
    checks.append(("unit", lambda: _clean_unit(unit)))
    checks.append(("fitness", lambda: None if fitness is None else _number("fitness", fitness, 0.0, 1.0)))
    clean = collect(checks)
    clean["points"] = int(clean["points"])
    return clean


def _clean_unit(raw: Any) -> str | None:
    if raw is None or raw in UNITS:
        return cast("str | None", raw)
    raise ValidationError("unit", f"{raw!r} is not one of {', '.join(UNITS)}", "not_a_choice", {"choices": UNITS})


def clean_transform(raw: Any) -> list[list[float]]:
    """A 4 × 4 rigid transform: a rotation (orthonormal, determinant 1) and a translation."""
    try:
        rows = [[float(v) for v in row] for row in raw]
    except (TypeError, ValueError):
        raise ValidationError("transform", "must be 4 rows of 4 numbers", "not_transform") from None
    if len(rows) != 4 or any(len(r) != 4 for r in rows) or not all(math.isfinite(v) for r in rows for v in r):
        raise ValidationError("transform", "must be 4 rows of 4 finite numbers", "not_transform")
    r = [row[:3] for row in rows[:3]]
    gram = [[sum(r[k][i] * r[k][j] for k in range(3)) for j in range(3)] for i in range(3)]
    det = (r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
           + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]))
    rigid = all(abs(gram[i][j] - (i == j)) < 1e-6 for i in range(3) for j in range(3)) and abs(det - 1) < 1e-6
    if not rigid or any(abs(v - w) > 1e-9 for v, w in zip(rows[3], (0, 0, 0, 1), strict=True)):
        raise ValidationError("transform", "is not a rigid transform (a rotation and a shift)", "not_rigid")
    return rows


def _derived_files(folder: Path) -> list[Path]:
    """The plain files of ``folder`` to keep (not links, not folders), each with a simple name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError("files", f"{folder} is not a folder", "not_folder")
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.is_file(follow_symlinks=False):
            continue
        if not FILE_NAME.fullmatch(entry.name):
            raise ValidationError("files", f"{entry.name!r} is not a simple file name", "bad_name")
        found.append(Path(entry.path))
    return found


def _content(comparison: Mapping[str, Any]) -> dict[str, Any]:
    """What an event keeps of a comparison: all of it but this archive's numbers and paths."""
    return {k: v for k, v in comparison.items() if k not in ("id", "item_id", "asset_id", "folder", "files")}


def _detail(comparison: Mapping[str, Any]) -> dict[str, Any]:
    return {"comparison": comparison["id"], "uid": comparison["uid"], "compared_item": comparison["compared_item_id"],
            "compared_asset": comparison["compared_asset_id"]}


__all__ = ["FOLDER", "SUMMARY_KEYS", "Comparisons", "comparison_from_row"]
