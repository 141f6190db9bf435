"""OBJ material libraries: which texture files a ``.mtl`` names, options stripped."""

from __future__ import annotations

import re
from pathlib import Path

from archive.errors import LimitExceeded
from archive.formats.refs import rel_posix, resolve_ref

_MAX_MTL_BYTES = 64 * 1024**2
_TEX_KEYS = frozenset({"bump", "disp", "decal", "refl", "norm"})
# option -> number of arguments (for -o/-s/-t: up to 3 numbers)
_OPTIONS = {
    "-blendu": 1, "-blendv": 1, "-boost": 1, "-mm": 2, "-o": 3, "-s": 3, "-t": 3,
    "-texres": 1, "-clamp": 1, "-bm": 1, "-imfchan": 1, "-type": 1, "-colorspace": 1,
    "-cc": 1,
}  # fmt: skip
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def texture_name(args: str) -> str | None:
    """File name of a ``map_*``/``bump``/``norm`` statement, options removed.

    ``-bm 1 -o 0.1 0.2 my tex.png -imfchan r`` gives ``my tex.png`` (names may hold
    spaces; options may follow the name).
    """
    toks = args.split()
    i = 0
    while i < len(toks) and toks[i].lower() in _OPTIONS:
        n = _OPTIONS[toks[i].lower()]
        i += 1
        if n == 3:  # -o/-s/-t take one to three numbers
            while n and i < len(toks) - 1 and _NUMBER.match(toks[i]):
                i, n = i + 1, n - 1
        else:
            i += n
    rest = toks[i:]
    for j, tok in enumerate(rest):
        if j and tok.lower() in _OPTIONS:
            rest = rest[:j]
            break
    return " ".join(rest) or None


def texture_refs(mtl: Path) -> list[str]:
    """Texture names written in ``mtl``, in order, without duplicates."""
    if mtl.stat().st_size > _MAX_MTL_BYTES:
        raise LimitExceeded(f"{mtl.name}: material library larger than {_MAX_MTL_BYTES:,} bytes.")
    names: list[str] = []
    text = mtl.read_bytes().decode("utf-8", errors="replace")
    for line in text.splitlines():
        key, _, args = line.strip().partition(" ")
        low = key.lower()
        if low.startswith("map_") or low in _TEX_KEYS:
            name = texture_name(args)
            if name and name not in names:
                names.append(name)
    return names


def resolve_textures(mtl: Path, root: Path, warnings: list[str]) -> list[str]:
    """Textures of ``mtl`` that exist inside ``root`` (POSIX, relative to root).

    Raises ``UnsafeReference`` for any name that leaves ``root``; missing ones are warned.
    """
    found: list[str] = []
    for name in texture_refs(mtl):
        target = resolve_ref(name, mtl.parent, root)
        if target is None:
            warnings.append(f"texture {name} is missing (named in {mtl.name})")
            continue
        rel = rel_posix(target, root)
        if rel not in found:
            found.append(rel)
    return found
