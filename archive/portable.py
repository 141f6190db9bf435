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
  gets the same suffix;
- a stored path longer than :data:`MAX_STORED_PATH` characters (as Windows counts them: UTF-16
  code units) is shortened: its folders become one folder at the top of the asset, named by the
  last of them (cut to 24 characters) and ``_~`` plus six hex digits of the SHA-256 of the
  original folder path, so the files of one folder stay together; a file name still too long
  keeps the start of its stem, a ``_~`` suffix and its extension.

Why 100: Windows without long-path support refuses paths over 259 characters (MAX_PATH, 260 with
the final NUL). Under the archive folder the store writes ``objects/ab/<32 hex>/`` (44
characters), the readable copies of :mod:`archive.readable` ``derived/r1/<32 hex>/`` (44) and an
import ``staging/<32 hex>/<32 hex>/`` (74). With at most 100 more, an archive folder of up to 84
characters holds every stage, e.g. ``C:\\Users\\Nguyễn Thị Minh Khai\\OneDrive - Bảo tàng Lịch sử
Quốc gia\\Heritage Archive`` (83); the stored paths themselves fit under a 114-character folder.
"""

from __future__ import annotations

import hashlib
import unicodedata

_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                       *(f"{p}{n}" for p in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3")})
_BAD = frozenset('<>:"|?*\\')
MAX_PART_BYTES = 255
MAX_STORED_PATH = 100  # characters (UTF-16 code units) of a stored path inside its asset folder
SHORT_FOLDER_CHARS = 24  # what a shortened folder keeps of the name of the folder it stands for
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


def windows_length(text: str) -> int:
    """Length of ``text`` as Windows counts path lengths (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _clip_units(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 code units, on a character boundary."""
    return text.encode("utf-16-le")[:2 * max(limit, 0)].decode("utf-16-le", "ignore")


def _digest(text: str, salt: int) -> str:
    return hashlib.sha256(f"{text}\x00{salt}".encode() if salt else text.encode("utf-8")).hexdigest()[:6]


def _renamed(part: str, salt: int = 0, room: int | None = None) -> str:
    """The safe form of ``part``; ``room``: at most that many UTF-16 code units."""
    digest = _digest(part, salt)
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
    stem = _clip(stem, MAX_PART_BYTES - len(tail.encode("utf-8")))
    if room is not None:
        stem = _clip_units(stem, room - windows_length(tail)).rstrip(". ")
    stem = stem or "_"
    name = f"{stem}{tail}"
    return name if portable_part(name) else _clip("_" + name, MAX_PART_BYTES - 1)


def stored_names(paths: list[str], budget: int | None = MAX_STORED_PATH) -> dict[str, str]:
    """For each original relative POSIX path of one asset, its relative path on disk.

    ``budget`` is the longest stored path (:data:`MAX_STORED_PATH`); None applies only the rules
    for single names (how archives made before the budget laid their files out)."""
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
    if budget is not None:
        _shorten(out, budget)
    return {p: out[p] for p in paths}


def _shorten(out: dict[str, str], budget: int) -> None:
    """Give the stored paths in ``out`` longer than ``budget`` short forms (see the module's
    docstring), unique by case and normalisation like every other name."""
    long = sorted(p for p, s in out.items() if windows_length(s) > budget and ".." not in p.split("/"))
    if not long:
        return
    top = {_key(s.split("/")[0]) for p, s in out.items() if p not in long}  # names taken at the top
    folders: dict[str, str] = {}  # original folder -> the short folder standing for it
    inside: dict[str, set[str]] = {}  # short folder -> keys of the names placed in it
    for path in long:
        folder = path.rpartition("/")[0]
        if folder and folder not in folders:
            folders[folder] = _short_folder(folder, out[path].rsplit("/", 2)[-2], top)
        short = folders.get(folder, "")
        taken = inside.setdefault(short, set()) if short else top
        room = budget - (windows_length(short) + 1 if short else 0)
        name, original, salt = out[path].rsplit("/", 1)[-1], path.rsplit("/", 1)[-1], 0
        while windows_length(name) > room or _key(name) in taken:
            name = _renamed(original, salt, room)
            salt += 1
        taken.add(_key(name))
        out[path] = f"{short}/{name}" if short else name


def _short_folder(folder: str, last: str, top: set[str]) -> str:
    """The one folder standing for the original ``folder`` (whose last part is stored as ``last``)."""
    head, salt = _clip_units(last, SHORT_FOLDER_CHARS).rstrip(". "), 0
    while True:
        name = f"{head}{_SUFFIX}{_digest(folder, salt)}"
        if not portable_part(name):
            name = f"{_SUFFIX}{_digest(folder, salt)}"
        if _key(name) not in top:
            top.add(_key(name))
            return name
        salt += 1


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


__all__ = ["MAX_STORED_PATH", "portable_part", "renamed", "stored_name", "stored_names", "windows_length"]
