"""The one door for paths taken from packages: bags, backups being restored, metadata CSVs,
zip entries, glTF URIs and MTL references.

Rules of :func:`check_relative` (applied to the name as written, before any file is touched):

- it is text, not empty, and holds no NUL or other control character (C0, DEL, C1);
- it is relative: no leading ``/`` or ``\\``, no drive letter (``C:\\x``, ``C:x``) in any
  part, no UNC or device prefix (``\\\\server\\share``, ``\\\\?\\``);
- a backslash is a separator only where the source may come from Windows
  (``backslashes=True``); elsewhere it is refused, since Windows would treat it as one;
- no empty parts (``a//b``) and, unless ``dots=True`` (references inside scan files, where
  ``./`` and ``../`` stay legal and are checked against the root afterwards), no ``.`` or
  ``..`` parts.

:func:`resolve_inside` then joins the name to its target folder, follows every symbolic
link that already exists there, and refuses a result outside the folder. Callers use the
path it returns, so what was checked is what is written or read. Every refusal is an
:class:`~archive.errors.UnsafeReference` naming the offending path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from .errors import UnsafeReference

_DRIVE = re.compile(r"^[A-Za-z]:")


def _control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def check_relative(name: object, what: str = "path", *, backslashes: bool = False,
                   dots: bool = False) -> PurePosixPath:
    """The safe relative POSIX path for ``name``, or UnsafeReference.

    ``what`` says where the name comes from (for the message), e.g. ``"the bag's manifest"``.
    """
    if not isinstance(name, str) or not name:
        raise UnsafeReference(f"{what} names an empty or invalid path ({name!r}); nothing was changed")
    if _control(name):
        raise UnsafeReference(f"{what} names a path with a control character ({name!r}); nothing was changed")
    text = name
    if "\\" in text:
        if not backslashes:
            raise UnsafeReference(f"{what} names a path with a backslash ({name!r}); nothing was changed")
        text = text.replace("\\", "/")
    if text.startswith("/"):
        raise UnsafeReference(f"{what} names an absolute path ({name!r}); only relative paths are allowed")
    parts = text.split("/")
    if any(_DRIVE.match(p) for p in parts):
        raise UnsafeReference(f"{what} names a path with a drive letter ({name!r}); only relative paths are allowed")
    if "" in parts:
        raise UnsafeReference(f"{what} names a path with an empty part ({name!r}); nothing was changed")
    if not dots and any(p in (".", "..") for p in parts):
        raise UnsafeReference(f"{what} names a path with '.' or '..' ({name!r}); nothing was changed")
    return PurePosixPath(*parts)


def within(path: str | Path, root: str | Path) -> bool:
    """Whether the absolute ``path`` is ``root`` or lies under it (no resolving here)."""
    path, root = os.path.normcase(os.fspath(path)), os.path.normcase(os.fspath(root))
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_inside(root: Path, rel: PurePosixPath | str, what: str = "path") -> Path:
    """``root / rel`` with existing symbolic links followed, refused unless it stays inside
    ``root`` (itself resolved). Check ``rel`` with :func:`check_relative` first."""
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, *PurePosixPath(rel).parts))
    if not within(target, real_root):
        raise UnsafeReference(f"{what} names {str(rel)!r}, which leads outside {Path(root).name}; nothing was changed")
    return Path(target)


def safe_target(root: Path, name: object, what: str = "path", *, backslashes: bool = False) -> Path:
    """:func:`check_relative` then :func:`resolve_inside`: the usual call for one name."""
    return resolve_inside(root, check_relative(name, what, backslashes=backslashes), what)


__all__ = ["check_relative", "resolve_inside", "safe_target", "within"]
