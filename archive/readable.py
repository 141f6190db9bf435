"""Paths a reader can open: an asset's files where references between them resolve.

Most assets are stored under their original names, and their stored files are read as they
are. When some are stored under portable names (:mod:`archive.portable`), an OBJ's ``mtllib
aux.mtl`` or a glTF's ``"uri": "con.png"`` no longer names a stored file. Every reader of a
master — viewer, thumbnails, levels of detail, snapshots, comparisons, exports — then opens a
*readable copy* of the asset, made once and kept under ``derived/r1/<uid>/``:

- laid out under the stored names, which every system can hold (the original ones are what
  Windows could not: a link called ``aux.mtl`` cannot exist there either);
- the files that name others (OBJ, MTL, glTF, GLB, PLY) rewritten to name the stored names
  (:mod:`archive.reference_rewrite`); every other file a hard link to the stored original,
  or a copy where the file system has no hard links (FAT/exFAT drives);
- ``derived/r1/<uid>.json`` written last says it is complete and which files were rewritten;
  when none needed it (a renamed file nobody names) the stored files are read directly and
  nothing else is made;
- an archive laid out before portable names (see :mod:`archive.namefix`) is read from where its
  files lie until ``heritage fix-names`` moves them.

It is derived data: deleting ``derived/`` loses nothing. Every file is placed atomically (a
link, or a temporary file renamed into place), so two processes making the same copy at once
agree. On Windows, hard links share the read-only attribute with the original: deleting the
copy by hand clears it on the original too (its hash still guards it; see
``platform_support.remove_tree``). An archive on read-only media keeps its readable copies in a
temporary folder of this process instead, removed when the process ends.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import struct
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from platform_support import hard_link, remove_tree

from .namefix import misnamed_file
from .portable import stored_names
from .reference_rewrite import REWRITERS, References
from .safepaths import resolve_inside

FOLDER = "r1"  # under derived/; a new layout gets a new name so old copies are never misread
_VERSION = 1


@dataclass(frozen=True)
class Readable:
    """Where a reader opens an asset: ``main`` its main file, ``files`` each original relative
    path's readable file."""

    main: Path
    files: dict[str, Path]


def readable_asset(objects_root: Path, derived: Path | None, asset: Mapping[str, Any]) -> Readable:
    """The readable files of ``asset`` (a row with ``uid``, ``storage_dir``, ``main_file`` and
    ``files``), stored under the archive folder ``objects_root``. ``derived`` is the archive's
    derived folder, None when it cannot be written (read-only media)."""
    names = [f["path"] for f in asset.get("files") or []]
    if asset["main_file"] not in names:
        names.append(asset["main_file"])
    stored = stored_names(names)
    folder = objects_root / asset["storage_dir"]
    direct = {rel: folder / Path(*PurePosixPath(stored[rel]).parts) for rel in names}
    if all(k == v for k, v in stored.items()):
        return Readable(direct[asset["main_file"]], direct)
    # An archive laid out before portable names still reads until `heritage fix-names` (archive.namefix)
    direct = {rel: path if path.exists() else misnamed_file(objects_root, asset["storage_dir"], rel, names) or path
              for rel, path in direct.items()}
    base = derived / FOLDER if derived is not None else _process_folder()
    view = base / asset["uid"]
    rewritten = _made(base, asset["uid"])
    if rewritten is None:
        rewritten = _make(base, view, asset["uid"], direct, stored)
    if not rewritten:
        return Readable(direct[asset["main_file"]], direct)
    files = {rel: view / Path(*PurePosixPath(stored[rel]).parts) for rel in names}
    return Readable(files[asset["main_file"]], files)


def _made(base: Path, uid: str) -> list[str] | None:
    """The rewritten files of a complete readable copy, or None when there is none yet."""
    try:
        data = json.loads((base / f"{uid}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != _VERSION or not isinstance(data.get("rewritten"), list):
        return None
    return [str(r) for r in data["rewritten"]]


def _make(base: Path, view: Path, uid: str, direct: dict[str, Path], stored: dict[str, str]) -> list[str]:
    """Make the readable copy of one asset (see the module's docstring); the rewritten files."""
    base.mkdir(parents=True, exist_ok=True)
    rewrites: dict[str, Path] = {}
    changed: list[str] = []  # the same in every process that makes this copy: it follows the files
    try:
        for rel in sorted(direct):
            rewriter = REWRITERS.get(PurePosixPath(rel).suffix.lower())
            if rewriter is None:
                continue
            tmp = base / f".{uid}.{uuid.uuid4().hex}.tmp"
            try:
                changed_refs = rewriter(direct[rel], tmp, References(rel, stored))
            except (ValueError, struct.error):  # not what its extension says: its reader will say so
                changed_refs = False
            if changed_refs:
                rewrites[rel] = tmp
            else:
                tmp.unlink(missing_ok=True)
        changed = sorted(rewrites)
        if rewrites:
            for rel in sorted(direct):
                target = resolve_inside(view, stored[rel], "a stored file")
                target.parent.mkdir(parents=True, exist_ok=True)
                _place(direct[rel], rewrites.pop(rel, None), target)
    finally:
        for tmp in rewrites.values():
            tmp.unlink(missing_ok=True)
    _write_marker(base, uid, changed)
    return changed


def _place(original: Path, rewritten: Path | None, target: Path) -> None:
    """Put ``rewritten`` (a temporary file) or a link to ``original`` at ``target``, unless
    another process did first; a copy where no hard link can be made."""
    if target.exists():
        if rewritten is not None:
            rewritten.unlink()
        return
    if rewritten is None:
        if hard_link(original, target) or target.exists():
            return
        rewritten = target.with_name(f".{uuid.uuid4().hex}.tmp")
        shutil.copyfile(original, rewritten)
    try:
        os.replace(rewritten, target)
    except PermissionError:  # Windows: another process placed a read-only link meanwhile
        rewritten.unlink(missing_ok=True)


def _write_marker(base: Path, uid: str, rewritten: list[str]) -> None:
    tmp = base / f".{uid}.{uuid.uuid4().hex}.json"
    tmp.write_text(json.dumps({"version": _VERSION, "rewritten": rewritten}), encoding="utf-8")
    os.replace(tmp, base / f"{uid}.json")


_PROCESS_FOLDER: list[Path] = []


def _process_folder() -> Path:
    """This process's temporary folder for the readable copies of read-only archives."""
    if not _PROCESS_FOLDER:
        folder = Path(tempfile.mkdtemp(prefix="heritage-readable-"))
        atexit.register(remove_tree, folder)
        _PROCESS_FOLDER.append(folder)
    return _PROCESS_FOLDER[0]


__all__ = ["FOLDER", "Readable", "readable_asset"]
