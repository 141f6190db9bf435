"""Portable stored names: what an original relative name is called on disk inside its asset folder.

The catalogue keeps every file's original relative name (``files.path``); the store writes it under
the name :func:`stored_names` gives, which Windows, macOS and Linux can all hold. The mapping is
computed from the asset's file list alone (nothing is recorded), so any engine, backup or restored
copy recomputes it:

- a name every system can hold, and unique within its folder by case and Unicode normalisation
  (NFC, case-folded), is stored as it is — archives made before this rule need no change;
- a part Windows cannot hold — a reserved device name (CON, PRN, AUX, NUL, COM1–9, LPT1–9,
  CONIN$, CONOUT$, with any extension, in any case), a trailing dot or space, one of ``<>:"|?*\\``
  or a control character, more than 255 bytes in UTF-8 — keeps a readable form with those
  characters replaced by ``_`` and gets ``_~`` plus six hex digits of the SHA-256 of the original
  part before its extension (``CON.png`` → ``CON_~xxxxxx.png``, ``a:b.png`` → ``a_b_~xxxxxx.png``);
  the suffix goes before the first dot, or before the last one when the rest is long;
- of two parts in one folder that differ only by case or normalisation, the later in sorted order
  gets the same suffix.

Names over 260 characters in all are not shortened (Windows needs long-path support for them).
"""

from __future__ import annotations

import hashlib
import unicodedata

_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                       *(f"{p}{n}" for p in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3")})
_BAD = frozenset('<>:"|?*\\')
MAX_PART_BYTES = 255
_SUFFIX = "_~"


def _control(c: str) -> bool:
    return ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F


def portable_part(part: str) -> bool:
    """Whether one path part can be held by Windows (and so by macOS and Linux too)."""
    if not part or part in (".", ".."):
        return False
    if part[-1] in ". " or any(c in _BAD or _control(c) for c in part):
        return False
    if part.partition(".")[0].rstrip(" ").upper() in _RESERVED:
        return False
    return len(part.encode("utf-8")) <= MAX_PART_BYTES


def _key(part: str) -> str:
    return unicodedata.normalize("NFC", part).casefold()


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _renamed(part: str, salt: int = 0) -> str:
    digest = hashlib.sha256(f"{part}\x00{salt}".encode() if salt else part.encode("utf-8")).hexdigest()[:6]
    clean = "".join("_" if c in _BAD or _control(c) else c for c in part).rstrip(". ") or "_"
    # The suffix goes before the first dot (``Nul.tar.gz`` → ``Nul_~xxxxxx.tar.gz``: Windows
    # judges a device name by what precedes the first dot), or the last one for a long extension.
    stem, dot, ext = clean.partition(".")
    if dot and len(ext.encode("utf-8")) > 32:
        stem, dot, ext = clean.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 32:
        stem, ext = clean, ""
    else:
        ext = "." + ext
    tail = f"{_SUFFIX}{digest}{ext}"
    stem = _clip(stem, MAX_PART_BYTES - len(tail.encode("utf-8"))) or "_"
    name = f"{stem}{tail}"
    return name if portable_part(name) else _clip("_" + name, MAX_PART_BYTES - 1)


def stored_names(paths: list[str]) -> dict[str, str]:
    """For each original relative POSIX path of one asset, its relative path on disk."""
    claimed: dict[tuple[str, str], str] = {}  # (stored folder, key of a stored part) -> original part
    chosen: dict[tuple[str, str], str] = {}  # (stored folder, original part) -> stored part
    out: dict[str, str] = {}
    for path in sorted(set(paths)):
        where = ""  # the stored folder so far, with its trailing "/" ("" at the top)
        for part in path.split("/"):
            stored = chosen.get((where, part))
            if stored is None:
                # "", "." and ".." are left for the store's own checks to refuse, never renamed
                stored = part if portable_part(part) or part in ("", ".", "..") else _renamed(part)
                salt = 0
                while claimed.get((where, _key(stored)), part) != part:
                    stored = _renamed(part, salt)
                    salt += 1
                claimed[(where, _key(stored))] = part
                chosen[(where, part)] = stored
            where = f"{where}{stored}/"
        out[path] = where[:-1]
    return {p: out[p] for p in paths}


def stored_name(rel: str, all_paths: list[str] | None = None) -> str:
    """The on-disk relative path of ``rel`` within an asset whose files are ``all_paths``
    (``rel`` alone when the list is not known: right unless ``rel`` lost a case collision)."""
    names = list(all_paths) if all_paths else []
    if rel not in names:
        names.append(rel)
    return stored_names(names)[rel]


def renamed(paths: list[str]) -> bool:
    """Whether any file of the asset is stored under another name than its original one."""
    return any(k != v for k, v in stored_names(paths).items())


__all__ = ["portable_part", "renamed", "stored_name", "stored_names"]
