"""Archives laid out before today's stored names: found by ``verify``, moved by ``fix-names``.

An archive made before portable names (or copied from Linux, or made before the path budget of
:mod:`archive.portable`) holds some files where an earlier rule put them: ``CON.ply`` under its
original name, a deep path unshortened. Nothing about those files is wrong but their name, and on
Windows they cannot be read at all. Today's rule gives each file one stored place, computed from
the asset's recorded paths; :func:`misnamed_file` finds a file that is not there but at an
earlier rule's place, and :func:`fix_names` moves exactly those files:

- only a file whose bytes still have the recorded SHA-256 is moved (anything else is for
  ``verify`` to report, never to "fix"); files already where they belong are not touched;
- one asset at a time, under the catalogue's write lock, each move a rename inside the asset's
  folder, undone if a later one in the same asset fails; the folder is marked read-only again;
- each asset's moves are one ``filename-change`` event (PREMIS: *filename change*) naming every
  old and new stored name, committed after the moves. Were it lost in a crash, the files are
  still where today's rule looks for them, and the catalogue (which records original names
  only) is right as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from platform_support import fsync_dir, make_folders_writable, make_read_only

from .errors import StorageError
from .portable import stored_names
from .safepaths import resolve_inside
from .store import sha256_file

if TYPE_CHECKING:
    from .service import Archive

EVENT = "filename-change"


def earlier_places(rel: str, names: list[str]) -> list[str]:
    """Where earlier rules stored ``rel`` of an asset whose recorded paths are ``names``, when
    that differs from today's place: its original name (before portable names), the single-name
    rule without the path budget."""
    now = stored_names(names)[rel]
    places = [rel, stored_names(names, budget=None)[rel]]
    return [p for i, p in enumerate(places) if p != now and p not in places[:i]]


def misnamed_file(root: Path, storage_dir: str, rel: str, names: list[str]) -> Path | None:
    """The file an earlier rule left for ``rel`` (see :func:`earlier_places`), or None."""
    folder = root / storage_dir
    for place in earlier_places(rel, names):
        resolve_inside(folder, place, "the catalogue")  # never a file outside the asset's folder
        path = folder / Path(*PurePosixPath(place).parts)  # named as the store and verify name files
        if path.is_file():
            return path
    return None


@dataclass
class NameFixReport:
    """What :func:`fix_names` moved (or would move, with ``dry_run``) and what it left alone."""

    moved: list[dict[str, Any]] = field(default_factory=list)  # item_id, from, to (relative to the archive)
    left: list[dict[str, Any]] = field(default_factory=list)  # item_id, path, reason
    applied: bool = False


@dataclass
class _Move:
    item_id: int
    source: Path
    target: Path


def fix_names(archive: Archive, dry_run: bool = False,
              progress: Callable[[int, int, str], None] | None = None) -> NameFixReport:
    """Move every file stored under an earlier rule's name to today's stored name (see the
    module's docstring); ``dry_run`` only reports."""
    report = NameFixReport(applied=not dry_run)
    plan = _plan(archive, report)
    for n, (storage_dir, moves) in enumerate(sorted(plan.items())):
        if progress:
            progress(n, len(plan), f"Renaming files of {storage_dir}")
        report.moved += [{"item_id": m.item_id, "from": _rel(archive, m.source), "to": _rel(archive, m.target)}
                         for m in moves]
        if not dry_run:
            _apply(archive, archive.root / storage_dir, moves)
    if progress:
        progress(len(plan), len(plan), "Done")
    return report


def _plan(archive: Archive, report: NameFixReport) -> dict[str, list[_Move]]:
    rows = archive.catalogue.fixity_rows()
    names: dict[str, list[str]] = {}
    for _item, storage_dir, rel, _sha, _size in rows:
        names.setdefault(storage_dir, []).append(rel)
    plan: dict[str, list[_Move]] = {}
    for item_id, storage_dir, rel, expected, _size in rows:
        target = archive.store.path(storage_dir, rel, names[storage_dir])
        if target.is_file():
            continue
        source = misnamed_file(archive.root, storage_dir, rel, names[storage_dir])
        if source is None:
            continue  # missing: verify says so
        if sha256_file(source) != expected:
            report.left.append({"item_id": item_id, "path": _rel(archive, source),
                                "reason": "its bytes differ from the recorded hash; run verify"})
            continue
        plan.setdefault(storage_dir, []).append(_Move(item_id, source, target))
    return plan


def _apply(archive: Archive, folder: Path, moves: list[_Move]) -> None:
    """Rename one asset's files (all or none) and log the event, under the write lock."""
    if archive.read_only:
        raise StorageError("the archive is on read-only media; its files cannot be renamed here")
    done: list[_Move] = []
    with archive.catalogue.transaction():
        make_folders_writable(folder)
        try:
            for move in moves:
                if move.target.exists() or not move.source.is_file():  # another process got here first
                    continue
                move.target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(move.source, move.target)
                done.append(move)
            _remove_empty_folders(folder, [m.source.parent for m in done])
            for parent in {m.target.parent for m in done}:
                fsync_dir(parent)
            fsync_dir(folder)
            if done:
                archive.log(EVENT, item_id=done[0].item_id, detail={
                    "folder": _rel(archive, folder), "reason": "stored under the name an earlier rule gave it",
                    "renamed": {_rel(archive, m.source, folder): _rel(archive, m.target, folder) for m in done}})
        except BaseException:
            for move in reversed(done):
                move.source.parent.mkdir(parents=True, exist_ok=True)
                os.rename(move.target, move.source)
            raise
        finally:
            make_read_only(folder)


def _remove_empty_folders(folder: Path, parents: list[Path]) -> None:
    for parent in sorted(set(parents), key=lambda p: len(p.parts), reverse=True):
        while parent != folder and parent.is_relative_to(folder) and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def _rel(archive: Archive, path: Path, base: Path | None = None) -> str:
    return PurePosixPath(Path(os.path.realpath(path)).relative_to(os.path.realpath(base or archive.root))).as_posix()


__all__ = ["EVENT", "NameFixReport", "earlier_places", "fix_names", "misnamed_file"]
