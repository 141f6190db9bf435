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
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from archive.errors import UnsafeReference
from archive.safepaths import check_relative, within

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DRIVE = re.compile(r"^[A-Za-z]:")


def rel_posix(path: Path, root: Path) -> str:
    """``path`` as a POSIX path relative to ``root`` (both made absolute, links kept)."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return Path(rel).as_posix()


def check_inside(path: Path, root: Path) -> None:
    """Refuse a main file that is not inside ``root`` (lexically or via a symlink)."""
    root_abs = os.path.abspath(root)
    if not within(os.path.abspath(path), root_abs) or not within(os.path.realpath(path), os.path.realpath(root)):
        raise UnsafeReference(f"{path} is not inside the import folder {root}.")


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
    if _SCHEME.match(text) and not _DRIVE.match(text):
        raise UnsafeReference(
            f"reference {ref!r} names a URI scheme (network or file URL); only relative "
            "files inside the import folder are allowed."
        )
    # The same rules as every path from a package; ``./`` and ``../`` stay legal here and
    # the joined result must still lie inside the import folder.
    rel = check_relative(text, "a reference in the file", backslashes=True, dots=True)
    target = os.path.normpath(os.path.join(os.path.abspath(base_dir), *rel.parts))
    if not within(target, os.path.abspath(root)):
        raise UnsafeReference(f"reference {ref!r} points outside the import folder.")
    return _existing(Path(target), root)


def _existing(target: Path, root: Path) -> Path | None:
    """The file at ``target`` (or a match by normalised name), checked for symlink escapes."""
    if not os.path.lexists(target):
        target_ci = _normalised_match(target)
        if target_ci is None:
            return None
        target = target_ci
    if not within(os.path.realpath(target), os.path.realpath(root)):
        raise UnsafeReference(
            f"{target.name} is a link to a file outside the import folder; copy the file itself into the folder."
        )
    if not target.is_file():
        return None
    return target


def _key(name: str, fold: bool) -> str:
    nfc = unicodedata.normalize("NFC", name)
    return nfc.casefold() if fold else nfc


def _normalised_match(target: Path) -> Path | None:
    """The one file named like ``target`` up to Unicode normalisation (a file copied from a
    Mac is NFD, the reference usually NFC), else up to case as well (written on Windows as
    ``Texture.JPG`` for ``texture.jpg``). Each folder on the way is matched the same way."""
    parent: Path | None = target.parent
    if parent is not None and not parent.is_dir():
        parent = _normalised_match(parent) if parent != parent.parent else None
    if parent is None or not parent.is_dir():
        return None
    entries = list(parent.iterdir())
    for fold in (False, True):
        want = _key(target.name, fold)
        matches = [p for p in entries if _key(p.name, fold) == want]
        if len(matches) == 1:
            return matches[0]
        if matches:
            return None
    return None


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
