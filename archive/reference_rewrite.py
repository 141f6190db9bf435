"""Copies of scan files whose references to other files of their asset name those files' stored
names instead of their original ones (OBJ → MTL → textures, glTF/GLB → .bin and images, PLY →
``TextureFile``).

An asset whose side files are stored under portable names (:mod:`archive.portable`) cannot be
read from the store as it is: its OBJ still says ``mtllib aux.mtl`` where the store holds
``aux_~c69317.mtl``. Linking the files back under their original names is no answer off Linux:
those are exactly the names Windows cannot hold (``aux.mtl``, ``con.png``, ``a?b.png``). So the
readable copy (:mod:`archive.readable`) keeps the stored names, which every system holds, and
only the files that name others are rewritten, by the table :data:`REWRITERS` (one function per
format, keyed by the original name's extension). Each reads the references the way the import
did (:mod:`archive.formats`), resolves them against the original layout, and writes the stored
name relative to the rewritten file's own stored place. Anything else is copied byte for byte;
a reference that names no file of the asset is left as written.
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import struct
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from glbtools.lines import line_chunks

from .formats.mtl import texture_name

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_MTL_KEYS = frozenset({"bump", "disp", "decal", "refl", "norm"})


class References:
    """Turns a reference written in one file of an asset into the one to write instead.

    ``where`` is that file's original relative path; ``stored`` maps every original relative
    path of the asset to its stored one."""

    def __init__(self, where: str, stored: dict[str, str]) -> None:
        self.folder = posixpath.dirname(where)
        self.stem = posixpath.splitext(posixpath.basename(where))[0]
        self.stored = stored
        self.stored_folder = posixpath.dirname(stored[where])
        # a reference written with another case or normalisation, as the import accepted it
        folded: dict[str, list[str]] = {}
        for rel in stored:
            folded.setdefault(_fold(rel), []).append(rel)
        self._folded = {k: v[0] for k, v in folded.items() if len(v) == 1}

    def target(self, ref: str) -> str | None:
        """The original relative path of the asset's file ``ref`` names, or None."""
        text = ref.strip().replace("\\", "/")
        if not text or _SCHEME.match(text) or text.startswith("/"):  # URLs, drive letters, absolute paths
            return None
        joined = posixpath.normpath(posixpath.join(self.folder, text))
        if joined == ".." or joined.startswith("../"):
            return None
        return joined if joined in self.stored else self._folded.get(_fold(joined))

    def new(self, ref: str) -> str | None:
        """What to write instead of ``ref``; None to leave it as written."""
        target = self.target(ref)
        if target is None:
            return None
        new = posixpath.relpath(self.stored[target], self.stored_folder or ".")
        return None if new == posixpath.normpath(ref.strip().replace("\\", "/")) else new


def _fold(path: str) -> str:
    return unicodedata.normalize("NFC", path).casefold()


# --- OBJ --------------------------------------------------------------------------------------

_MTLLIB = re.compile(rb"^([ \t]*mtllib[ \t]+)([^\r\n]*)", re.MULTILINE)


def rewrite_obj(source: Path, target: Path, refs: References) -> bool:
    """``mtllib`` lines; the rest of a possibly huge OBJ is copied in whole-line chunks."""
    changed = False

    def line(m: re.Match[bytes]) -> bytes:
        nonlocal changed
        rest = m.group(2).decode("utf-8", "surrogateescape")
        new = _mtllib(rest.strip(), refs)
        if new is None:
            return m.group(0)
        changed = True
        return m.group(1) + new.encode("utf-8", "surrogateescape")

    with open(target, "wb") as out:
        for chunk in line_chunks(source, decode_utf16=True):
            out.write(_MTLLIB.sub(line, chunk) if b"mtllib" in chunk else chunk)
    return changed


def _mtllib(rest: str, refs: References) -> str | None:
    """The rewritten names of one ``mtllib`` line, read as the import reads them: the whole
    line when it names a file, else names split at (unescaped) spaces."""
    if "\\ " not in rest and refs.target(rest) is not None:
        return refs.new(rest)
    names = [p.replace("\\ ", " ") for p in re.split(r"(?<!\\)\s+", rest) if p]
    new = [refs.new(n) for n in names]
    if not any(new):
        return None
    return " ".join((b or a).replace(" ", "\\ ") for a, b in zip(names, new, strict=True))


# --- MTL --------------------------------------------------------------------------------------

def rewrite_mtl(source: Path, target: Path, refs: References) -> bool:
    """Texture statements (``map_*``, ``bump``, ``disp``, ``decal``, ``refl``, ``norm``)."""
    lines = source.read_bytes().decode("utf-8", "surrogateescape").splitlines(keepends=True)
    changed = False
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        key, _, args = body.strip().partition(" ")
        if not (key.lower().startswith("map_") or key.lower() in _MTL_KEYS):
            continue
        name = texture_name(args)
        new = refs.new(name) if name else None
        if name is None or new is None:
            continue
        tokens, count = args.split(), len(name.split())
        at = next(j for j in range(len(tokens)) if " ".join(tokens[j:j + count]) == name)
        tokens[at:at + count] = [new]
        lines[i] = body[:len(body) - len(body.lstrip())] + f"{key} {' '.join(tokens)}" + line[len(body):]
        changed = True
    target.write_bytes("".join(lines).encode("utf-8", "surrogateescape"))
    return changed


# --- glTF and GLB -----------------------------------------------------------------------------

def _rewrite_uris(doc: Any, refs: References) -> bool:
    """Buffer and image ``uri`` values (%-decoded, as readers decode them). The new one is
    written unencoded, which a reader that decodes and one that does not both read alike."""
    changed = False
    for key in ("buffers", "images"):
        entries = doc.get(key) if isinstance(doc, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            uri = entry.get("uri") if isinstance(entry, dict) else None
            if not isinstance(uri, str) or uri[:5].lower() == "data:":
                continue
            new = refs.new(unquote(uri))
            if new is not None and "%" not in new:
                entry["uri"] = new
                changed = True
    return changed


def rewrite_gltf(source: Path, target: Path, refs: References) -> bool:
    doc = json.loads(source.read_bytes().decode("utf-8-sig"))
    if not _rewrite_uris(doc, refs):
        return False
    target.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return True


_GLB_HEAD = struct.Struct("<4sII")
_CHUNK_HEAD = struct.Struct("<I4s")


def rewrite_glb(source: Path, target: Path, refs: References) -> bool:
    """The JSON chunk (padded with spaces to 4 bytes); the BIN chunk is copied as it is."""
    with open(source, "rb") as fh:
        magic, version, _length = _GLB_HEAD.unpack(fh.read(_GLB_HEAD.size))
        size, kind = _CHUNK_HEAD.unpack(fh.read(_CHUNK_HEAD.size))
        if magic != b"glTF" or kind != b"JSON":
            return False
        doc = json.loads(fh.read(size))
        if not _rewrite_uris(doc, refs):
            return False
        text = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        text += b" " * (-len(text) % 4)
        rest = source.stat().st_size - fh.tell()
        with open(target, "wb") as out:
            out.write(_GLB_HEAD.pack(magic, version, _GLB_HEAD.size + _CHUNK_HEAD.size + len(text) + rest))
            out.write(_CHUNK_HEAD.pack(len(text), b"JSON") + text)
            shutil.copyfileobj(fh, out, 4 * 1024**2)
    return True


# --- PLY --------------------------------------------------------------------------------------

_HEADER_LIMIT = 1024**2


def rewrite_ply(source: Path, target: Path, refs: References) -> bool:
    """``comment TextureFile`` lines of the header (``<this>`` stands for the PLY's own
    original stem); the body is copied as it is."""
    with open(source, "rb") as fh:
        head = fh.read(_HEADER_LIMIT)
        end = re.search(rb"end_header[ \t]*\r?\n", head)
        if end is None:
            return False
        lines = head[:end.start()].decode("utf-8", "surrogateescape").splitlines(keepends=True)
        changed = False
        for i, line in enumerate(lines):
            m = re.match(r"(\s*comment\s+texturefile\s*:?\s*)(.*?)(\s*)$", line, re.IGNORECASE | re.DOTALL)
            if m is None:
                continue
            name = re.sub(r"<this>", lambda _m: refs.stem, m.group(2), flags=re.IGNORECASE)
            new = refs.new(name) if name else None
            if new is not None:
                lines[i] = m.group(1) + new + m.group(3)
                changed = True
        if not changed:
            return False
        with open(target, "wb") as out:
            out.write("".join(lines).encode("utf-8", "surrogateescape") + head[end.start():])
            shutil.copyfileobj(fh, out, 4 * 1024**2)
    return True


Rewriter = Callable[[Path, Path, References], bool]
#: Formats whose files name other files: ``rewriter(source, target, refs)`` says whether any
#: reference changed, having then written ``target`` (when not, callers use the stored file itself
#: and remove ``target`` if it was begun).
REWRITERS: dict[str, Rewriter] = {
    ".obj": rewrite_obj, ".mtl": rewrite_mtl, ".gltf": rewrite_gltf, ".glb": rewrite_glb, ".ply": rewrite_ply,
}

__all__ = ["REWRITERS", "References"]
