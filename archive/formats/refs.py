"""Safe resolution of references found inside scan files (mtllib, textures, glTF uris).

Every reference is resolved against the folder of the file that names it and must stay
inside the import ``root``: absolute paths, drive letters, ``..`` escaping the root, URI
schemes (``file:``, ``http:`` …) and symlinks pointing outside raise
:class:`~archive.errors.UnsafeReference` before the target is opened. A reference that
simply does not exist inside the root is not an error: callers record a warning.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote

from archive.errors import UnsafeReference

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DRIVE = re.compile(r"^[A-Za-z]:")


def rel_posix(path: Path, root: Path) -> str:
    """``path`` as a POSIX path relative to ``root`` (both made absolute, links kept)."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return Path(rel).as_posix()


def check_inside(path: Path, root: Path) -> None:
    """Refuse a main file that is not inside ``root`` (lexically or via a symlink)."""
    root_abs = os.path.abspath(root)
    if not _within(os.path.abspath(path), root_abs) or not _within(os.path.realpath(path), os.path.realpath(root)):
        raise UnsafeReference(f"{path} is not inside the import folder {root}.")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_ref(ref: str, base_dir: Path, root: Path, *, uri: bool = False) -> Path | None:
    """Resolve a reference written inside a scan file.

    Parameters
    ----------
    ref : str
        The reference as written (OBJ/MTL file name, or glTF ``uri`` when ``uri=True``,
        which is %-decoded).
    base_dir : Path
        Folder of the file that contains the reference.
    root : Path
        Import folder; nothing outside it may be reached.

    Returns
    -------
    Path or None
        The file inside ``root``; ``None`` when it does not exist there.

    Raises
    ------
    UnsafeReference
        Absolute path, URI scheme, escape from ``root`` or symlink leaving ``root``.
    """
    text = ref.strip()
    if uri:
        text = unquote(text)
    if not text:
        return None
    if "\x00" in text:
        raise UnsafeReference(f"reference {ref!r} contains a NUL byte.")
    text = text.replace("\\", "/")
    if _DRIVE.match(text) or text.startswith("/"):
        raise UnsafeReference(
            f"reference {ref!r} is an absolute path; only files inside the import folder may be referenced."
        )
    if _SCHEME.match(text):
        raise UnsafeReference(
            f"reference {ref!r} names a URI scheme (network or file URL); only relative "
            "files inside the import folder are allowed."
        )
    root_abs = os.path.abspath(root)
    target = os.path.normpath(os.path.join(os.path.abspath(base_dir), *text.split("/")))
    if not _within(target, root_abs):
        raise UnsafeReference(f"reference {ref!r} points outside the import folder.")
    return _existing(Path(target), root)


def _existing(target: Path, root: Path) -> Path | None:
    """The file at ``target`` (or a case-insensitive match), checked for symlink escapes."""
    if not os.path.lexists(target):
        target_ci = _case_insensitive(target)
        if target_ci is None:
            return None
        target = target_ci
    if not _within(os.path.realpath(target), os.path.realpath(root)):
        raise UnsafeReference(
            f"{target.name} is a link to a file outside the import folder; copy the file itself into the folder."
        )
    if not target.is_file():
        return None
    return target


def _case_insensitive(target: Path) -> Path | None:
    """Match written on Windows with another case (``Texture.JPG`` vs ``texture.jpg``)."""
    parent = target.parent
    if not parent.is_dir():
        return None
    want = target.name.lower()
    matches = [p for p in parent.iterdir() if p.name.lower() == want]
    return matches[0] if len(matches) == 1 else None


def is_data_uri(uri: str) -> bool:
    """Whether a glTF uri embeds its bytes (``data:``)."""
    return uri.strip()[:5].lower() == "data:"


def data_uri_size(uri: str) -> int:
    """Decoded size in bytes of a ``data:`` URI, computed without decoding it."""
    head, _, payload = uri.partition(",")
    if head.lower().endswith(";base64"):
        payload = payload.rstrip("=")
        return len(payload) * 3 // 4
    return len(unquote(payload))


def posix_join(*parts: str) -> str:
    """Join POSIX path parts (for messages)."""
    return posixpath.join(*parts)
